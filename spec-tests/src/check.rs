//! Comparing what an engine did ([`Observed`], status JSON) with what the corpus expects.
//!
//! Every check returns a list of human-readable mismatch messages; an empty list is a pass.
//! The rules are the README's `expect` table and "Status assertions" section, read literally.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::engine::{CaseRequest, Compiled, Mirror, Observed, Upstream};
use crate::format::{
    Alternative, BackendBehavior, BackendExpectation, Case, DistributionCheck, Expect,
    ExpectedBackend, ExpectedCondition, ExpectedListener, ExpectedMirror, ExpectedRedirect,
    ExpectedRequest, ExpectedResponse, ObjectRef, StatusAssertion, WeightedBackend,
};

/// Entropy used for the single request of an ordinary case.
pub const DEFAULT_ENTROPY: u64 = 0x9E37_79B9_7F4A_7C15;

/// How many evenly spread entropies a `one_of` case is routed with; every one of them must
/// satisfy some alternative.
pub const ONE_OF_SAMPLES: u32 = 16;

/// Samples and tolerance used when a case has `weighted_backends` but no `distribution_check`.
pub const DEFAULT_DISTRIBUTION: DistributionCheck = DistributionCheck {
    samples: 500,
    tolerance: 0.05,
};

/// Allowed difference between an expected and an observed mirror percentage.
pub const MIRROR_PERCENT_TOLERANCE: f64 = 0.5;

/// Upper bound on simulated retries, so a huge `attempts` cannot stall the runner.
pub const MAX_SIMULATED_RETRIES: u32 = 10_000;

/// Status the simulator reports when the last attempt ended in a connection reset
/// (HTTPRouteRetryConnectionError expects 500 or 503; Envoy-style proxies answer 503).
pub const CONNECTION_RESET_STATUS: u16 = 503;

/// Status the simulator reports when a timeout expires (the conformance tests expect 504).
pub const TIMEOUT_STATUS: u16 = 504;

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

/// Route one case through `compiled` (several times for distributions and `one_of`) and compare.
pub fn check_case(compiled: &dyn Compiled, case: &Case) -> Vec<String> {
    let route = |entropy| match (&case.gateway, &case.mesh) {
        (Some(entry), _) => compiled.route(entry, &case.request, entropy),
        (None, Some(mesh)) => compiled.route_mesh(mesh, &case.request, entropy),
        (None, None) => Observed::default(),
    };
    if case.gateway.is_none() && case.mesh.is_none() {
        return vec!["case has neither a `gateway` nor a `mesh` entry".to_owned()];
    }
    let observed = route(DEFAULT_ENTROPY);
    let mut failures = check_observed(&observed, case);
    let expect = &case.expect;
    if !expect.weighted_backends.is_empty() {
        let check = expect.distribution_check.unwrap_or(DEFAULT_DISTRIBUTION);
        failures.extend(check_distribution(
            &mut |entropy| route(entropy),
            &expect.weighted_backends,
            &check,
        ));
    }
    if !expect.one_of.is_empty() {
        let observations: Vec<Observed> = (0..ONE_OF_SAMPLES)
            .map(|i| route(entropy_for(i, ONE_OF_SAMPLES)))
            .collect();
        failures.extend(check_one_of(&observations, &expect.one_of));
    }
    failures
}

/// Compare one observation with a case's expectations (everything except the sampled checks:
/// `weighted_backends` and `one_of`, see [`check_case`]).
pub fn check_observed(observed: &Observed, case: &Case) -> Vec<String> {
    let expect = &case.expect;
    let mut failures = Vec::new();
    let status = match &case.backend_behavior {
        Some(behavior) => match simulate(observed, behavior) {
            Ok(outcome) => outcome.status,
            Err(message) => return vec![message],
        },
        None => observed.status,
    };
    failures.extend(check_outcome(status, observed, expect));
    if !skipped(expect, "backend") {
        // Upstream identifies the backend by the serving pod's name prefix: accept the
        // Service, or the Deployment its selector picks (README, "Backend identity").
        let by_pod = observed
            .backend
            .as_ref()
            .zip(observed.backend_pod.as_ref())
            .map(|((ns, _), pod)| (ns.clone(), pod.clone()));
        let by_service = check_backend(observed.backend.as_ref(), &expect.backend);
        if !by_service.is_empty()
            && by_pod
                .as_ref()
                .is_none_or(|p| !check_backend(Some(p), &expect.backend).is_empty())
        {
            failures.extend(by_service);
        }
    }
    if let Some(expected) = &expect.request {
        failures.extend(check_upstream(
            observed.upstream.as_ref(),
            expected,
            &expect.not_asserted_upstream,
        ));
    } else if expects_unchanged_forwarding(expect) && !is_connection(&case.request) {
        let unchanged = ExpectedRequest {
            path: Some(case.request.path.clone()),
            method: Some(case.request.method.clone()),
            ..ExpectedRequest::default()
        };
        failures.extend(check_upstream(observed.upstream.as_ref(), &unchanged, &[]));
    }
    if let Some(expected) = &expect.response {
        failures.extend(check_response(&observed.response_headers, expected));
    }
    if let Some(expected) = &expect.redirect {
        if !skipped(expect, "redirect") {
            failures.extend(check_redirect(
                observed.redirect_location.as_deref(),
                expected,
                &case.request,
            ));
        }
    }
    if !expect.mirrored_to.is_empty() {
        failures.extend(check_mirrors(&observed.mirrors, &expect.mirrored_to));
    }
    failures.extend(check_backend_connection(observed, expect));
    if let Some(expected) = &expect.backend_tls {
        failures.extend(check_backend_tls(observed, expected));
    }
    failures.extend(unsupported_keys(expect));
    failures
}

/// TLS, TCP and UDP cases carry no HTTP request to compare.
fn is_connection(request: &CaseRequest) -> bool {
    matches!(request.protocol.as_deref(), Some("TLS" | "TCP" | "UDP"))
}

/// `not_asserted_upstream` lists `key`.
fn skipped(expect: &Expect, key: &str) -> bool {
    expect.not_asserted_upstream.iter().any(|k| k == key)
}

/// Upstream checks that the backend saw the original path and method when the test expects the
/// request to be forwarded and says nothing about the request: a backend is named, or the
/// status is exactly 200 with no other backend expectation.
fn expects_unchanged_forwarding(expect: &Expect) -> bool {
    if skipped(expect, "backend") || !expect.one_of.is_empty() {
        return false;
    }
    match &expect.backend {
        BackendExpectation::Service(_) => true,
        BackendExpectation::GatewayAnswers => false,
        BackendExpectation::Unchecked => expect.status.as_deref() == Some(&[200]),
    }
}

/// Expectation keys that [`Observed`] has no data for: they fail rather than pass silently.
fn unsupported_keys(expect: &Expect) -> Vec<String> {
    let present: [(&str, bool); 0] = [];
    present
        .iter()
        .filter(|(key, is_present)| *is_present && !skipped(expect, key))
        .map(|(key, _)| {
            format!("expectation `{key}` cannot be checked: Observed has no field for it")
        })
        .collect()
}

/// Check `backend_connection` and `backend_sni` (L4 routes) against the observation.
pub fn check_backend_connection(observed: &Observed, expect: &Expect) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(want) = &expect.backend_connection {
        if observed.backend_connection.as_deref() != Some(want.as_str()) {
            failures.push(format!(
                "expected the backend to receive {want}, got {:?}",
                observed.backend_connection
            ));
        }
    }
    if let Some(want) = &expect.backend_sni {
        if observed.backend_sni.as_deref() != Some(want.as_str()) {
            failures.push(format!(
                "expected backend SNI {want}, got {:?}",
                observed.backend_sni
            ));
        }
    }
    failures
}

