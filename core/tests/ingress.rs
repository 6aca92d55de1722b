//! The Ingress front end against the Kubernetes documentation's examples
//! (<https://kubernetes.io/docs/concepts/services-networking/ingress/>) and the
//! ingress-nginx behaviour the front end documents (annotations, default backends,
//! no host fall-through).

use gatewright::{Action, Code, ObjectStatus, Request, Resources, Router};

/// IngressClass `nginx` (the default class), a TLS Secret `app/tls`, and Services
/// `app/s1`..`app/s6` (port 80 named `http`).
const HEAD: &str = "
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: app}
type: kubernetes.io/tls
data: {tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t, tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t}
";

fn services() -> String {
    (1..=6)
        .map(|i| format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: app}}\nspec: {{ports: [{{port: 80, name: http}}]}}\n"))
        .collect()
}

fn router(docs: &str) -> Router {
    let text = format!("{HEAD}{}---\n{docs}", services());
    Router::compile(&Resources::from_yaml(&text).expect("valid YAML")).expect("compiles")
}

/// An Ingress `app/{name}` with extra metadata `meta` (e.g. `, annotations: {...}`) and `spec`.
fn ing(name: &str, meta: &str, spec: &str) -> String {
    format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: app{meta}}}\nspec:\n{spec}\n---\n")
}

/// A path entry `{path, pathType, backend: sN}` for `rules[].http.paths`.
fn p(path: &str, kind: &str, svc: &str) -> String {
    format!("      - {{path: {path:?}, pathType: {kind}, backend: {{service: {{name: {svc}, port: {{number: 80}}}}}}}}\n")
}

/// One rule for `host` (`""`: no host) with the given path entries.
fn rule(host: &str, paths: &[String]) -> String {
    let host = if host.is_empty() {
        String::new()
    } else {
        format!("host: {host:?}\n    ")
    };
    format!("  - {host}http:\n      paths:\n{}", paths.concat())
}

fn rules(list: &[String]) -> String {
    format!("  rules:\n{}", list.concat())
}

/// `METHOD`-less request `scheme://host/path?query` routed with `headers` and
/// `entropy`: the backend name (plus ` -> path` when rewritten), the redirect
/// (`308 https://…`), or the status.
fn go_with(r: &Router, url: &str, headers: &[(&str, &str)], entropy: u64) -> String {
    let (scheme, rest) = url.split_once("://").expect("scheme://");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let request = Request::new("GET", host, if path.is_empty() { "/" } else { path })
        .scheme(scheme)
        .headers(headers);
    let d = r.decide_with(&request, entropy);
    match &d.action {
        Action::Forward(f) if f.upstream.path != request.path() => {
            format!("{} -> {}", f.backend.name, f.upstream.path)
        }
        Action::Forward(f) => f.backend.name.clone(),
        Action::Redirect(to) => format!("{} {}", to.status, to.location),
        Action::Respond(resp) => resp.status.to_string(),
        other => format!("{other:?}"),
    }
}

fn go(r: &Router, url: &str) -> String {
    go_with(r, url, &[], 0)
}

fn codes(r: &Router) -> Vec<Code> {
    r.diagnostics().iter().map(|d| d.code).collect()
}

// --- path types: the "Examples" table -----------------------------------------------------

