//! The lints on small manifests: `identical-match`, `shadowed-rule` and
//! `unreachable-regex`, each with cases that must be flagged (exact code, object,
//! field and a message naming the winner) and cases that must not.

use gatewright::{Action, Code, Diagnostic, Request, Router, Severity, GATEWAY_GROUP};

mod common;

use common::route;

/// Compiles the shared fixture plus `routes`.
fn router(routes: &[String]) -> Router {
    common::router(&routes.join("---\n"))
}

/// One rule per match list (YAML flow sequences), each forwarding to `backend`.
fn rules(rules: &[(&str, &str)]) -> String {
    let mut s = String::from("  rules:\n");
    for (matches, backend) in rules {
        s.push_str(&format!(
            "  - matches: {matches}\n    backendRefs: [{{name: {backend}, port: 80}}]\n"
        ));
    }
    s
}

const OLD: &str = ", creationTimestamp: '2020-01-01T00:00:00Z'";
const NEW: &str = ", creationTimestamp: '2021-01-01T00:00:00Z'";

/// The lint findings (the three lint codes), in order.
fn lints(router: &Router) -> Vec<&Diagnostic> {
    router
        .diagnostics()
        .iter()
        .filter(|d| {
            matches!(
                d.code,
                Code::IdenticalMatch | Code::ShadowedRule | Code::UnreachableRegex
            )
        })
        .collect()
}

fn assert_finding(d: &Diagnostic, code: Code, route: &str, field: &str, mentions: &[&str]) {
    assert_eq!(d.code, code, "{d}");
    assert_eq!(d.severity, Severity::Warning, "{d}");
    assert_eq!(d.object.group, GATEWAY_GROUP, "{d}");
    assert_eq!(d.object.kind, "HTTPRoute", "{d}");
    assert_eq!(d.object.namespace.as_deref(), Some("app"), "{d}");
    assert_eq!(d.object.name, route, "{d}");
    assert_eq!(d.field, field, "{d}");
    for m in mentions {
        assert!(d.message.contains(m), "{m:?} not in: {d}");
    }
}

fn backend(router: &Router, path: &str) -> String {
    match &router
        .decide(&Request::new("GET", "x.example.com", path))
        .action
    {
        Action::Forward(f) => f.backend.name.clone(),
        other => format!("{other:?}"),
    }
}

// --- identical-match ------------------------------------------------------------------------