/// Check `backend_tls` (BackendTLSPolicy) against the observed settings: the
/// policy, hostname, CA refs (any order), subjectAltNames when listed, and `sni`
/// (the SNI the backend saw) when given.
pub fn check_backend_tls(observed: &Observed, expected: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    let Some(got) = &observed.backend_tls else {
        return vec![
            "expected TLS towards the backend (backend_tls), the decision has none".to_owned(),
        ];
    };
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    if let Some(policy) = expected.get("policy") {
        let want = (text(policy, "namespace"), text(policy, "name"));
        if got.policy != want {
            failures.push(format!(
                "expected BackendTLSPolicy {}/{}, got {}/{}",
                want.0, want.1, got.policy.0, got.policy.1
            ));
        }
    }
    if let Some(host) = expected.get("hostname").and_then(Value::as_str) {
        if got.hostname != host {
            failures.push(format!(
                "expected backend TLS hostname {host}, got {}",
                got.hostname
            ));
        }
    }
    if let Some(refs) = expected
        .get("ca_certificate_refs")
        .and_then(Value::as_array)
    {
        let mut want: Vec<(String, String)> = refs
            .iter()
            .map(|r| (text(r, "kind"), text(r, "name")))
            .collect();
        let mut have = got.ca_certificate_refs.clone();
        want.sort();
        have.sort();
        if want != have {
            failures.push(format!("expected CA refs {want:?}, got {have:?}"));
        }
    }
    if let Some(sans) = expected.get("subject_alt_names").and_then(Value::as_array) {
        let mut want: Vec<(String, String)> = sans
            .iter()
            .map(|v| {
                let kind = text(v, "type");
                let value = if kind == "URI" {
                    text(v, "uri")
                } else {
                    text(v, "hostname")
                };
                (kind, value)
            })
            .collect();
        let mut have = got.subject_alt_names.clone();
        want.sort();
        have.sort();
        if want != have {
            failures.push(format!("expected subjectAltNames {want:?}, got {have:?}"));
        }
    }
    if let Some(sni) = expected.get("sni").and_then(Value::as_str) {
        if observed.backend_sni.as_deref() != Some(sni) {
            failures.push(format!(
                "expected the backend to see SNI {sni}, got {:?}",
                observed.backend_sni
            ));
        }
    }
    failures
}

/// Check the outcome keys (`status`, `status_other_than`, `grpc_status`,
/// `grpc_status_other_than`, `connection`) against `status` (observed or simulated).
pub fn check_outcome(status: u16, observed: &Observed, expect: &Expect) -> Vec<String> {
    let mut failures = Vec::new();
    let got = describe_status(status);
    if let Some(codes) = &expect.status {
        if !codes.contains(&status) {
            failures.push(format!(
                "expected status {}, got {got}",
                describe_codes(codes)
            ));
        }
    }
    if let Some(codes) = &expect.status_other_than {
        if status == 0 || codes.contains(&status) {
            failures.push(format!(
                "expected a status other than {}, got {got}",
                describe_codes(codes)
            ));
        }
    }
    let grpc = grpc_status_name(status, &observed.response_headers);
    if let Some(name) = &expect.grpc_status {
        if !grpc.is_some_and(|g| same_grpc_name(g, name)) {
            failures.push(format!(
                "expected gRPC status {name}, got {}",
                grpc.unwrap_or("no response")
            ));
        }
    }
    if let Some(names) = &expect.grpc_status_other_than {
        if grpc.is_none_or(|g| names.iter().any(|n| same_grpc_name(g, n))) {
            failures.push(format!(
                "expected a gRPC status other than {names:?}, got {}",
                grpc.unwrap_or("no response")
            ));
        }
    }
    match expect.connection.as_deref() {
        None => {}
        Some("rejected") if status != 0 => {
            failures.push(format!("expected the connection to be rejected, got {got}"));
        }
        Some("accepted") if status == 0 => {
            failures.push("expected the connection to be accepted, it was rejected".to_owned());
        }
        Some("rejected" | "accepted") => {}
        Some(other) => failures.push(format!("unknown `connection: {other}`")),
    }
    failures
}

fn describe_status(status: u16) -> String {
    if status == 0 {
        "no HTTP response (connection rejected)".to_owned()
    } else {
        status.to_string()
    }
}

fn describe_codes(codes: &[u16]) -> String {
    match codes {
        [one] => one.to_string(),
        many => format!("one of {many:?}"),
    }
}

/// gRPC status names by code.
const GRPC_NAMES: [&str; 17] = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];

/// The gRPC status a client sees: the `grpc-status` response header when present, else the
/// standard HTTP-to-gRPC mapping of the HTTP status. `None` = no response at all.
pub fn grpc_status_name(
    status: u16,
    response_headers: &[(String, String)],
) -> Option<&'static str> {
    if status == 0 {
        return None;
    }
    if let Some(code) = joined_header(response_headers, "grpc-status") {
        let index: usize = code.trim().parse().unwrap_or(2);
        return Some(GRPC_NAMES.get(index).copied().unwrap_or("Unknown"));
    }
    Some(match status {
        200 => "OK",
        400 => "Internal",
        401 => "Unauthenticated",
        403 => "PermissionDenied",
        404 => "Unimplemented",
        429 | 502 | 503 | 504 => "Unavailable",
        _ => "Unknown",
    })
}

/// `Unimplemented` == `UNIMPLEMENTED`, `PermissionDenied` == `PERMISSION_DENIED`.
fn same_grpc_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace('_', "").to_ascii_lowercase();
    norm(a) == norm(b)
}

/// Check `expect.backend` against the observed backend.
pub fn check_backend(
    observed: Option<&(String, String)>,
    expected: &BackendExpectation,
) -> Vec<String> {
    match (expected, observed) {
        (BackendExpectation::Unchecked, _) | (BackendExpectation::GatewayAnswers, None) => vec![],
        (BackendExpectation::GatewayAnswers, Some((ns, name))) => vec![format!(
            "expected the gateway to answer itself (backend: null), but backend {ns}/{name} received the request"
        )],
        (BackendExpectation::Service(want), None) => {
            vec![format!("expected backend {}, got no backend", describe_backend(want))]
        }
        (BackendExpectation::Service(want), Some(got)) if !backend_matches(want, got) => vec![format!(
            "expected backend {}, got {}/{}",
            describe_backend(want),
            got.0,
            got.1
        )],
        (BackendExpectation::Service(_), Some(_)) => vec![],
    }
}

fn backend_matches(want: &ExpectedBackend, got: &(String, String)) -> bool {
    want.namespace == got.0 && want.name.as_ref().is_none_or(|name| *name == got.1)
}

fn describe_backend(want: &ExpectedBackend) -> String {
    match &want.name {
        Some(name) => format!("{}/{}", want.namespace, name),
        None => format!("in namespace {}", want.namespace),
    }
}

/// Check the request the backend received. `not_asserted` may list `request.path` /
/// `request.headers` to skip those parts.
pub fn check_upstream(
    upstream: Option<&Upstream>,
    expected: &ExpectedRequest,
    not_asserted: &[String],
) -> Vec<String> {
    let Some(upstream) = upstream else {
        return vec![
            "expected the request to reach a backend, but no backend received it".to_owned(),
        ];
    };
    let skip = |key: &str| not_asserted.iter().any(|k| k == key);
    let mut failures = Vec::new();
    let mut compare = |what: &str, want: Option<&String>, got: Option<&str>| {
        if let Some(want) = want {
            if !skip(&format!("request.{what}")) && got.unwrap_or("") != want {
                failures.push(format!(
                    "backend saw {what} {:?}, expected {want:?}",
                    got.unwrap_or("")
                ));
            }
        }
    };
    compare("path", expected.path.as_ref(), Some(&upstream.path));
    compare("query", expected.query.as_ref(), upstream.query.as_deref());
    compare("host", expected.host.as_ref(), Some(&upstream.host));
    compare("method", expected.method.as_ref(), Some(&upstream.method));
    if !skip("request.headers") {
        failures.extend(check_headers(
            "request",
            &upstream.headers,
            &expected.headers,
            false,
        ));
        failures.extend(check_absent(
            "request",
            &upstream.headers,
            &expected.absent_headers,
        ));
    }
    failures
}

