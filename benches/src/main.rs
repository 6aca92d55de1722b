//! `gatewright-bench compare --routes routes.yaml --requests requests.jsonl [--json]`
//!
//! Loads the shared generator's files (`shared/bench/gen_workload.py`), compiles them
//! (compile timed apart from parsing), replays the trace through gatewright and the
//! baselines of the same run, checks every decision against `expect`, and prints per
//! engine: agreement (overall, `fallthrough`, `regex_order_sensitive`), cold p50/p99
//! (each request once, in trace order), hot p50 (one request repeated), compile time
//! and heap bytes held per route (a counting allocator). No timing is asserted anywhere.
//!
//! Engines:
//! * `gatewright`: the router, spec host fall-through (the generator's semantics);
//! * `gatewright-envoy-mode`: the router with `host_fallthrough(false)`; it must answer
//!   `null` exactly on the `fallthrough` requests;
//! * `envoy-style`: a host hash, then a first-match scan over a precedence-sorted list;
//! * `paths-only`: matchit on paths alone (a lower bound; its agreement is not meaningful);
//! * `reference`: the spec-literal oracle, on a sample (it is slow by design).

mod envoy;

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use gatewright::{Config, Request, Resources, Router};
use serde::Serialize;
use serde_json::Value;

/// Counts the bytes currently allocated, to measure what a compiled router holds.
struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counter is
// only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn held() -> isize {
    HELD.load(Ordering::Relaxed)
}

use gatewright_spec::workload::{Expected, TraceRequest};

/// A request prepared outside the timed region.
struct Prepared {
    host: String,
    path_and_query: String,
    path: String,
    method: String,
    headers: Vec<(String, String)>,
    expect: Option<Expected>,
    fallthrough: bool,
    regex_order_sensitive: bool,
}