#[test]
fn identical_match_across_routes_names_the_older_route() {
    let m = "[{path: {type: PathPrefix, value: /api}, method: GET, headers: [{name: x-team, value: a}]}]";
    // Header order differs: conditions compare as sets.
    let m2 = "[{method: GET, headers: [{name: X-Team, value: a}], path: {type: PathPrefix, value: /api}}]";
    let r = router(&[
        route("newer", NEW, &rules(&[(m2, "b")])),
        route("older", OLD, &rules(&[(m, "a")])),
    ]);
    let found = lints(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(
        found[0],
        Code::IdenticalMatch,
        "newer",
        "spec.rules[0].matches[0]",
        &[
            "HTTPRoute app/older rule 0 match 0",
            "an older route (creationTimestamp)",
            "Gateway infra/gw listener http, hostname *",
        ],
    );
    let req = Request::new("GET", "x.example.com", "/api/x").headers(&[("x-team", "a")]);
    match &r.decide(&req).action {
        Action::Forward(f) => assert_eq!(f.backend.name, "a", "the older route wins"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn identical_match_without_timestamps_goes_by_name() {
    let m = "[{path: {type: Exact, value: /login}}]";
    let r = router(&[
        route("zeta", "", &rules(&[(m, "b")])),
        route("alpha", "", &rules(&[(m, "a")])),
    ]);
    let found = lints(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(
        found[0],
        Code::IdenticalMatch,
        "zeta",
        "spec.rules[0].matches[0]",
        &[
            "HTTPRoute app/alpha",
            "the route first in {namespace}/{name} order",
        ],
    );
    assert_eq!(backend(&r, "/login"), "a");
}

#[test]
fn identical_rules_in_one_route() {
    let m = "[{path: {type: PathPrefix, value: /api}, queryParams: [{name: v, value: '2'}]}]";
    let r = router(&[route(
        "team",
        "",
        &rules(&[
            (m, "a"),
            ("[{path: {type: Exact, value: /}}]", "a"),
            (m, "b"),
        ]),
    )]);
    let found = lints(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(
        found[0],
        Code::IdenticalMatch,
        "team",
        "spec.rules[2].matches[0]",
        &[
            "rule 0 match 0 of this route",
            "an earlier rule of the same route",
        ],
    );
}

// --- shadowed-rule ----------------------------------------------------------------------------

#[test]
fn catch_all_prefix_shadows_a_regex_rule() {
    let r = router(&[
        route(
            "catchall",
            "",
            &rules(&[("[{path: {type: PathPrefix, value: /}}]", "a")]),
        ),
        route(
            "legacy",
            OLD,
            &rules(&[(
                "[{path: {type: RegularExpression, value: '/legacy/v[0-9]+/.*'}, method: GET}]",
                "b",
            )]),
        ),
    ]);
    let found = lints(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(
        found[0],
        Code::ShadowedRule,
        "legacy",
        "spec.rules[0]",
        &[
            "HTTPRoute app/catchall rule 0",
            "PathPrefix /",
            "a PathPrefix match (ranked above RegularExpression)",
            "Gateway infra/gw listener http, hostname *",
        ],
    );
    assert_eq!(backend(&r, "/legacy/v1/x"), "a", "the finding is true");
}

#[test]
fn trailing_slash_prefix_shadows_the_same_prefix() {
    let r = router(&[route(
        "team",
        "",
        &rules(&[
            ("[{path: {type: PathPrefix, value: /api/}}]", "a"),
            (
                "[{path: {type: PathPrefix, value: /api}, headers: [{name: x-b, value: '1'}]}]",
                "b",
            ),
        ]),
    )]);
    let found = lints(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(
        found[0],
        Code::ShadowedRule,
        "team",
        "spec.rules[1]",
        &["rule 0 of this route", "a longer path match"],
    );
}

#[test]
fn exact_path_shadows_a_literal_regex() {
    let r = router(&[route(
        "team",
        "",
        &rules(&[
            ("[{path: {type: Exact, value: /healthz}}]", "a"),
            (
                "[{path: {type: RegularExpression, value: /healthz}, method: GET}]",
                "b",
            ),
        ]),
    )]);
    let found = lints(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_finding(
        found[0],
        Code::ShadowedRule,
        "team",
        "spec.rules[1]",
        &["an Exact path match"],
    );
}

#[test]
fn rule_with_one_identical_and_one_covered_match() {
    let r = router(&[
        route(
            "api",
            OLD,
            &rules(&[("[{path: {type: PathPrefix, value: /api}}]", "a")]),
        ),
        route(
            "late",
            NEW,
            &rules(&[(
                "[{path: {type: PathPrefix, value: /api}}, {path: {type: RegularExpression, value: '/api/v[0-9]+'}}]",
                "b",
            )]),
        ),
    ]);
    let found = lints(&r);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_finding(
        found[0],
        Code::IdenticalMatch,
        "late",
        "spec.rules[0].matches[0]",
        &["HTTPRoute app/api rule 0 match 0"],
    );
    assert_finding(
        found[1],
        Code::ShadowedRule,
        "late",
        "spec.rules[0]",
        &["HTTPRoute app/api rule 0"],
    );
}

#[test]
fn partly_covered_rule_is_not_shadowed() {
    let r = router(&[
        route(
            "catchall",
            "",
            &rules(&[("[{path: {type: PathPrefix, value: /}}]", "a")]),
        ),
        route(
            "mixed",
            "",
            &rules(&[(
                "[{path: {type: RegularExpression, value: '/x/.*'}}, {path: {type: Exact, value: /x}}]",
                "b",
            )]),
        ),
    ]);
    assert!(lints(&r).is_empty(), "{:#?}", lints(&r));
}

// --- must not be flagged -----------------------------------------------------------------------

#[test]
fn different_methods_are_not_shadowed() {
    let regex = "[{path: {type: RegularExpression, value: '/legacy/.*'}}]";
    let post = "[{path: {type: RegularExpression, value: '/legacy/.*'}, method: POST}]";
    let r = router(&[
        route(
            "gets",
            "",
            &rules(&[("[{path: {type: PathPrefix, value: /}, method: GET}]", "a")]),
        ),
        route("legacy", "", &rules(&[(regex, "b"), (post, "b")])),
        route(
            "same-path",
            "",
            &rules(&[("[{path: {type: Exact, value: /p}, method: PUT}]", "a")]),
        ),
        route(
            "same-path-2",
            "",
            &rules(&[("[{path: {type: Exact, value: /p}, method: DELETE}]", "b")]),
        ),
    ]);
    assert!(lints(&r).is_empty(), "{:#?}", lints(&r));
}

#[test]
fn winner_with_more_conditions_does_not_shadow() {
    let r = router(&[
        route(
            "canary",
            OLD,
            &rules(&[(
                "[{path: {type: PathPrefix, value: /}, headers: [{name: x-canary, value: 'yes'}]}]",
                "a",
            )]),
        ),
        route(
            "legacy",
            NEW,
            &rules(&[(
                "[{path: {type: RegularExpression, value: '/legacy/.*'}}]",
                "b",
            )]),
        ),
        route(
            "q1",
            "",
            &rules(&[(
                "[{path: {type: PathPrefix, value: /q}, queryParams: [{name: v, value: '1'}]}]",
                "a",
            )]),
        ),
        route(
            "q2",
            "",
            &rules(&[(
                "[{path: {type: PathPrefix, value: /q}, queryParams: [{name: v, value: '2'}]}]",
                "b",
            )]),
        ),
    ]);
    assert!(lints(&r).is_empty(), "{:#?}", lints(&r));
}

#[test]
fn different_hostnames_are_not_compared() {
    let hosts = |h: &str| format!("  hostnames: [{h}]\n");
    let r = router(&[
        route(
            "catchall",
            "",
            &format!(
                "{}{}",
                hosts("'*.example.com'"),
                rules(&[("[{path: {type: PathPrefix, value: /}}]", "a")])
            ),
        ),
        route(
            "legacy",
            "",
            &format!(
                "{}{}",
                hosts("legacy.example.com"),
                rules(&[(
                    "[{path: {type: RegularExpression, value: '/legacy/.*'}}]",
                    "b"
                )])
            ),
        ),
        route(
            "other",
            "",
            &format!(
                "{}{}",
                hosts("other.example.com"),
                rules(&[("[{path: {type: PathPrefix, value: /}}]", "b")])
            ),
        ),
    ]);
    assert!(lints(&r).is_empty(), "{:#?}", lints(&r));
}

// --- unreachable-regex --------------------------------------------------------------------------

#[test]
fn regex_without_leading_slash_is_unreachable() {
    let r = router(&[route(
        "team",
        "",
        &rules(&[
            ("[{path: {type: RegularExpression, value: 'api/.*'}}]", "a"),
            ("[{path: {type: Exact, value: /}}, {path: {type: RegularExpression, value: '(?i)API|v1'}}]", "b"),
        ]),
    )]);
    let found = lints(&r);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_finding(
        found[0],
        Code::UnreachableRegex,
        "team",
        "spec.rules[0].matches[0].path.value",
        &["\"api/.*\"", "'/'"],
    );
    assert_finding(
        found[1],
        Code::UnreachableRegex,
        "team",
        "spec.rules[1].matches[1].path.value",
        &["\"(?i)API|v1\""],
    );
}

#[test]
fn reachable_regexes_are_not_flagged() {
    let r = router(&[route(
        "team",
        "",
        &rules(&[
            ("[{path: {type: RegularExpression, value: '/a.*'}}]", "a"),
            ("[{path: {type: RegularExpression, value: '.*/b'}}]", "a"),
            ("[{path: {type: RegularExpression, value: '(/c|d)'}}]", "b"),
        ]),
    )]);
    assert!(lints(&r).is_empty(), "{:#?}", lints(&r));
}