/// Check the response headers the client sees.
pub fn check_response(observed: &[(String, String)], expected: &ExpectedResponse) -> Vec<String> {
    let ignore_ws = expected.ignore_whitespace_in_header_values;
    let mut failures = check_headers("response", observed, &expected.headers, ignore_ws);
    for (name, options) in &expected.headers_one_of {
        let got = joined_header(observed, name);
        let ok = got
            .as_deref()
            .is_some_and(|got| options.iter().any(|o| same_value(got, o, ignore_ws)));
        if !ok {
            failures.push(format!(
                "response header {name}: expected one of {options:?}, got {}",
                describe_header(got.as_deref())
            ));
        }
    }
    failures.extend(check_absent("response", observed, &expected.absent_headers));
    failures
}

/// Every expected header present with the expected (comma-joined) value.
fn check_headers(
    side: &str,
    observed: &[(String, String)],
    expected: &[(String, String)],
    ignore_ws: bool,
) -> Vec<String> {
    expected
        .iter()
        .filter_map(|(name, want)| {
            let got = joined_header(observed, name);
            match got.as_deref() {
                Some(got) if same_value(got, want, ignore_ws) => None,
                got => Some(format!(
                    "{side} header {name}: expected {want:?}, got {}",
                    describe_header(got)
                )),
            }
        })
        .collect()
}

/// No header with any of these names.
fn check_absent(side: &str, observed: &[(String, String)], absent: &[String]) -> Vec<String> {
    absent
        .iter()
        .filter_map(|name| {
            joined_header(observed, name)
                .map(|got| format!("{side} header {name} must be absent, got {got:?}"))
        })
        .collect()
}

fn describe_header(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "no such header".to_owned(),
    }
}

/// All values of header `name` (case-insensitive), joined with `,`; `None` if absent.
pub fn joined_header(headers: &[(String, String)], name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// Header value equality, optionally ignoring all whitespace.
pub fn same_value(got: &str, want: &str, ignore_whitespace: bool) -> bool {
    if ignore_whitespace {
        let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        strip(got) == strip(want)
    } else {
        got == want
    }
}

// ---------------------------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------------------------

/// A parsed `Location` header. Relative references have no scheme/host/port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// Scheme, lowercased.
    pub scheme: Option<String>,
    /// Host without port.
    pub host: Option<String>,
    /// Explicit port.
    pub port: Option<String>,
    /// Path (`/` when an absolute URL has none).
    pub path: String,
    /// Query without `?`.
    pub query: Option<String>,
}

/// Parse a `Location` value (absolute URL, network-path `//host/path`, or path).
pub fn parse_location(location: &str) -> Result<Location, String> {
    let mut parsed = Location::default();
    let mut rest = location;
    if let Some((scheme, after)) = location.split_once("://") {
        let valid = !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !valid {
            return Err(format!("Location {location:?}: invalid scheme"));
        }
        parsed.scheme = Some(scheme.to_ascii_lowercase());
        rest = after;
    } else if let Some(after) = location.strip_prefix("//") {
        rest = after;
    }
    if rest.len() != location.len() {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (host, port) = split_host_port(&rest[..end])
            .ok_or_else(|| format!("Location {location:?}: invalid authority"))?;
        parsed.host = Some(host);
        parsed.port = port;
        rest = &rest[end..];
    }
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (rest, None),
    };
    parsed.path = if path.is_empty() && parsed.host.is_some() {
        "/".to_owned()
    } else {
        path.to_owned()
    };
    parsed.query = query;
    Ok(parsed)
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host_port(authority: &str) -> Option<(String, Option<String>)> {
    if authority.is_empty() {
        return None;
    }
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port.to_owned()),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((format!("[{host}]"), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() => {
            Some((host.to_owned(), Some(port.to_owned())))
        }
        Some(_) => None,
        None => Some((authority.to_owned(), None)),
    }
}

/// Check a redirect with the README's missing-key rules: `scheme` absent ⇒ the request's scheme;
/// `path` absent ⇒ the request's path; `port` absent ⇒ no port or the scheme's default port;
/// `host` absent ⇒ not checked.
pub fn check_redirect(
    location: Option<&str>,
    expected: &ExpectedRedirect,
    request: &CaseRequest,
) -> Vec<String> {
    let Some(location) = location else {
        return vec!["expected a redirect, but the response has no Location".to_owned()];
    };
    let parsed = match parse_location(location) {
        Ok(parsed) => parsed,
        Err(message) => return vec![message],
    };
    let mut failures = Vec::new();
    let want_scheme = expected
        .scheme
        .as_deref()
        .unwrap_or(&request.scheme)
        .to_ascii_lowercase();
    let got_scheme = parsed
        .scheme
        .clone()
        .unwrap_or_else(|| request.scheme.to_ascii_lowercase());
    if got_scheme != want_scheme {
        failures.push(format!(
            "redirect {location:?}: expected scheme {want_scheme}, got {got_scheme}"
        ));
    }
    if let Some(want_host) = &expected.host {
        let request_host = request
            .host
            .as_deref()
            .map(|h| split_host_port(h).map_or(h.to_owned(), |(h, _)| h));
        let got_host = parsed.host.clone().or(request_host).unwrap_or_default();
        if !got_host.eq_ignore_ascii_case(want_host) {
            failures.push(format!(
                "redirect {location:?}: expected host {want_host}, got {got_host}"
            ));
        }
    }
    match (&expected.port, &parsed.port) {
        (Some(want), got) if got.as_ref() != Some(want) => failures.push(format!(
            "redirect {location:?}: expected port {want}, got {}",
            got.as_deref().unwrap_or("none")
        )),
        (None, Some(got)) if Some(got.as_str()) != default_port(&want_scheme) => {
            failures.push(format!(
                "redirect {location:?}: expected no port (or the {want_scheme} default), got {got}"
            ))
        }
        _ => {}
    }
    let want_path = expected.path.as_deref().unwrap_or(&request.path);
    if parsed.path != want_path {
        failures.push(format!(
            "redirect {location:?}: expected path {want_path}, got {}",
            parsed.path
        ));
    }
    failures
}

