//! Policy attachment through the router: decisions carry the effective policy, and
//! the resolver's options change the outcome.

use gatewright::policy::{PolicyOptions, SameLevelPrecedence};
use gatewright::{Config, Request, Resources, Router};

const EXAMPLE: &str = include_str!("../../examples/policy.yaml");

fn router(config: Config) -> Router {
    Router::compile_with(&Resources::from_yaml(EXAMPLE).expect("parses"), config).expect("compiles")
}

#[test]
fn decisions_carry_the_effective_policy_of_their_rule_and_backend() {
    let r = router(Config::new());
    let d = r.decide(&Request::new("GET", "shop.example.com", "/pay/now"));
    let policies = d.policies.expect("a policy applies");
    let traffic = &policies["TrafficPolicy"];
    // The Gateway override caps the route's 60s default.
    assert_eq!(traffic["timeouts"]["request"], "10s");
    // The older of two rule-level policies wins retries.attempts; the route default fills codes.
    assert_eq!(traffic["retries"]["attempts"], 1);
    assert_eq!(traffic["retries"]["codes"], serde_json::json!([502, 503]));
    let d = r.decide(&Request::new("GET", "shop.example.com", "/browse"));
    let traffic = &d.policies.expect("a policy applies")["TrafficPolicy"];
    assert_eq!(traffic["retries"]["attempts"], 3);
}

#[test]
fn explain_names_the_source_and_the_losers() {
    let r = router(Config::new());
    let e = r.explain(&Request::new("GET", "shop.example.com", "/pay/now"), 0);
    let traffic = &e.policies["TrafficPolicy"];
    assert_eq!(
        traffic.fields["/timeouts/request"].policy,
        "infra/timeout-ceiling"
    );
    let lost: Vec<(&str, &str, &str)> = traffic
        .discarded
        .iter()
        .map(|d| (d.policy.as_str(), d.by.as_str(), d.reason.as_str()))
        .collect();
    assert!(lost.contains(&(
        "shop/pay-retries-aggressive",
        "shop/pay-retries",
        "SameLevelTimestamp"
    )));
    assert!(lost.contains(&(
        "shop/checkout-defaults",
        "infra/timeout-ceiling",
        "Override"
    )));
}

#[test]
fn the_gep713_reading_lets_the_newer_same_level_default_win() {
    let options = PolicyOptions {
        same_level_precedence: SameLevelPrecedence::Gep713Established,
        ..PolicyOptions::default()
    };
    let r = router(Config::new().policy_options(options));
    let d = r.decide(&Request::new("GET", "shop.example.com", "/pay/now"));
    assert_eq!(
        d.policies.expect("applies")["TrafficPolicy"]["retries"]["attempts"],
        5
    );
}

#[test]
fn status_per_policy_and_ancestor() {
    let r = router(Config::new());
    let set = r.policies().expect("policies");
    let aggressive = &set.reports()["shop/pay-retries-aggressive"];
    assert_eq!(aggressive.accepted, "Accepted");
    assert_eq!(
        aggressive.ancestors[0].programmed.as_deref(),
        Some("Overridden")
    );
    assert_eq!(aggressive.ancestors[0].overridden_by, ["shop/pay-retries"]);
}

#[test]
fn no_policies_means_nothing_is_carried() {
    let yaml = include_str!("../../examples/quickstart.yaml");
    let r = Router::compile(&Resources::from_yaml(yaml).expect("parses")).expect("compiles");
    assert!(r.policies().is_none());
    let d = r.decide(&Request::new("GET", "shop.example.com", "/api/health"));
    assert!(d.policies.is_none());
}

/// Found by the property test against the literal reference: under `mergeDepth:
/// top-level` every top-level key is a leaf, so `{timeout: {}}` is a valid stanza
/// (SEMANTICS §1 "Leaf / field", §3.1).
#[test]
fn top_level_depth_counts_empty_objects_as_leaves() {
    use gatewright::policy::{MergeDepth, PolicyPath, PolicyRegistry, PolicySet};
    let yaml = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {namespace: app, name: gw}
spec: {gatewayClassName: example, listeners: [{name: http, port: 80, protocol: HTTP}]}
---
apiVersion: policies.example.com/v1
kind: TrafficPolicy
metadata: {namespace: app, name: p1, creationTimestamp: '2025-01-10T08:00:00Z'}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  defaults: {timeout: {}}
";
    let resources = Resources::from_yaml(yaml).expect("parses");
    let options = PolicyOptions {
        merge_depth: MergeDepth::TopLevel,
        ..PolicyOptions::default()
    };
    let set = PolicySet::resolve(&resources, &PolicyRegistry::empty(), &options);
    assert_eq!(set.reports()["app/p1"].accepted, "Accepted");
    let e = set.effective(
        "TrafficPolicy",
        &PolicyPath::gateway("app", "gw").listener("http"),
    );
    assert_eq!(e.spec, serde_json::json!({"timeout": {}}));
    // With the default deep merge the same stanza has no leaf: Invalid.
    let set = PolicySet::resolve(
        &resources,
        &PolicyRegistry::empty(),
        &PolicyOptions::default(),
    );
    assert_eq!(set.reports()["app/p1"].accepted, "Invalid");
}

/// Ancestors are sorted by their `namespace/name` text (`app-x/…` before `app/…`), like
/// policy identities and `overriddenBy`.
#[test]
fn ancestors_sort_by_namespace_slash_name_text() {
    use gatewright::policy::{PolicyRegistry, PolicySet};
    let yaml = "
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: example}
spec: {controllerName: example.com/gw}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {namespace: app, name: gw-2}
spec: {gatewayClassName: example, listeners: [{name: http, port: 80, protocol: HTTP}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {namespace: app-x, name: gw-1}
spec: {gatewayClassName: example, listeners: [{name: http, port: 80, protocol: HTTP}]}
---
apiVersion: policies.example.com/v1
kind: TrafficPolicy
metadata: {name: p1, creationTimestamp: '2025-01-10T08:00:00Z'}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: GatewayClass, name: example}]
  defaults: {timeout: 1s}
";
    let resources = Resources::from_yaml(yaml).expect("parses");
    let set = PolicySet::resolve(
        &resources,
        &PolicyRegistry::empty(),
        &PolicyOptions::default(),
    );
    let order: Vec<&str> = set.reports()["/p1"]
        .ancestors
        .iter()
        .map(|a| a.gateway.as_str())
        .collect();
    assert_eq!(order, ["app-x/gw-1", "app/gw-2"]);
}
