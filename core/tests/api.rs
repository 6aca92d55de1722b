//! Behaviour of the public API on small manifests: parse errors, diagnostics,
//! precedence through the router, weights, fall-through and explain.

use gatewright::{Action, Code, Config, ObjectStatus, Request, Resources, Router};

mod common;

use common::{backend, route, router, HEAD};

#[test]
fn bad_yaml_is_a_located_parse_error() {
    let err = Resources::from_yaml("kind: Service\n---\nmetadata: {name: [\n").unwrap_err();
    assert_eq!(err.document(), 1);
    assert!(err.line().is_some(), "{err}");
    assert!(err.to_string().starts_with("document 1"), "{err}");
}

#[test]
fn wrong_type_names_object_field_and_line() {
    let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: ok}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: team}\nspec:\n  rules:\n  - backendRefs:\n    - {name: a, port: eighty}\n";
    let err = Resources::from_yaml(yaml).unwrap_err();
    assert_eq!(err.document(), 1);
    assert_eq!(err.object(), Some("HTTPRoute team/r"));
    assert_eq!(err.field(), "spec.rules[0].backendRefs[0].port");
    assert_eq!(err.line(), Some(11), "{err}");
}

#[test]
fn json_and_list_inputs() {
    let json = r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"}},{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}}]}"#;
    assert_eq!(Resources::from_json(json).unwrap().len(), 2);
    assert_eq!(Resources::from_text(json).unwrap().len(), 2);
    let err =
        Resources::from_json(r#"[{"apiVersion":"v1","kind":"Service","metadata":{"name":7}}]"#)
            .unwrap_err();
    assert_eq!((err.item(), err.field()), (Some(0), "metadata.name"));
}

#[test]
fn unknown_kind_is_skipped_with_a_diagnostic() {
    let r = router("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: app}\n");
    let d = r
        .diagnostics()
        .iter()
        .find(|d| d.code == Code::UnsupportedKind)
        .expect("diagnostic");
    assert_eq!(d.object.kind, "Deployment");
}

#[test]
fn invalid_regex_drops_one_rule_and_the_rest_still_routes() {
    let spec = "  rules:\n  - matches: [{path: {type: RegularExpression, value: '/(unclosed'}}]\n    backendRefs: [{name: b, port: 80}]\n  - matches: [{path: {type: PathPrefix, value: /ok}}]\n    backendRefs: [{name: a, port: 80}]";
    let r = router(&format!("{}---\n{}", route("broken", "", spec), route("other", "", "  rules:\n  - matches: [{path: {value: /other}}]\n    backendRefs: [{name: b, port: 80}]")));
    let d = r
        .diagnostics()
        .iter()
        .find(|d| d.code == Code::InvalidRegex)
        .expect("invalid-regex diagnostic");
    assert_eq!(d.field, "spec.rules[0].matches[0].path.value");
    assert_eq!(backend(&r, &Request::new("GET", "x", "/ok/1")), "a");
    assert_eq!(backend(&r, &Request::new("GET", "x", "/other")), "b");
    assert_eq!(
        r.decide(&Request::new("GET", "x", "/(unclosed")).status(),
        Some(404)
    );
    let Some(ObjectStatus::Route(status)) = r.status().get("HTTPRoute", Some("app"), "broken")
    else {
        panic!("no status")
    };
    let kinds: Vec<_> = status.parents[0]
        .conditions
        .iter()
        .map(|c| (c.kind.as_str(), c.status.as_str()))
        .collect();
    assert!(
        kinds.contains(&("Accepted", "True")) && kinds.contains(&("PartiallyInvalid", "True")),
        "{kinds:?}"
    );
}

#[test]
fn precedence_exact_then_longest_prefix_then_conditions() {
    let spec = "  rules:\n  - matches: [{path: {type: PathPrefix, value: /a/b}, method: GET, headers: [{name: x, value: '1'}]}]\n    backendRefs: [{name: a, port: 80}]\n  - matches: [{path: {type: Exact, value: /a/b}}]\n    backendRefs: [{name: b, port: 80}]\n  - matches: [{path: {type: PathPrefix, value: /a}, headers: [{name: x, value: '1'}]}]\n    backendRefs: [{name: b, port: 80}]";
    let r = router(&route("p", "", spec));
    let h = [("X", "1")];
    assert_eq!(
        backend(&r, &Request::new("GET", "h", "/a/b").headers(&h)),
        "b",
        "Exact beats a prefix with more conditions"
    );
    assert_eq!(
        backend(&r, &Request::new("GET", "h", "/a/b/c").headers(&h)),
        "a",
        "longest prefix"
    );
    assert_eq!(
        backend(&r, &Request::new("POST", "h", "/a/b/c").headers(&h)),
        "b",
        "method mismatch falls to /a"
    );
    assert_eq!(
        r.decide(&Request::new("GET", "h", "/ab")).status(),
        Some(404),
        "/a does not match /ab"
    );
}

#[test]
fn older_route_then_name_breaks_ties() {
    let same =
        "  rules:\n  - matches: [{path: {value: /x}}]\n    backendRefs: [{name: NAME, port: 80}]";
    let older = route(
        "zzz",
        ", creationTimestamp: '2020-01-01T00:00:00Z'",
        &same.replace("NAME", "b"),
    );
    let newer = route(
        "aaa",
        ", creationTimestamp: '2021-01-01T00:00:00Z'",
        &same.replace("NAME", "a"),
    );
    let r = router(&format!("{newer}---\n{older}"));
    assert_eq!(
        backend(&r, &Request::new("GET", "h", "/x")),
        "b",
        "oldest wins over alphabetical"
    );
    let r = router(&format!(
        "{}---\n{}",
        route("zzz", "", &same.replace("NAME", "b")),
        route("aaa", "", &same.replace("NAME", "a"))
    ));
    assert_eq!(
        backend(&r, &Request::new("GET", "h", "/x")),
        "a",
        "then {{namespace}}/{{name}}"
    );
}

#[test]
fn host_fallthrough_is_the_default_and_can_be_disabled() {
    let exact = route("exact", "", "  hostnames: [a.example.com]\n  rules:\n  - matches: [{path: {type: Exact, value: /only}}]\n    backendRefs: [{name: a, port: 80}]");
    let wild = route(
        "wild",
        "",
        "  hostnames: ['*.example.com']\n  rules:\n  - backendRefs: [{name: b, port: 80}]",
    );
    let text = format!("{HEAD}---\n{exact}---\n{wild}");
    let res = Resources::from_yaml(&text).unwrap();
    let spec = Router::compile(&res).unwrap();
    assert_eq!(
        backend(&spec, &Request::new("GET", "a.example.com", "/only")),
        "a"
    );
    assert_eq!(
        backend(&spec, &Request::new("GET", "a.example.com", "/other")),
        "b"
    );
    let envoy = Router::compile_with(&res, Config::new().host_fallthrough(false)).unwrap();
    assert_eq!(
        envoy
            .decide(&Request::new("GET", "a.example.com", "/other"))
            .status(),
        Some(404)
    );
    assert_eq!(
        backend(&envoy, &Request::new("GET", "b.example.com", "/other")),
        "b"
    );
}

#[test]
fn weights_split_traffic_and_invalid_backends_get_500() {
    let spec = "  rules:\n  - backendRefs: [{name: a, port: 80, weight: 3}, {name: b, port: 80, weight: 1}, {name: missing, port: 80, weight: 0}]\n  - matches: [{path: {value: /bad}}]\n    backendRefs: [{name: a, port: 80}, {name: missing, port: 80}]";
    let r = router(&route("w", "", spec));
    let req = Request::new("GET", "h", "/");
    let n = 4000u64;
    let a = (0..n).filter(|i| matches!(&r.decide_with(&req, i.wrapping_mul(u64::MAX / n)).action, Action::Forward(f) if f.backend.name == "a")).count();
    assert!((2900..3100).contains(&a), "a got {a} of {n}");
    let bad = Request::new("GET", "h", "/bad");
    let errors = (0..n)
        .filter(|i| r.decide_with(&bad, i.wrapping_mul(u64::MAX / n)).status() == Some(500))
        .count();
    assert!((1900..2100).contains(&errors), "500s: {errors}");
    let Some(ObjectStatus::Route(status)) = r.status().get("HTTPRoute", Some("app"), "w") else {
        panic!()
    };
    assert!(status.parents[0]
        .conditions
        .iter()
        .any(|c| c.kind == "ResolvedRefs" && c.reason == "BackendNotFound"));
}

#[test]
fn explain_says_why_each_candidate_lost() {
    let spec = "  rules:\n  - matches: [{path: {value: /a}}]\n    backendRefs: [{name: a, port: 80}]\n  - matches: [{path: {type: Exact, value: /a/b}}]\n    backendRefs: [{name: b, port: 80}]\n  - matches: [{path: {value: /a}, method: POST}]\n    backendRefs: [{name: b, port: 80}]";
    let r = router(&route("e", "", spec));
    let e = r.explain(&Request::new("GET", "h", "/a/b"), 0);
    let verdicts: Vec<_> = e
        .considered
        .iter()
        .map(|c| (c.rule, c.verdict.as_str()))
        .collect();
    assert_eq!(
        verdicts,
        [
            (1, "won"),
            (2, "no match: method is not POST"),
            (0, "matches, but the winner has an Exact path match")
        ]
    );
}

#[test]
fn router_is_send_sync_and_unwind_safe() {
    fn check<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    check::<Router>();
    check::<Resources>();
    check::<gatewright::Decision>();
}

#[test]
fn backend_with_an_unusable_app_protocol_is_unresolved() {
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: app}\nspec: {ports: [{port: 5432, appProtocol: postgresql}]}\n";
    let r = router(&format!(
        "{svc}---\n{}",
        route(
            "db",
            "",
            "  rules:\n  - backendRefs: [{name: db, port: 5432}]"
        )
    ));
    assert_eq!(r.decide(&Request::new("GET", "h", "/")).status(), Some(500));
    let Some(ObjectStatus::Route(status)) = r.status().get("HTTPRoute", Some("app"), "db") else {
        panic!()
    };
    assert!(status.parents[0]
        .conditions
        .iter()
        .any(|c| c.kind == "ResolvedRefs" && c.reason == "UnsupportedProtocol"));
}