fn default_port(scheme: &str) -> Option<&'static str> {
    match scheme {
        "http" => Some("80"),
        "https" => Some("443"),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Mirrors, distributions, alternatives
// ---------------------------------------------------------------------------------------------

/// The observed mirror targets must be exactly the expected ones; percentages within
/// [`MIRROR_PERCENT_TOLERANCE`] (100 when the expectation gives none).
pub fn check_mirrors(observed: &[Mirror], expected: &[ExpectedMirror]) -> Vec<String> {
    let mut failures = Vec::new();
    for want in expected {
        let want_percent = want.percent.unwrap_or(100.0);
        match observed
            .iter()
            .find(|m| m.namespace == want.namespace && m.name == want.name)
        {
            None => failures.push(format!(
                "expected a mirror to {}/{}, got none",
                want.namespace, want.name
            )),
            Some(got) if (got.percent - want_percent).abs() > MIRROR_PERCENT_TOLERANCE => failures
                .push(format!(
                    "mirror to {}/{}: expected {want_percent}%, got {}%",
                    want.namespace, want.name, got.percent
                )),
            Some(_) => {}
        }
    }
    for got in observed {
        if !expected
            .iter()
            .any(|w| w.namespace == got.namespace && w.name == got.name)
        {
            failures.push(format!(
                "unexpected mirror to {}/{}",
                got.namespace, got.name
            ));
        }
    }
    failures
}

/// The `i`-th of `samples` entropies spread evenly over the `u64` range (centred in each slot).
pub fn entropy_for(i: u32, samples: u32) -> u64 {
    let samples = u128::from(samples.max(1));
    let slot = u128::from(u64::MAX) / samples;
    let start = u128::from(i) * u128::from(u64::MAX) / samples;
    u64::try_from(start + slot / 2).unwrap_or(u64::MAX)
}

/// Route `check.samples` requests with evenly spread entropies and compare the share of each
/// backend with `expected` (`fraction: 0.0` = never).
pub fn check_distribution(
    route: &mut dyn FnMut(u64) -> Observed,
    expected: &[WeightedBackend],
    check: &DistributionCheck,
) -> Vec<String> {
    if check.samples == 0 {
        return vec!["distribution_check.samples is 0".to_owned()];
    }
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for i in 0..check.samples {
        let observed = route(entropy_for(i, check.samples));
        let key = match &observed.backend {
            Some((ns, name)) => format!("{ns}/{name}"),
            None => format!("<no backend, status {}>", observed.status),
        };
        *counts.entry(key).or_default() += 1;
    }
    let total = f64::from(check.samples);
    let mut failures = Vec::new();
    for want in expected {
        let key = format!("{}/{}", want.namespace, want.name);
        let count = counts.remove(&key).unwrap_or(0);
        let fraction = f64::from(count) / total;
        let bad = if want.fraction == 0.0 {
            count > 0
        } else {
            (fraction - want.fraction).abs() > check.tolerance
        };
        if bad {
            failures.push(format!(
                "backend {key}: expected fraction {:.3} ± {}, got {fraction:.3} ({count}/{})",
                want.fraction, check.tolerance, check.samples
            ));
        }
    }
    for (key, count) in counts {
        failures.push(format!(
            "unexpected backend {key} received {count}/{} requests",
            check.samples
        ));
    }
    failures
}

/// Every observation must match some alternative: same backend, and that alternative's request
/// expectations hold.
pub fn check_one_of(observations: &[Observed], alternatives: &[Alternative]) -> Vec<String> {
    let mut failures = Vec::new();
    for (i, observed) in observations.iter().enumerate() {
        let Some(got) = &observed.backend else {
            failures.push(format!(
                "one_of sample {i}: no backend received the request"
            ));
            continue;
        };
        let mut reasons = Vec::new();
        let matched = alternatives.iter().any(|alt| {
            if !backend_matches(&alt.backend, got) {
                return false;
            }
            let problems = match &alt.request {
                Some(request) => check_upstream(observed.upstream.as_ref(), request, &[]),
                None => Vec::new(),
            };
            reasons.extend(problems.iter().cloned());
            problems.is_empty()
        });
        if !matched {
            let why = if reasons.is_empty() {
                "no alternative names this backend".to_owned()
            } else {
                reasons.join("; ")
            };
            failures.push(format!(
                "one_of sample {i}: went to {}/{}: {why}",
                got.0, got.1
            ));
        }
    }
    failures.dedup();
    failures
}

// ---------------------------------------------------------------------------------------------
// Simulated backends (timeouts and retries)
// ---------------------------------------------------------------------------------------------

/// Result of simulating a backend's behaviour behind the observed timeouts and retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOutcome {
    /// Status the client sees.
    pub status: u16,
    /// Attempts made (0 when the request never reached a backend).
    pub tries: u32,
    /// Simulated time until the answer, in milliseconds.
    pub elapsed_ms: u64,
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    Success,
    Status(u16),
    Reset,
    Timeout,
}

/// Simulate `behavior` (README "`backend_behavior`") behind the observed timeouts and retry.
///
/// * Attempt `k` (0-based) fails when `k < succeed_after_failures`; it fails with
///   `fail_with_status`, else with a connection reset (`fail_with: connection-reset`, or upstream's
///   `succeedAfter` without `responseCode`).
/// * An attempt lasts `delay` plus, if failing, `delay_failed_attempts`. If that reaches the
///   per-attempt timeout (`backend_request_ms`) the attempt ends as a timeout at that time.
/// * Retries (`retry.attempts` = maximum retries) are made for a failing status listed in
///   `retry.codes`, for connection resets and for per-attempt timeouts; `backoff_ms` is waited
///   between attempts.
/// * If the total time reaches `request_ms` before an answer, the client gets 504.
/// * Final outcomes: success = the observed status; failing status = that status; reset = 503
///   ([`CONNECTION_RESET_STATUS`]); timeout = 504. Timeouts of 0 mean "disabled".
///
/// A request the engine did not forward to a backend keeps its observed status.
pub fn simulate(observed: &Observed, behavior: &BackendBehavior) -> Result<SimOutcome, String> {
    if observed.backend.is_none() {
        return Ok(SimOutcome {
            status: observed.status,
            tries: 0,
            elapsed_ms: 0,
        });
    }
    let failure = match (behavior.fail_with_status, behavior.fail_with.as_deref()) {
        (Some(code), None) => Attempt::Status(code),
        (None, None | Some("connection-reset")) => Attempt::Reset,
        (_, Some(other)) => {
            return Err(format!(
            "backend_behavior: unsupported combination fail_with_status={:?}, fail_with={other:?}",
            behavior.fail_with_status
        ))
        }
    };
    let failures = match (behavior.succeed_after_failures, &behavior) {
        (Some(n), _) => n,
        (None, b) if b.fail_with_status.is_some() || b.fail_with.is_some() => u32::MAX,
        (None, _) => 0,
    };
    let per_try = observed.timeouts.backend_request_ms.filter(|&ms| ms > 0);
    let overall = observed.timeouts.request_ms.filter(|&ms| ms > 0);
    let max_retries = observed
        .retry
        .as_ref()
        .map_or(0, |r| r.attempts.min(MAX_SIMULATED_RETRIES));
    let backoff = observed
        .retry
        .as_ref()
        .and_then(|r| r.backoff_ms)
        .unwrap_or(0);
    let timed_out = |elapsed: u64| overall.is_some_and(|limit| elapsed >= limit);

    let mut elapsed: u64 = 0;
    let mut attempt: u32 = 0;
    loop {
        let failing = attempt < failures;
        let duration = behavior.delay.unwrap_or(0)
            + if failing {
                behavior.delay_failed_attempts.unwrap_or(0)
            } else {
                0
            };
        let (result, took) = match per_try {
            Some(limit) if duration >= limit => (Attempt::Timeout, limit),
            _ if failing => (failure, duration),
            _ => (Attempt::Success, duration),
        };
        let tries = attempt + 1;
        if timed_out(elapsed + took) {
            let elapsed_ms = overall.unwrap_or(elapsed + took);
            return Ok(SimOutcome {
                status: TIMEOUT_STATUS,
                tries,
                elapsed_ms,
            });
        }
        elapsed += took;
        let final_status = match result {
            Attempt::Success => {
                return Ok(SimOutcome {
                    status: observed.status,
                    tries,
                    elapsed_ms: elapsed,
                })
            }
            Attempt::Status(code) => code,
            Attempt::Reset => CONNECTION_RESET_STATUS,
            Attempt::Timeout => TIMEOUT_STATUS,
        };
        let retriable = match (result, &observed.retry) {
            (_, None) => false,
            (Attempt::Status(code), Some(retry)) => retry.codes.contains(&code),
            (_, Some(_)) => true,
        };
        if !retriable || attempt >= max_retries {
            return Ok(SimOutcome {
                status: final_status,
                tries,
                elapsed_ms: elapsed,
            });
        }
        elapsed += backoff;
        if timed_out(elapsed) {
            return Ok(SimOutcome {
                status: TIMEOUT_STATUS,
                tries,
                elapsed_ms: elapsed,
            });
        }
        attempt += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Status assertions
// ---------------------------------------------------------------------------------------------

/// Check one status assertion against the engine's status list (see [`Compiled::status`]).
pub fn check_status_assertion(statuses: &[Value], assertion: &StatusAssertion) -> Vec<String> {
    let a = assertion;
    let Some(status) = find_status(statuses, &a.kind, &a.namespace, &a.name) else {
        return vec![format!(
            "no status reported for {} {}/{}",
            a.kind, a.namespace, a.name
        )];
    };
    let mut failures = Vec::new();
    match (&a.parent, &a.ancestor, &a.conditions) {
        (Some(parent), _, conditions) => {
            failures.extend(check_parent(
                status,
                parent,
                &a.namespace,
                conditions.as_deref().unwrap_or(&[]),
            ));
        }
        (None, Some(ancestor), conditions) => {
            failures.extend(check_ancestor(
                status,
                ancestor,
                conditions.as_deref().unwrap_or(&[]),
            ));
        }
        (None, None, Some(conditions)) => {
            failures.extend(prefixed(
                "conditions",
                check_conditions(&status["conditions"], conditions),
            ));
        }
        (None, None, None) => {}
    }
    if a.no_accepted_parents == Some(true) {
        failures.extend(check_no_accepted_parents(status));
    }
    if let Some(conditions) = &a.all_listeners_conditions {
        failures.extend(check_all_listeners(status, conditions));
    }
    if let Some(named) = &a.listener_conditions {
        for name in &named.listeners {
            match find_listener(status, name) {
                None => failures.push(format!("listener {name}: no status")),
                Some(l) => failures.extend(prefixed(
                    &format!("listener {name}"),
                    check_conditions(&l["conditions"], &named.conditions),
                )),
            }
        }
    }
    if let Some(listeners) = &a.listeners {
        failures.extend(check_listener_list(status, listeners));
    }
    if a.zero_attached_routes == Some(true) {
        failures.extend(check_zero_attached_routes(status));
    }
    if let Some(want) = a.attached_listener_sets {
        let got = status["attachedListenerSets"].as_u64().unwrap_or(0);
        if got != u64::from(want) {
            failures.push(format!("attachedListenerSets: expected {want}, got {got}"));
        }
    }
    prefixed(&format!("{} {}/{}", a.kind, a.namespace, a.name), failures)
}

fn prefixed(prefix: &str, messages: Vec<String>) -> Vec<String> {
    messages
        .into_iter()
        .map(|m| format!("{prefix}: {m}"))
        .collect()
}

/// The `status` of the reported object with this kind, namespace and name.
pub fn find_status<'a>(
    statuses: &'a [Value],
    kind: &str,
    namespace: &str,
    name: &str,
) -> Option<&'a Value> {
    statuses
        .iter()
        .find(|s| {
            s["kind"].as_str() == Some(kind)
                && s["namespace"].as_str().unwrap_or("") == namespace
                && s["name"].as_str() == Some(name)
        })
        .map(|s| &s["status"])
}

