//! Soundness of the `identical-match` and `shadowed-rule` lints: a flagged rule (or match)
//! never wins on the listener and hostname the finding names.
//!
//! Each proptest case generates one manifest and a batch of requests
//! ([`gatewright_spec::gen::scenario`]), compiles it, reads every `shadowed-rule` and
//! `identical-match` diagnostic back into (Gateway, listener, hostname, route, rule[, match]),
//! and routes every request through the spec-literal reference matcher
//! ([`gatewright_spec::reference::route`]) with host fall-through off and on. A request won by
//! a flagged candidate is a violation; there must be none.
//!
//! To show the check is not vacuous the run counts findings and the requests on which a
//! flagged candidate's own conditions held (it "matched, but lost" in the router's explain).
//!
//! `GATEWRIGHT_LINT_CASES` sets the number of manifests (default 200); `PROPTEST_RNG_SEED`
//! fixes the seed.

use std::sync::atomic::{AtomicUsize, Ordering};

use gatewright::{Code, Config, Diagnostic, Resources, Router};
use gatewright_spec::gen::{scenario, GenRequest};
use gatewright_spec::reference::{self, RefDecision};
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestError, TestRunner};

/// Requests generated per manifest.
const REQUESTS_PER_CONFIG: usize = 40;

#[allow(
    clippy::disallowed_methods,
    reason = "a test reads its size from the environment"
)]
fn cases_wanted() -> u32 {
    std::env::var("GATEWRIGHT_LINT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// A finding read back from a diagnostic: where, and which candidate never wins.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Flag {
    code: Code,
    /// `namespace/name` of the Gateway.
    gateway: String,
    listener: String,
    hostname: String,
    /// `namespace/name` of the route.
    route: String,
    rule: usize,
    /// `None` for a whole rule (`shadowed-rule`).
    matched: Option<usize>,
}

/// `spec.rules[3]` → (3, None); `spec.rules[3].matches[1]` → (3, Some(1)).
fn parse_field(field: &str) -> Option<(usize, Option<usize>)> {
    let rest = field.strip_prefix("spec.rules[")?;
    let (rule, rest) = rest.split_once(']')?;
    let rule = rule.parse().ok()?;
    if rest.is_empty() {
        return Some((rule, None));
    }
    let m = rest.strip_prefix(".matches[")?.strip_suffix(']')?;
    Some((rule, Some(m.parse().ok()?)))
}

/// Reads "… on Gateway infra/gw1 listener l0, hostname a.example.com; …" back.
fn parse_flag(d: &Diagnostic) -> Option<Flag> {
    let (rule, matched) = parse_field(&d.field)?;
    let rest = &d.message[d.message.find(" on Gateway ")? + " on Gateway ".len()..];
    let mut words = rest.split_whitespace();
    let gateway = words.next()?.to_owned();
    (words.next()? == "listener").then_some(())?;
    let listener = words.next()?.trim_end_matches(',').to_owned();
    (words.next()? == "hostname").then_some(())?;
    let hostname = words.next()?.trim_end_matches([';', ':', ',']).to_owned();
    Some(Flag {
        code: d.code,
        gateway,
        listener,
        hostname,
        route: format!(
            "{}/{}",
            d.object.namespace.as_deref().unwrap_or_default(),
            d.object.name
        ),
        rule,
        matched,
    })
}

fn flags(router: &Router) -> Result<Vec<Flag>, TestCaseError> {
    router
        .diagnostics()
        .iter()
        .filter(|d| matches!(d.code, Code::ShadowedRule | Code::IdenticalMatch))
        .map(|d| {
            let flag = parse_flag(d)
                .ok_or_else(|| TestCaseError::fail(format!("unreadable finding: {d}")))?;
            // Same code, object and field: the shape the lint promises.
            let shape_ok = match flag.code {
                Code::ShadowedRule => flag.matched.is_none(),
                _ => flag.matched.is_some(),
            };
            if shape_ok && d.object.kind == "HTTPRoute" {
                Ok(flag)
            } else {
                Err(TestCaseError::fail(format!("malformed finding: {d}")))
            }
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    configs: AtomicUsize,
    flags: AtomicUsize,
    identical: AtomicUsize,
    checked: AtomicUsize,
    /// Requests on which a flagged candidate's conditions held (and it lost).
    exercised: AtomicUsize,
}

fn check(yaml: &str, requests: &[GenRequest], tally: &Tally) -> Result<(), TestCaseError> {
    let resources = Resources::from_yaml(yaml)
        .map_err(|e| TestCaseError::fail(format!("generated YAML does not parse: {e}\n{yaml}")))?;
    for fallthrough in [false, true] {
        let router = Router::compile_with(&resources, Config::new().host_fallthrough(fallthrough))
            .map_err(|e| TestCaseError::fail(format!("compile failed: {e}\n{yaml}")))?;
        let flags = flags(&router)?;
        let ir = router.ir();
        for r in requests {
            let request = r.request();
            tally.checked.fetch_add(1, Ordering::Relaxed);
            let decision = reference::route(ir, &request, r.entropy, fallthrough);
            if let RefDecision::Matched(m) = &decision {
                let gw = &ir.gateways[m.gateway];
                let route = &ir.routes[m.route];
                let violated = flags.iter().find(|f| {
                    f.gateway == format!("{}/{}", gw.namespace, gw.name)
                        && f.listener == gw.listeners[m.listener].name
                        && f.hostname == m.hostname
                        && f.route == format!("{}/{}", route.namespace, route.name)
                        && f.rule == m.rule
                        && f.matched.is_none_or(|j| j == m.matched)
                });
                if let Some(f) = violated {
                    let finding = router
                        .diagnostics()
                        .iter()
                        .find(|d| parse_flag(d).as_ref() == Some(f))
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    return Err(TestCaseError::fail(format!(
                        "a flagged candidate won\n--- manifest ---\n{yaml}--- request (host_fallthrough = {fallthrough}) ---\n{r}\n\
                         --- finding ---\n{finding}\n--- reference ---\n{decision:#?}"
                    )));
                }
            }
            // Exercised: the router's explain shows a flagged candidate matching but losing.
            let explanation = router.explain(&request, r.entropy);
            let exercised = explanation.considered.iter().any(|c| {
                !c.verdict.starts_with("no match")
                    && c.verdict != "won"
                    && flags.iter().any(|f| {
                        explanation
                            .listener
                            .starts_with(&format!("{} listener {} ", f.gateway, f.listener))
                            && f.hostname == c.hostname
                            && f.route == c.route
                            && f.rule == c.rule
                            && f.matched.is_none_or(|j| j == c.matched)
                    })
            });
            if exercised {
                tally.exercised.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !fallthrough {
            tally.configs.fetch_add(1, Ordering::Relaxed);
            tally.flags.fetch_add(flags.len(), Ordering::Relaxed);
            let identical = flags
                .iter()
                .filter(|f| f.code == Code::IdenticalMatch)
                .count();
            tally.identical.fetch_add(identical, Ordering::Relaxed);
        }
    }
    Ok(())
}

#[test]
fn flagged_rules_never_win() {
    let cases = cases_wanted().max(1);
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let tally = Tally::default();
    let result = runner.run(
        &scenario(REQUESTS_PER_CONFIG..=REQUESTS_PER_CONFIG),
        |(yaml, requests)| check(&yaml, &requests, &tally),
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (yaml, requests))) => {
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
    let configs = tally.configs.load(Ordering::Relaxed);
    let flags = tally.flags.load(Ordering::Relaxed);
    let identical = tally.identical.load(Ordering::Relaxed);
    let checked = tally.checked.load(Ordering::Relaxed);
    let exercised = tally.exercised.load(Ordering::Relaxed);
    eprintln!(
        "lint soundness: {configs} configs, {flags} findings ({identical} identical-match), \
         {checked} routed requests (both fall-through modes), 0 violations; \
         {exercised} requests matched a flagged candidate that lost"
    );
    assert!(configs >= cases as usize, "every case ran in full");
    if cases >= 100 {
        // The generators collide often enough that findings, and requests that reach
        // them, always occur in a run of this size.
        assert!(flags > 0 && exercised > 0, "the check was vacuous");
    }
}