/// Kubernetes "Examples" table: each row (path type and paths, request path, expected).
/// Paths are numbered s1, s2, s3 in order; `-` is the default backend (s6).
#[test]
fn path_type_examples_table() {
    /// (pathType and path of each path, request path, expected backend).
    type Row = (
        &'static [(&'static str, &'static str)],
        &'static str,
        &'static str,
    );
    let rows: &[Row] = &[
        (&[("Prefix", "/")], "/anything/at/all", "s1"),
        (&[("Exact", "/foo")], "/foo", "s1"),
        (&[("Exact", "/foo")], "/bar", "-"),
        (&[("Exact", "/foo")], "/foo/", "-"),
        (&[("Exact", "/foo/")], "/foo", "-"),
        (&[("Prefix", "/foo")], "/foo", "s1"),
        (&[("Prefix", "/foo")], "/foo/", "s1"),
        (&[("Prefix", "/foo/")], "/foo", "s1"),
        (&[("Prefix", "/foo/")], "/foo/", "s1"),
        (&[("Prefix", "/aaa/bb")], "/aaa/bbb", "-"),
        (&[("Prefix", "/aaa/bbb")], "/aaa/bbb", "s1"),
        (&[("Prefix", "/aaa/bbb/")], "/aaa/bbb", "s1"),
        (&[("Prefix", "/aaa/bbb")], "/aaa/bbb/", "s1"),
        (&[("Prefix", "/aaa/bbb")], "/aaa/bbb/ccc", "s1"),
        (&[("Prefix", "/aaa/bbb")], "/aaa/bbbxyz", "-"),
        (&[("Prefix", "/"), ("Prefix", "/aaa")], "/aaa/ccc", "s2"),
        (
            &[("Prefix", "/"), ("Prefix", "/aaa"), ("Prefix", "/aaa/bbb")],
            "/aaa/bbb",
            "s3",
        ),
        (
            &[("Prefix", "/"), ("Prefix", "/aaa"), ("Prefix", "/aaa/bbb")],
            "/ccc",
            "s1",
        ),
        (&[("Prefix", "/aaa")], "/ccc", "-"),
        (&[("Prefix", "/foo"), ("Exact", "/foo")], "/foo", "s2"),
    ];
    for (paths, request, want) in rows {
        let entries: Vec<String> = paths
            .iter()
            .enumerate()
            .map(|(i, (kind, path))| p(path, kind, &format!("s{}", i + 1)))
            .collect();
        let spec = format!(
            "  defaultBackend: {{service: {{name: s6, port: {{number: 80}}}}}}\n{}",
            rules(&[rule("a.example.com", &entries)])
        );
        let r = router(&ing("t", "", &spec));
        let want = if *want == "-" { "s6" } else { want };
        assert_eq!(
            go(&r, &format!("http://a.example.com{request}")),
            want,
            "{paths:?} {request}"
        );
    }
}

/// "Multiple matches": the longest matching path first, then Exact over Prefix;
/// across Ingresses for one host and path, the older Ingress keeps the location.
#[test]
fn multiple_matches_and_older_ingress_wins() {
    let older = ing(
        "older",
        ", creationTimestamp: \"2023-01-01T00:00:00Z\"",
        &rules(&[rule(
            "a.example.com",
            &[p("/api", "Prefix", "s1"), p("/api/v1", "Prefix", "s2")],
        )]),
    );
    let newer = ing(
        "newer",
        ", creationTimestamp: \"2024-01-01T00:00:00Z\"",
        &rules(&[rule(
            "a.example.com",
            &[p("/api", "Prefix", "s3"), p("/api/v1/users", "Exact", "s4")],
        )]),
    );
    let r = router(&format!("{newer}{older}"));
    assert_eq!(
        go(&r, "http://a.example.com/api/x"),
        "s1",
        "older keeps /api"
    );
    assert_eq!(
        go(&r, "http://a.example.com/api/v1/x"),
        "s2",
        "longest prefix"
    );
    assert_eq!(go(&r, "http://a.example.com/api/v1/users"), "s4", "Exact");
    assert!(codes(&r).contains(&Code::IngressPathConflict));
    // Equal timestamps: `namespace/name` order (app/a before app/b).
    let a = ing(
        "a",
        "",
        &rules(&[rule("b.example.com", &[p("/", "Prefix", "s1")])]),
    );
    let b = ing(
        "b",
        "",
        &rules(&[rule("b.example.com", &[p("/", "Prefix", "s2")])]),
    );
    let r = router(&format!("{b}{a}"));
    assert_eq!(go(&r, "http://b.example.com/"), "s1");
}

// --- hosts -------------------------------------------------------------------------------

/// "Hostname wildcards": `*.foo.com` matches `bar.foo.com`, not `baz.bar.foo.com`
/// (only a single DNS label) nor `foo.com` (no label).
#[test]
fn hostname_wildcards_match_one_label() {
    let r = router(&ing(
        "w",
        "",
        &rules(&[
            rule("foo.bar.com", &[p("/bar", "Prefix", "s1")]),
            rule("*.foo.com", &[p("/foo", "Prefix", "s2")]),
        ]),
    ));
    assert_eq!(go(&r, "http://foo.bar.com/bar"), "s1");
    assert_eq!(go(&r, "http://bar.foo.com/foo"), "s2");
    assert_eq!(
        go(&r, "http://BAR.foo.com/foo"),
        "s2",
        "host case is folded"
    );
    assert_eq!(go(&r, "http://baz.bar.foo.com/foo"), "404");
    assert_eq!(go(&r, "http://foo.com/foo"), "404");
    // The exact host takes precedence over the wildcard (its own server).
    let r = router(&ing(
        "w",
        "",
        &rules(&[
            rule("*.foo.com", &[p("/", "Prefix", "s2")]),
            rule("a.foo.com", &[p("/only", "Prefix", "s1")]),
        ]),
    ));
    assert_eq!(go(&r, "http://a.foo.com/only"), "s1");
    assert_eq!(
        go(&r, "http://a.foo.com/other"),
        "404",
        "no fall-through to *.foo.com"
    );
    assert_eq!(go(&r, "http://b.foo.com/other"), "s2");
}