/// Listed conditions must be present with the listed status (and reason, when given).
pub fn check_conditions(actual: &Value, expected: &[ExpectedCondition]) -> Vec<String> {
    let list = actual.as_array().map(Vec::as_slice).unwrap_or(&[]);
    expected
        .iter()
        .filter_map(|want| {
            let Some(got) = list
                .iter()
                .find(|c| c["type"].as_str() == Some(&want.type_))
            else {
                let present: Vec<&str> = list.iter().filter_map(|c| c["type"].as_str()).collect();
                return Some(format!(
                    "condition {} missing (present: {present:?})",
                    want.type_
                ));
            };
            let status = got["status"].as_str().unwrap_or("");
            let reason = got["reason"].as_str().unwrap_or("");
            let ok = status == want.status && want.reason.as_ref().is_none_or(|r| r == reason);
            (!ok).then(|| {
                format!(
                    "condition {}: expected {}, got {status}/{reason}",
                    want.type_,
                    describe_condition(want)
                )
            })
        })
        .collect()
}

fn describe_condition(c: &ExpectedCondition) -> String {
    match &c.reason {
        Some(reason) => format!("{}/{reason}", c.status),
        None => c.status.clone(),
    }
}

/// The API group a parent/ancestor of this kind has when none is written.
fn default_group(kind: &str) -> &'static str {
    if kind == "Service" {
        ""
    } else {
        "gateway.networking.k8s.io"
    }
}

/// Does a status `parentRef`/`ancestorRef` name `want`? `route_namespace` fills in a missing
/// namespace; group and kind default as in the API.
fn ref_matches(
    got: &Value,
    want: &ObjectRef,
    route_namespace: &str,
    check_group_kind: bool,
) -> bool {
    let kind = got["kind"].as_str().unwrap_or("Gateway");
    let group = got["group"].as_str().unwrap_or(default_group(kind));
    let want_group = want.group.as_deref().unwrap_or(default_group(&want.kind));
    let namespace = got["namespace"].as_str().unwrap_or(route_namespace);
    let group_kind_ok = !check_group_kind || (kind == want.kind && group == want_group);
    group_kind_ok && namespace == want.namespace && got["name"].as_str() == Some(&want.name)
}

