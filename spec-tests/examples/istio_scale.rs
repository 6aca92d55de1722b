//! Istio front end at scale: compile time and lookup latency for N VirtualServices on
//! one ingress gateway, and sidecar lookups for the same hosts.
//!
//! `cargo run -p gatewright-spec --release --example istio_scale -- 10000`

use std::fmt::Write as _;
use std::time::Instant;

use gatewright::{Request, Resources, Router};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let mut yaml = String::from(
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [\"*\"]
",
    );
    for i in 0..n {
        let _ = write!(
            yaml,
            "---
apiVersion: v1
kind: Service
metadata: {{name: svc{i}, namespace: ns{ns}}}
spec:
  ports: [{{name: http, port: 8080}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs{i}, namespace: ns{ns}}}
spec:
  hosts: [h{i}.example.com, svc{i}]
  gateways: [istio-system/gw, mesh]
  http:
  - match: [{{uri: {{exact: /health}}}}]
    route: [{{destination: {{host: svc{i}}}}}]
  - match: [{{uri: {{prefix: /api/v2}}, headers: {{x-canary: {{exact: \"true\"}}}}}}]
    route: [{{destination: {{host: svc{i}}}}}]
  - match: [{{uri: {{prefix: /api}}}}]
    route: [{{destination: {{host: svc{i}}}}}]
  - match: [{{uri: {{regex: \"/items/[0-9]+\"}}}}]
    route: [{{destination: {{host: svc{i}}}}}]
  - route: [{{destination: {{host: svc{i}}}}}]
",
            ns = i % 50
        );
    }
    let t = Instant::now();
    let resources = Resources::from_yaml(&yaml).expect("parses");
    let parse = t.elapsed();
    let t = Instant::now();
    let router = Router::compile(&resources).expect("compiles");
    let compile = t.elapsed();
    let paths = [
        "/health",
        "/api/v2/x",
        "/api/v1/users",
        "/items/42",
        "/other",
    ];
    let mut times = Vec::new();
    let mut mesh_times = Vec::new();
    let mut forwarded = 0;
    let labels = [("app", "client")];
    for k in 0..20_000usize {
        let i = (k * 7919) % n;
        let host = format!("h{i}.example.com");
        let path = paths[k % paths.len()];
        let req = Request::new("GET", &host, path).gateway("istio-system", "gw");
        let t = Instant::now();
        let d = router.decide(&req);
        times.push(t.elapsed().as_nanos());
        forwarded += usize::from(d.backend().is_some());
        let svc = format!("svc{i}.ns{}", i % 50);
        let req = Request::new("GET", &svc, path)
            .port(8080)
            .workload("client", &labels);
        let t = Instant::now();
        let d = router.decide(&req);
        mesh_times.push(t.elapsed().as_nanos());
        forwarded += usize::from(d.backend().is_some());
    }
    let pct = |v: &mut Vec<u128>, p: f64| {
        v.sort_unstable();
        v[((v.len() as f64 - 1.0) * p) as usize]
    };
    println!(
        "{n} VirtualServices ({} rules): parse {:.0} ms, compile {:.0} ms",
        n * 5,
        parse.as_secs_f64() * 1e3,
        compile.as_secs_f64() * 1e3
    );
    println!(
        "gateway lookup p50 {} ns, p99 {} ns; sidecar lookup p50 {} ns, p99 {} ns; forwarded {forwarded}/40000",
        pct(&mut times, 0.5),
        pct(&mut times, 0.99),
        pct(&mut mesh_times, 0.5),
        pct(&mut mesh_times, 0.99)
    );
}
