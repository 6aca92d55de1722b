//! Differential tests: the compiled router against the spec-literal reference matcher.
//!
//! Three families, each generating manifests with a batch of inputs per manifest:
//!
//! * HTTP: HTTPRoutes; every request is routed by `Router::route_with` and by
//!   `reference::route` with host fall-through off and on, and the outcomes must agree: kind,
//!   listener, winning route/rule/match/hostname, backend or 500, and redirect status.
//! * gRPC: GRPCRoutes (and now and then an HTTPRoute on its own listener); the same comparison,
//!   plus the gRPC status the client sees (`reference::grpc_status`) where the spec names one.
//! * Ingress: IngressClass `nginx` with Ingresses (hosts, wildcards, path types, default
//!   backends, TLS, ssl-redirect, use-regex, rewrite-target, canaries); every request is routed
//!   by the router (with host fall-through off and on: an Ingress class ignores it) and by
//!   `reference::route_ingress` (Kubernetes text + ingress-nginx, linear scan), and the outcomes
//!   must agree as for HTTP.
//! * L4: TLS (Passthrough/Terminate), TCP and UDP listeners with TLSRoutes, TCPRoutes and
//!   UDPRoutes; every connection is routed by `Router::route_connection` and by
//!   `reference::route_connection`: refused, or the listener, route, rule, hostname, backend,
//!   passthrough flag and SNI, or an active reject.
//!
//! `GATEWRIGHT_DIFF_CASES` sets the number of (config, input) pairs per family and run (default
//! 10 000); `PROPTEST_RNG_SEED` fixes the seed. On failure the shrunk manifest and the first
//! failing input are printed.

use std::fmt::Display;
use std::sync::atomic::{AtomicUsize, Ordering};

use gatewright::{Config, Resources, Router};
use gatewright_spec::check::grpc_status_name;
use gatewright_spec::gen::{
    grpc_scenario, ingress_scenario, l4_scenario, scenario, GenConnection, GenRequest,
};
use gatewright_spec::reference::{self, RefConnOutcome, RefConnection};
use proptest::strategy::Strategy;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestError, TestRunner};

/// Inputs generated per manifest.
const INPUTS_PER_CONFIG: usize = 40;

