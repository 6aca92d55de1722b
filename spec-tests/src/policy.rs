//! The policy-attachment corpus runner (`conformance/policy`, format in its README):
//! one self-contained `*.yaml` case per file with manifests, resolver options,
//! per-kind configuration and the expected statuses and effective policies. Keys
//! named `note` are ignored; `discarded` and `rejected` compare as unordered sets.

use std::fs;
use std::path::Path;

use gatewright::policy::{
    PolicyClass, PolicyKind, PolicyOptions, PolicyPath, PolicyRegistry, PolicySet,
};
use gatewright::Resources;
use serde_json::Value;

use crate::runner::{Skips, SuiteReport, TestReport};

/// Whether `dir` holds policy cases (top-level `*.yaml` files with an `id:` line).
pub fn is_policy_corpus(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.path().extension().is_some_and(|x| x == "yaml")
                && fs::read_to_string(e.path())
                    .is_ok_and(|t| t.lines().any(|l| l.starts_with("id:")))
        })
    })
}

/// Runs every case of `dir` whose id contains `filter`.
///
/// # Errors
/// Only when the directory cannot be listed.
pub fn run_suite(dir: &Path, skips: &Skips, filter: Option<&str>) -> Result<SuiteReport, String> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let tests = files
        .iter()
        .filter_map(|path| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            filter.is_none_or(|f| name.contains(f)).then(|| {
                let mut report = run_file(path, &name);
                if let Some(reason) = skips.get(&name) {
                    report.skipped = Some(reason.clone());
                    report.cases_passed = 0;
                    report.status_passed = 0;
                    report.failures.clear();
                }
                report
            })
        })
        .collect();
    let suite = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(SuiteReport { suite, tests })
}

/// Options and per-kind configuration of a case.
///
/// # Errors
/// An unknown option, value or class.
pub fn configuration(case: &Value) -> Result<(PolicyOptions, PolicyRegistry), String> {
    let mut options = PolicyOptions::default();
    if let Some(map) = case.get("options").and_then(Value::as_object) {
        for (k, v) in map {
            options.set(k, v.as_str().unwrap_or(""))?;
        }
    }
    let mut registry = PolicyRegistry::empty();
    if let Some(map) = case.get("policyKinds").and_then(Value::as_object) {
        for (kind, config) in map {
            let mut k = PolicyKind::default();
            match config.get("class").and_then(Value::as_str) {
                None | Some("inherited") => {}
                Some("direct") => k.class = PolicyClass::Direct,
                Some(other) => return Err(format!("unknown policy class {other}")),
            }
            if let Some(kinds) = config.get("targetKinds").and_then(Value::as_array) {
                k.target_kinds = kinds
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
            }
            registry.register(kind.clone(), k);
        }
    }
    Ok((options, registry))
}

/// Resolves a case's manifests.
///
/// # Errors
/// The case cannot be read or configured.
pub fn resolve(case: &Value) -> Result<PolicySet, String> {
    let (options, registry) = configuration(case)?;
    let manifests = case
        .get("manifests")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let resources = Resources::from_json(&manifests.to_string()).map_err(|e| e.to_string())?;
    Ok(PolicySet::resolve(&resources, &registry, &options))
}

fn run_file(path: &Path, name: &str) -> TestReport {
    let mut report = TestReport {
        name: name.to_owned(),
        ..TestReport::default()
    };
    let case: Value = match fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_norway::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            report.failures.push(e);
            return report;
        }
    };
    let set = match resolve(&case) {
        Ok(s) => s,
        Err(e) => {
            report.failures.push(e);
            return report;
        }
    };
    let expect = case.get("expect").cloned().unwrap_or(Value::Null);
    // Status assertions: one per policy.
    if let Some(policies) = expect.get("policies").and_then(Value::as_object) {
        for (id, want) in policies {
            report.status += 1;
            let failures = check_policy(&set, id, want);
            if failures.is_empty() {
                report.status_passed += 1;
            } else {
                report
                    .failures
                    .extend(failures.into_iter().map(|f| format!("policy {id}: {f}")));
            }
        }
        // Every policy in the manifests must be expected, and vice versa.
        for id in set.reports().keys() {
            if !policies.contains_key(id) {
                report
                    .failures
                    .push(format!("policy {id} has a status but none is expected"));
            }
        }
    }
    // Cases: one per effective query.
    for (i, want) in expect
        .get("effective")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        report.cases += 1;
        let failures = check_effective(&set, want);
        if failures.is_empty() {
            report.cases_passed += 1;
        } else {
            report
                .failures
                .extend(failures.into_iter().map(|f| format!("effective[{i}]: {f}")));
        }
    }
    report
}