/// "Name based virtual hosting": a rule without host catches requests for hosts
/// that have no rule of their own, but not unmatched paths of a named host.
#[test]
fn name_based_virtual_hosting() {
    let r = router(&ing(
        "vhosts",
        "",
        &rules(&[
            rule("foo.bar.com", &[p("/", "Prefix", "s1")]),
            rule("bar.foo.com", &[p("/app", "Prefix", "s2")]),
            rule("", &[p("/", "Prefix", "s3")]),
        ]),
    ));
    assert_eq!(go(&r, "http://foo.bar.com/x"), "s1");
    assert_eq!(go(&r, "http://bar.foo.com/app"), "s2");
    assert_eq!(go(&r, "http://unknown.example/x"), "s3");
    assert_eq!(go(&r, "http://10.0.0.1/x"), "s3", "by IP address");
    // ingress-nginx: bar.foo.com is its own server; its unmatched paths do not fall
    // through to the host-less rule: 404 from the (controller's) default backend.
    assert_eq!(go(&r, "http://bar.foo.com/other"), "404");
}

// --- default backends --------------------------------------------------------------------

#[test]
fn default_backends() {
    // "An Ingress with no rules sends all traffic to a single default backend."
    let only = ing(
        "only",
        "",
        "  defaultBackend: {service: {name: s6, port: {number: 80}}}",
    );
    let r = router(&only);
    assert_eq!(go(&r, "http://anything.example/any/path"), "s6");
    // Rules + defaultBackend: the default serves unmatched paths of the Ingress's hosts
    // ("Using its backend as default upstream for all its rules", createServers).
    let both = ing(
        "both",
        "",
        &format!(
            "  defaultBackend: {{service: {{name: s5, port: {{number: 80}}}}}}\n{}",
            rules(&[rule("a.example.com", &[p("/api", "Prefix", "s1")])])
        ),
    );
    let r = router(&format!("{both}{only}"));
    assert_eq!(go(&r, "http://a.example.com/api"), "s1");
    assert_eq!(go(&r, "http://a.example.com/other"), "s5", "host default");
    assert_eq!(
        go(&r, "http://b.example.com/other"),
        "s6",
        "catch-all default"
    );
    // A host whose creating Ingress has no defaultBackend: 404, never the catch-all's.
    let plain = ing(
        "plain",
        "",
        &rules(&[rule("c.example.com", &[p("/api", "Prefix", "s1")])]),
    );
    let r = router(&format!("{plain}{only}"));
    assert_eq!(go(&r, "http://c.example.com/other"), "404");
    // A `Prefix /` path replaces the host's default location.
    let root = ing(
        "root",
        "",
        &format!(
            "  defaultBackend: {{service: {{name: s5, port: {{number: 80}}}}}}\n{}",
            rules(&[rule("d.example.com", &[p("/", "Prefix", "s2")])])
        ),
    );
    let r = router(&root);
    assert_eq!(go(&r, "http://d.example.com/anything"), "s2");
}

// --- backends ----------------------------------------------------------------------------

