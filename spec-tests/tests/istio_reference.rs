//! The Istio reference matcher ([`gatewright_spec::reference_istio`]) against the Istio corpus
//! (`conformance/istio`, format in its README): every case whose decision the reference
//! models must pass.
//!
//! Checked decision keys: `backend` (with `status: 503` = the cluster does not exist),
//! `weights`, `status`, `redirect`, `direct_response`. Detail keys (`request`, `response`,
//! `mirrors`, `attributes`, `rule`) are not checked: they describe rewrites, header operations,
//! mirrors and carried-through policy, which the reference leaves out.
//!
//! Skipped, each for a reason the reference states in its module doc:
//! * `protocol: tls` / `tcp` cases: TLS and TCP routes (§7) are not modelled;
//! * cases entering a Gateway API `Gateway` (scenario `25-gateway-api-precedence`): Gateway API
//!   lowering (§8) is not modelled;
//! * `16-uri-regex-rewrite/capture-groups`: its expectation is wrong (`istio.skips.toml`).
//!
//! `GATEWRIGHT_TEST=<part of a scenario name>` runs only the matching scenarios.

use std::fs;
use std::path::Path;

use gatewright_spec::reference_istio::{
    route, Entry, RefBackend, RefDecision, RefRequest, ReferenceWorld,
};
use serde_json::Value;

/// Case ids skipped whatever their decision key (see the module doc).
const SKIPPED_CASES: &[&str] = &["16-uri-regex-rewrite/capture-groups"];

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The entry and request of a case (`None`: a kind the reference does not model).
fn case_input(case: &Value, world_gateways: &[(String, String)]) -> Option<(Entry, RefRequest)> {
    let req = case.get("request").cloned().unwrap_or(Value::Null);
    let s = |k: &str| req.get(k).and_then(Value::as_str).map(str::to_owned);
    if s("protocol").is_some_and(|p| p != "http") {
        return None;
    }
    let entry = match case.get("gateway") {
        Some(Value::Object(g)) => {
            let namespace = g.get("namespace")?.as_str()?.to_owned();
            let name = g.get("name")?.as_str()?.to_owned();
            // A Gateway API Gateway (no Istio Gateway of that name): not modelled.
            if !world_gateways.contains(&(namespace.clone(), name.clone())) {
                return None;
            }
            Entry::Gateway { namespace, name }
        }
        _ => {
            let source = case.get("source");
            let namespace = source
                .and_then(|s| s.get("namespace"))
                .and_then(Value::as_str)
                .unwrap_or("default")
                .to_owned();
            let labels = source
                .and_then(|s| s.get("labels"))
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect())
                .unwrap_or_default();
            Entry::Mesh { namespace, labels }
        }
    };
    let mut headers = Vec::new();
    if let Some(map) = req.get("headers").and_then(Value::as_object) {
        for (k, v) in map {
            match v {
                Value::Array(items) => headers.extend(items.iter().map(|i| (k.clone(), scalar(i)))),
                other => headers.push((k.clone(), scalar(other))),
            }
        }
    }
    let request = RefRequest {
        method: s("method").unwrap_or_else(|| "GET".into()),
        scheme: s("scheme").unwrap_or_else(|| "http".into()),
        authority: s("host").unwrap_or_default(),
        path: s("path").unwrap_or_else(|| "/".into()),
        query: s("query"),
        headers,
        port: req
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok()),
        sni: s("sni"),
    };
    Some((entry, request))
}

fn backend_is(b: &RefBackend, want: &Value) -> bool {
    want.get("host").and_then(Value::as_str) == Some(b.host.as_str())
        && want
            .get("port")
            .and_then(Value::as_u64)
            .is_none_or(|p| p == u64::from(b.port))
        && want.get("subset").and_then(Value::as_str) == b.subset.as_deref()
}

