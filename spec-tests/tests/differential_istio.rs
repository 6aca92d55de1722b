//! Differential test of the Istio front end: the compiled router
//! (`Router::compile_with(.., gatewright_spec::istio::config())`) against the spec-literal
//! reference matcher ([`gatewright_spec::reference_istio`]) on generated worlds
//! ([`gatewright_spec::gen_istio::istio_scenario`]).
//!
//! For every (world, request) pair both must agree on the kind of decision and on its
//! details: the backend (host, port, subset) forwarded to; a weighted split (every
//! destination and weight, and the destination this request's entropy picks); 503 for a
//! cluster that does not exist (and which); the status and body of a local response (404, a
//! direct response); the code and `Location` of a redirect; a refused connection.
//!
//! `GATEWRIGHT_DIFF_CASES` sets the number of (world, request) pairs (default 256);
//! `PROPTEST_RNG_SEED` fixes the seed. On failure the shrunk world's YAML and the first failing
//! request are printed, with both decisions.

use std::sync::atomic::{AtomicUsize, Ordering};

use gatewright::{Action, Decision, Resources, Router};
use gatewright_spec::gen_istio::{istio_scenario, GenIstioRequest};
use gatewright_spec::reference_istio::{self, RefBackend, RefDecision, ReferenceWorld};
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestError, TestRunner};

/// Requests generated per world.
const REQUESTS_PER_WORLD: usize = 20;