#[test]
fn backends_by_port_name_and_unresolved() {
    let spec = "  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - {path: /n, pathType: Prefix, backend: {service: {name: s1, port: {name: http}}}}\n      - {path: /bad, pathType: Prefix, backend: {service: {name: s1, port: {name: grpc}}}}\n      - {path: /gone, pathType: Prefix, backend: {service: {name: nope, port: {number: 80}}}}\n      - {path: /bucket, pathType: Prefix, backend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: b}}}\n";
    let r = router(&ing("b", "", spec));
    let request = Request::new("GET", "a.example.com", "/n");
    assert_eq!(r.decide(&request).backend().map(|b| b.port), Some(80));
    assert_eq!(go(&r, "http://a.example.com/bad"), "503");
    assert_eq!(go(&r, "http://a.example.com/gone"), "503");
    // Resource backends are skipped (ingress-nginx: "does not contain a service backend").
    assert_eq!(go(&r, "http://a.example.com/bucket"), "404");
    let c = codes(&r);
    assert!(c.contains(&Code::BackendNotFound) && c.contains(&Code::InvalidBackendKind));
    let Some(ObjectStatus::Ingress(s)) = r.status().get("Ingress", Some("app"), "b") else {
        panic!("status")
    };
    assert!(s
        .conditions
        .iter()
        .any(|c| c.kind == "ResolvedRefs" && !c.is_true()));
}

#[test]
fn implementation_specific_is_prefix() {
    let r = router(&ing(
        "i",
        "",
        &rules(&[rule(
            "a.example.com",
            &[p("/docs", "ImplementationSpecific", "s1")],
        )]),
    ));
    assert_eq!(go(&r, "http://a.example.com/docs/x"), "s1");
    assert_eq!(go(&r, "http://a.example.com/docsx"), "404");
    assert!(codes(&r).contains(&Code::ImplementationSpecificPath));
}

// --- classes -----------------------------------------------------------------------------

#[test]
fn class_resolution_and_status() {
    let extra = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: internal}\nspec: {controller: example.com/internal}\n---\n";
    let by_spec = ing(
        "by-spec",
        "",
        &format!(
            "  ingressClassName: internal\n{}",
            rules(&[rule("a.example.com", &[p("/", "Prefix", "s1")])])
        ),
    );
    let by_annotation = ing(
        "by-annotation",
        ", annotations: {kubernetes.io/ingress.class: internal}",
        &rules(&[rule("b.example.com", &[p("/", "Prefix", "s2")])]),
    );
    let by_default = ing(
        "by-default",
        "",
        &rules(&[rule("a.example.com", &[p("/", "Prefix", "s3")])]),
    );
    let missing = ing(
        "missing",
        "",
        &format!(
            "  ingressClassName: nope\n{}",
            rules(&[rule("a.example.com", &[p("/", "Prefix", "s4")])])
        ),
    );
    let r = router(&format!(
        "{extra}{by_spec}{by_annotation}{by_default}{missing}"
    ));
    let internal = |host: &str| {
        let req = Request::new("GET", host, "/").ingress_class("internal");
        r.decide(&req).backend().map(|b| b.name.clone())
    };
    assert_eq!(internal("a.example.com").as_deref(), Some("s1"));
    assert_eq!(internal("b.example.com").as_deref(), Some("s2"));
    let req = Request::new("GET", "a.example.com", "/").ingress_class("nginx");
    assert_eq!(r.decide(&req).backend().unwrap().name, "s3");
    // Two Gateways: the request must say which one.
    assert_eq!(
        r.decide(&Request::new("GET", "a.example.com", "/"))
            .status(),
        Some(0)
    );
    let served = |name: &str| match r.status().get("Ingress", Some("app"), name) {
        Some(ObjectStatus::Ingress(s)) => (s.class.clone(), s.conditions[0].reason.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        served("by-annotation"),
        (Some("internal".into()), "Served".into())
    );
    assert_eq!(
        served("by-default"),
        (Some("nginx".into()), "Served".into())
    );
    assert_eq!(served("missing"), (None, "IngressClassNotFound".into()));
    assert!(codes(&r).contains(&Code::IngressClassNotFound));
    // Several default classes: an Ingress without class is not served.
    let second = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: other, annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}}\nspec: {controller: x}\n---\n";
    let r = router(&format!("{second}{by_default}"));
    assert!(codes(&r).contains(&Code::NoIngressClass));
    // A class of another controller is ignored when a controller name is configured.
    let text = format!("{HEAD}{}---\n{by_default}", services());
    let config = gatewright::Config::new().controller_name("example.com/other");
    let r = Router::compile_with(&Resources::from_yaml(&text).unwrap(), config).unwrap();
    assert!(r.ir().gateways.is_empty());
    assert!(codes(&r).contains(&Code::IngressClassNotOurs));
}

// --- ingress-nginx annotations -----------------------------------------------------------

