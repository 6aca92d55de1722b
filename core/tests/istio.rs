//! The Istio front end through the public API: decisions, lints and validation.

use gatewright::{Action, Code, Connection, Request, Resources, Router};

const GATEWAY: &str = "
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [\"*.example.com\"]
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [\"*.example.com\"]
    tls: {mode: PASSTHROUGH}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  ports: [{name: http, port: 8080}, {name: grpc, port: 9090}]
";

fn router(extra: &str) -> Router {
    let text = format!("{GATEWAY}---\n{extra}");
    Router::compile(&Resources::from_yaml(&text).expect("manifests parse")).expect("compiles")
}

fn codes(r: &Router) -> Vec<Code> {
    r.diagnostics().iter().map(|d| d.code).collect()
}

fn backend_host(r: &Router, req: &Request<'_>) -> String {
    let d = r.decide(req);
    let b = d
        .backend()
        .unwrap_or_else(|| panic!("expected a backend, got {d:?}"));
    format!("{}:{}", b.host.clone().unwrap_or_default(), b.port)
}

#[test]
fn first_match_wins_and_a_catch_all_truncates_later_rules() {
    let r = router(
        "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: api, port: {number: 8080}}}]
  - route: [{destination: {host: web}}]
  - name: dead
    match: [{uri: {prefix: /late}}]
    route: [{destination: {host: api}}]
",
    );
    let req = |path| Request::new("GET", "shop.example.com", path).gateway("istio-system", "gw");
    // A plain string prefix: /apiary matches /api.
    assert_eq!(
        backend_host(&r, &req("/apiary")),
        "api.shop.svc.cluster.local:8080"
    );
    assert_eq!(
        backend_host(&r, &req("/late/x")),
        "web.shop.svc.cluster.local:8080"
    );
    let lint = r
        .diagnostics()
        .iter()
        .find(|d| d.code == Code::CatchAllTruncation)
        .expect("catch-all-truncation reported");
    assert_eq!(lint.field, "spec.http[2]");
    assert!(lint.message.contains("dead"), "{}", lint.message);
}

#[test]
fn unknown_subsets_answer_503_and_are_reported() {
    let r = router(
        "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http:
  - route: [{destination: {host: web, subset: v9}}]
",
    );
    let d = r.decide(&Request::new("GET", "shop.example.com", "/").gateway("istio-system", "gw"));
    assert_eq!(d.status(), Some(503));
    assert!(codes(&r).contains(&Code::UnknownSubset));
}

#[test]
fn virtual_services_bound_to_missing_or_non_admitting_gateways_are_reported() {
    let r = router(
        "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: typo, namespace: shop}
spec:
  hosts: [a.example.com]
  gateways: [gw]
  http:
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other-host, namespace: shop}
spec:
  hosts: [shop.example.org]
  gateways: [istio-system/gw]
  http:
  - route: [{destination: {host: web}}]
",
    );
    let unbound: Vec<_> = r
        .diagnostics()
        .iter()
        .filter(|d| d.code == Code::UnboundVirtualService)
        .map(|d| d.object.name.clone())
        .collect();
    assert_eq!(unbound, ["other-host", "typo"]); // in VirtualService order (name)
                                                 // `gw` in namespace shop is not istio-system/gw: no route for a.example.com.
    let d = r.decide(&Request::new("GET", "a.example.com", "/").gateway("istio-system", "gw"));
    assert_eq!(d.status(), Some(404));
}

#[test]
fn invalid_virtual_services_are_ignored_with_a_located_error() {
    let r = router(
        "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: both, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http:
  - redirect: {uri: /x}
    route: [{destination: {host: web}}]
",
    );
    let d = r
        .diagnostics()
        .iter()
        .find(|d| d.code == Code::InvalidVirtualService)
        .expect("invalid-virtual-service");
    assert_eq!(d.field, "spec.http[0]");
    assert_eq!(d.object.name, "both");
    let req = Request::new("GET", "shop.example.com", "/").gateway("istio-system", "gw");
    assert_eq!(r.decide(&req).status(), Some(404));
}

#[test]
fn sidecars_pick_one_virtual_service_and_filter_by_source_labels() {
    let r = router(
        "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: [api]
  http:
  - match: [{sourceLabels: {app: web}}]
    route: [{destination: {host: api, port: {number: 9090}}}]
  - route: [{destination: {host: api}}]
",
    );
    let web = [("app", "web")];
    let other = [("app", "batch")];
    let req = |labels| {
        Request::new("GET", "api", "/x")
            .port(8080)
            .workload("shop", labels)
    };
    assert_eq!(
        backend_host(&r, &req(&web)),
        "api.shop.svc.cluster.local:9090"
    );
    // The called port is the destination port when the destination has none (§1.4).
    assert_eq!(
        backend_host(&r, &req(&other)),
        "api.shop.svc.cluster.local:8080"
    );
    // The bare name resolves only from the Service's own namespace.
    let from_elsewhere = Request::new("GET", "api", "/x")
        .port(8080)
        .workload("other", &web);
    assert_eq!(r.decide(&from_elsewhere).status(), Some(404));
}

#[test]
fn tls_passthrough_takes_the_most_specific_sni() {
    let r = router(
        "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tls, namespace: shop}
spec:
  hosts: [\"*.example.com\"]
  gateways: [istio-system/gw]
  tls:
  - match: [{sniHosts: [\"*.example.com\"]}]
    route: [{destination: {host: web, port: {number: 8443}}}]
  - match: [{sniHosts: [api.example.com]}]
    route: [{destination: {host: api, port: {number: 8443}}}]
",
    );
    let conn = |sni| Connection::tcp(443).sni(sni).gateway("istio-system", "gw");
    let d = r.route_connection(&conn("api.example.com"), 0);
    assert!(
        matches!(&d.action, Action::Connect(c) if c.backend.name == "api"),
        "{d:?}"
    );
    let d = r.route_connection(&conn("x.example.com"), 0);
    assert!(
        matches!(&d.action, Action::Connect(c) if c.backend.name == "web"),
        "{d:?}"
    );
    let d = r.route_connection(&conn("example.com"), 0);
    assert!(matches!(d.action, Action::Reject { .. }), "{d:?}");
}

#[test]
fn service_entries_make_external_destinations_exist() {
    let vs = "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ext, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http:
  - route: [{destination: {host: payments.partner.io, port: {number: 443}}}]
";
    let req = Request::new("GET", "shop.example.com", "/").gateway("istio-system", "gw");
    // Without a ServiceEntry there is no such cluster: 503.
    assert_eq!(router(vs).decide(&req).status(), Some(503));
    let with_entry = format!(
        "{vs}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: partner, namespace: shop}}
spec:
  hosts: [payments.partner.io]
  ports: [{{number: 443, name: tls, protocol: TLS}}]
"
    );
    assert_eq!(
        backend_host(&router(&with_entry), &req),
        "payments.partner.io:443"
    );
}

#[test]
fn sidecar_connections_follow_tls_and_tcp_rules() {
    let r = router(
        "
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  ports: [{name: tcp, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: db-replica, namespace: shop}
spec:
  ports: [{name: tcp, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: shop}
spec:
  hosts: [db]
  tcp:
  - match: [{sourceLabels: {app: reports}}]
    route: [{destination: {host: db-replica}}]
  - route: [{destination: {host: db}}]
  tls:
  - match: [{sniHosts: [db.shop.svc.cluster.local]}]
    route: [{destination: {host: db-replica}}]
",
    );
    let reports = [("app", "reports")];
    let web = [("app", "web")];
    let name = |d: gatewright::Decision| match d.action {
        Action::Connect(c) => c.backend.name,
        other => panic!("expected a connection, got {other:?}"),
    };
    let conn = |labels| Connection::tcp(5432).workload("shop", labels, "db");
    assert_eq!(name(r.route_connection(&conn(&reports), 0)), "db-replica");
    assert_eq!(name(r.route_connection(&conn(&web), 0)), "db");
    let tls = conn(&web).sni("db.shop.svc.cluster.local");
    assert_eq!(name(r.route_connection(&tls, 0)), "db-replica");
    // An SNI no tls rule lists goes to the Service itself.
    let other = conn(&web).sni("other.example.com");
    assert_eq!(name(r.route_connection(&other, 0)), "db");
}

#[test]
fn sidecars_without_a_virtual_service_use_the_service_itself() {
    let text = "
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{name: http, port: 8080}]
";
    let r = Router::compile(&Resources::from_yaml(text).expect("parses")).expect("compiles");
    let labels = [("app", "client")];
    for host in [
        "web",
        "web.shop",
        "web.shop.svc",
        "web.shop.svc.cluster.local",
    ] {
        let req = Request::new("GET", host, "/")
            .port(8080)
            .workload("shop", &labels);
        assert_eq!(
            backend_host(&r, &req),
            "web.shop.svc.cluster.local:8080",
            "{host}"
        );
    }
    // The bare name only resolves in the Service's own namespace; another port is not the Service's.
    let elsewhere = Request::new("GET", "web", "/")
        .port(8080)
        .workload("other", &labels);
    assert_eq!(r.decide(&elsewhere).status(), Some(404));
    let wrong_port = Request::new("GET", "web.shop", "/")
        .port(9999)
        .workload("shop", &labels);
    assert_eq!(r.decide(&wrong_port).status(), Some(404));
}

#[test]
fn overlapping_hosts_and_a_mesh_star_host_are_rejected() {
    let r = router(
        "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: overlap, namespace: shop}
spec:
  hosts: [\"*.example.com\", shop.example.com]
  gateways: [istio-system/gw]
  http:
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: star, namespace: shop}
spec:
  hosts: [\"*\"]
  http:
  - route: [{destination: {host: web}}]
",
    );
    let invalid: Vec<(String, String)> = r
        .diagnostics()
        .iter()
        .filter(|d| d.code == Code::InvalidVirtualService)
        .map(|d| (d.object.name.clone(), d.field.clone()))
        .collect();
    assert_eq!(
        invalid,
        [
            ("overlap".to_owned(), "spec.hosts[1]".to_owned()),
            ("star".to_owned(), "spec.hosts[0]".to_owned())
        ]
    );
}