#[test]
fn duplicate_keys_are_an_error_not_a_silent_merge() {
    let two_docs_without_separator = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n";
    let err = Resources::from_yaml(two_docs_without_separator).unwrap_err();
    assert!(err.message().contains("duplicate mapping key"), "{err}");
    assert_eq!(err.document(), 0, "{err}");
}

#[test]
fn http_and_grpc_routes_with_intersecting_hostnames_conflict() {
    // `GRPCRouteSpec.Hostnames`: only the older of the two is accepted on the listener.
    let http = route(
        "web",
        ", creationTimestamp: '2020-01-01T00:00:00Z'",
        "  hostnames: [api.example.com]\n  rules:\n  - backendRefs: [{name: a, port: 80}]",
    );
    let grpc = "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: rpc, namespace: app, creationTimestamp: '2021-01-01T00:00:00Z'}\nspec:\n  parentRefs: [{name: gw, namespace: infra}]\n  hostnames: ['*.example.com']\n  rules:\n  - backendRefs: [{name: b, port: 80}]\n";
    let r = router(&format!("{http}---\n{grpc}"));
    assert_eq!(
        backend(
            &r,
            &Request::new("POST", "api.example.com", "/pkg.Svc/Call")
        ),
        "a"
    );
    let Some(ObjectStatus::Route(status)) = r.status().get("GRPCRoute", Some("app"), "rpc") else {
        panic!("no status")
    };
    let accepted = status.parents[0]
        .conditions
        .iter()
        .find(|c| c.kind == "Accepted")
        .unwrap();
    assert_eq!(
        (accepted.status.as_str(), accepted.reason.as_str()),
        ("False", "Conflicted")
    );
    assert!(r
        .diagnostics()
        .iter()
        .any(|d| d.code == Code::RouteConflict && d.object.name == "rpc"));
}