fn tls_spec(host: &str) -> String {
    format!("  tls:\n  - {{hosts: [{host:?}], secretName: tls}}\n")
}

#[test]
fn ssl_redirect_by_default_when_the_host_has_tls() {
    let secure = ing(
        "secure",
        "",
        &format!(
            "{}{}",
            tls_spec("a.example.com"),
            rules(&[rule("a.example.com", &[p("/app", "Prefix", "s1")])])
        ),
    );
    let r = router(&secure);
    assert_eq!(
        go(&r, "http://a.example.com/app/x?q=1"),
        "308 https://a.example.com/app/x?q=1"
    );
    assert_eq!(go(&r, "https://a.example.com/app/x"), "s1");
    // Unmatched paths redirect too (the host's default location), then 404 over HTTPS.
    assert_eq!(
        go(&r, "http://a.example.com/other"),
        "308 https://a.example.com/other"
    );
    assert_eq!(go(&r, "https://a.example.com/other"), "404");
    // ssl-redirect: "false" turns it off.
    let off = ing(
        "off",
        ", annotations: {nginx.ingress.kubernetes.io/ssl-redirect: \"false\"}",
        &format!(
            "{}{}",
            tls_spec("b.example.com"),
            rules(&[rule("b.example.com", &[p("/", "Prefix", "s2")])])
        ),
    );
    // force-ssl-redirect redirects without TLS.
    let forced = ing(
        "forced",
        ", annotations: {nginx.ingress.kubernetes.io/force-ssl-redirect: \"true\"}",
        &rules(&[rule("c.example.com", &[p("/", "Prefix", "s3")])]),
    );
    let r = router(&format!("{off}{forced}"));
    assert_eq!(go(&r, "http://b.example.com/"), "s2");
    assert_eq!(
        go(&r, "http://c.example.com/x"),
        "308 https://c.example.com/x"
    );
    // A host without TLS is still served on 443 (ingress-nginx's default certificate).
    assert_eq!(go(&r, "https://b.example.com/"), "s2");
}

#[test]
fn canary_by_weight_and_header() {
    let main = ing(
        "main",
        "",
        &rules(&[rule("a.example.com", &[p("/", "Prefix", "s1")])]),
    );
    let canary = ing(
        "canary",
        ", annotations: {nginx.ingress.kubernetes.io/canary: \"true\", nginx.ingress.kubernetes.io/canary-weight: \"20\", nginx.ingress.kubernetes.io/canary-by-header: X-Canary}",
        &rules(&[rule("a.example.com", &[p("/", "Prefix", "s2")])]),
    );
    let r = router(&format!("{main}{canary}"));
    // 20 of 100: the lowest entropies go to the primary (its weight comes first).
    assert_eq!(go_with(&r, "http://a.example.com/", &[], 0), "s1");
    assert_eq!(go_with(&r, "http://a.example.com/", &[], u64::MAX), "s2");
    let always = [("x-canary", "always")];
    let never = [("x-canary", "never")];
    let other = [("x-canary", "maybe")];
    assert_eq!(go_with(&r, "http://a.example.com/", &always, 0), "s2");
    assert_eq!(go_with(&r, "http://a.example.com/", &never, u64::MAX), "s1");
    assert_eq!(go_with(&r, "http://a.example.com/", &other, u64::MAX), "s2");
    // With canary-by-header-value only that value selects the canary.
    let valued = ing(
        "canary",
        ", annotations: {nginx.ingress.kubernetes.io/canary: \"true\", nginx.ingress.kubernetes.io/canary-by-header: x-env, nginx.ingress.kubernetes.io/canary-by-header-value: staging}",
        &rules(&[rule("a.example.com", &[p("/", "Prefix", "s2")])]),
    );
    let r = router(&format!("{main}{valued}"));
    assert_eq!(
        go_with(&r, "http://a.example.com/", &[("x-env", "staging")], 0),
        "s2"
    );
    assert_eq!(
        go_with(&r, "http://a.example.com/", &[("x-env", "always")], 0),
        "s1"
    );
    assert_eq!(
        go_with(&r, "http://a.example.com/", &[], u64::MAX),
        "s1",
        "weight 0"
    );
    // A canary without a primary path is not used.
    let orphan = ing(
        "orphan",
        ", annotations: {nginx.ingress.kubernetes.io/canary: \"true\"}",
        &rules(&[rule("a.example.com", &[p("/nothing", "Prefix", "s3")])]),
    );
    let r = router(&format!("{main}{orphan}"));
    assert!(codes(&r).contains(&Code::CanaryNotMerged));
}

