//! Differential test: the engine's policy resolver ([`gatewright::policy::PolicySet`]) against
//! the spec-literal reference ([`gatewright_spec::reference_policy`]) on generated cases
//! ([`gatewright_spec::gen_policy::case`]).
//!
//! For each case: every policy's status (`PolicySet::reports()` vs `Reference::policies`, the
//! corpus runner's comparison rules), the set of maximal paths (`PolicySet::paths()` vs §4), and
//! for every kind the effective policy on every maximal path and on every truncated path (stopped
//! at the listener, route, rule or Service) (`PolicySet::effective` vs `Reference::effective`).
//!
//! `GATEWRIGHT_DIFF_CASES` sets the number of cases (default 256; CI sets 10 000);
//! `PROPTEST_RNG_SEED` fixes the seed. On failure the shrunk case is printed as YAML in the
//! corpus format, with the reference's expectations for the statuses and the failing queries (so
//! it can be dropped into `conformance/policy/`), followed by the differences.

use std::collections::BTreeMap;
use std::sync::Mutex;

use gatewright::policy::PolicyPath;
use gatewright_spec::gen_policy;
use gatewright_spec::policy::{compare_effective, compare_policy, policy_path, resolve};
use gatewright_spec::reference_policy::Reference;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestError, TestRunner};
use serde_json::{json, Map, Value};

#[allow(
    clippy::disallowed_methods,
    reason = "a test reads its size from the environment"
)]
fn cases_wanted() -> u32 {
    std::env::var("GATEWRIGHT_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Counts of what the reference saw, to show the generator is not degenerate.
#[derive(Default)]
struct Tally {
    cases: usize,
    queries: usize,
    labels: BTreeMap<String, usize>,
}

impl Tally {
    fn count(&mut self, label: String) {
        *self.labels.entry(label).or_default() += 1;
    }

    fn record(&mut self, case: &Value, policies: &Map<String, Value>, effective: &[Value]) {
        self.cases += 1;
        self.queries += effective.len();
        let manifests = case["manifests"].as_array().map_or(0, Vec::len);
        let routing = case["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                matches!(
                    m["kind"].as_str(),
                    Some("GatewayClass" | "Gateway" | "HTTPRoute" | "Service")
                )
            })
            .count();
        if manifests - routing > policies.len() {
            self.count("no status (all references ignored)".into());
        }
        for status in policies.values() {
            match status.get("note").and_then(Value::as_str) {
                Some(why) => self.count(format!("Invalid ({why})")),
                None => {
                    let accepted = status["accepted"].as_str().unwrap_or("");
                    self.count(format!("accepted {accepted}"));
                }
            }
            for t in status["targets"].as_array().into_iter().flatten() {
                self.count(format!("target {}", t["result"].as_str().unwrap_or("")));
            }
            for a in status["ancestors"].as_array().into_iter().flatten() {
                let programmed = a["programmed"].as_str().unwrap_or("-");
                self.count(format!("ancestor {programmed}"));
            }
        }
        for e in effective {
            if e["fields"].as_object().is_some_and(|f| !f.is_empty()) {
                self.count("effective non-empty".into());
            }
            for d in e["discarded"].as_array().into_iter().flatten() {
                let reason = d["reason"].as_str().unwrap_or("");
                let mode = d["mode"].as_str().unwrap_or("");
                self.count(format!("discarded {reason}/{mode}"));
                if d["by"] == d["policy"] {
                    self.count("self-displacement".into());
                }
            }
            for u in e["fields"].as_object().into_iter().flatten() {
                if u.1.get("unset").is_some() {
                    self.count("field unset".into());
                }
            }
            if e["rejected"].as_array().is_some_and(|r| !r.is_empty()) {
                self.count("rejected".into());
            }
        }
    }
}

/// The queried paths: every maximal path, and each of its prefixes that stops at the Gateway,
/// listener, route, rule or Service (each path once).
fn query_paths(maximal: &[Value]) -> Vec<Value> {
    const KEYS: [&str; 6] = ["gateway", "listener", "route", "rule", "service", "port"];
    let mut seen = std::collections::BTreeSet::new();
    let mut out: Vec<Value> = Vec::new();
    for path in maximal {
        for stop in 1..=KEYS.len() {
            let mut p = path.clone();
            let object = p.as_object_mut().expect("a path is an object");
            for k in &KEYS[stop..] {
                object.remove(*k);
            }
            // Only prefixes that end at a node the path has.
            if object.contains_key(KEYS[stop - 1]) && seen.insert(p.to_string()) {
                out.push(p);
            }
        }
    }
    out
}

/// The reference's expectations and every difference from the engine.
struct Outcome {
    policies: Map<String, Value>,
    effective: Vec<Value>,
    failing_queries: Vec<Value>,
    differences: Vec<String>,
}