impl Prepared {
    fn with<T>(&self, f: impl FnOnce(&Request<'_>) -> T) -> T {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        f(&Request::new(&self.method, &self.host, &self.path_and_query).headers(&headers))
    }
}

/// Figures of one engine.
#[derive(Debug, Default, Serialize)]
struct EngineReport {
    agree: usize,
    total: usize,
    fallthrough_agree: usize,
    fallthrough_total: usize,
    regex_order_sensitive_agree: usize,
    regex_order_sensitive_total: usize,
    p50_ns: u64,
    p99_ns: u64,
    hot_p50_ns: u64,
    compile_ms: f64,
    bytes_per_route: f64,
    /// Anything the numbers need said.
    #[serde(skip_serializing_if = "String::is_empty")]
    note: String,
}

/// Runs `build`, returning its value, the milliseconds it took and the heap bytes it
/// still holds per route.
fn measured<T>(routes: usize, build: impl FnOnce() -> T) -> (T, f64, f64) {
    let before = held();
    let start = Instant::now();
    let value = build();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    (value, ms, (held() - before) as f64 / routes as f64)
}

fn percentile(sorted: &[u64], q: f64) -> u64 {
    sorted
        .get(((sorted.len().max(1) - 1) as f64 * q) as usize)
        .copied()
        .unwrap_or(0)
}

/// Replays `prepared` through `decide` and fills agreement and latency.
fn replay(
    prepared: &[Prepared],
    report: &mut EngineReport,
    decide: impl Fn(&Prepared) -> Option<Expected>,
    expected: impl Fn(&Prepared) -> Option<Expected>,
) {
    let mut nanos = Vec::with_capacity(prepared.len());
    for p in prepared {
        let start = Instant::now();
        let got = decide(p);
        nanos.push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
        let ok = got == expected(p);
        report.total += 1;
        report.agree += usize::from(ok);
        if p.fallthrough {
            report.fallthrough_total += 1;
            report.fallthrough_agree += usize::from(ok);
        }
        if p.regex_order_sensitive {
            report.regex_order_sensitive_total += 1;
            report.regex_order_sensitive_agree += usize::from(ok);
        }
    }
    nanos.sort_unstable();
    report.p50_ns = percentile(&nanos, 0.5);
    report.p99_ns = percentile(&nanos, 0.99);
    // Hot: the first hit request, repeated (caches warm).
    if let Some(p) = prepared.iter().find(|p| p.expect.is_some()) {
        let mut hot = Vec::with_capacity(2000);
        for _ in 0..2000 {
            let start = Instant::now();
            std::hint::black_box(decide(p));
            hot.push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
        }
        hot.sort_unstable();
        report.hot_p50_ns = percentile(&hot, 0.5);
    }
}

/// What an Envoy-style router must answer: the expected winner, except `None` (404) on
/// requests whose winner comes from a less specific hostname (no host fall-through).
fn envoy_expect(p: &Prepared) -> Option<Expected> {
    if p.fallthrough {
        None
    } else {
        p.expect.clone()
    }
}

fn router_answer(router: &Router, p: &Prepared) -> Option<Expected> {
    p.with(|r| {
        let routed = router.route(r);
        std::hint::black_box(routed.backend());
        let m = routed.rule()?;
        Some(Expected {
            route: format!("{}/{}", m.namespace, m.name),
            rule: m.rule,
            matched: m.matched,
        })
    })
}

fn compare(
    routes_yaml: &str,
    requests_jsonl: &str,
    reference_sample: usize,
) -> Result<Value, String> {
    let parse_start = Instant::now();
    let resources = Resources::from_yaml(routes_yaml).map_err(|e| e.to_string())?;
    let parse_ms = parse_start.elapsed().as_secs_f64() * 1e3;
    let mut prepared = Vec::new();
    for (i, line) in requests_jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let r: TraceRequest =
            serde_json::from_str(line).map_err(|e| format!("requests line {}: {e}", i + 1))?;
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let query: Vec<String> = r
            .query
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect();
        prepared.push(Prepared {
            path_and_query: if query.is_empty() {
                r.path.clone()
            } else {
                format!("{}?{}", r.path, query.join("&"))
            },
            path: r.path,
            host: r.host,
            method: r.method,
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), text(v)))
                .collect(),
            expect: r.expect,
            fallthrough: r.fallthrough,
            regex_order_sensitive: r.regex_order_sensitive,
        });
    }
    let route_count = resources
        .objects()
        .iter()
        .filter(|o| matches!(o, gatewright::Object::HttpRoute(_)))
        .count()
        .max(1);
    let mut engines = serde_json::Map::new();

    // gatewright, spec semantics (lints off: a proxy's compile).
    let (router, compile_ms, bytes) = measured(route_count, || {
        Router::compile_with(&resources, Config::new().lints(false))
    });
    let router = router.map_err(|e| e.to_string())?;
    let mut report = EngineReport {
        compile_ms,
        bytes_per_route: bytes,
        ..EngineReport::default()
    };
    replay(
        &prepared,
        &mut report,
        |p| router_answer(&router, p),
        |p| p.expect.clone(),
    );
    engines.insert(
        "gatewright".into(),
        serde_json::to_value(&report).unwrap_or_default(),
    );

    // gatewright, Envoy-compatible mode: `null` exactly on the fall-through requests.
    let (envoy_mode, compile_ms, bytes) = measured(route_count, || {
        Router::compile_with(
            &resources,
            Config::new().lints(false).host_fallthrough(false),
        )
    });
    let envoy_mode = envoy_mode.map_err(|e| e.to_string())?;
    let mut report = EngineReport {
        compile_ms,
        bytes_per_route: bytes,
        note: "agreement: expect, except null on `fallthrough` requests".into(),
        ..EngineReport::default()
    };
    replay(
        &prepared,
        &mut report,
        |p| router_answer(&envoy_mode, p),
        envoy_expect,
    );
    engines.insert(
        "gatewright-envoy-mode".into(),
        serde_json::to_value(&report).unwrap_or_default(),
    );
    drop(envoy_mode);

    // Envoy-style: host hash + first match over a precedence-sorted list.
    let ir = router.ir();
    let (envoy_style, compile_ms, bytes) = measured(route_count, || envoy::EnvoyStyle::build(ir));
    let mut report = EngineReport {
        compile_ms,
        bytes_per_route: bytes,
        note: "built from gatewright's IR (attach time excluded); bytes exclude the IR; agreement: expect, except null on `fallthrough` requests".into(),
        ..EngineReport::default()
    };
    let name = |t: envoy::Triple| {
        let route = &ir.routes[t.0];
        let rule = &route.rules[t.1];
        Expected {
            route: format!("{}/{}", route.namespace, route.name),
            rule: rule.index,
            matched: rule.matches[t.2].index,
        }
    };
    replay(
        &prepared,
        &mut report,
        |p| p.with(|r| envoy_style.route(r)).map(name),
        envoy_expect,
    );
    engines.insert(
        "envoy-style".into(),
        serde_json::to_value(&report).unwrap_or_default(),
    );

    // matchit on paths only: a lower bound on lookup cost.
    let (paths, compile_ms, bytes) = measured(route_count, || envoy::PathsOnly::build(ir));
    let mut report = EngineReport {
        compile_ms,
        bytes_per_route: bytes,
        note: "paths only (no hosts, methods, headers, query, regexes): a latency lower bound; agreement is not meaningful".into(),
        ..EngineReport::default()
    };
    replay(
        &prepared,
        &mut report,
        |p| paths.route(&p.path).map(name),
        |p| p.expect.clone(),
    );
    engines.insert(
        "paths-only".into(),
        serde_json::to_value(&report).unwrap_or_default(),
    );

    // The spec-literal reference on a sample.
    let sample: Vec<&Prepared> = prepared.iter().take(reference_sample).collect();
    let mut nanos = Vec::new();
    let mut agree = 0;
    for p in &sample {
        let start = Instant::now();
        let d = p.with(|r| gatewright_spec::reference::route(ir, r, 0, true));
        nanos.push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
        let got = match d {
            gatewright_spec::reference::RefDecision::Matched(m) => {
                let route = &ir.routes[m.route];
                Some(Expected {
                    route: format!("{}/{}", route.namespace, route.name),
                    rule: m.rule,
                    matched: m.matched,
                })
            }
            _ => None,
        };
        agree += usize::from(got == p.expect);
    }
    nanos.sort_unstable();
    let report = EngineReport {
        agree,
        total: sample.len(),
        p50_ns: percentile(&nanos, 0.5),
        p99_ns: percentile(&nanos, 0.99),
        note: format!(
            "first {} requests only (a linear scan over every rule)",
            sample.len()
        ),
        ..EngineReport::default()
    };
    engines.insert(
        "reference".into(),
        serde_json::to_value(&report).unwrap_or_default(),
    );

    Ok(serde_json::json!({
        "routes": route_count,
        "requests": prepared.len(),
        "parse_ms": parse_ms,
        "engines": engines,
    }))
}