#[test]
fn rewrite_target_with_capture_groups() {
    // The ingress-nginx documentation's example.
    let rewrite = ing(
        "rewrite",
        ", annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2, nginx.ingress.kubernetes.io/use-regex: \"true\"}",
        &rules(&[rule(
            "a.example.com",
            &[p("/something(/|$)(.*)", "ImplementationSpecific", "s1")],
        )]),
    );
    let r = router(&rewrite);
    assert_eq!(go(&r, "http://a.example.com/something"), "s1 -> /");
    assert_eq!(go(&r, "http://a.example.com/something/"), "s1 -> /");
    assert_eq!(go(&r, "http://a.example.com/something/new"), "s1 -> /new");
    assert_eq!(
        go(&r, "http://a.example.com/SOMETHING/new"),
        "s1 -> /new",
        "~* is case-insensitive"
    );
    assert_eq!(go(&r, "http://a.example.com/somethingelse"), "404");
    // A target without captures replaces the whole path (nginx `rewrite`).
    let full = ing(
        "full",
        ", annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}",
        &rules(&[rule("b.example.com", &[p("/app", "Prefix", "s2")])]),
    );
    let r = router(&full);
    assert_eq!(go(&r, "http://b.example.com/app/deep/path"), "s2 -> /");
    assert!(codes(&r).contains(&Code::IngressRegexHost));
}

/// ingress-nginx: `use-regex` on one Ingress makes every path of the host a
/// case-insensitive regex prefix, also those of other Ingresses.
#[test]
fn use_regex_changes_the_whole_host() {
    let regex = ing(
        "regex",
        ", annotations: {nginx.ingress.kubernetes.io/use-regex: \"true\"}",
        &rules(&[rule(
            "a.example.com",
            &[p("/v[0-9]+/items", "ImplementationSpecific", "s1")],
        )]),
    );
    let plain = ing(
        "plain",
        "",
        &rules(&[rule(
            "a.example.com",
            &[p("/foo", "Prefix", "s2"), p("/exact", "Exact", "s3")],
        )]),
    );
    let r = router(&format!("{regex}{plain}"));
    assert_eq!(go(&r, "http://a.example.com/v2/items/9"), "s1");
    assert_eq!(
        go(&r, "http://a.example.com/foobar"),
        "s2",
        "^/foo is a string prefix"
    );
    assert_eq!(go(&r, "http://a.example.com/FOO"), "s2");
    assert_eq!(
        go(&r, "http://a.example.com/exact/more"),
        "s3",
        "Exact becomes a prefix"
    );
    // Another host is not affected.
    let other = ing(
        "other",
        "",
        &rules(&[rule("b.example.com", &[p("/foo", "Prefix", "s4")])]),
    );
    let r = router(&format!("{regex}{plain}{other}"));
    assert_eq!(go(&r, "http://b.example.com/foobar"), "404");
}

#[test]
fn bad_input_is_located() {
    let bad = "  rules:\n  - host: \"bad_host!\"\n    http:\n      paths:\n      - {path: /x, pathType: Prefix, backend: {service: {name: s1, port: {number: 80}}}}\n  - host: a.example.com\n    http:\n      paths:\n      - {path: /a//b, pathType: Prefix, backend: {service: {name: s1, port: {number: 80}}}}\n      - {path: /c, pathType: Regex, backend: {service: {name: s1, port: {number: 80}}}}\n";
    let r = router(&ing("bad", "", bad));
    let fields: Vec<&str> = r.diagnostics().iter().map(|d| d.field.as_str()).collect();
    assert!(fields.contains(&"spec.rules[0].host"), "{fields:?}");
    assert!(
        fields.contains(&"spec.rules[1].http.paths[0].path"),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"spec.rules[1].http.paths[1].pathType"),
        "{fields:?}"
    );
    // A wrong type is a located parse error.
    let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x, namespace: app}\nspec:\n  rules:\n  - http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: s1, port: {number: eighty}}}}\n";
    let err = Resources::from_yaml(text).unwrap_err();
    assert_eq!(
        err.field(),
        "spec.rules[0].http.paths[0].backend.service.port.number"
    );
}
