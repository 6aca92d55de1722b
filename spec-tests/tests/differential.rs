//! Differential test: the compiled router against the spec-literal reference matcher.
//!
//! Each proptest case generates one manifest and a batch of requests; every request is routed
//! by `Router::route_with` and by `reference::route` with host fall-through off and on, and the
//! outcomes must agree: kind, listener, winning route/rule/match/hostname, backend or 500, and
//! redirect status.
//!
//! `GATEWRIGHT_DIFF_CASES` sets the number of (config, request) pairs per run (default 10 000);
//! `PROPTEST_RNG_SEED` fixes the seed.

use std::sync::atomic::{AtomicUsize, Ordering};

use gatewright::{Config, Resources, Router};
use gatewright_spec::gen::{scenario, GenRequest};
use gatewright_spec::reference;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestError, TestRunner};

/// Requests generated per manifest.
const REQUESTS_PER_CONFIG: usize = 40;

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

/// Outcome counts over all checked pairs, to show the generators are not degenerate:
/// rejected, 404 no listener, 421, 404 no rule, forwarded, 500, redirect.
#[derive(Default)]
struct Tally {
    pairs: AtomicUsize,
    kinds: [AtomicUsize; 7],
}

impl Tally {
    fn count(&self, d: &reference::RefDecision) {
        use reference::{RefDecision as D, RefOutcome as O};
        let i = match d {
            D::Rejected => 0,
            D::NoListener => 1,
            D::Misdirected => 2,
            D::NoMatch { .. } => 3,
            D::Matched(m) => match m.outcome {
                O::Backend { .. } => 4,
                O::ServerError => 5,
                O::Redirect(_) => 6,
            },
        };
        self.kinds[i].fetch_add(1, Ordering::Relaxed);
    }
}

fn check(yaml: &str, requests: &[GenRequest], tally: &Tally) -> Result<(), TestCaseError> {
    let resources = Resources::from_yaml(yaml)
        .map_err(|e| TestCaseError::fail(format!("generated YAML does not parse: {e}\n{yaml}")))?;
    for fallthrough in [false, true] {
        let router = Router::compile_with(&resources, Config::new().host_fallthrough(fallthrough))
            .map_err(|e| TestCaseError::fail(format!("compile failed: {e}\n{yaml}")))?;
        for r in requests {
            let request = r.request();
            let decision = router.route_with(&request, r.entropy);
            let expected = reference::route(router.ir(), &request, r.entropy, fallthrough);
            let observed = reference::observe(router.ir(), &decision);
            tally.count(&expected);
            if observed.as_ref() != Ok(&expected) {
                return Err(TestCaseError::fail(format!(
                    "router and reference disagree\n--- manifest ---\n{yaml}--- request (host_fallthrough = {fallthrough}) ---\n{r}\n\
                     --- reference ---\n{expected:#?}\n--- router (mapped) ---\n{observed:#?}\n--- router decision ---\n{decision:#?}\n\
                     --- explain ---\n{:#?}",
                    router.explain(&request, r.entropy).considered
                )));
            }
        }
    }
    tally.pairs.fetch_add(requests.len(), Ordering::Relaxed);
    Ok(())
}

#[test]
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a test reports its own runtime"
)]
fn router_agrees_with_reference() {
    let wanted = pairs_wanted();
    let cases = u32::try_from(wanted.div_ceil(REQUESTS_PER_CONFIG))
        .unwrap_or(u32::MAX)
        .max(1);
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let tally = Tally::default();
    let start = std::time::Instant::now();
    let result = runner.run(
        &scenario(REQUESTS_PER_CONFIG..=REQUESTS_PER_CONFIG),
        |(yaml, requests)| check(&yaml, &requests, &tally),
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (yaml, requests))) => {
            // Re-run the minimal case to print only the first failing request.
            let one = requests
                .iter()
                .find_map(|r| check(&yaml, std::slice::from_ref(r), &Tally::default()).err())
                .map_or_else(|| why.to_string(), |e| e.to_string());
            panic!(
                "shrunk counterexample ({} requests in the case):\n{one}",
                requests.len()
            );
        }
        Err(e) => panic!("{e}"),
    }
    let checked = tally.pairs.load(Ordering::Relaxed);
    let k: Vec<usize> = tally
        .kinds
        .iter()
        .map(|k| k.load(Ordering::Relaxed))
        .collect();
    eprintln!(
        "differential: {checked} (config, request) pairs checked in {cases} configs, each with host fall-through off and on, in {:.1?}\n\
         outcomes over both modes: rejected {}, 404 no listener {}, 421 {}, 404 no rule {}, forwarded {}, 500 {}, redirect {}",
        start.elapsed(),
        k[0], k[1], k[2], k[3], k[4], k[5], k[6]
    );
    // Failed-then-shrunk runs panic above; a passing run checked every case in full.
    assert!(
        checked >= wanted,
        "only {checked} pairs checked, {wanted} wanted"
    );
}
