//! The Istio corpus runner (`conformance/istio`, format in its README): one folder
//! per scenario with `manifests.yaml` and `cases.yaml`; each case names where the
//! request enters (an Istio or Gateway API Gateway, or `mesh` with a source
//! workload) and the expected decision. Only the keys a case gives are checked.
//!
//! Gateway API resources in this corpus are decided as Istio decides them, which for
//! the scenarios here equals the Gateway API engine in Envoy mode
//! (`host_fallthrough(false)`: a more specific virtual host never falls back).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use gatewright::{Action, BackendName, Config, Connection, Decision, Request, Resources, Router};
use serde_json::Value;

use crate::runner::{Skips, SuiteReport, TestReport};

/// Whether `dir` holds a corpus in the Istio format: scenario folders whose
/// `cases.yaml` is a bare `cases:` list (the Gateway API format starts with `test:`).
pub fn is_istio_corpus(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut scenarios = entries
        .flatten()
        .filter_map(|e| fs::read_to_string(e.path().join("cases.yaml")).ok())
        .peekable();
    scenarios.peek().is_some()
        && scenarios.all(|text| {
            text.lines().any(|l| l.starts_with("cases:"))
                && !text.lines().any(|l| l.starts_with("test:"))
        })
}

/// The compile options the corpus assumes.
pub fn config() -> Config {
    Config::new().host_fallthrough(false)
}

