//! Replays the shared workload generator's files (`routes.yaml`,
//! `requests.jsonl` from `shared/bench/gen_workload.py`) through the router:
//! agreement with the generator's expected winners, compile time, and lookup
//! latency over the cold trace. A first measurement; the full benches (with
//! baselines) belong to `benches/`.

use std::fmt::Write as _;
use std::time::Instant;

use gatewright::{Request, Resources, Router};
use serde::Deserialize;

/// How many requests the (slow) reference matcher replays for the baseline.
const REFERENCE_SAMPLE: usize = 20;

/// One line of `requests.jsonl` (format: `shared/bench/README.md`).
#[derive(Debug, Deserialize)]
pub struct TraceRequest {
    /// `hit`, `near-miss-*`, `probe-path`, `unknown-host`.
    pub kind: String,
    /// Normalised host.
    pub host: String,
    /// Path without query.
    pub path: String,
    /// Method.
    pub method: String,
    /// Headers, one value each.
    #[serde(default)]
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// Query parameters, one value each.
    #[serde(default)]
    pub query: serde_json::Map<String, serde_json::Value>,
    /// The winner, `None` for 404.
    pub expect: Option<Expected>,
    /// The winner comes from a less specific hostname than the most specific match.
    #[serde(default)]
    pub fallthrough: bool,
    /// The answer depends on ranking regexes below prefixes.
    #[serde(default)]
    pub regex_order_sensitive: bool,
}

/// An expected (or observed) winner: route `namespace/name`, rule and match indexes.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Expected {
    /// `namespace/name`.
    pub route: String,
    /// Index in `spec.rules`.
    pub rule: usize,
    /// Index in the rule's `matches`.
    #[serde(rename = "match")]
    pub matched: usize,
}

/// A request prepared outside the timed region.
struct Prepared {
    host: String,
    path_and_query: String,
    method: String,
    headers: Vec<(String, String)>,
    expect: Option<Expected>,
    kind: String,
    fallthrough: bool,
    regex_order_sensitive: bool,
}

/// Agreement counters.
#[derive(Default)]
struct Tally {
    agree: usize,
    total: usize,
}

/// Runs the replay and returns a printable report.
///
/// # Errors
/// When a file cannot be read or parsed.
pub fn run(routes_yaml: &str, requests_jsonl: &str) -> Result<String, String> {
    let parse_start = Instant::now();
    let resources = Resources::from_yaml(routes_yaml).map_err(|e| e.to_string())?;
    let parse = parse_start.elapsed();
    let compile_start = Instant::now();
    let router = Router::compile(&resources).map_err(|e| e.to_string())?;
    let compile = compile_start.elapsed();
    let bare_start = Instant::now();
    let bare = Router::compile_with(&resources, gatewright::Config::new().lints(false))
        .map_err(|e| e.to_string())?;
    let compile_without_lints = bare_start.elapsed();
    drop(bare);

    let mut prepared = Vec::new();
    for (i, line) in requests_jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: TraceRequest =
            serde_json::from_str(line).map_err(|e| format!("requests line {}: {e}", i + 1))?;
        let text = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let query: Vec<String> = r
            .query
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect();
        let path_and_query = if query.is_empty() {
            r.path.clone()
        } else {
            format!("{}?{}", r.path, query.join("&"))
        };
        prepared.push(Prepared {
            host: r.host,
            path_and_query,
            method: r.method,
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), text(v)))
                .collect(),
            expect: r.expect,
            kind: r.kind,
            fallthrough: r.fallthrough,
            regex_order_sensitive: r.regex_order_sensitive,
        });
    }

    let mut nanos = Vec::with_capacity(prepared.len());
    let (mut all, mut fallthrough, mut regex) =
        (Tally::default(), Tally::default(), Tally::default());
    let mut by_kind: std::collections::BTreeMap<String, Tally> = std::collections::BTreeMap::new();
    let mut first_disagreements = Vec::new();
    for p in &prepared {
        let headers: Vec<(&str, &str)> = p
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let request = Request::new(&p.method, &p.host, &p.path_and_query).headers(&headers);
        let start = Instant::now();
        let decision = router.decide(&request);
        nanos.push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
        let got = decision.matched.as_ref().and_then(|m| {
            Some(Expected {
                route: format!("{}/{}", m.namespace.as_ref()?, m.name.as_ref()?),
                rule: m.rule?,
                matched: m.matched?,
            })
        });
        let ok = got == p.expect;
        for tally in [
            Some(&mut all),
            p.fallthrough.then_some(&mut fallthrough),
            p.regex_order_sensitive.then_some(&mut regex),
        ]
        .into_iter()
        .flatten()
        {
            tally.total += 1;
            tally.agree += usize::from(ok);
        }
        let k = by_kind.entry(p.kind.clone()).or_default();
        k.total += 1;
        k.agree += usize::from(ok);
        if !ok && !p.regex_order_sensitive && first_disagreements.len() < 8 {
            first_disagreements.push(format!(
                "{} {}{}: expected {:?}, got {:?}",
                p.method, p.host, p.path_and_query, p.expect, got
            ));
        }
    }
    // Baseline in the same run: the spec-literal reference (a linear scan over every
    // route, rule and match) on the first requests of the trace.
    let mut reference_nanos = Vec::new();
    // The oracle is slow on large inputs (it is written for clarity): sample fewer there.
    let sample = if router.ir().routes.len() > 20_000 {
        1
    } else {
        REFERENCE_SAMPLE
    };
    for p in prepared.iter().take(sample) {
        let headers: Vec<(&str, &str)> = p
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let request = Request::new(&p.method, &p.host, &p.path_and_query).headers(&headers);
        let start = Instant::now();
        let decision = crate::reference::route(router.ir(), &request, 0, true);
        reference_nanos.push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
        std::hint::black_box(decision);
    }
    reference_nanos.sort_unstable();
    nanos.sort_unstable();
    let pct = |q: f64| {
        nanos
            .get(((nanos.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        "routes: {} objects, {} diagnostics",
        resources.len(),
        router.diagnostics().len()
    );
    let _ = writeln!(
        out,
        "parse:   {:.1} ms (YAML → objects)",
        parse.as_secs_f64() * 1e3
    );
    let _ = writeln!(
        out,
        "compile: {:.1} ms (attach + lints + index)",
        compile.as_secs_f64() * 1e3
    );
    let _ = writeln!(
        out,
        "compile: {:.1} ms without lints (Config::lints(false))",
        compile_without_lints.as_secs_f64() * 1e3
    );
    let _ = writeln!(
        out,
        "lookup (cold trace, {} requests): p50 {} ns, p99 {} ns",
        nanos.len(),
        pct(0.5),
        pct(0.99)
    );
    let ref_p50 = reference_nanos
        .get(reference_nanos.len() / 2)
        .copied()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "reference (linear scan, first {} requests): p50 {ref_p50} ns ({:.0}x the router's p50)",
        reference_nanos.len(),
        ref_p50 as f64 / pct(0.5).max(1) as f64
    );
    let _ = writeln!(
        out,
        "agreement: {}/{} overall, {}/{} fallthrough, {}/{} regex_order_sensitive",
        all.agree, all.total, fallthrough.agree, fallthrough.total, regex.agree, regex.total
    );
    for (kind, t) in &by_kind {
        let _ = writeln!(out, "  {kind}: {}/{}", t.agree, t.total);
    }
    for d in &first_disagreements {
        let _ = writeln!(out, "  disagreement: {d}");
    }
    Ok(out)
}
