//! Regression tests for the disagreements the Istio differential (`differential_istio.rs`)
//! found between the engine and the spec-literal reference; in each the reference follows
//! SEMANTICS.md (section in each test) and the upstream code it cites, and the engine now
//! agrees with it.

use gatewright::{Request, Resources, Router};
use gatewright_spec::reference_istio::{self, Entry, RefRequest, ReferenceWorld};

const SERVICES: &str = "
apiVersion: v1
kind: Service
metadata: {name: svc-a, namespace: default}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc-b, namespace: default}
spec: {ports: [{port: 80}]}
---
";

/// Where the request enters and what it is.
enum At {
    Gateway(&'static str),
    Mesh(&'static str),
}

/// Routes `authority` + `path` on `port` through both and returns (router, reference) as the
/// client sees them: `backend host:port`, `status N`, `redirect N location`, `refused`.
fn both(yaml: &str, at: &At, authority: &str, port: u16) -> (String, String) {
    let resources = Resources::from_yaml(yaml).expect("manifest parses");
    let router = Router::compile_with(&resources, gatewright_spec::istio::config()).unwrap();
    let mut request = Request::new("GET", authority, "/").port(port);
    let entry = match at {
        At::Gateway(name) => {
            request = request.gateway("istio-system", name);
            Entry::Gateway {
                namespace: "istio-system".into(),
                name: (*name).into(),
            }
        }
        At::Mesh(ns) => {
            request = request.workload(ns, &[]);
            Entry::Mesh {
                namespace: (*ns).into(),
                labels: Vec::new(),
            }
        }
    };
    let d = router.decide(&request);
    let got = match (&d.action, d.backend()) {
        (gatewright::Action::Forward(_), Some(b)) => {
            format!("backend {}:{}", b.host.clone().unwrap_or_default(), b.port)
        }
        (gatewright::Action::Redirect(r), _) => format!("redirect {} {}", r.status, r.location),
        (gatewright::Action::Reject { .. }, _) => "refused".to_owned(),
        _ => format!("status {}", d.status().unwrap_or(0)),
    };
    let world = ReferenceWorld::new(&resources);
    let r = reference_istio::route(
        &world,
        &entry,
        &RefRequest {
            method: "GET".into(),
            scheme: "http".into(),
            authority: authority.into(),
            path: "/".into(),
            port: Some(port),
            ..RefRequest::default()
        },
    );
    let want = match r {
        reference_istio::RefDecision::Backend(b) => format!("backend {}:{}", b.host, b.port),
        reference_istio::RefDecision::Redirect { code, location } => {
            format!("redirect {code} {location}")
        }
        reference_istio::RefDecision::Refused => "refused".to_owned(),
        reference_istio::RefDecision::Status { status, .. } => format!("status {status}"),
        reference_istio::RefDecision::Unavailable(_) => "status 503".to_owned(),
        reference_istio::RefDecision::Split(_) => "split".to_owned(),
    };
    (got, want)
}

fn assert_agree(yaml: &str, at: &At, authority: &str, port: u16, reference_says: &str) {
    let (got, want) = both(yaml, at, authority, port);
    assert_eq!(want, reference_says, "the reference changed its mind");
    assert_eq!(got, want, "router (left) and reference (right) disagree");
}

/// §2.3 (upstream `separateVSHostsAndServices`: a wildcard host that matches a Service on the
/// port is a registry host, never a literal domain): `w.default.svc.cluster.local` is no
/// Service, so no virtual host serves it.
#[test]
fn registry_wildcard_is_not_a_literal_domain() {
    let yaml = format!(
        "{SERVICES}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: wild, namespace: default}}
spec:
  hosts: [\"*.default.svc.cluster.local\"]
  http:
  - route: [{{destination: {{host: svc-b}}}}]
"
    );
    assert_agree(
        &yaml,
        &At::Mesh("default"),
        "w.default.svc.cluster.local",
        80,
        "status 404",
    );
}

/// §2.4 (upstream `initVirtualServices`: every `.`/own-namespace entry files the VS as private
/// to its namespace): both VSs are private to `default`, so the older name `r1` wins the host.
#[test]
fn export_to_dot_and_other_is_private() {
    let yaml = format!(
        "{SERVICES}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r1, namespace: default}}
spec:
  hosts: [svc-a]
  exportTo: [\".\", istio-system]
  http:
  - route: [{{destination: {{host: svc-a}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r2, namespace: default}}
spec:
  hosts: [svc-a]
  exportTo: [\".\"]
  http:
  - route: [{{destination: {{host: svc-b}}}}]
"
    );
    assert_agree(
        &yaml,
        &At::Mesh("default"),
        "svc-a",
        80,
        "backend svc-a.default.svc.cluster.local:80",
    );
}

/// §1.4 "A cluster for a subset exists only if some visible DestinationRule defines it": the
/// rule is exported to `default` only, the gateway runs in `istio-system` (503).
#[test]
fn subset_of_invisible_destination_rule_is_503() {
    let yaml = format!(
        "{SERVICES}apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: istio-system}}
spec:
  selector: {{istio: ingress}}
  servers:
  - port: {{number: 80, name: http, protocol: HTTP}}
    hosts: [\"*\"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: a, namespace: default}}
spec:
  host: svc-a
  exportTo: [\".\"]
  subsets: [{{name: v1, labels: {{version: v1}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r, namespace: default}}
spec:
  hosts: [a.example.com]
  gateways: [istio-system/gw]
  http:
  - route: [{{destination: {{host: svc-a, subset: v1}}}}]
"
    );
    assert_agree(&yaml, &At::Gateway("gw"), "a.example.com", 80, "status 503");
}

/// §5.3 + README "Redirect location rule": port 80 with http is not emitted, so the Host's
/// own `:80` stays ("dropped if a redirect port is emitted"; upstream `ApplyRedirect` zeroes
/// `PortRedirect`, Envoy `processRequestHost` then keeps the port).
#[test]
fn elided_redirect_port_keeps_host_port() {
    let yaml = format!(
        "{SERVICES}apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: istio-system}}
spec:
  selector: {{istio: ingress}}
  servers:
  - port: {{number: 80, name: http, protocol: HTTP}}
    hosts: [\"*\"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r, namespace: default}}
spec:
  hosts: [a.example.com]
  gateways: [istio-system/gw]
  http:
  - redirect: {{uri: /new, derivePort: FROM_REQUEST_PORT}}
"
    );
    assert_agree(
        &yaml,
        &At::Gateway("gw"),
        "a.example.com:80",
        80,
        "redirect 301 http://a.example.com:80/new",
    );
}

/// §3 "If no route survives the VS contributes nothing for this port" + §2.3 "one VS per
/// host": `r1` has no route on port 80, so `r2` serves `svc-a` there (upstream: no wrapper for
/// a VS without routes).
#[test]
fn empty_vs_does_not_claim_a_service() {
    let yaml = format!(
        "{SERVICES}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r1, namespace: default}}
spec:
  hosts: [svc-a]
  http:
  - match: [{{port: 8080}}]
    route: [{{destination: {{host: svc-a}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r2, namespace: default}}
spec:
  hosts: [svc-a]
  http:
  - route: [{{destination: {{host: svc-b}}}}]
"
    );
    assert_agree(
        &yaml,
        &At::Mesh("default"),
        "svc-a",
        80,
        "backend svc-b.default.svc.cluster.local:80",
    );
}

/// The same for a non-registry host: `a.example.com` of `r1` has no route on port 80, so the
/// `*.example.com` domain of `r2` serves it.
#[test]
fn empty_vs_does_not_claim_a_literal_host() {
    let yaml = format!(
        "{SERVICES}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r1, namespace: default}}
spec:
  hosts: [a.example.com]
  http:
  - match: [{{port: 8080}}]
    route: [{{destination: {{host: svc-a}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r2, namespace: default}}
spec:
  hosts: [\"*.example.com\"]
  http:
  - route: [{{destination: {{host: svc-b}}}}]
"
    );
    assert_agree(
        &yaml,
        &At::Mesh("default"),
        "a.example.com",
        80,
        "backend svc-b.default.svc.cluster.local:80",
    );
}

/// §2.1/§2.2 + README ("servers are merged as Istio merges them"; upstream `initGateways`
/// sorts Gateways by creationTimestamp): `gw2` is older, so its server's routes come first in
/// the shared `x.example.com` virtual host.
#[test]
fn servers_merge_in_gateway_creation_order() {
    let yaml = format!(
        "{SERVICES}apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw1, namespace: istio-system, creationTimestamp: \"2022-01-01T00:00:00Z\"}}
spec:
  selector: {{istio: ingress}}
  servers:
  - port: {{number: 80, name: http, protocol: HTTP}}
    hosts: [\"*\"]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw2, namespace: istio-system, creationTimestamp: \"2021-01-01T00:00:00Z\"}}
spec:
  selector: {{istio: ingress}}
  servers:
  - port: {{number: 80, name: http, protocol: HTTP}}
    hosts: [\"*\"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: b-vs, namespace: default}}
spec:
  hosts: [x.example.com]
  gateways: [istio-system/gw1]
  http:
  - route: [{{destination: {{host: svc-b}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: a-vs, namespace: default}}
spec:
  hosts: [x.example.com]
  gateways: [istio-system/gw2]
  http:
  - route: [{{destination: {{host: svc-a}}}}]
"
    );
    assert_agree(
        &yaml,
        &At::Gateway("gw1"),
        "x.example.com",
        80,
        "backend svc-a.default.svc.cluster.local:80",
    );
}