#[test]
fn mesh_routes_follow_the_service_port_and_consumer_namespace() {
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: checkout, namespace: app}\nspec: {ports: [{name: http, port: 80}, {name: admin, port: 8080}]}\n";
    let producer = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: split, namespace: app}\nspec:\n  parentRefs: [{group: '', kind: Service, name: checkout, sectionName: http}]\n  rules:\n  - backendRefs: [{name: a, port: 80}]\n";
    let consumer = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: tag, namespace: web}\nspec:\n  parentRefs: [{group: '', kind: Service, name: checkout, namespace: app}]\n  rules:\n  - backendRefs: [{name: checkout, namespace: app, port: 80}]\n";
    let r = router(&format!("{svc}---\n{producer}---\n{consumer}"));
    let call = |from: &'static str, port| {
        r.decide(&Request::new("GET", "checkout", "/").mesh(from, "app", "checkout", port))
    };
    // Producer route, port 80 only (sectionName http).
    assert_eq!(call("app", 80).backend().unwrap().name, "a");
    assert_eq!(
        call("app", 8080).backend().unwrap().name,
        "checkout",
        "no route for port 8080: the Service itself"
    );
    assert!(call("app", 8080).matched.is_none());
    // The consumer route replaces the producer route for its own namespace.
    let d = call("web", 80);
    assert_eq!(
        d.matched.as_ref().and_then(|m| m.name.as_deref()),
        Some("tag")
    );
}