fn table(report: &Value) -> String {
    let mut out = format!(
        "{} routes, {} requests, parse {:.0} ms\n{:<22} {:>15} {:>11} {:>9} {:>9} {:>11} {:>11} {:>10}\n",
        report["routes"], report["requests"], report["parse_ms"].as_f64().unwrap_or(0.0),
        "ENGINE", "AGREE", "FALLTHRU", "P50 ns", "P99 ns", "HOT P50 ns", "COMPILE ms", "B/ROUTE"
    );
    for (name, e) in report["engines"].as_object().into_iter().flatten() {
        let n = |k: &str| e[k].as_u64().unwrap_or(0);
        out.push_str(&format!(
            "{:<22} {:>15} {:>11} {:>9} {:>9} {:>11} {:>11.1} {:>10.0}\n",
            name,
            format!("{}/{}", n("agree"), n("total")),
            format!("{}/{}", n("fallthrough_agree"), n("fallthrough_total")),
            n("p50_ns"),
            n("p99_ns"),
            n("hot_p50_ns"),
            e["compile_ms"].as_f64().unwrap_or(0.0),
            e["bytes_per_route"].as_f64().unwrap_or(0.0),
        ));
        if let Some(note) = e["note"].as_str() {
            out.push_str(&format!("{:<22} ({note})\n", ""));
        }
    }
    out
}

const USAGE: &str = "usage: gatewright-bench compare --routes routes.yaml --requests requests.jsonl [--json] [--reference-sample N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("compare") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let (mut routes, mut requests, mut json, mut sample) = (None, None, false, 20usize);
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--routes" => routes = it.next().cloned(),
            "--requests" => requests = it.next().cloned(),
            "--json" => json = true,
            "--reference-sample" => {
                sample = it.next().and_then(|n| n.parse().ok()).unwrap_or(sample)
            }
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(routes), Some(requests)) = (routes, requests) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
    match read(&routes)
        .and_then(|r| Ok((r, read(&requests)?)))
        .and_then(|(r, q)| compare(&r, &q, sample))
    {
        Ok(report) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                print!("{}", table(&report));
            }
            // Exit 1 when gatewright disagrees with the generator's expectations.
            let e = &report["engines"]["gatewright"];
            if e["agree"] == e["total"] {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("gatewright-bench: {e}");
            ExitCode::from(2)
        }
    }
}