#[allow(
    clippy::disallowed_methods,
    reason = "a test reads its size from the environment"
)]
fn pairs_wanted() -> usize {
    std::env::var("GATEWRIGHT_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Outcome counts over all checked pairs, to show the generators are not degenerate.
struct Tally {
    pairs: AtomicUsize,
    labels: &'static [&'static str],
    kinds: Vec<AtomicUsize>,
}

impl Tally {
    fn new(labels: &'static [&'static str]) -> Self {
        Tally {
            pairs: AtomicUsize::new(0),
            labels,
            kinds: labels.iter().map(|_| AtomicUsize::new(0)).collect(),
        }
    }

    fn count(&self, i: usize) {
        self.kinds[i].fetch_add(1, Ordering::Relaxed);
    }

    fn summary(&self) -> String {
        self.labels
            .iter()
            .zip(&self.kinds)
            .map(|(l, k)| format!("{l} {}", k.load(Ordering::Relaxed)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const HTTP_LABELS: &[&str] = &[
    "rejected",
    "404 no listener",
    "421",
    "404 no rule",
    "forwarded",
    "500",
    "redirect",
];

fn http_kind(d: &reference::RefDecision) -> usize {
    use reference::{RefDecision as D, RefOutcome as O};
    match d {
        D::Rejected => 0,
        D::NoListener => 1,
        D::Misdirected => 2,
        D::NoMatch { .. } => 3,
        D::Matched(m) => match m.outcome {
            O::Backend { .. } => 4,
            O::ServerError => 5,
            O::Redirect(_) => 6,
        },
    }
}

fn parse(yaml: &str) -> Result<Resources, TestCaseError> {
    Resources::from_yaml(yaml)
        .map_err(|e| TestCaseError::fail(format!("generated YAML does not parse: {e}\n{yaml}")))
}

/// HTTP and gRPC requests: router vs reference with host fall-through off and on. With `grpc`,
/// also the gRPC status the spec names.
fn check_requests(
    yaml: &str,
    requests: &[GenRequest],
    tally: &Tally,
    grpc: bool,
) -> Result<(), TestCaseError> {
    let resources = parse(yaml)?;
    for fallthrough in [false, true] {
        let router = Router::compile_with(&resources, Config::new().host_fallthrough(fallthrough))
            .map_err(|e| TestCaseError::fail(format!("compile failed: {e}\n{yaml}")))?;
        for r in requests {
            let request = r.request();
            let decision = router.decide_with(&request, r.entropy);
            let expected = reference::route(router.ir(), &request, r.entropy, fallthrough);
            let observed = reference::observe(router.ir(), &decision);
            tally.count(http_kind(&expected));
            let fail = |what: &str,
                        expected: &dyn std::fmt::Debug,
                        observed: &dyn std::fmt::Debug| {
                TestCaseError::fail(format!(
                    "router and reference disagree ({what})\n--- manifest ---\n{yaml}--- request (host_fallthrough = {fallthrough}) ---\n{r}\n\
                     --- reference ---\n{expected:#?}\n--- router (mapped) ---\n{observed:#?}\n--- router decision ---\n{decision:#?}\n\
                     --- explain ---\n{:#?}",
                    router.explain(&request, r.entropy).considered
                ))
            };
            if observed.as_ref() != Ok(&expected) {
                return Err(fail("decision", &expected, &observed));
            }
            // The allocation-free answer agrees with the owned decision it expands to.
            let routed = router.route_with(&request, r.entropy);
            let borrowed = (
                routed.status(),
                routed
                    .backend()
                    .map(|b| (b.namespace.to_owned(), b.name.to_owned(), b.port)),
                routed
                    .rule()
                    .map(|m| (m.namespace.to_owned(), m.name.to_owned(), m.rule, m.matched)),
            );
            let owned = (
                decision.status(),
                decision
                    .backend()
                    .map(|b| (b.namespace.clone(), b.name.clone(), b.port)),
                decision.matched.as_ref().and_then(|m| {
                    Some((m.namespace.clone()?, m.name.clone()?, m.rule?, m.matched?))
                }),
            );
            if borrowed != owned {
                return Err(fail("route() and decide()", &owned, &borrowed));
            }
            if !grpc {
                continue;
            }
            let want = reference::grpc_status(&expected);
            let got = match (&decision.action, decision.status()) {
                (gatewright::Action::Respond(resp), Some(status)) => {
                    grpc_status_name(status, &resp.headers)
                }
                _ => None,
            };
            // `GRPCRouteRule.BackendRefs`: a rule without a usable backend is UNAVAILABLE.
            if want.is_some() && want != got {
                return Err(fail("gRPC status", &want, &got));
            }
        }
    }
    tally.pairs.fetch_add(requests.len(), Ordering::Relaxed);
    Ok(())
}

const L4_LABELS: &[&str] = &[
    "refused",
    "connect (passthrough)",
    "connect (terminated/plain)",
    "reject (invalid backend)",
];

fn check_connections(
    yaml: &str,
    connections: &[GenConnection],
    tally: &Tally,
) -> Result<(), TestCaseError> {
    let resources = parse(yaml)?;
    let router = Router::compile(&resources)
        .map_err(|e| TestCaseError::fail(format!("compile failed: {e}\n{yaml}")))?;
    for c in connections {
        let decision = router.route_connection(&c.connection(), c.entropy);
        let expected = reference::route_connection(
            router.ir(),
            c.transport(),
            c.port,
            c.sni,
            c.gateway_ref(),
            c.entropy,
        );
        let observed = reference::observe_connection(router.ir(), &decision);
        tally.count(match &expected {
            RefConnection::Refused => 0,
            RefConnection::Routed(m) => match m.outcome {
                RefConnOutcome::Connect {
                    tls_passthrough: true,
                    ..
                } => 1,
                RefConnOutcome::Connect { .. } => 2,
                RefConnOutcome::Reject => 3,
            },
        });
        if observed.as_ref() != Ok(&expected) {
            return Err(TestCaseError::fail(format!(
                "router and reference disagree\n--- manifest ---\n{yaml}--- connection ---\n{c}\n\
                 --- reference ---\n{expected:#?}\n--- router (mapped) ---\n{observed:#?}\n--- router decision ---\n{decision:#?}"
            )));
        }
    }
    tally.pairs.fetch_add(connections.len(), Ordering::Relaxed);
    Ok(())
}

/// Runs one family: enough configs for the wanted number of pairs; on failure, the shrunk case
/// re-checked input by input so that only the first failing input is printed.
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a test reports its own runtime"
)]
fn run<T, S>(
    family: &str,
    strategy: S,
    labels: &'static [&'static str],
    check: impl Fn(&str, &[T], &Tally) -> Result<(), TestCaseError>,
) where
    T: Clone + std::fmt::Debug + Display,
    S: Strategy<Value = (String, Vec<T>)>,
{
    let wanted = pairs_wanted();
    let cases = u32::try_from(wanted.div_ceil(INPUTS_PER_CONFIG))
        .unwrap_or(u32::MAX)
        .max(1);
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let tally = Tally::new(labels);
    let start = std::time::Instant::now();
    let result = runner.run(&strategy, |(yaml, inputs)| check(&yaml, &inputs, &tally));
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (yaml, inputs))) => {
            let one = inputs
                .iter()
                .find_map(|i| check(&yaml, std::slice::from_ref(i), &Tally::new(labels)).err())
                .map_or_else(|| why.to_string(), |e| e.to_string());
            panic!(
                "{family}: shrunk counterexample ({} inputs in the case):\n{one}",
                inputs.len()
            );
        }
        Err(e) => panic!("{family}: {e}"),
    }
    let checked = tally.pairs.load(Ordering::Relaxed);
    eprintln!(
        "differential {family}: {checked} (config, input) pairs checked in {cases} configs in {:.1?}\n  outcomes: {}",
        start.elapsed(),
        tally.summary()
    );
    // Failed-then-shrunk runs panic above; a passing run checked every case in full.
    assert!(
        checked >= wanted,
        "{family}: only {checked} pairs checked, {wanted} wanted"
    );
}

#[test]
fn router_agrees_with_reference() {
    run(
        "HTTP (host fall-through off and on)",
        scenario(INPUTS_PER_CONFIG..=INPUTS_PER_CONFIG),
        HTTP_LABELS,
        |yaml, requests, tally| check_requests(yaml, requests, tally, false),
    );
}

#[test]
fn grpc_router_agrees_with_reference() {
    run(
        "gRPC (host fall-through off and on)",
        grpc_scenario(INPUTS_PER_CONFIG..=INPUTS_PER_CONFIG),
        HTTP_LABELS,
        |yaml, requests, tally| check_requests(yaml, requests, tally, true),
    );
}

#[test]
fn ingress_router_agrees_with_reference() {
    run(
        "Ingress (ingress-nginx servers, no host fall-through)",
        ingress_scenario(INPUTS_PER_CONFIG..=INPUTS_PER_CONFIG),
        HTTP_LABELS,
        |yaml, requests, tally| check_requests(yaml, requests, tally, false),
    );
}

#[test]
fn connections_agree_with_reference() {
    run(
        "L4 connections",
        l4_scenario(INPUTS_PER_CONFIG..=INPUTS_PER_CONFIG),
        L4_LABELS,
        check_connections,
    );
}