#[test]
fn explain_lists_mesh_candidates() {
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: checkout, namespace: app}\nspec: {ports: [{name: http, port: 80}]}\n";
    let producer = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: split, namespace: app}\nspec:\n  parentRefs: [{group: '', kind: Service, name: checkout}]\n  rules:\n  - matches: [{path: {value: /}}]\n    backendRefs: [{name: a, port: 80}]\n  - matches: [{path: {type: Exact, value: /pay}}]\n    backendRefs: [{name: b, port: 80}]\n";
    let r = router(&format!("{svc}---\n{producer}"));
    let e = r.explain(
        &Request::new("GET", "checkout", "/pay").mesh("app", "app", "checkout", 80),
        0,
    );
    let verdicts: Vec<_> = e
        .considered
        .iter()
        .map(|c| (c.rule, c.verdict.as_str()))
        .collect();
    assert_eq!(
        verdicts,
        [
            (1, "won"),
            (0, "matches, but the winner has an Exact path match")
        ]
    );
    assert!(
        e.listener.starts_with("mesh: workload in app"),
        "{}",
        e.listener
    );
}

#[test]
fn lints_can_be_turned_off_for_faster_compiles() {
    let spec = "  rules:\n  - matches: [{path: {value: /x}}]\n    backendRefs: [{name: a, port: 80}]\n  - matches: [{path: {value: /x}}]\n    backendRefs: [{name: b, port: 80}]";
    let text = format!("{HEAD}---\n{}", route("dup", "", spec));
    let res = Resources::from_yaml(&text).unwrap();
    let with = Router::compile(&res).unwrap();
    assert!(with
        .diagnostics()
        .iter()
        .any(|d| d.code == Code::IdenticalMatch));
    let without = Router::compile_with(&res, Config::new().lints(false)).unwrap();
    assert!(!without
        .diagnostics()
        .iter()
        .any(|d| d.code == Code::IdenticalMatch));
    assert_eq!(
        backend(&without, &Request::new("GET", "h", "/x")),
        "a",
        "routing is unchanged"
    );
}

#[test]
fn unmatched_grpc_calls_are_unimplemented() {
    let r = router(&route("web", "", "  rules:\n  - matches: [{path: {type: Exact, value: /only}}]\n    backendRefs: [{name: a, port: 80}]"));
    let grpc = [("content-type", "application/grpc")];
    let d = r.decide(&Request::new("POST", "h", "/pkg.Svc/Call").headers(&grpc));
    let Action::Respond(resp) = &d.action else {
        panic!("{d:?}")
    };
    assert_eq!(resp.status, 404);
    assert!(resp
        .headers
        .contains(&("grpc-status".to_owned(), "12".to_owned())));
    // Plain HTTP stays a plain 404.
    let Action::Respond(resp) = r.decide(&Request::new("GET", "h", "/nope")).action else {
        panic!()
    };
    assert!(resp.headers.is_empty());
}

#[test]
fn unnamed_objects_and_redirect_with_backends_are_reported() {
    let unnamed = "apiVersion: v1\nkind: Service\nmetadata: {namespace: app}\n";
    let spec = "  rules:\n  - filters: [{type: RequestRedirect, requestRedirect: {hostname: x.example.com}}]\n    backendRefs: [{name: a, port: 80}]";
    let r = router(&format!("{unnamed}---\n{}", route("mixed", "", spec)));
    assert!(r
        .diagnostics()
        .iter()
        .any(|d| d.code == Code::MissingName && d.field == "metadata.name"));
    let d = r
        .diagnostics()
        .iter()
        .find(|d| d.code == Code::IncompatibleFilters)
        .expect("incompatible-filters");
    assert_eq!(d.field, "spec.rules[0]");
    assert_eq!(
        r.decide(&Request::new("GET", "h", "/")).status(),
        Some(302),
        "the redirect is applied"
    );
}