#[allow(
    clippy::disallowed_methods,
    reason = "a test reads its size from the environment"
)]
fn pairs_wanted() -> usize {
    std::env::var("GATEWRIGHT_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// What a client observes, in a form both sides map to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Observed {
    /// Forwarded to `backend`; `split` lists every weighted destination (empty: one).
    Forward {
        backend: RefBackend,
        split: Vec<(RefBackend, u32)>,
    },
    /// 503: the chosen cluster does not exist.
    Unavailable(RefBackend),
    /// A local response.
    Status { status: u16, body: Option<String> },
    /// A redirect.
    Redirect { code: u16, location: String },
    /// The connection is refused.
    Refused,
}

const LABELS: [&str; 7] = [
    "forward",
    "forward (split)",
    "503",
    "404",
    "direct response",
    "redirect",
    "refused",
];

fn label(o: &Observed) -> usize {
    match o {
        Observed::Forward { split, .. } if split.is_empty() => 0,
        Observed::Forward { .. } => 1,
        Observed::Unavailable(_) => 2,
        Observed::Status { status: 404, .. } => 3,
        Observed::Status { .. } => 4,
        Observed::Redirect { .. } => 5,
        Observed::Refused => 6,
    }
}

/// The reference's decision as the client sees it with this entropy.
fn expected(d: &RefDecision, entropy: u64) -> Observed {
    match d {
        RefDecision::Backend(b) => Observed::Forward {
            backend: b.clone(),
            split: Vec::new(),
        },
        RefDecision::Split(split) => {
            let chosen = &split[reference_istio::pick(split, entropy)];
            if chosen.exists {
                Observed::Forward {
                    backend: chosen.backend.clone(),
                    split: split
                        .iter()
                        .map(|w| (w.backend.clone(), w.weight))
                        .collect(),
                }
            } else {
                Observed::Unavailable(chosen.backend.clone())
            }
        }
        RefDecision::Unavailable(b) => Observed::Unavailable(b.clone()),
        RefDecision::Status { status, body } => Observed::Status {
            status: *status,
            body: body.clone(),
        },
        RefDecision::Redirect { code, location } => Observed::Redirect {
            code: *code,
            location: location.clone(),
        },
        RefDecision::Refused => Observed::Refused,
    }
}

fn backend_of(b: &gatewright::BackendName) -> RefBackend {
    RefBackend {
        host: b.host.clone().unwrap_or_default(),
        port: b.port,
        subset: b.subset.clone(),
    }
}

/// The router's decision as the client sees it (`Err`: a kind Istio routing never produces).
fn observed(d: &Decision) -> Result<Observed, String> {
    Ok(match &d.action {
        Action::Forward(f) => Observed::Forward {
            backend: backend_of(&f.backend),
            split: f
                .split
                .iter()
                .map(|w| (backend_of(&w.backend), w.weight))
                .collect(),
        },
        Action::Respond(r) => match &r.backend {
            Some(b) if r.status == 503 => Observed::Unavailable(backend_of(b)),
            _ => Observed::Status {
                status: r.status,
                body: r.body.clone(),
            },
        },
        Action::Redirect(r) => Observed::Redirect {
            code: r.status,
            location: r.location.clone(),
        },
        Action::Reject { .. } => Observed::Refused,
        other => return Err(format!("unexpected action {other:?}")),
    })
}

struct Tally {
    pairs: AtomicUsize,
    kinds: [AtomicUsize; 7],
}

fn check(yaml: &str, requests: &[GenIstioRequest], tally: &Tally) -> Result<(), TestCaseError> {
    let resources = Resources::from_yaml(yaml)
        .map_err(|e| TestCaseError::fail(format!("generated YAML does not parse: {e}\n{yaml}")))?;
    let router = Router::compile_with(&resources, gatewright_spec::istio::config())
        .map_err(|e| TestCaseError::fail(format!("compile failed: {e}\n{yaml}")))?;
    let world = ReferenceWorld::new(&resources);
    // The generator means to produce only configurations Istio's validation accepts.
    if !world.ignored.is_empty() {
        return Err(TestCaseError::fail(format!(
            "the generator produced invalid VirtualServices: {:?}\n{yaml}",
            world.ignored
        )));
    }
    for r in requests {
        let (entry, request) = r.reference();
        let reference = reference_istio::route(&world, &entry, &request);
        let want = expected(&reference, r.entropy);
        let decision = router.decide_with(&r.request(), r.entropy);
        let got = observed(&decision);
        tally.kinds[label(&want)].fetch_add(1, Ordering::Relaxed);
        if got.as_ref() != Ok(&want) {
            return Err(TestCaseError::fail(format!(
                "router and reference disagree\n--- manifests ---\n{yaml}--- request ---\n{r}\n\
                 --- reference ---\n{want:?}\n  ({reference:?})\n\
                 --- router ---\n{got:?}\n--- router decision ---\n{decision:#?}"
            )));
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
fn istio_router_agrees_with_reference() {
    let wanted = pairs_wanted();
    let cases = u32::try_from(wanted.div_ceil(REQUESTS_PER_WORLD))
        .unwrap_or(u32::MAX)
        .max(1);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let tally = Tally {
        pairs: AtomicUsize::new(0),
        kinds: Default::default(),
    };
    let start = std::time::Instant::now();
    let result = runner.run(
        &istio_scenario(REQUESTS_PER_WORLD..=REQUESTS_PER_WORLD),
        |(yaml, requests)| check(&yaml, &requests, &tally),
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (yaml, requests))) => {
            // Re-check the shrunk world request by request: print only the first failure.
            let scratch = Tally {
                pairs: AtomicUsize::new(0),
                kinds: Default::default(),
            };
            let one = requests
                .iter()
                .find_map(|r| check(&yaml, std::slice::from_ref(r), &scratch).err())
                .map_or_else(|| why.to_string(), |e| e.to_string());
            panic!(
                "Istio differential: shrunk counterexample ({} requests in the case):\n{one}",
                requests.len()
            );
        }
        Err(e) => panic!("Istio differential: {e}"),
    }
    let checked = tally.pairs.load(Ordering::Relaxed);
    let outcomes: Vec<String> = LABELS
        .iter()
        .zip(&tally.kinds)
        .map(|(l, k)| format!("{l} {}", k.load(Ordering::Relaxed)))
        .collect();
    eprintln!(
        "differential Istio: {checked} (world, request) pairs in {cases} worlds in {:.1?}\n  outcomes: {}",
        start.elapsed(),
        outcomes.join(", ")
    );
    assert!(
        checked >= wanted,
        "only {checked} pairs checked, {wanted} wanted"
    );
    // Every kind of decision must occur, or the generator has gone degenerate.
    if wanted >= 2_000 {
        for (l, k) in LABELS.iter().zip(&tally.kinds) {
            assert!(k.load(Ordering::Relaxed) > 0, "no `{l}` outcome generated");
        }
    }
}
