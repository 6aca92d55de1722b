//! The spec-literal policy reference ([`gatewright_spec::reference_policy`]) against the vendored
//! policy corpus (`conformance/policy/`): every case, every expected status and every expected
//! effective policy, compared by the corpus runner's own rules
//! ([`compare_policy`], [`compare_effective`]: `note` keys ignored, `discarded`/`rejected`
//! unordered, a policy expected Invalid without `targets` compares only `accepted`).
//!
//! `GATEWRIGHT_TEST=<substring>` runs only the cases whose file name contains it.

use std::fs;
use std::path::{Path, PathBuf};

use gatewright_spec::policy::{compare_effective, compare_policy};
use gatewright_spec::reference_policy::Reference;
use serde_json::Value;

/// Cases in the vendored corpus (`conformance/policy/README.md`, "Coverage").
const CORPUS_CASES: usize = 23;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/policy")
}

#[allow(
    clippy::disallowed_methods,
    reason = "a test reads its filter from the environment"
)]
fn filter() -> Option<String> {
    std::env::var("GATEWRIGHT_TEST").ok()
}

fn cases() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .expect("the policy corpus is vendored")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = fs::read_to_string(&path).expect("readable case");
            let case =
                serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, case)
        })
        .collect()
}

/// Every difference between the reference and one case's expectations, and the number of
/// assertions made.
fn check_case(case: &Value) -> (Vec<String>, usize) {
    let reference = match Reference::new(case) {
        Ok(r) => r,
        Err(e) => return (vec![e], 1),
    };
    let mut failures = Vec::new();
    let mut assertions = 0;
    let expect = &case["expect"];
    let got = reference.policies();
    if let Some(want) = expect.get("policies").and_then(Value::as_object) {
        for (id, w) in want {
            assertions += 1;
            match got.get(id) {
                Some(g) => failures.extend(
                    compare_policy(w, g)
                        .into_iter()
                        .map(|f| format!("policy {id}: {f}")),
                ),
                None => failures.push(format!("policy {id}: no status")),
            }
        }
        // Every policy in the manifests must be expected, and vice versa.
        for id in got.keys().filter(|id| !want.contains_key(*id)) {
            failures.push(format!("policy {id} has a status but none is expected"));
        }
    }
    for (i, want) in expect
        .get("effective")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        assertions += 1;
        let kind = want.get("kind").and_then(Value::as_str).unwrap_or("");
        match reference.effective(kind, &want["path"]) {
            Ok(g) => failures.extend(
                compare_effective(want, &g)
                    .into_iter()
                    .map(|f| format!("effective[{i}]: {f}")),
            ),
            Err(e) => failures.push(format!("effective[{i}]: {e}")),
        }
    }
    (failures, assertions)
}

#[test]
fn reference_passes_the_policy_corpus() {
    let filter = filter();
    let all = cases();
    let mut checked = 0;
    let mut assertions = 0;
    let mut report = String::new();
    for (name, case) in &all {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        checked += 1;
        let (failures, n) = check_case(case);
        assertions += n;
        for f in failures {
            report.push_str(&format!("{name}: {f}\n"));
        }
    }
    assert!(report.is_empty(), "reference vs corpus:\n{report}");
    if filter.is_none() {
        // An emptied or moved corpus must not pass silently.
        assert_eq!(checked, CORPUS_CASES, "policy corpus cases found");
        assert!(assertions >= 100, "only {assertions} assertions");
    }
    eprintln!("reference_policy: {checked} cases, {assertions} assertions, all passed");
}

/// The comparison is not vacuous: a case whose expectations are altered (one field's owner,
/// one discard, one ancestor, one status) fails.
#[test]
fn altered_expectations_fail() {
    let (_, case) = cases()
        .into_iter()
        .find(|(name, _)| name.starts_with("policy-21-"))
        .expect("case 21 is vendored");
    assert!(check_case(&case).0.is_empty());
    let alterations: [(&str, Value); 5] = [
        (
            "/expect/effective/0/fields/~1timeout/policy",
            "app/r1-d".into(),
        ),
        ("/expect/effective/1/discarded", Value::Array(Vec::new())),
        (
            "/expect/policies/infra~1gw-limits/ancestors/0/programmed",
            "Programmed".into(),
        ),
        (
            "/expect/policies/infra~1bad-gc/targets/0/result",
            "TargetNotFound".into(),
        ),
        ("/expect/effective/1/spec/timeout", "3s".into()),
    ];
    for (pointer, value) in alterations {
        let mut altered = case.clone();
        *altered
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer} exists")) = value;
        assert!(
            !check_case(&altered).0.is_empty(),
            "altering {pointer} went unnoticed"
        );
    }
}