fn strip_notes(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "note")
                .map(|(k, v)| (k.clone(), strip_notes(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_notes).collect()),
        other => other.clone(),
    }
}

fn check_policy(set: &PolicySet, id: &str, want: &Value) -> Vec<String> {
    let Some(got) = set.reports().get(id) else {
        return vec!["no status".into()];
    };
    compare_policy(want, &serde_json::to_value(got).unwrap_or(Value::Null))
}

/// Compares one `expect.policies` entry with an observed status in the same JSON shape (the
/// engine's serialized [`PolicyReport`](gatewright::policy::PolicyReport), or a reference's):
/// `note` keys are ignored; `accepted` must be equal; a policy expected Invalid without `targets`
/// compares only `accepted`; `targets` compare by position on `result` (`ref` is informative);
/// `ancestors` compare exactly. Returns one message per difference.
pub fn compare_policy(want: &Value, got: &Value) -> Vec<String> {
    let want = strip_notes(want);
    let mut out = Vec::new();
    let accepted = want.get("accepted").and_then(Value::as_str).unwrap_or("");
    let got_accepted = got.get("accepted").and_then(Value::as_str).unwrap_or("");
    if got_accepted != accepted {
        out.push(format!("accepted: expected {accepted}, got {got_accepted}"));
    }
    if accepted == "Invalid" && want.get("targets").is_none() {
        return out;
    }
    if let Some(targets) = want.get("targets") {
        // `ref` is informative; entries match by position on `result`.
        let results = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    t.get("result")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        };
        let got_targets = got.get("targets").cloned().unwrap_or(Value::Null);
        if results(targets) != results(&got_targets) {
            out.push(format!("targets: expected {targets}, got {got_targets}"));
        }
    }
    if let Some(ancestors) = want.get("ancestors") {
        let got_ancestors = got
            .get("ancestors")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        if ancestors != &got_ancestors {
            out.push(format!(
                "ancestors: expected {ancestors}, got {got_ancestors}"
            ));
        }
    }
    out
}

/// The engine's [`PolicyPath`] for a corpus `path` object (`gateway`, `listener`, `route`,
/// `rule` as a name or a 0-based index, `service`, `port`).
///
/// # Errors
/// No `gateway`, or a `gateway`, `route` or `service` that is not `namespace/name`.
pub fn policy_path(v: &Value) -> Result<PolicyPath, String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let split = |t: &str| -> Result<(String, String), String> {
        t.split_once('/')
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .ok_or_else(|| format!("{t} is not namespace/name"))
    };
    let (gns, gname) = split(s("gateway").ok_or("path without gateway")?)?;
    let mut path = PolicyPath::gateway(&gns, &gname);
    path.listener = s("listener").map(str::to_owned);
    path.route = s("route").map(split).transpose()?;
    path.rule = v.get("rule").map(|r| match r {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    path.service = s("service").map(split).transpose()?;
    path.port = s("port").map(str::to_owned);
    Ok(path)
}

fn sorted(v: &Value) -> Vec<String> {
    let mut items: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| strip_notes(x).to_string())
        .collect();
    items.sort();
    items
}

fn check_effective(set: &PolicySet, want: &Value) -> Vec<String> {
    let kind = want.get("kind").and_then(Value::as_str).unwrap_or("");
    let path = match want.get("path").map(policy_path) {
        Some(Ok(p)) => p,
        Some(Err(e)) => return vec![e],
        None => return vec!["no path".into()],
    };
    let got = set.effective(kind, &path);
    compare_effective(want, &serde_json::to_value(&got).unwrap_or(Value::Null))
}

/// Compares one `expect.effective` entry with an observed effective policy in the same JSON
/// shape (the engine's serialized [`Effective`](gatewright::policy::Effective), or a
/// reference's): `note` keys are ignored; `spec` and `fields` must be equal (absent = `{}`);
/// `discarded` and `rejected` compare as unordered collections (absent = `[]`). `kind` and
/// `path` are not compared. Returns one message per difference.
pub fn compare_effective(want: &Value, got: &Value) -> Vec<String> {
    let want = strip_notes(want);
    let mut out = Vec::new();
    let empty = Value::Object(serde_json::Map::new());
    for key in ["spec", "fields"] {
        let w = want.get(key).unwrap_or(&empty);
        let g = got.get(key).unwrap_or(&empty);
        if w != g {
            out.push(format!("{key}: expected {w}, got {g}"));
        }
    }
    for key in ["discarded", "rejected"] {
        let none = Value::Array(Vec::new());
        let w = want.get(key).unwrap_or(&none);
        let g = got.get(key).unwrap_or(&none);
        if sorted(w) != sorted(g) {
            out.push(format!("{key}: expected {w}, got {g}"));
        }
    }
    out
}