/// Runs every scenario of `dir` whose name contains `filter`.
///
/// # Errors
/// Only when the directory cannot be listed.
pub fn run_suite(dir: &Path, skips: &Skips, filter: Option<&str>) -> Result<SuiteReport, String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .filter(|e| e.path().join("cases.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let tests = names
        .iter()
        .filter(|n| filter.is_none_or(|f| n.contains(f)))
        .map(|name| run_scenario(&dir.join(name), name, skips))
        .collect();
    let suite = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(SuiteReport { suite, tests })
}

fn run_scenario(dir: &Path, name: &str, skips: &Skips) -> TestReport {
    let mut report = TestReport {
        name: name.to_owned(),
        ..TestReport::default()
    };
    let load = || -> Result<(Router, Vec<Value>), String> {
        let manifests =
            fs::read_to_string(dir.join("manifests.yaml")).map_err(|e| e.to_string())?;
        let cases = fs::read_to_string(dir.join("cases.yaml")).map_err(|e| e.to_string())?;
        let resources = Resources::from_yaml(&manifests).map_err(|e| e.to_string())?;
        let router = Router::compile_with(&resources, config()).map_err(|e| e.to_string())?;
        let cases: Value = serde_norway::from_str(&cases).map_err(|e| e.to_string())?;
        let list = cases
            .get("cases")
            .and_then(Value::as_array)
            .cloned()
            .ok_or("cases.yaml has no `cases` list")?;
        Ok((router, list))
    };
    let (router, cases) = match load() {
        Ok(x) => x,
        Err(e) => {
            report.failures.push(e);
            return report;
        }
    };
    report.cases = cases.len();
    if let Some(reason) = skips.get(name) {
        report.skipped = Some(reason.clone());
        return report;
    }
    for case in &cases {
        let case_name = case.get("name").and_then(Value::as_str).unwrap_or("?");
        if let Some(reason) = skips.get(&format!("{name}/{case_name}")) {
            report
                .cases_skipped
                .push((case_name.to_owned(), reason.clone()));
            continue;
        }
        let failures = run_case(&router, case);
        if failures.is_empty() {
            report.cases_passed += 1;
        } else {
            for f in failures {
                report.failures.push(format!("{case_name}: {f}"));
            }
        }
    }
    report
}

/// Routes one case and returns every mismatch.
pub fn run_case(router: &Router, case: &Value) -> Vec<String> {
    let req = case.get("request").cloned().unwrap_or(Value::Null);
    let s = |k: &str| req.get(k).and_then(Value::as_str);
    let protocol = s("protocol").unwrap_or("http");
    let scheme = s("scheme").unwrap_or("http");
    let host = s("host").unwrap_or("");
    let port = req
        .get("port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok());
    let gateway = case.get("gateway");
    let entry: Option<(String, String)> = gateway.and_then(|g| {
        Some((
            g.get("namespace")?.as_str()?.to_owned(),
            g.get("name")?.as_str()?.to_owned(),
        ))
    });
    let source = case.get("source");
    let source_ns = source
        .and_then(|s| s.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("default");
    let labels: Vec<(String, String)> = source
        .and_then(|s| s.get("labels"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let label_refs: Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sni_default = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let sni = s("sni").unwrap_or(sni_default);
    let decision = if protocol == "http" {
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(map) = req.get("headers").and_then(Value::as_object) {
            for (k, v) in map {
                match v {
                    Value::Array(items) => {
                        for i in items {
                            headers.push((k.clone(), scalar(i)));
                        }
                    }
                    other => headers.push((k.clone(), scalar(other))),
                }
            }
        }
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let path_and_query = match s("query") {
            Some(q) => format!("{}?{q}", s("path").unwrap_or("/")),
            None => s("path").unwrap_or("/").to_owned(),
        };
        let mut request = Request::new(s("method").unwrap_or("GET"), host, &path_and_query)
            .scheme(scheme)
            .headers(&header_refs);
        if let Some(p) = port {
            request = request.port(p);
        }
        if scheme == "https" {
            request = request.sni(sni);
        }
        match &entry {
            Some((ns, name)) => request = request.gateway(ns, name),
            None => request = request.workload(source_ns, &label_refs),
        }
        router.decide(&request)
    } else {
        let Some((ns, name)) = &entry else {
            return vec!["mesh tls/tcp cases are not supported by the runner".into()];
        };
        let mut conn = Connection::tcp(port.unwrap_or(0)).gateway(ns, name);
        if protocol == "tls" {
            conn = conn.sni(sni);
        }
        router.route_connection(&conn, 0)
    };
    check(&decision, case.get("expect").unwrap_or(&Value::Null), &req)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The FQDN of a backend (Gateway API backends have no `host`: derived from the Service).
fn fqdn(b: &BackendName) -> String {
    b.host
        .clone()
        .unwrap_or_else(|| format!("{}.{}.svc.cluster.local", b.name, b.namespace))
}

fn backend_matches(b: &BackendName, want: &Value) -> Option<String> {
    let host = want.get("host").and_then(Value::as_str).unwrap_or("");
    let port = want.get("port").and_then(Value::as_u64);
    let subset = want.get("subset").and_then(Value::as_str);
    let got = format!(
        "{}:{}{}",
        fqdn(b),
        b.port,
        b.subset
            .as_deref()
            .map(|s| format!(" subset {s}"))
            .unwrap_or_default()
    );
    let ok = fqdn(b) == host
        && port.is_none_or(|p| p == u64::from(b.port))
        && subset == b.subset.as_deref();
    (!ok).then(|| format!("backend: expected {want}, got {got}"))
}

fn describe(d: &Decision) -> String {
    serde_json::to_string(&d.action).unwrap_or_default()
}

/// Compares a decision with a case's `expect`.
pub fn check(d: &Decision, expect: &Value, request: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let forward = match &d.action {
        Action::Forward(f) => Some(f.as_ref()),
        _ => None,
    };
    let respond_backend = match &d.action {
        Action::Respond(r) => r.backend.as_ref(),
        _ => None,
    };
    if let Some(want) = expect.get("backend") {
        match forward.map(|f| &f.backend).or(respond_backend) {
            Some(b) => out.extend(backend_matches(b, want)),
            None => out.push(format!("expected backend {want}, got {}", describe(d))),
        }
    }
    if let Some(want) = expect.get("weights").and_then(Value::as_array) {
        match forward {
            Some(f) if f.split.len() == want.len() => {
                for (w, got) in want.iter().zip(&f.split) {
                    out.extend(backend_matches(&got.backend, w));
                    let weight = w.get("weight").and_then(Value::as_u64);
                    if weight != Some(u64::from(got.weight)) {
                        out.push(format!("weight: expected {w}, got {}", got.weight));
                    }
                }
            }
            _ => out.push(format!("expected weights {want:?}, got {}", describe(d))),
        }
    }
    if let Some(want) = expect.get("redirect") {
        match &d.action {
            Action::Redirect(r) => {
                let code = want.get("code").and_then(Value::as_u64);
                let location = want.get("location").and_then(Value::as_str);
                if code.is_some_and(|c| c != u64::from(r.status))
                    || location.is_some_and(|l| l != r.location)
                {
                    out.push(format!(
                        "redirect: expected {want}, got {} {}",
                        r.status, r.location
                    ));
                }
            }
            _ => out.push(format!("expected redirect {want}, got {}", describe(d))),
        }
    }
    if let Some(want) = expect.get("direct_response") {
        match &d.action {
            Action::Respond(r) => {
                let status = want.get("status").and_then(Value::as_u64);
                let body = want.get("body").and_then(Value::as_str);
                if status != Some(u64::from(r.status)) || body != r.body.as_deref() {
                    out.push(format!(
                        "direct_response: expected {want}, got {} {:?}",
                        r.status, r.body
                    ));
                }
            }
            _ => out.push(format!(
                "expected direct response {want}, got {}",
                describe(d)
            )),
        }
    }
    if let Some(want) = expect.get("status").and_then(Value::as_u64) {
        if d.status().map(u64::from) != Some(want) || matches!(d.action, Action::Reject { .. }) {
            out.push(format!("expected status {want}, got {}", describe(d)));
        }
    }
    for key in ["tls_backend", "tcp_backend"] {
        if let Some(want) = expect.get(key) {
            match &d.action {
                Action::Connect(c) => out.extend(backend_matches(&c.backend, want)),
                _ => out.push(format!("expected {key} {want}, got {}", describe(d))),
            }
        }
    }
    if expect.get("refused").and_then(Value::as_bool) == Some(true)
        && !matches!(d.action, Action::Reject { .. })
    {
        out.push(format!(
            "expected the connection refused, got {}",
            describe(d)
        ));
    }
    if let Some(want) = expect.get("request") {
        match forward {
            Some(f) => check_upstream(f, want, &mut out),
            None => out.push(format!("expected a forwarded request, got {}", describe(d))),
        }
    }
    if let Some(want) = expect.get("response") {
        let upstream_sent: Vec<(String, String)> = expect
            .get("upstream_response_headers")
            .or_else(|| request.get("upstream_response_headers"))
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect())
            .unwrap_or_default();
        let headers: Vec<(String, String)> = match &d.action {
            Action::Forward(f) => {
                let mut h = upstream_sent;
                f.response_headers.apply(&mut h);
                h
            }
            Action::Redirect(r) => r.headers.clone(),
            Action::Respond(r) => r.headers.clone(),
            _ => Vec::new(),
        };
        check_headers(&headers, want, "response", &mut out);
    }
    if let Some(want) = expect.get("mirrors").and_then(Value::as_array) {
        match forward {
            Some(f) if f.mirrors.len() == want.len() => {
                for (w, got) in want.iter().zip(&f.mirrors) {
                    out.extend(backend_matches(&got.backend, w));
                    let percent = w.get("percent").and_then(Value::as_f64);
                    if percent.is_some_and(|p| (p - got.percent).abs() > 1e-9) {
                        out.push(format!("mirror percent: expected {w}, got {}", got.percent));
                    }
                }
            }
            Some(f) => out.push(format!(
                "expected {} mirrors, got {}",
                want.len(),
                f.mirrors.len()
            )),
            None => out.push(format!("expected mirrors, got {}", describe(d))),
        }
    }
    if let Some(want) = expect.get("attributes").and_then(Value::as_object) {
        match forward {
            Some(f) => {
                for (k, v) in want {
                    if f.attributes.get(k) != Some(v) {
                        out.push(format!(
                            "attribute {k}: expected {v}, got {:?}",
                            f.attributes.get(k)
                        ));
                    }
                }
            }
            None => out.push(format!("expected attributes, got {}", describe(d))),
        }
    }
    if let Some(want) = expect.get("rule").and_then(Value::as_str) {
        let got = d.matched.as_ref().and_then(|m| m.rule_name.as_deref());
        if got != Some(want) {
            out.push(format!("rule: expected {want}, got {got:?}"));
        }
    }
    out
}

fn check_upstream(f: &gatewright::Forward, want: &Value, out: &mut Vec<String>) {
    let u = &f.upstream;
    if let Some(p) = want.get("path").and_then(Value::as_str) {
        if u.path != p {
            out.push(format!("upstream path: expected {p}, got {}", u.path));
        }
    }
    if let Some(q) = want.get("query").and_then(Value::as_str) {
        if u.query.as_deref() != Some(q) {
            out.push(format!("upstream query: expected {q}, got {:?}", u.query));
        }
    }
    if let Some(a) = want.get("authority").and_then(Value::as_str) {
        if u.authority != a {
            out.push(format!(
                "upstream authority: expected {a}, got {}",
                u.authority
            ));
        }
    }
    check_headers(&u.headers, want, "request", out);
}

/// `headers: {name: value | [values]}` and `absent_headers: [names]`.
fn check_headers(headers: &[(String, String)], want: &Value, what: &str, out: &mut Vec<String>) {
    let values = |name: &str| -> Vec<String> {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    if let Some(map) = want.get("headers").and_then(Value::as_object) {
        for (k, v) in map {
            let expected: Vec<String> = match v {
                Value::Array(items) => items.iter().map(scalar).collect(),
                other => scalar(other)
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .collect(),
            };
            let got = values(k);
            if got != expected {
                out.push(format!(
                    "{what} header {k}: expected {expected:?}, got {got:?}"
                ));
            }
        }
    }
    if let Some(list) = want.get("absent_headers").and_then(Value::as_array) {
        for name in list.iter().filter_map(Value::as_str) {
            if !values(name).is_empty() {
                out.push(format!("{what} header {name} should be absent"));
            }
        }
    }
}

/// Counts per scenario, for callers that want a summary without the table.
pub fn summary(report: &SuiteReport) -> BTreeMap<String, (usize, usize)> {
    report
        .tests
        .iter()
        .map(|t| (t.name.clone(), (t.cases_passed, t.cases)))
        .collect()
}