fn compare(case: &Value) -> Result<Outcome, String> {
    let reference = Reference::new(case)?;
    let set = resolve(case)?;
    let mut differences = Vec::new();

    // Statuses (§3, §7), with the runner's rules.
    let policies = reference.policies();
    for (id, want) in &policies {
        match set.reports().get(id) {
            Some(got) => differences.extend(
                compare_policy(want, &serde_json::to_value(got).unwrap_or(Value::Null))
                    .into_iter()
                    .map(|d| format!("policy {id}: {d}")),
            ),
            None => differences.push(format!("policy {id}: the engine gives no status")),
        }
    }
    for id in set
        .reports()
        .keys()
        .filter(|id| !policies.contains_key(*id))
    {
        differences.push(format!(
            "policy {id}: the engine gives a status, the reference none"
        ));
    }

    // Maximal paths (§4), as sets.
    let maximal = reference.maximal_paths();
    let mut want_paths: Vec<PolicyPath> =
        maximal.iter().map(policy_path).collect::<Result<_, _>>()?;
    want_paths.sort();
    want_paths.dedup();
    let mut got_paths = set.paths();
    got_paths.sort();
    got_paths.dedup();
    if want_paths != got_paths {
        differences.push(format!(
            "maximal paths: expected {want_paths:?}, got {got_paths:?}"
        ));
    }

    // Effective policy (§5, §6) for every kind on every queried path.
    let mut effective = Vec::new();
    let mut failing_queries = Vec::new();
    // Every kind present on every queried path, and a kind without any policy (its effective
    // policy is empty) on the maximal paths.
    let queries = query_paths(&maximal);
    let kinds = reference
        .kinds()
        .into_iter()
        .map(|k| (k, &queries))
        .chain([("UnusedPolicy".to_owned(), &maximal)]);
    for (kind, paths) in kinds {
        for path in paths {
            let mut want = reference.effective(&kind, path)?;
            let got = set.effective(&kind, &policy_path(path)?);
            let got = serde_json::to_value(&got).unwrap_or(Value::Null);
            let diffs = compare_effective(&want, &got);
            let entry = want
                .as_object_mut()
                .expect("an effective entry is an object");
            entry.insert("kind".into(), json!(kind));
            entry.insert("path".into(), path.clone());
            if !diffs.is_empty() {
                differences.extend(
                    diffs
                        .into_iter()
                        .map(|d| format!("effective {kind} on {path}: {d}")),
                );
                failing_queries.push(want.clone());
            }
            effective.push(want);
        }
    }
    Ok(Outcome {
        policies,
        effective,
        failing_queries,
        differences,
    })
}

/// Key order of the corpus files (README "File layout" and examples); other keys follow, sorted.
const KEY_ORDER: &[&str] = &[
    "id",
    "title",
    "description",
    "anchors",
    "options",
    "policyKinds",
    "manifests",
    "expect",
    "policies",
    "effective",
    "apiVersion",
    "group",
    "kind",
    "path",
    "metadata",
    "namespace",
    "name",
    "creationTimestamp",
    "spec",
    "gateway",
    "listener",
    "route",
    "rule",
    "service",
    "port",
    "accepted",
    "programmed",
    "overriddenBy",
    "targets",
    "ancestors",
    "ref",
    "result",
    "fields",
    "discarded",
    "rejected",
    "policy",
    "stanza",
    "level",
    "field",
    "reason",
    "by",
    "mode",
];

/// A JSON value as YAML with its mapping keys in [`KEY_ORDER`].
fn ordered_yaml(v: &Value) -> serde_norway::Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by_key(|k| {
                (
                    KEY_ORDER.iter().position(|o| o == k).unwrap_or(usize::MAX),
                    k.as_str(),
                )
            });
            let mut out = serde_norway::Mapping::new();
            for k in keys {
                out.insert(serde_norway::Value::String(k.clone()), ordered_yaml(&m[k]));
            }
            serde_norway::Value::Mapping(out)
        }
        Value::Array(a) => serde_norway::Value::Sequence(a.iter().map(ordered_yaml).collect()),
        other => serde_norway::to_value(other).unwrap_or(serde_norway::Value::Null),
    }
}

/// The case as corpus YAML with the reference's expectations: all statuses, and the failing
/// effective queries (all of them if only statuses or paths differ).
fn corpus_yaml(case: &Value, outcome: &Outcome) -> String {
    let mut case = case.clone();
    let effective = if outcome.failing_queries.is_empty() {
        &outcome.effective
    } else {
        &outcome.failing_queries
    };
    case["expect"] = json!({"policies": outcome.policies, "effective": effective});
    serde_norway::to_string(&ordered_yaml(&case))
        .unwrap_or_else(|e| format!("(YAML failed: {e})\n{case:#}"))
}

#[test]
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a test reports its own runtime"
)]
fn engine_policy_resolver_agrees_with_reference() {
    let cases = cases_wanted().max(1);
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let tally = Mutex::new(Tally::default());
    let start = std::time::Instant::now();
    let result = runner.run(&gen_policy::case(), |case| {
        let outcome = compare(&case).map_err(TestCaseError::fail)?;
        if outcome.differences.is_empty() {
            tally
                .lock()
                .expect("tally")
                .record(&case, &outcome.policies, &outcome.effective);
            return Ok(());
        }
        Err(TestCaseError::fail(format!(
            "the engine and the reference disagree\n--- case (corpus format; expectations from the reference) ---\n{}--- differences ---\n{}",
            corpus_yaml(&case, &outcome),
            outcome.differences.join("\n")
        )))
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, _)) => panic!("shrunk counterexample:\n{why}"),
        Err(e) => panic!("{e}"),
    }
    let tally = tally.into_inner().expect("tally");
    eprintln!(
        "differential policy: {} cases, {} effective queries in {:.1?}\n  {}",
        tally.cases,
        tally.queries,
        start.elapsed(),
        tally
            .labels
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(tally.cases, cases as usize, "every case checked in full");
}