/// Some parent entry for `parent` (matched by group/kind/namespace/name) has all conditions.
fn check_parent(
    status: &Value,
    parent: &ObjectRef,
    route_ns: &str,
    conditions: &[ExpectedCondition],
) -> Vec<String> {
    let entries = status["parents"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    check_any_entry(
        entries,
        "parentRef",
        "parent",
        parent,
        route_ns,
        true,
        conditions,
    )
}

/// Some ancestor entry for `ancestor` (matched by name and namespace) has all conditions.
fn check_ancestor(
    status: &Value,
    ancestor: &ObjectRef,
    conditions: &[ExpectedCondition],
) -> Vec<String> {
    let entries = status["ancestors"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    check_any_entry(
        entries,
        "ancestorRef",
        "ancestor",
        ancestor,
        "",
        false,
        conditions,
    )
}

fn check_any_entry(
    entries: &[Value],
    ref_key: &str,
    what: &str,
    want: &ObjectRef,
    default_ns: &str,
    check_group_kind: bool,
    conditions: &[ExpectedCondition],
) -> Vec<String> {
    let label = format!("{what} {} {}/{}", want.kind, want.namespace, want.name);
    let matching: Vec<&Value> = entries
        .iter()
        .filter(|e| ref_matches(&e[ref_key], want, default_ns, check_group_kind))
        .collect();
    if matching.is_empty() {
        return vec![format!("{label}: no status entry")];
    }
    let results: Vec<Vec<String>> = matching
        .iter()
        .map(|e| check_conditions(&e["conditions"], conditions))
        .collect();
    if results.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    results
        .into_iter()
        .flatten()
        .map(|m| format!("{label}: {m}"))
        .collect()
}

/// `status.parents` is empty, or has exactly one entry whose Accepted is False.
fn check_no_accepted_parents(status: &Value) -> Vec<String> {
    let parents = status["parents"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    match parents {
        [] => Vec::new(),
        [only] => {
            let accepted = only["conditions"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Accepted"))
                .and_then(|c| c["status"].as_str());
            if accepted == Some("False") {
                Vec::new()
            } else {
                vec![format!(
                    "expected no accepted parents, but the only parent has Accepted={}",
                    accepted.unwrap_or("<missing>")
                )]
            }
        }
        many => vec![format!(
            "expected no accepted parents, got {} parent entries",
            many.len()
        )],
    }
}

fn listeners(status: &Value) -> &[Value] {
    status["listeners"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn find_listener<'a>(status: &'a Value, name: &str) -> Option<&'a Value> {
    listeners(status)
        .iter()
        .find(|l| l["name"].as_str() == Some(name))
}

/// Every listener has the conditions (and there is at least one listener).
fn check_all_listeners(status: &Value, conditions: &[ExpectedCondition]) -> Vec<String> {
    let all = listeners(status);
    if all.is_empty() {
        return vec!["expected listener conditions, but the status lists no listeners".to_owned()];
    }
    all.iter()
        .flat_map(|l| {
            let name = l["name"].as_str().unwrap_or("<unnamed>");
            prefixed(
                &format!("listener {name}"),
                check_conditions(&l["conditions"], conditions),
            )
        })
        .collect()
}

/// Exact listener list: same count, matched by name, kinds/conditions/attachedRoutes.
fn check_listener_list(status: &Value, expected: &[ExpectedListener]) -> Vec<String> {
    let all = listeners(status);
    let mut failures = Vec::new();
    if all.len() != expected.len() {
        let names: Vec<&str> = all.iter().filter_map(|l| l["name"].as_str()).collect();
        failures.push(format!(
            "expected {} listeners, got {} {names:?}",
            expected.len(),
            all.len()
        ));
    }
    for want in expected {
        match find_listener(status, &want.name) {
            None => failures.push(format!("listener {}: no status", want.name)),
            Some(got) => failures.extend(prefixed(
                &format!("listener {}", want.name),
                check_listener(got, want),
            )),
        }
    }
    failures
}

fn check_listener(got: &Value, want: &ExpectedListener) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(kinds) = &want.supported_kinds {
        let listed: Vec<(&str, &str)> = got["supportedKinds"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|k| {
                let group = k["group"].as_str().unwrap_or("gateway.networking.k8s.io");
                (group, k["kind"].as_str().unwrap_or(""))
            })
            .collect();
        if kinds.is_empty() && !listed.is_empty() {
            failures.push(format!("supportedKinds: expected none, got {listed:?}"));
        }
        for kind in kinds {
            if !listed.contains(&("gateway.networking.k8s.io", kind.as_str())) {
                failures.push(format!("supportedKinds: {kind} missing (got {listed:?})"));
            }
        }
    }
    if let Some(want_routes) = want.attached_routes {
        let got_routes = got["attachedRoutes"].as_u64();
        if got_routes != Some(u64::from(want_routes)) {
            failures.push(format!(
                "attachedRoutes: expected {want_routes}, got {got_routes:?}"
            ));
        }
    }
    if let Some(conditions) = &want.conditions {
        failures.extend(check_conditions(&got["conditions"], conditions));
    }
    failures
}

/// No listener status, or exactly one listener with attachedRoutes 0.
fn check_zero_attached_routes(status: &Value) -> Vec<String> {
    match listeners(status) {
        [] => Vec::new(),
        [one] if one["attachedRoutes"].as_u64() == Some(0) => Vec::new(),
        [one] => vec![format!("expected 0 attached routes, got {}", one["attachedRoutes"])],
        many => vec![format!(
            "expected no listener status or exactly one listener with 0 attached routes, got {} listeners",
            many.len()
        )],
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::engine::{Retry, Timeouts};
    use crate::format::load_test;

    fn corpus() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/gateway-api")
    }

    fn request(scheme: &str, host: Option<&str>, path: &str) -> CaseRequest {
        CaseRequest {
            method: "GET".to_owned(),
            scheme: scheme.to_owned(),
            host: host.map(str::to_owned),
            path: path.to_owned(),
            ..CaseRequest::default()
        }
    }

    fn redirect(yaml: &str) -> ExpectedRedirect {
        serde_norway::from_str(yaml).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn backend(ns: &str, name: &str) -> Option<(String, String)> {
        Some((ns.to_owned(), name.to_owned()))
    }

    #[test]
    fn parses_locations() {
        let l = parse_location("HTTP://example.org:8080/a/b?x=1#frag").unwrap();
        assert_eq!(l.scheme.as_deref(), Some("http"));
        assert_eq!(l.host.as_deref(), Some("example.org"));
        assert_eq!(l.port.as_deref(), Some("8080"));
        assert_eq!(l.path, "/a/b");
        assert_eq!(l.query.as_deref(), Some("x=1"));

        let l = parse_location("https://example.org").unwrap();
        assert_eq!((l.port, l.path.as_str()), (None, "/"));

        let l = parse_location("/relative?q").unwrap();
        assert_eq!(
            (l.scheme, l.host, l.path.as_str()),
            (None, None, "/relative")
        );

        let l = parse_location("http://[::1]:8443/x").unwrap();
        assert_eq!(
            (l.host.as_deref(), l.port.as_deref()),
            (Some("[::1]"), Some("8443"))
        );

        assert!(parse_location("http://host:port/x").is_err());
    }

    #[test]
    fn redirect_missing_keys_follow_the_readme() {
        let req = request("http", Some("example.com"), "/scheme-https-and-port-nil");
        let want = redirect("{scheme: https, host: example.org}");
        // port absent: no port, or the scheme's default, is accepted.
        let ok = "https://example.org/scheme-https-and-port-nil";
        assert_eq!(check_redirect(Some(ok), &want, &req), Vec::<String>::new());
        let default_port = "https://example.org:443/scheme-https-and-port-nil";
        assert!(check_redirect(Some(default_port), &want, &req).is_empty());
        let other_port = "https://example.org:8443/scheme-https-and-port-nil";
        assert_eq!(check_redirect(Some(other_port), &want, &req).len(), 1);
        // port 80 is not the https default.
        assert_eq!(
            check_redirect(
                Some("https://example.org:80/scheme-https-and-port-nil"),
                &want,
                &req
            )
            .len(),
            1
        );
        // path absent: the request's path.
        let moved = check_redirect(Some("https://example.org/elsewhere"), &want, &req);
        assert_eq!(moved.len(), 1);
        assert!(
            moved[0].contains("expected path /scheme-https-and-port-nil"),
            "{moved:?}"
        );
        // scheme absent: the request's scheme.
        let same_scheme = redirect("{host: example.org, port: '8080'}");
        assert!(check_redirect(
            Some("http://example.org:8080/scheme-https-and-port-nil"),
            &same_scheme,
            &req
        )
        .is_empty());
        let wrong = check_redirect(
            Some("https://example.org/scheme-https-and-port-nil"),
            &same_scheme,
            &req,
        );
        assert_eq!(wrong.len(), 2, "{wrong:?}"); // scheme and missing port
                                                 // host absent: not checked; relative Location keeps the request scheme.
        let path_only = redirect("{path: /replacement}");
        assert!(
            check_redirect(Some("http://anything.test/replacement"), &path_only, &req).is_empty()
        );
        assert!(check_redirect(Some("/replacement"), &path_only, &req).is_empty());
        assert_eq!(check_redirect(None, &path_only, &req).len(), 1);
    }

    #[test]
    fn header_comparisons() {
        let observed = headers(&[
            ("x-header-add-append", "some-other-value"),
            ("X-Header-Add-Append", "add-appends-values"),
            ("X-Header-Set", "set-overwrites-values"),
        ]);
        assert_eq!(
            joined_header(&observed, "X-HEADER-ADD-APPEND").as_deref(),
            Some("some-other-value,add-appends-values")
        );
        let want: ExpectedRequest = serde_norway::from_str(
            "{headers: {X-Header-Add-Append: 'some-other-value,add-appends-values', x-header-set: set-overwrites-values}, absent_headers: [X-Header-Remove]}",
        )
        .unwrap();
        let upstream = Upstream {
            method: "GET".to_owned(),
            path: "/".to_owned(),
            headers: observed.clone(),
            ..Upstream::default()
        };
        assert!(check_upstream(Some(&upstream), &want, &[]).is_empty());

        let mut bad = upstream.clone();
        bad.headers
            .push(("x-header-remove".to_owned(), "val".to_owned()));
        bad.headers.retain(|(n, _)| n != "X-Header-Set");
        let failures = check_upstream(Some(&bad), &want, &[]);
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(failures[0].contains("x-header-set") && failures[0].contains("no such header"));
        assert!(failures[1].contains("X-Header-Remove must be absent"));
        // not_asserted_upstream: request.headers skips the header checks.
        assert!(check_upstream(Some(&bad), &want, &["request.headers".to_owned()]).is_empty());

        let response: ExpectedResponse = serde_norway::from_str(
            "{headers_one_of: {access-control-allow-methods: ['GET, OPTIONS', 'OPTIONS, GET']}, ignore_whitespace_in_header_values: true}",
        )
        .unwrap();
        assert!(check_response(
            &headers(&[("Access-Control-Allow-Methods", "OPTIONS,GET")]),
            &response
        )
        .is_empty());
        assert_eq!(
            check_response(
                &headers(&[("access-control-allow-methods", "GET")]),
                &response
            )
            .len(),
            1
        );
        let strict = ExpectedResponse {
            ignore_whitespace_in_header_values: false,
            ..response
        };
        assert_eq!(
            check_response(
                &headers(&[("access-control-allow-methods", "OPTIONS,GET")]),
                &strict
            )
            .len(),
            1
        );
        assert!(same_value(" a , b", "a,b", true));
        assert!(!same_value(" a , b", "a,b", false));
    }

    #[test]
    fn backend_and_outcome_messages() {
        let want: Expect = serde_norway::from_str(
            "{status: 200, backend: {namespace: gateway-conformance-infra, name: infra-backend-v2}}",
        )
        .unwrap();
        let failures = check_backend(
            backend("gateway-conformance-infra", "infra-backend-v1").as_ref(),
            &want.backend,
        );
        assert_eq!(
            failures,
            vec!["expected backend gateway-conformance-infra/infra-backend-v2, got gateway-conformance-infra/infra-backend-v1"]
        );
        let null: Expect = serde_norway::from_str("{status: [200, 204], backend: null}").unwrap();
        assert_eq!(null.backend, BackendExpectation::GatewayAnswers);
        assert_eq!(
            check_backend(backend("ns", "svc").as_ref(), &null.backend).len(),
            1
        );
        assert!(check_backend(None, &null.backend).is_empty());

        let observed = Observed::default();
        assert_eq!(check_outcome(204, &observed, &null), Vec::<String>::new());
        assert_eq!(
            check_outcome(404, &observed, &null),
            vec!["expected status one of [200, 204], got 404"]
        );
        let other: Expect = serde_norway::from_str("{status_other_than: [200, 408, 504]}").unwrap();
        assert!(check_outcome(500, &observed, &other).is_empty());
        assert_eq!(check_outcome(0, &observed, &other).len(), 1);
        let grpc: Expect = serde_norway::from_str("{grpc_status: Unimplemented}").unwrap();
        assert!(check_outcome(404, &observed, &grpc).is_empty());
        assert_eq!(check_outcome(200, &observed, &grpc).len(), 1);
    }

    /// Observed for a request forwarded to infra-backend-v3 with this rule's policies.
    fn forwarded(timeouts: Timeouts, retry: Option<Retry>) -> Observed {
        Observed {
            status: 200,
            backend: backend("gateway-conformance-infra", "infra-backend-v3"),
            timeouts,
            retry,
            ..Observed::default()
        }
    }

    fn retry(codes: &[u16], attempts: u32) -> Option<Retry> {
        Some(Retry {
            codes: codes.to_vec(),
            attempts,
            backoff_ms: None,
        })
    }

    /// Run every case of a simulated corpus test with the policies the test's manifest
    /// configures (given per path prefix), observing the request the way an engine would.
    fn simulate_corpus_test(
        test: &str,
        policy: impl Fn(&str) -> (Timeouts, Option<Retry>),
    ) -> Vec<String> {
        let test = load_test(&corpus(), test).unwrap();
        assert!(test.is_simulated());
        let mut failures = Vec::new();
        for case in &test.cases {
            let (timeouts, retry) = policy(&case.request.path);
            let mut observed = forwarded(timeouts, retry);
            observed.upstream = Some(Upstream {
                method: case.request.method.clone(),
                path: case.request.path.clone(),
                ..Upstream::default()
            });
            failures.extend(
                check_observed(&observed, case)
                    .into_iter()
                    .map(|f| format!("{}: {f}", case.name)),
            );
        }
        failures
    }

    #[test]
    fn simulator_matches_httproute_retry() {
        let policy = |path: &str| {
            let codes: &[u16] = if path.starts_with("/retry/code-500") {
                &[500]
            } else {
                &[500, 502, 503, 504]
            };
            let attempts = if path.starts_with("/retry/code-500") {
                3
            } else {
                2
            };
            (Timeouts::default(), retry(codes, attempts))
        };
        assert_eq!(
            simulate_corpus_test("HTTPRouteRetry", policy),
            Vec::<String>::new()
        );
        // Without the retry policy the "succeeds after N retries" cases must fail.
        let failures = simulate_corpus_test("HTTPRouteRetry", |_| (Timeouts::default(), None));
        assert_eq!(failures.len(), 5, "{failures:?}");
        assert!(
            failures[0].contains("expected status 200, got 500"),
            "{failures:?}"
        );
    }

    #[test]
    fn simulator_matches_retry_connection_error() {
        let policy = |_: &str| (Timeouts::default(), retry(&[], 3));
        assert_eq!(
            simulate_corpus_test("HTTPRouteRetryConnectionError", policy),
            Vec::<String>::new()
        );
        let behavior = BackendBehavior {
            fail_with: Some("connection-reset".to_owned()),
            succeed_after_failures: Some(4),
            ..BackendBehavior::default()
        };
        let outcome = simulate(&forwarded(Timeouts::default(), retry(&[], 3)), &behavior).unwrap();
        assert_eq!(
            (outcome.status, outcome.tries),
            (CONNECTION_RESET_STATUS, 4)
        );
    }

    #[test]
    fn simulator_matches_retry_with_timeouts() {
        let policy = |path: &str| {
            if path.starts_with("/retry/backend-request-timeout-200ms") {
                let t = Timeouts {
                    request_ms: None,
                    backend_request_ms: Some(200),
                };
                (t, retry(&[], 2))
            } else {
                let t = Timeouts {
                    request_ms: Some(400),
                    backend_request_ms: Some(200),
                };
                (t, retry(&[500], 5))
            }
        };
        assert_eq!(
            simulate_corpus_test("HTTPRouteRetryWithTimeouts", policy),
            Vec::<String>::new()
        );
        // 4 failing attempts of 100ms reach the 400ms request timeout.
        let behavior = BackendBehavior {
            fail_with_status: Some(500),
            succeed_after_failures: Some(4),
            delay_failed_attempts: Some(100),
            ..BackendBehavior::default()
        };
        let observed = forwarded(
            Timeouts {
                request_ms: Some(400),
                backend_request_ms: Some(200),
            },
            retry(&[500], 5),
        );
        let outcome = simulate(&observed, &behavior).unwrap();
        assert_eq!(
            outcome,
            SimOutcome {
                status: 504,
                tries: 4,
                elapsed_ms: 400
            }
        );
    }

    #[test]
    fn simulator_matches_timeout_request() {
        let policy = |path: &str| {
            let request_ms = if path.starts_with("/request-timeout") {
                Some(500)
            } else {
                Some(0)
            };
            (
                Timeouts {
                    request_ms,
                    backend_request_ms: None,
                },
                None,
            )
        };
        assert_eq!(
            simulate_corpus_test("HTTPRouteTimeoutRequest", policy),
            Vec::<String>::new()
        );
        let none = simulate_corpus_test("HTTPRouteTimeoutRequest", |_| (Timeouts::default(), None));
        assert_eq!(
            none,
            vec!["GET /request-timeout?delay=1s -> 504: expected status 504, got 200"]
        );
    }

    /// A fake engine choosing among backends by entropy with these integer weights.
    fn weighted_route<'a>(weights: &'a [(&'static str, u64)]) -> impl FnMut(u64) -> Observed + 'a {
        move |entropy| {
            let total: u64 = weights.iter().map(|(_, w)| w).sum();
            let point =
                (u128::from(entropy) * u128::from(total) / (u128::from(u64::MAX) + 1)) as u64;
            let mut acc = 0;
            let name = weights
                .iter()
                .find(|(_, w)| {
                    acc += w;
                    point < acc
                })
                .map_or("none", |(n, _)| n);
            Observed {
                status: 200,
                backend: backend("gateway-conformance-infra", name),
                ..Observed::default()
            }
        }
    }

    #[test]
    fn weighted_distribution_check() {
        let test = load_test(&corpus(), "HTTPRouteWeight").unwrap();
        let expect = &test.cases[0].expect;
        let check = expect.distribution_check.unwrap();
        let mut good = weighted_route(&[
            ("infra-backend-v1", 70),
            ("infra-backend-v2", 30),
            ("infra-backend-v3", 0),
        ]);
        assert_eq!(
            check_distribution(&mut good, &expect.weighted_backends, &check),
            Vec::<String>::new()
        );
        let mut even = weighted_route(&[("infra-backend-v1", 50), ("infra-backend-v2", 50)]);
        let failures = check_distribution(&mut even, &expect.weighted_backends, &check);
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(
            failures[0].contains("expected fraction 0.700 ± 0.05, got 0.500 (250/500)"),
            "{failures:?}"
        );
        let mut leaky = weighted_route(&[
            ("infra-backend-v1", 70),
            ("infra-backend-v2", 29),
            ("infra-backend-v3", 1),
        ]);
        let failures = check_distribution(&mut leaky, &expect.weighted_backends, &check);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0].contains("infra-backend-v3"));
        assert_eq!(entropy_for(0, 2), u64::MAX / 4);
    }

    #[test]
    fn mirrors_compare_names_and_percent() {
        let want: Vec<ExpectedMirror> = serde_norway::from_str(
            "[{namespace: ns, name: m1, percent: 20}, {namespace: ns, name: m2}]",
        )
        .unwrap();
        let mirror = |name: &str, percent| Mirror {
            namespace: "ns".to_owned(),
            name: name.to_owned(),
            percent,
        };
        assert!(check_mirrors(&[mirror("m1", 20.2), mirror("m2", 100.0)], &want).is_empty());
        assert_eq!(
            check_mirrors(&[mirror("m1", 21.0), mirror("m2", 100.0)], &want).len(),
            1
        );
        assert_eq!(
            check_mirrors(&[mirror("m1", 20.0), mirror("m3", 100.0)], &want).len(),
            2
        );
    }

    fn assertion(yaml: &str) -> StatusAssertion {
        serde_norway::from_str(yaml).unwrap()
    }

    fn statuses() -> Vec<Value> {
        let cond =
            |t: &str, s: &str, r: &str| json!({"type": t, "status": s, "reason": r, "message": ""});
        vec![
            json!({"kind": "HTTPRoute", "namespace": "infra", "name": "route", "status": {"parents": [
                {"parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "other"},
                 "controllerName": "gatewright/controller",
                 "conditions": [cond("Accepted", "False", "NotAllowedByListeners")]},
                {"parentRef": {"kind": "Gateway", "namespace": "infra", "name": "gw", "sectionName": "listener-3"},
                 "controllerName": "gatewright/controller",
                 "conditions": [cond("Accepted", "False", "NoMatchingListenerHostname")]},
                {"parentRef": {"kind": "Gateway", "namespace": "infra", "name": "gw", "sectionName": "listener-4"},
                 "controllerName": "gatewright/controller",
                 "conditions": [cond("Accepted", "True", "Accepted"), cond("ResolvedRefs", "True", "ResolvedRefs")]}
            ]}}),
            json!({"kind": "Gateway", "namespace": "infra", "name": "gw", "status": {
            "conditions": [cond("Accepted", "True", "Accepted"), cond("Programmed", "True", "Programmed")],
            "listeners": [
                {"name": "http", "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                 "conditions": [cond("Accepted", "True", "Accepted"), cond("ResolvedRefs", "False", "InvalidRouteKinds")],
                 "attachedRoutes": 0}
            ]}}),
        ]
    }

    #[test]
    fn status_assertions() {
        let s = statuses();
        // Any parent entry may satisfy; sectionName is ignored; namespace defaults to the route's.
        let ok = assertion(
            "{kind: HTTPRoute, namespace: infra, name: route, parent: {kind: Gateway, namespace: infra, name: gw}, \
             conditions: {Accepted: True/Accepted, ResolvedRefs: 'True'}}",
        );
        assert_eq!(check_status_assertion(&s, &ok), Vec::<String>::new());
        let other = assertion(
            "{kind: HTTPRoute, namespace: infra, name: route, parent: {kind: Gateway, namespace: infra, name: other}, \
             conditions: {Accepted: False/NotAllowedByListeners}}",
        );
        assert!(check_status_assertion(&s, &other).is_empty());
        let wrong_reason = assertion(
            "{kind: HTTPRoute, namespace: infra, name: route, parent: {kind: Gateway, namespace: infra, name: other}, \
             conditions: {Accepted: False/NoMatchingParent}}",
        );
        assert_eq!(
            check_status_assertion(&s, &wrong_reason),
            vec!["HTTPRoute infra/route: parent Gateway infra/other: condition Accepted: expected False/NoMatchingParent, got False/NotAllowedByListeners"]
        );
        let missing_parent = assertion(
            "{kind: HTTPRoute, namespace: infra, name: route, parent: {kind: Gateway, namespace: infra, name: nope}, conditions: {Accepted: 'True'}}",
        );
        assert_eq!(check_status_assertion(&s, &missing_parent).len(), 1);
        let no_accepted = assertion(
            "{kind: HTTPRoute, namespace: infra, name: route, no_accepted_parents: true}",
        );
        assert_eq!(check_status_assertion(&s, &no_accepted).len(), 1);

        let listeners = assertion(
            "{kind: Gateway, namespace: infra, name: gw, listeners: [{name: http, supportedKinds: [HTTPRoute], \
             conditions: {ResolvedRefs: False/InvalidRouteKinds}, attachedRoutes: 0}]}",
        );
        assert!(check_status_assertion(&s, &listeners).is_empty());
        let no_kinds = assertion(
            "{kind: Gateway, namespace: infra, name: gw, listeners: [{name: http, supportedKinds: [], attachedRoutes: 1}]}",
        );
        assert_eq!(check_status_assertion(&s, &no_kinds).len(), 2);
        let all = assertion(
            "{kind: Gateway, namespace: infra, name: gw, all_listeners_conditions: {Accepted: 'True', ResolvedRefs: 'True'}}",
        );
        let failures = check_status_assertion(&s, &all);
        assert_eq!(
            failures,
            vec!["Gateway infra/gw: listener http: condition ResolvedRefs: expected True, got False/InvalidRouteKinds"]
        );
        let gateway = assertion("{kind: Gateway, namespace: infra, name: gw, conditions: {Accepted: True/Accepted, Programmed: 'False'}, zero_attached_routes: true}");
        assert_eq!(check_status_assertion(&s, &gateway).len(), 1);
        let absent = assertion(
            "{kind: Gateway, namespace: infra, name: missing, zero_attached_routes: true}",
        );
        assert_eq!(
            check_status_assertion(&s, &absent),
            vec!["no status reported for Gateway infra/missing"]
        );
    }
}