/// Compares a reference decision with a case's `expect` (decision keys only).
fn check(d: &RefDecision, expect: &Value) -> Result<(), String> {
    let fail = || Err(format!("expected {expect}, reference decided {d:?}"));
    let status = expect.get("status").and_then(Value::as_u64);
    if let Some(want) = expect.get("backend") {
        return match (d, status) {
            (RefDecision::Backend(b), None) if backend_is(b, want) => Ok(()),
            (RefDecision::Unavailable(b), Some(503)) if backend_is(b, want) => Ok(()),
            _ => fail(),
        };
    }
    if let Some(want) = expect.get("weights").and_then(Value::as_array) {
        return match d {
            RefDecision::Split(split)
                if split.len() == want.len()
                    && split.iter().zip(want).all(|(got, w)| {
                        backend_is(&got.backend, w)
                            && w.get("weight").and_then(Value::as_u64)
                                == Some(u64::from(got.weight))
                            && (got.exists || status == Some(503))
                    }) =>
            {
                Ok(())
            }
            _ => fail(),
        };
    }
    if let Some(want) = expect.get("redirect") {
        let code = want.get("code").and_then(Value::as_u64);
        let location = want.get("location").and_then(Value::as_str);
        return match d {
            RefDecision::Redirect {
                code: c,
                location: l,
            } if code.is_none_or(|x| x == u64::from(*c)) && location.is_none_or(|x| x == l) => {
                Ok(())
            }
            _ => fail(),
        };
    }
    if let Some(want) = expect.get("direct_response") {
        let st = want.get("status").and_then(Value::as_u64);
        let body = want.get("body").and_then(Value::as_str);
        return match d {
            RefDecision::Status { status: s, body: b }
                if st == Some(u64::from(*s)) && body == b.as_deref() =>
            {
                Ok(())
            }
            _ => fail(),
        };
    }
    if let Some(want) = status {
        return match d {
            RefDecision::Status { status: s, .. } if u64::from(*s) == want => Ok(()),
            RefDecision::Unavailable(_) if want == 503 => Ok(()),
            _ => fail(),
        };
    }
    if expect.get("refused").and_then(Value::as_bool) == Some(true) {
        return match d {
            RefDecision::Refused => Ok(()),
            _ => fail(),
        };
    }
    Err(format!("no decision key the reference checks in {expect}"))
}

/// Istio Gateways (namespace, name) of a manifest, to tell them from Gateway API Gateways.
fn istio_gateways(yaml: &str) -> Vec<(String, String)> {
    let resources = gatewright::Resources::from_yaml(yaml).expect("manifest parses");
    resources
        .objects()
        .iter()
        .filter_map(|o| match o {
            gatewright::Object::IstioGateway(g) => Some((
                g.metadata
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".into()),
                g.metadata.name.clone(),
            )),
            _ => None,
        })
        .collect()
}

#[allow(
    clippy::disallowed_methods,
    reason = "a test reads its filter from the environment"
)]
fn filter() -> Option<String> {
    std::env::var("GATEWRIGHT_TEST").ok()
}

#[test]
fn reference_passes_the_istio_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/istio");
    let mut scenarios: Vec<String> = fs::read_dir(&dir)
        .expect("corpus directory")
        .flatten()
        .filter(|e| e.path().join("cases.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    scenarios.sort();
    let filter = filter();
    let (mut passed, mut skipped) = (0usize, Vec::new());
    let mut failures = Vec::new();
    for scenario in scenarios
        .iter()
        .filter(|s| filter.as_deref().is_none_or(|f| s.contains(f)))
    {
        let manifests = fs::read_to_string(dir.join(scenario).join("manifests.yaml")).unwrap();
        let cases: Value = serde_norway::from_str(
            &fs::read_to_string(dir.join(scenario).join("cases.yaml")).unwrap(),
        )
        .unwrap();
        let world = ReferenceWorld::from_yaml(&manifests).unwrap();
        let gateways = istio_gateways(&manifests);
        for case in cases["cases"].as_array().expect("a cases list") {
            let id = format!("{scenario}/{}", case["name"].as_str().unwrap_or("?"));
            if SKIPPED_CASES.contains(&id.as_str()) {
                skipped.push(id);
                continue;
            }
            let Some((entry, request)) = case_input(case, &gateways) else {
                skipped.push(id);
                continue;
            };
            let decision = route(&world, &entry, &request);
            match check(&decision, &case["expect"]) {
                Ok(()) => passed += 1,
                Err(why) => failures.push(format!(
                    "{id}: {why}\n  entry {entry:?}\n  request {request:?}\n  ignored VSs {:?}",
                    world.ignored
                )),
            }
        }
    }
    eprintln!(
        "istio reference: {passed} cases passed, {} skipped: {}",
        skipped.len(),
        skipped.join(", ")
    );
    assert!(
        failures.is_empty(),
        "{} corpus cases fail on the reference:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // A filter matching nothing, or a harness that skips everything, must not pass silently.
    assert!(passed > 0, "no case was checked");
    if filter.is_none() {
        assert!(
            skipped.len() <= 20,
            "too many skips ({}): {skipped:?}",
            skipped.len()
        );
    }
}
