//! `Router::route` does not allocate for requests entering Gateway API and Ingress
//! HTTP(S) listeners: a counting global allocator proves it on every kind of
//! outcome (forward, redirect, 404, 500, CORS preflight, wildcard host,
//! fall-through, regex, header/query/method conditions, upper-case hosts, HTTPS),
//! once each thread's regex cache exists.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use gatewright::{Request, Resources, Router};

/// Counts allocations made by the current thread (other test threads do not interfere).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counter
// is a const-initialised thread-local without destructor, so it never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

const CONFIG: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gw}
spec: {controllerName: gatewright/controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: gw
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - name: https
    port: 443
    protocol: HTTPS
    hostname: "*.example.com"
    tls: {certificateRefs: [{name: cert}]}
    allowedRoutes: {namespaces: {from: All}}
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: infra}
type: kubernetes.io/tls
data: {tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=, tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUIKLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo=}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: app}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [shop.example.com, "*.tenant.example.com"]
  rules:
  - matches: [{path: {type: Exact, value: /health}}]
    backendRefs: [{name: health, port: 8080}]
  - matches:
    - path: {type: PathPrefix, value: /api}
      headers: [{name: x-canary, value: "true"}]
    - path: {type: PathPrefix, value: /api}
      queryParams: [{name: v, value: "2"}]
    backendRefs: [{name: canary, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /api}, method: POST}]
    backendRefs: [{name: writer, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: api, port: 8080, weight: 90}, {name: canary, port: 8080, weight: 10}]
  - matches: [{path: {type: RegularExpression, value: "/files/[a-z]+\\.png"}}]
    backendRefs: [{name: files, port: 8080}]
  - matches: [{path: {type: RegularExpression, value: "/files/[0-9]+\\.jpg"}}]
    backendRefs: [{name: api, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: new.example.com, statusCode: 301}}]
  - matches: [{path: {type: PathPrefix, value: /broken}}]
    backendRefs: [{name: missing, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /cors}}]
    filters:
    - type: CORS
      cors: {allowOrigins: ["https://app.example.com"], allowMethods: [GET]}
    backendRefs: [{name: api, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: catch-all, namespace: app}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /static}}]
    backendRefs: [{name: files, port: 8080}]
"#;

fn services() -> String {
    ["health", "canary", "writer", "api", "files"]
        .iter()
        .map(|name| {
            format!(
                "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: app}}\nspec: {{ports: [{{port: 8080}}]}}\n"
            )
        })
        .collect()
}

#[test]
fn route_does_not_allocate_on_gateway_api_listeners() {
    let yaml = format!("{CONFIG}{}", services());
    let router = Router::compile(&Resources::from_yaml(&yaml).unwrap()).unwrap();
    let canary = [("x-canary", "true")];
    let preflight = [
        ("origin", "https://app.example.com"),
        ("access-control-request-method", "GET"),
    ];
    // (request, expected status, expected backend name)
    let cases: Vec<(Request<'_>, Option<u16>, Option<&str>)> = vec![
        (
            Request::new("GET", "shop.example.com", "/health"),
            None,
            Some("health"),
        ),
        (
            Request::new("GET", "SHOP.Example.COM:80", "/health"),
            None,
            Some("health"),
        ),
        (
            Request::new("GET", "shop.example.com", "/api/x").headers(&canary),
            None,
            Some("canary"),
        ),
        (
            Request::new("GET", "shop.example.com", "/api/x?v=2"),
            None,
            Some("canary"),
        ),
        (
            Request::new("POST", "shop.example.com", "/api/x"),
            None,
            Some("writer"),
        ),
        (
            Request::new("GET", "shop.example.com", "/api/x"),
            None,
            Some("api"),
        ),
        (
            Request::new("GET", "a.tenant.example.com", "/files/cat.png"),
            None,
            Some("files"),
        ),
        (
            Request::new("GET", "a.tenant.example.com", "/files/42.jpg"),
            None,
            Some("api"),
        ),
        (
            Request::new("GET", "a.tenant.example.com", "/files/42.gif"),
            Some(404),
            None,
        ),
        (
            Request::new("GET", "shop.example.com", "/old/page"),
            Some(301),
            None,
        ),
        (
            Request::new("GET", "shop.example.com", "/broken"),
            Some(500),
            None,
        ),
        (
            Request::new("OPTIONS", "shop.example.com", "/cors").headers(&preflight),
            Some(204),
            None,
        ),
        (
            Request::new("GET", "shop.example.com", "/nothing"),
            Some(404),
            None,
        ),
        // Host fall-through to the catch-all route.
        (
            Request::new("GET", "shop.example.com", "/static/a.css"),
            None,
            Some("files"),
        ),
        (
            Request::new("GET", "other.example.org", "/static/a.css"),
            None,
            Some("files"),
        ),
        (
            Request::new("GET", "shop.example.com", "/health")
                .scheme("https")
                .sni("shop.example.com"),
            None,
            Some("health"),
        ),
        (
            Request::new("GET", "shop.example.com", "/health")
                .scheme("https")
                .sni("SHOP.example.com"),
            None,
            Some("health"),
        ),
    ];
    // Warm-up: a regex allocates its matching cache on first use by each thread
    // (regex-automata's `Pool`), then reuses it.
    for (request, _, _) in &cases {
        let _ = router.route(request).backend();
    }
    for (request, status, backend) in &cases {
        let before = allocations();
        let routed = router.route(request);
        let got_status = routed.status();
        let got_backend = routed.backend().map(|b| b.name);
        let rule = routed.rule().map(|r| (r.name, r.rule, r.matched));
        let allocated = allocations() - before;
        assert_eq!(allocated, 0, "route() allocated for {request:?}");
        assert_eq!(got_status, *status, "{request:?}");
        assert_eq!(got_backend, *backend, "{request:?}");
        // The borrowed answer is the owned decision's.
        let decision = router.decide(request);
        assert_eq!(decision.status(), got_status, "{request:?}");
        assert_eq!(decision.backend().map(|b| b.name.as_str()), got_backend);
        let m = decision.matched.as_ref().unwrap();
        assert_eq!(
            rule,
            m.name
                .as_deref()
                .map(|n| (n, m.rule.unwrap(), m.matched.unwrap())),
            "{request:?}"
        );
    }
}

#[test]
fn the_counter_sees_allocations() {
    // The proof above is only as good as the counter: it must count.
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 16]);
    assert!(allocations() > before);
    drop(v);
}
