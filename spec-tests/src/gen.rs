//! Proptest strategies for differential testing: manifests and requests biased to collide.
//!
//! Everything is drawn from tiny pools — a handful of hostnames (with a wildcard and an
//! absent one), nested paths with equal lengths, two route names in two namespaces whose
//! `{namespace}/{name}` order differs from the `(namespace, name)` order, creation timestamps
//! that are equal, older or missing — so that generated routes overlap and every precedence
//! tie-break is exercised. Requests are drawn from the same pools plus near misses.
//! [`scenario`] makes HTTPRoute manifests, [`grpc_scenario`] GRPCRoute ones with gRPC
//! requests, and [`l4_scenario`] TLS/TCP/UDP listeners and routes with connections.
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! let mut runner = TestRunner::deterministic();
//! let yaml = gatewright_spec::gen::manifest().new_tree(&mut runner).unwrap().current();
//! assert!(gatewright::Resources::from_yaml(&yaml).is_ok());
//! ```

use std::fmt::{self, Write as _};

use gatewright::Request;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, Index};

/// Namespace of the Gateways and their TLS Secret.
pub const GATEWAY_NAMESPACE: &str = "infra";
/// Gateway names.
pub static GATEWAYS: [&str; 2] = ["gw1", "gw2"];
/// Hostnames for listeners and routes.
pub static HOSTNAMES: [&str; 4] = [
    "a.example.com",
    "b.example.com",
    "*.example.com",
    "x.a.example.com",
];
/// Paths for Exact and PathPrefix matches: nested prefixes and equal lengths (`/a//` is invalid:
/// "must not contain '//'", so its rule is dropped).
pub static PATHS: [&str; 9] = [
    "/", "/a", "/a/", "/a/b", "/ab", "/a/b/c", "/b", "/a/b/", "/a//",
];
/// Path regexes (all valid except `/[`, which gets its rule dropped).
pub static REGEXES: [&str; 5] = ["/a/.*", "/[ab]+", "/a/b", "/a/b/?", "/["];
/// Route namespaces: `app-x/…` sorts before `app/…` although `app` < `app-x`.
pub static NAMESPACES: [&str; 2] = ["app", "app-x"];
/// Route names.
pub static ROUTE_NAMES: [&str; 2] = ["r1", "r2"];
/// Creation timestamps: the second and third are the same instant; `None` is missing.
pub static TIMESTAMPS: [Option<&str>; 4] = [
    Some("2023-05-01T00:00:00Z"),
    Some("2024-01-01T00:00:00Z"),
    Some("2024-01-01T01:00:00+01:00"),
    None,
];
/// Backend Service names; `missing` does not exist (the backend is invalid).
pub static SERVICES: [&str; 3] = ["s1", "s2", "missing"];
/// Header names (case variants of one name included).
pub static HEADER_NAMES: [&str; 3] = ["x-a", "X-A", "x-b"];
/// Header and query values.
pub static VALUES: [&str; 3] = ["1", "2", "3"];
/// Value regexes.
pub static VALUE_REGEXES: [&str; 2] = ["[12]", "1|3"];
/// Query parameter names (`Q` differs from `q`: query names are case-sensitive).
pub static QUERY_NAMES: [&str; 3] = ["q", "Q", "r"];
/// Request hosts: the pool, case and trailing-dot variants, and misses.
pub static REQUEST_HOSTS: [&str; 9] = [
    "a.example.com",
    "b.example.com",
    "x.a.example.com",
    "y.x.a.example.com",
    "c.example.com",
    "example.com",
    "other.org",
    "A.Example.COM",
    "b.example.com.",
];
/// Request paths: the pool plus children, near misses and trailing slashes.
pub static REQUEST_PATHS: [&str; 15] = [
    "/", "/a", "/a/", "/a/b", "/ab", "/a/b/c", "/b", "/a/b/x", "/abc", "/a//b", "/a/b/", "/b/",
    "/A", "/a/b/c/d", "",
];
/// Request query strings.
pub static REQUEST_QUERIES: [Option<&str>; 7] = [
    None,
    Some("q=1"),
    Some("q=2&r=1"),
    Some("Q=1"),
    Some("q=1&q=2"),
    Some("r=3&q=3"),
    Some("q"),
];

// --- manifest model ---------------------------------------------------------------------------

/// A listener protocol; the `bool`s say whether the certificate resolves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proto {
    Http,
    Https(bool),
    /// `tls.mode: Passthrough` (no certificate needed).
    TlsPassthrough,
    /// `tls.mode: Terminate`: `Some(ok)` with a certificateRef, `None` without `tls` at all.
    TlsTerminate(Option<bool>),
    Tcp,
    Udp,
}

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::Http => "HTTP",
            Proto::Https(_) => "HTTPS",
            Proto::TlsPassthrough | Proto::TlsTerminate(_) => "TLS",
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
        }
    }
}

/// A listener: name (`l{i}` unless given), port, hostname, protocol, and optionally the one
/// route kind it allows.
#[derive(Clone, Debug)]
struct ListenerSpec {
    name: Option<&'static str>,
    port: u16,
    hostname: Option<&'static str>,
    proto: Proto,
    kind: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct ParentSpec {
    gateway: &'static str,
    section: Option<&'static str>,
}

#[derive(Clone, Debug)]
enum PathSpec {
    Exact(&'static str),
    Prefix(&'static str),
    Regex(&'static str),
}

#[derive(Clone, Debug)]
struct ValueSpec {
    name: &'static str,
    value: &'static str,
    regex: bool,
}

#[derive(Clone, Debug)]
struct MatchSpec {
    path: Option<PathSpec>,
    method: Option<&'static str>,
    headers: Vec<ValueSpec>,
    query: Vec<ValueSpec>,
}

#[derive(Clone, Debug)]
enum FilterSpec {
    None,
    Redirect(Option<u16>),
    Unsupported,
}

#[derive(Clone, Debug)]
struct BackendSpec {
    service: &'static str,
    port: u16,
    weight: Option<u32>,
}

#[derive(Clone, Debug)]
struct RuleSpec {
    matches: Vec<MatchSpec>,
    filter: FilterSpec,
    backends: Vec<BackendSpec>,
}

#[derive(Clone, Debug)]
struct RouteSpec {
    namespace: &'static str,
    name: &'static str,
    created: Option<&'static str>,
    parents: Vec<ParentSpec>,
    hostnames: Vec<&'static str>,
    rules: Vec<RuleSpec>,
}

#[derive(Clone, Debug, Default)]
struct ManifestSpec {
    gateways: Vec<Vec<ListenerSpec>>,
    routes: Vec<RouteSpec>,
    grpc_routes: Vec<GrpcRouteSpec>,
    l4_routes: Vec<L4RouteSpec>,
}

fn listener() -> impl Strategy<Value = ListenerSpec> {
    (
        prop_oneof![3 => Just(80u16), 1 => Just(8080u16)],
        option::weighted(0.7, select(&HOSTNAMES[..])),
        prop_oneof![8 => Just(None), 2 => Just(Some(true)), 1 => Just(Some(false))],
        prop_oneof![12 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(port, hostname, https, odd_port)| {
            // HTTPS listeners live on 443 (an HTTP and an HTTPS listener on one port conflict),
            // except now and then, to exercise that conflict.
            let port = if https.is_some() && !odd_port {
                443
            } else {
                port
            };
            ListenerSpec {
                name: None,
                port,
                hostname,
                proto: https.map_or(Proto::Http, Proto::Https),
                kind: None,
            }
        })
}

/// 1–3 listeners; listeners that would conflict (same port and hostname) are mostly dropped.
fn listeners() -> impl Strategy<Value = Vec<ListenerSpec>> {
    let flags = (
        prop_oneof![8 => Just(false), 1 => Just(true)],
        prop_oneof![4 => Just(true), 1 => Just(false)],
    );
    (vec(listener(), 1..=3), flags).prop_map(|(mut ls, (keep_conflicts, first_on_80))| {
        if first_on_80 {
            // Most Gateways have plain HTTP on port 80 first, where most requests enter.
            ls[0].port = 80;
            ls[0].proto = Proto::Http;
        }
        if !keep_conflicts {
            let mut seen = Vec::new();
            ls.retain(|l| {
                let k = (l.port, l.hostname);
                let fresh = !seen.contains(&k);
                seen.push(k);
                fresh
            });
        }
        ls
    })
}

fn value_spec(names: &'static [&'static str]) -> impl Strategy<Value = ValueSpec> {
    prop_oneof![
        3 => (select(names), select(&VALUES[..])).prop_map(|(name, value)| ValueSpec { name, value, regex: false }),
        1 => (select(names), select(&VALUE_REGEXES[..])).prop_map(|(name, value)| ValueSpec { name, value, regex: true }),
    ]
}

fn path_spec() -> impl Strategy<Value = PathSpec> {
    prop_oneof![
        3 => select(&PATHS[..]).prop_map(PathSpec::Exact),
        4 => select(&PATHS[..]).prop_map(PathSpec::Prefix),
        2 => select(&REGEXES[..4]).prop_map(PathSpec::Regex),
        1 => select(&REGEXES[..]).prop_map(PathSpec::Regex),
    ]
}

fn match_spec() -> impl Strategy<Value = MatchSpec> {
    (
        option::weighted(0.9, path_spec()),
        option::weighted(0.3, select(vec!["GET", "POST"])),
        prop_oneof![3 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)]
            .prop_flat_map(|n| vec(value_spec(&HEADER_NAMES), n)),
        prop_oneof![4 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)]
            .prop_flat_map(|n| vec(value_spec(&QUERY_NAMES), n)),
    )
        .prop_map(|(path, method, headers, query)| MatchSpec {
            path,
            method,
            headers,
            query,
        })
}

fn backend_spec() -> impl Strategy<Value = BackendSpec> {
    (
        prop_oneof![8 => select(&SERVICES[..2]), 1 => Just(SERVICES[2])],
        prop_oneof![12 => Just(80u16), 1 => Just(81u16)],
        option::weighted(0.6, prop_oneof![1 => Just(0u32), 3 => 1u32..=3]),
    )
        .prop_map(|(service, port, weight)| BackendSpec {
            service,
            port,
            weight,
        })
}

fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    (
        prop_oneof![1 => Just(0usize), 3 => Just(1usize), 2 => Just(2usize)].prop_flat_map(|n| vec(match_spec(), n)),
        prop_oneof![
            20 => Just(FilterSpec::None),
            2 => prop_oneof![Just(None), Just(Some(301u16)), Just(Some(302u16))].prop_map(FilterSpec::Redirect),
            1 => Just(FilterSpec::Unsupported),
        ],
        prop_oneof![1 => Just(0usize), 6 => Just(1usize), 4 => Just(2usize), 2 => Just(3usize)].prop_flat_map(|n| vec(backend_spec(), n)),
    )
        .prop_map(|(matches, filter, backends)| RuleSpec { matches, filter, backends })
}

fn route_spec(gateways: usize) -> impl Strategy<Value = RouteSpec> {
    let parent = (
        select(GATEWAYS[..gateways].to_vec()),
        prop_oneof![6 => Just(None), 1 => select(vec!["l0", "l1", "l2"]).prop_map(Some)],
    )
        .prop_map(|(gateway, section)| ParentSpec { gateway, section });
    (
        select(&NAMESPACES[..]),
        select(&ROUTE_NAMES[..]),
        select(&TIMESTAMPS[..]),
        vec(parent, 1..=2),
        vec(select(&HOSTNAMES[..]), 0..=2),
        vec(rule_spec(), 1..=3),
    )
        .prop_map(
            |(namespace, name, created, parents, hostnames, rules)| RouteSpec {
                namespace,
                name,
                created,
                parents,
                hostnames,
                rules,
            },
        )
}

fn manifest_spec() -> impl Strategy<Value = ManifestSpec> {
    prop_oneof![3 => Just(1usize), 1 => Just(2usize)].prop_flat_map(|gateways| {
        (vec(listeners(), gateways), vec(route_spec(gateways), 1..=4)).prop_map(
            |(gateways, routes)| ManifestSpec {
                gateways,
                routes,
                ..ManifestSpec::default()
            },
        )
    })
}

// --- GRPCRoute model ---------------------------------------------------------------------------

/// gRPC services (`pkg.Echo` is a prefix of `pkg.Echo2`).
pub static GRPC_SERVICES: [&str; 3] = ["pkg.Echo", "pkg.Echo2", "other.Svc"];
/// gRPC methods (`Ping` is a prefix of `PingStream`).
pub static GRPC_METHODS: [&str; 3] = ["Ping", "PingStream", "Get"];
/// Service regexes (the last is invalid: its rule is dropped).
pub static GRPC_SERVICE_REGEXES: [&str; 4] = [r"pkg\.Echo2?", r"pkg\..*", ".*", "["];
/// Method regexes.
pub static GRPC_METHOD_REGEXES: [&str; 2] = ["Ping.*", "Ping|Get"];
/// gRPC request paths: the pools crossed, plus malformed and near-miss paths.
pub static GRPC_REQUEST_PATHS: [&str; 14] = [
    "/pkg.Echo/Ping",
    "/pkg.Echo/PingStream",
    "/pkg.Echo/Get",
    "/pkg.Echo2/Ping",
    "/pkg.Echo2/Get",
    "/other.Svc/Get",
    "/other.Svc/Ping",
    "/pkg.echo/Ping",
    "/pkg.Echo/ping",
    "/pkg.Echo",
    "/pkg.Echo/Ping/x",
    "//Ping",
    "/pkg.Echo/",
    "/",
];

#[derive(Clone, Debug)]
struct GrpcMethodSpec {
    regex: bool,
    service: Option<&'static str>,
    method: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct GrpcMatchSpec {
    method: Option<GrpcMethodSpec>,
    headers: Vec<ValueSpec>,
}

#[derive(Clone, Debug)]
struct GrpcRuleSpec {
    matches: Vec<GrpcMatchSpec>,
    backends: Vec<BackendSpec>,
}

#[derive(Clone, Debug)]
struct GrpcRouteSpec {
    namespace: &'static str,
    name: &'static str,
    created: Option<&'static str>,
    parents: Vec<ParentSpec>,
    hostnames: Vec<&'static str>,
    rules: Vec<GrpcRuleSpec>,
}

fn grpc_method_spec() -> impl Strategy<Value = GrpcMethodSpec> {
    let exact = (
        option::weighted(0.8, select(&GRPC_SERVICES[..])),
        option::weighted(0.6, select(&GRPC_METHODS[..])),
    )
        .prop_map(|(service, method)| GrpcMethodSpec {
            regex: false,
            service,
            method,
        });
    let regex = (
        option::weighted(0.8, select(&GRPC_SERVICE_REGEXES[..])),
        option::weighted(0.5, select(&GRPC_METHOD_REGEXES[..])),
    )
        .prop_map(|(service, method)| GrpcMethodSpec {
            regex: true,
            service,
            method,
        });
    prop_oneof![3 => exact, 1 => regex]
}

fn grpc_match_spec() -> impl Strategy<Value = GrpcMatchSpec> {
    (
        option::weighted(0.85, grpc_method_spec()),
        prop_oneof![3 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)]
            .prop_flat_map(|n| vec(value_spec(&HEADER_NAMES), n)),
    )
        .prop_map(|(method, headers)| GrpcMatchSpec { method, headers })
}

fn grpc_route_spec() -> impl Strategy<Value = GrpcRouteSpec> {
    let parent = prop_oneof![6 => Just(None), 1 => select(vec!["l0", "l1", "l2"]).prop_map(Some)]
        .prop_map(|section| ParentSpec {
            gateway: GATEWAYS[0],
            section,
        });
    let rule = (
        prop_oneof![1 => Just(0usize), 3 => Just(1usize), 2 => Just(2usize)]
            .prop_flat_map(|n| vec(grpc_match_spec(), n)),
        prop_oneof![1 => Just(0usize), 6 => Just(1usize), 4 => Just(2usize), 1 => Just(3usize)]
            .prop_flat_map(|n| vec(backend_spec(), n)),
    )
        .prop_map(|(matches, backends)| GrpcRuleSpec { matches, backends });
    (
        select(&NAMESPACES[..]),
        select(&ROUTE_NAMES[..]),
        select(&TIMESTAMPS[..]),
        vec(parent, 1..=2),
        vec(select(&HOSTNAMES[..]), 0..=2),
        vec(rule, 1..=3),
    )
        .prop_map(
            |(namespace, name, created, parents, hostnames, rules)| GrpcRouteSpec {
                namespace,
                name,
                created,
                parents,
                hostnames,
                rules,
            },
        )
}

/// One Gateway `gw1` with 1–3 HTTP/HTTPS listeners carrying only GRPCRoutes (1–4), and now
/// and then an HTTP listener `lh` on 8081 that admits only HTTPRoutes, with one catch-all
/// HTTPRoute bound to it by `sectionName` (so HTTPRoutes and GRPCRoutes never share a
/// listener: that is a conflict the router does not resolve yet).
fn grpc_manifest_spec() -> impl Strategy<Value = ManifestSpec> {
    (
        listeners(),
        vec(grpc_route_spec(), 1..=4),
        prop_oneof![3 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(mut listeners, grpc_routes, with_http)| {
            let mut routes = Vec::new();
            if with_http {
                listeners.push(ListenerSpec {
                    name: Some("lh"),
                    port: 8081,
                    hostname: None,
                    proto: Proto::Http,
                    kind: Some("HTTPRoute"),
                });
                routes.push(RouteSpec {
                    namespace: NAMESPACES[0],
                    name: "plain",
                    created: None,
                    parents: vec![ParentSpec {
                        gateway: GATEWAYS[0],
                        section: Some("lh"),
                    }],
                    hostnames: Vec::new(),
                    rules: vec![RuleSpec {
                        matches: Vec::new(),
                        filter: FilterSpec::None,
                        backends: vec![BackendSpec {
                            service: SERVICES[0],
                            port: 80,
                            weight: None,
                        }],
                    }],
                });
            }
            ManifestSpec {
                gateways: vec![listeners],
                routes,
                grpc_routes,
                l4_routes: Vec::new(),
            }
        })
}

// --- L4 model ----------------------------------------------------------------------------------

/// TLSRoute, TCPRoute or UDPRoute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum L4Kind {
    Tls,
    Tcp,
    Udp,
}

#[derive(Clone, Debug)]
struct L4RouteSpec {
    kind: L4Kind,
    namespace: &'static str,
    name: &'static str,
    created: Option<&'static str>,
    parents: Vec<ParentSpec>,
    hostnames: Vec<&'static str>,
    /// Each rule's backends (only the first rule is used).
    rules: Vec<Vec<BackendSpec>>,
}

/// SNIs of connections: the pool, deeper names, misses, upper case and a trailing dot.
pub static SNIS: [&str; 9] = [
    "a.example.com",
    "b.example.com",
    "x.a.example.com",
    "y.x.a.example.com",
    "c.example.com",
    "example.com",
    "other.org",
    "B.EXAMPLE.COM",
    "b.example.com.",
];

fn l4_listener() -> impl Strategy<Value = ListenerSpec> {
    let tls = (
        prop_oneof![3 => Just(443u16), 1 => Just(8443u16)],
        option::weighted(0.5, select(&HOSTNAMES[..])),
        prop_oneof![
            3 => Just(Proto::TlsPassthrough),
            2 => Just(Proto::TlsTerminate(Some(true))),
            1 => Just(Proto::TlsTerminate(Some(false))),
            1 => Just(Proto::TlsTerminate(None)),
        ],
    )
        .prop_map(|(port, hostname, proto)| (port, hostname, proto));
    let plain = (
        prop_oneof![
            3 => Just((5000u16, Proto::Tcp)),
            1 => Just((5001u16, Proto::Tcp)),
            2 => Just((5000u16, Proto::Udp)),
            1 => Just((5353u16, Proto::Udp)),
            1 => Just((80u16, Proto::Http)),
        ],
        prop_oneof![12 => Just(None), 1 => Just(Some(8443u16))],
    )
        .prop_map(|((port, proto), odd)| (odd.unwrap_or(port), None, proto));
    prop_oneof![3 => tls, 2 => plain].prop_map(|(port, hostname, proto)| ListenerSpec {
        name: None,
        port,
        hostname,
        proto,
        kind: None,
    })
}

/// 1–4 L4 listeners; listeners that would conflict (same port, protocol and hostname) are
/// mostly dropped.
fn l4_listeners() -> impl Strategy<Value = Vec<ListenerSpec>> {
    (
        vec(l4_listener(), 1..=4),
        prop_oneof![8 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(mut ls, keep_conflicts)| {
            if !keep_conflicts {
                let mut seen = Vec::new();
                ls.retain(|l| {
                    let k = (l.port, l.proto.name(), l.hostname);
                    let fresh = !seen.contains(&k);
                    seen.push(k);
                    fresh
                });
            }
            ls
        })
}

fn l4_route_spec(gateways: usize) -> impl Strategy<Value = L4RouteSpec> {
    let parent = (
        select(GATEWAYS[..gateways].to_vec()),
        prop_oneof![8 => Just(None), 1 => select(vec!["l0", "l1", "l2", "l3"]).prop_map(Some)],
    )
        .prop_map(|(gateway, section)| ParentSpec { gateway, section });
    (
        prop_oneof![3 => Just(L4Kind::Tls), 2 => Just(L4Kind::Tcp), 2 => Just(L4Kind::Udp)],
        (
            select(&NAMESPACES[..]),
            select(vec!["r1", "r2", "r3"]),
            select(&TIMESTAMPS[..]),
        ),
        vec(parent, 1..=2),
        prop_oneof![1 => Just(0usize), 6 => Just(1usize), 3 => Just(2usize)]
            .prop_flat_map(|n| vec(select(&HOSTNAMES[..]), n)),
        prop_oneof![8 => Just(1usize), 1 => Just(2usize)].prop_flat_map(|n| vec(l4_backends(), n)),
    )
        .prop_map(
            |(kind, (namespace, name, created), parents, hostnames, rules)| L4RouteSpec {
                kind,
                namespace,
                name,
                created,
                parents,
                hostnames: if kind == L4Kind::Tls {
                    hostnames
                } else {
                    Vec::new()
                },
                rules,
            },
        )
}

fn l4_backends() -> impl Strategy<Value = Vec<BackendSpec>> {
    prop_oneof![1 => Just(0usize), 6 => Just(1usize), 4 => Just(2usize), 2 => Just(3usize)]
        .prop_flat_map(|n| vec(backend_spec(), n))
}

fn l4_manifest_spec() -> impl Strategy<Value = ManifestSpec> {
    prop_oneof![3 => Just(1usize), 1 => Just(2usize)].prop_flat_map(|gateways| {
        (
            vec(l4_listeners(), gateways),
            vec(l4_route_spec(gateways), 3..=7),
        )
            .prop_map(|(gateways, l4_routes)| ManifestSpec {
                gateways,
                l4_routes,
                ..ManifestSpec::default()
            })
    })
}

/// A manifest as YAML: a GatewayClass, one or two Gateways (`infra/gw1`, `infra/gw2`) with 1–3
/// listeners (`l0`…) on ports 80/8080, mostly HTTP, `allowedRoutes: All`; a TLS Secret; Services
/// `s1`, `s2` (port 80) in each route namespace; and 1–4 HTTPRoutes with 1–3 rules, 0–2 matches
/// each, 0–3 weighted backends and occasionally a redirect or an unsupported filter.
pub fn manifest() -> impl Strategy<Value = String> {
    manifest_spec().prop_map(|m| render(&m))
}

/// JSON string literal (valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn render(m: &ManifestSpec) -> String {
    let mut y = String::new();
    y.push_str("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gwc}\nspec: {controllerName: gatewright/controller}\n");
    // A PEM-looking certificate and key (base64 of the PEM headers is all attach checks).
    let _ = write!(
        y,
        "---\napiVersion: v1\nkind: Secret\nmetadata: {{name: cert, namespace: {GATEWAY_NAMESPACE}}}\ntype: kubernetes.io/tls\n\
         data: {{tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t, tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t}}\n"
    );
    for (g, listeners) in m.gateways.iter().enumerate() {
        let _ = write!(
            y,
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: {}, namespace: {GATEWAY_NAMESPACE}}}\nspec:\n  gatewayClassName: gwc\n  listeners:\n",
            GATEWAYS[g]
        );
        for (i, l) in listeners.iter().enumerate() {
            let protocol = l.proto.name();
            let name = l.name.map_or_else(|| format!("l{i}"), str::to_owned);
            let kinds = l
                .kind
                .map(|k| format!(", kinds: [{{kind: {k}}}]"))
                .unwrap_or_default();
            let _ = write!(y, "  - {{name: {name}, port: {}, protocol: {protocol}, allowedRoutes: {{namespaces: {{from: All}}{kinds}}}", l.port);
            if let Some(h) = l.hostname {
                let _ = write!(y, ", hostname: {}", q(h));
            }
            let secret = |ok: bool| if ok { "cert" } else { "no-such-cert" };
            match l.proto {
                Proto::Https(ok) | Proto::TlsTerminate(Some(ok)) => {
                    let _ = write!(
                        y,
                        ", tls: {{mode: Terminate, certificateRefs: [{{name: {}}}]}}",
                        secret(ok)
                    );
                }
                Proto::TlsPassthrough => y.push_str(", tls: {mode: Passthrough}"),
                Proto::TlsTerminate(None) | Proto::Http | Proto::Tcp | Proto::Udp => {}
            }
            y.push_str("}\n");
        }
    }
    for ns in NAMESPACES {
        for s in &SERVICES[..2] {
            let _ = write!(y, "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {s}, namespace: {ns}}}\nspec: {{ports: [{{port: 80}}]}}\n");
        }
    }
    for r in &m.routes {
        let _ = write!(y, "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {}, namespace: {}", r.name, r.namespace);
        if let Some(c) = r.created {
            let _ = write!(y, ", creationTimestamp: {}", q(c));
        }
        y.push_str("}\nspec:\n  parentRefs:\n");
        for p in &r.parents {
            let _ = write!(
                y,
                "  - {{name: {}, namespace: {GATEWAY_NAMESPACE}",
                p.gateway
            );
            if let Some(s) = p.section {
                let _ = write!(y, ", sectionName: {s}");
            }
            y.push_str("}\n");
        }
        if !r.hostnames.is_empty() {
            let hs: Vec<String> = r.hostnames.iter().map(|h| q(h)).collect();
            let _ = writeln!(y, "  hostnames: [{}]", hs.join(", "));
        }
        y.push_str("  rules:\n");
        for rule in &r.rules {
            y.push_str("  - matches:");
            if rule.matches.is_empty() {
                y.push_str(" []\n");
            } else {
                y.push('\n');
            }
            for mt in &rule.matches {
                let mut parts = Vec::new();
                match &mt.path {
                    None => {}
                    Some(PathSpec::Exact(p)) => {
                        parts.push(format!("path: {{type: Exact, value: {}}}", q(p)))
                    }
                    Some(PathSpec::Prefix(p)) => {
                        parts.push(format!("path: {{type: PathPrefix, value: {}}}", q(p)))
                    }
                    Some(PathSpec::Regex(p)) => parts.push(format!(
                        "path: {{type: RegularExpression, value: {}}}",
                        q(p)
                    )),
                }
                if let Some(method) = mt.method {
                    parts.push(format!("method: {method}"));
                }
                let values = render_values;
                if !mt.headers.is_empty() {
                    parts.push(format!("headers: {}", values(&mt.headers)));
                }
                if !mt.query.is_empty() {
                    parts.push(format!("queryParams: {}", values(&mt.query)));
                }
                let _ = writeln!(y, "    - {{{}}}", parts.join(", "));
            }
            match rule.filter {
                FilterSpec::None => {}
                FilterSpec::Redirect(status) => {
                    let status = status
                        .map(|s| format!(", statusCode: {s}"))
                        .unwrap_or_default();
                    let _ = writeln!(y, "    filters: [{{type: RequestRedirect, requestRedirect: {{hostname: elsewhere.example{status}}}}}]");
                }
                FilterSpec::Unsupported => {
                    y.push_str("    filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Thing, name: x}}]\n");
                }
            }
            y.push_str("    backendRefs:");
            if rule.backends.is_empty() {
                y.push_str(" []\n");
            } else {
                y.push('\n');
            }
            for b in &rule.backends {
                let weight = b
                    .weight
                    .map(|w| format!(", weight: {w}"))
                    .unwrap_or_default();
                let _ = writeln!(y, "    - {{name: {}, port: {}{weight}}}", b.service, b.port);
            }
        }
    }
    for r in &m.grpc_routes {
        render_grpc_route(&mut y, r);
    }
    for r in &m.l4_routes {
        render_l4_route(&mut y, r);
    }
    y
}

/// `[{name: …, type: Exact|RegularExpression, value: …}, …]`.
fn render_values(list: &[ValueSpec]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|v| {
            let kind = if v.regex {
                "RegularExpression"
            } else {
                "Exact"
            };
            format!(
                "{{name: {}, type: {kind}, value: {}}}",
                q(v.name),
                q(v.value)
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// `metadata`, `parentRefs` and `hostnames` of a route of any kind.
fn render_route_head(
    y: &mut String,
    api: &str,
    kind: &str,
    meta: (&str, &str, Option<&str>),
    parents: &[ParentSpec],
    hostnames: &[&str],
) {
    let (namespace, name, created) = meta;
    let _ = write!(
        y,
        "---\napiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}, namespace: {namespace}"
    );
    if let Some(c) = created {
        let _ = write!(y, ", creationTimestamp: {}", q(c));
    }
    y.push_str("}\nspec:\n  parentRefs:\n");
    for p in parents {
        let _ = write!(
            y,
            "  - {{name: {}, namespace: {GATEWAY_NAMESPACE}",
            p.gateway
        );
        if let Some(s) = p.section {
            let _ = write!(y, ", sectionName: {s}");
        }
        y.push_str("}\n");
    }
    if !hostnames.is_empty() {
        let hs: Vec<String> = hostnames.iter().map(|h| q(h)).collect();
        let _ = writeln!(y, "  hostnames: [{}]", hs.join(", "));
    }
}

fn render_backends(y: &mut String, backends: &[BackendSpec]) {
    y.push_str("    backendRefs:");
    if backends.is_empty() {
        y.push_str(" []\n");
    } else {
        y.push('\n');
    }
    for b in backends {
        let weight = b
            .weight
            .map(|w| format!(", weight: {w}"))
            .unwrap_or_default();
        let _ = writeln!(y, "    - {{name: {}, port: {}{weight}}}", b.service, b.port);
    }
}

fn render_grpc_route(y: &mut String, r: &GrpcRouteSpec) {
    render_route_head(
        y,
        "gateway.networking.k8s.io/v1",
        "GRPCRoute",
        (r.namespace, r.name, r.created),
        &r.parents,
        &r.hostnames,
    );
    y.push_str("  rules:\n");
    for rule in &r.rules {
        y.push_str("  - matches:");
        if rule.matches.is_empty() {
            y.push_str(" []\n");
        } else {
            y.push('\n');
        }
        for mt in &rule.matches {
            let mut parts = Vec::new();
            if let Some(method) = &mt.method {
                let mut fields = vec![format!(
                    "type: {}",
                    if method.regex {
                        "RegularExpression"
                    } else {
                        "Exact"
                    }
                )];
                if let Some(svc) = method.service {
                    fields.push(format!("service: {}", q(svc)));
                }
                if let Some(m) = method.method {
                    fields.push(format!("method: {}", q(m)));
                }
                parts.push(format!("method: {{{}}}", fields.join(", ")));
            }
            if !mt.headers.is_empty() {
                parts.push(format!("headers: {}", render_values(&mt.headers)));
            }
            let _ = writeln!(y, "    - {{{}}}", parts.join(", "));
        }
        render_backends(y, &rule.backends);
    }
}

fn render_l4_route(y: &mut String, r: &L4RouteSpec) {
    let (api, kind) = match r.kind {
        L4Kind::Tls => ("gateway.networking.k8s.io/v1", "TLSRoute"),
        L4Kind::Tcp => ("gateway.networking.k8s.io/v1alpha2", "TCPRoute"),
        L4Kind::Udp => ("gateway.networking.k8s.io/v1alpha2", "UDPRoute"),
    };
    render_route_head(
        y,
        api,
        kind,
        (r.namespace, r.name, r.created),
        &r.parents,
        &r.hostnames,
    );
    y.push_str("  rules:\n");
    for backends in &r.rules {
        y.push_str("  -");
        let mut rule = String::new();
        render_backends(&mut rule, backends);
        // `  - backendRefs: …` (the rule's first key on the dash line).
        y.push_str(&rule[3..]);
    }
}

// --- requests -----------------------------------------------------------------------------------

/// A generated request, owning what [`Request`] borrows.
#[derive(Clone, Debug)]
pub struct GenRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// `http` (mostly) or `https`.
    pub scheme: &'static str,
    /// Host, optionally with `:port`.
    pub authority: String,
    /// Path with optional `?query`.
    pub path_and_query: String,
    /// Headers.
    pub headers: Vec<(&'static str, &'static str)>,
    /// TLS SNI.
    pub sni: Option<&'static str>,
    /// Gateway name (namespace [`GATEWAY_NAMESPACE`]); `nope` does not exist.
    pub gateway: Option<&'static str>,
    /// Entry port.
    pub port: Option<u16>,
    /// Listener name.
    pub listener: Option<&'static str>,
    /// Entropy for the backend pick.
    pub entropy: u64,
}

impl GenRequest {
    /// The [`Request`] to route.
    pub fn request(&self) -> Request<'_> {
        let mut r = Request::new(self.method, &self.authority, &self.path_and_query)
            .scheme(self.scheme)
            .headers(&self.headers);
        if let Some(sni) = self.sni {
            r = r.sni(sni);
        }
        if let Some(g) = self.gateway {
            r = r.gateway(GATEWAY_NAMESPACE, g);
        }
        if let Some(p) = self.port {
            r = r.port(p);
        }
        if let Some(l) = self.listener {
            r = r.listener(l);
        }
        r
    }
}

impl fmt::Display for GenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}://{}{}",
            self.method, self.scheme, self.authority, self.path_and_query
        )?;
        for (n, v) in &self.headers {
            write!(f, " [{n}: {v}]")?;
        }
        if let Some(s) = self.sni {
            write!(f, " sni={s}")?;
        }
        if let Some(g) = self.gateway {
            write!(f, " gateway={GATEWAY_NAMESPACE}/{g}")?;
        }
        if let Some(p) = self.port {
            write!(f, " port={p}")?;
        }
        if let Some(l) = self.listener {
            write!(f, " listener={l}")?;
        }
        write!(f, " entropy={:#x}", self.entropy)
    }
}

/// Which Gateway a request names, resolved against the manifest.
#[derive(Clone, Copy, Debug)]
enum GatewayChoice {
    /// None with one Gateway; with two, the one picked by the index.
    Auto(Index),
    /// None, whatever the number of Gateways.
    Unnamed,
    /// A Gateway that does not exist.
    Nope,
}

/// A port, resolved against the manifest's listener ports.
#[derive(Clone, Copy, Debug)]
enum PortChoice {
    /// Nothing (the default).
    Default,
    /// One of the listener ports.
    Listener(Index),
    /// A port no listener uses.
    Bogus,
}

/// A request before it is fitted to a manifest (so that both shrink independently).
#[derive(Clone, Debug)]
struct RawRequest {
    method: &'static str,
    https: Option<bool>,
    host: &'static str,
    authority_port: PortChoice,
    path: &'static str,
    query: Option<&'static str>,
    headers: Vec<(&'static str, &'static str)>,
    sni: Option<&'static str>,
    gateway: GatewayChoice,
    entry_port: PortChoice,
    listener: Option<&'static str>,
    entropy: u64,
}

fn port_choice(default: u32, listener: u32, bogus: u32) -> impl Strategy<Value = PortChoice> {
    prop_oneof![
        default => Just(PortChoice::Default),
        listener => any::<Index>().prop_map(PortChoice::Listener),
        bogus => Just(PortChoice::Bogus),
    ]
}

fn raw_request() -> impl Strategy<Value = RawRequest> {
    raw_request_with(&REQUEST_PATHS, &REQUEST_QUERIES, vec!["GET", "POST"])
}

fn raw_request_with(
    paths: &'static [&'static str],
    queries: &'static [Option<&'static str>],
    methods: Vec<&'static str>,
) -> impl Strategy<Value = RawRequest> {
    let target = (
        select(methods),
        // `Some(true)`: https when the manifest has a 443 listener; `Some(false)`: always https.
        prop_oneof![10 => Just(None), 4 => Just(Some(true)), 1 => Just(Some(false))],
        select(&REQUEST_HOSTS[..]),
        port_choice(8, 4, 1),
        select(paths),
        select(queries),
        vec((select(&HEADER_NAMES[..]), select(&VALUES[..])), 0..=3),
    );
    let entry = (
        prop_oneof![3 => Just(None), 1 => select(&REQUEST_HOSTS[..5]).prop_map(Some)],
        prop_oneof![
            18 => any::<Index>().prop_map(GatewayChoice::Auto),
            2 => Just(GatewayChoice::Unnamed),
            1 => Just(GatewayChoice::Nope),
        ],
        port_choice(16, 2, 1),
        prop_oneof![20 => Just(None), 1 => select(vec!["l0", "l1", "l2", "l9"]).prop_map(Some)],
        any::<u64>(),
    );
    (target, entry).prop_map(
        |(
            (method, https, host, authority_port, path, query, headers),
            (sni, gateway, entry_port, listener, entropy),
        )| RawRequest {
            method,
            https,
            host,
            authority_port,
            path,
            query,
            headers,
            sni,
            gateway,
            entry_port,
            listener,
            entropy,
        },
    )
}

impl RawRequest {
    /// Fits the request to a manifest: its Gateway count and listener ports.
    fn resolve(self, m: &ManifestSpec) -> GenRequest {
        let mut ports: Vec<u16> = m.gateways.iter().flatten().map(|l| l.port).collect();
        ports.sort_unstable();
        ports.dedup();
        let port = |c: PortChoice| match c {
            PortChoice::Default => None,
            PortChoice::Listener(i) if !ports.is_empty() => Some(*i.get(&ports)),
            PortChoice::Listener(_) | PortChoice::Bogus => Some(9),
        };
        let scheme = match self.https {
            Some(false) => "https",
            Some(true) if ports.contains(&443) => "https",
            _ => "http",
        };
        let authority = match port(self.authority_port) {
            None => self.host.to_owned(),
            Some(p) => format!("{}:{p}", self.host),
        };
        let gateway = match self.gateway {
            GatewayChoice::Auto(_) if m.gateways.len() == 1 => None,
            GatewayChoice::Auto(i) => Some(*i.get(&GATEWAYS[..m.gateways.len()])),
            GatewayChoice::Unnamed => None,
            GatewayChoice::Nope => Some("nope"),
        };
        GenRequest {
            method: self.method,
            scheme,
            authority,
            path_and_query: match self.query {
                Some(q) => format!("{}?{q}", self.path),
                None => self.path.to_owned(),
            },
            headers: self.headers,
            sni: self.sni,
            gateway,
            port: port(self.entry_port),
            listener: self.listener,
            entropy: self.entropy,
        }
    }
}

/// One manifest (as [`manifest`]) with `requests` requests near it: hosts and paths from the
/// pools plus misses, children, `Host:port` forms and trailing slashes; GET/POST; pool headers
/// and query strings; mostly the default entry point (a Gateway is named when there are two);
/// ports mostly those of the manifest's listeners; any entropy. Manifest and requests shrink
/// independently.
pub fn scenario(
    requests: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = (String, Vec<GenRequest>)> {
    (manifest_spec(), vec(raw_request(), requests)).prop_map(|(m, raws)| {
        let yaml = render(&m);
        let requests = raws.into_iter().map(|r| r.resolve(&m)).collect();
        (yaml, requests)
    })
}

/// Like [`scenario`], for GRPCRoutes: one Gateway `gw1` with 1–3 HTTP/HTTPS listeners and 1–4
/// GRPCRoutes (1–3 rules, 0–2 matches each: exact service+method, service only, method only,
/// regular expressions, invalid matches; 0–2 header conditions; 0–3 weighted backends) with
/// hostnames from the shared pool, now and then an HTTPRoute on its own listener `lh`
/// (port 8081); `POST` requests with gRPC paths `/service/Method` from the pools, malformed
/// gRPC paths, and pool headers.
pub fn grpc_scenario(
    requests: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = (String, Vec<GenRequest>)> {
    static NO_QUERY: [Option<&str>; 1] = [None];
    (
        grpc_manifest_spec(),
        vec(
            raw_request_with(&GRPC_REQUEST_PATHS, &NO_QUERY, vec!["POST"]),
            requests,
        ),
    )
        .prop_map(|(m, raws)| {
            let yaml = render(&m);
            let requests = raws.into_iter().map(|r| r.resolve(&m)).collect();
            (yaml, requests)
        })
}

// --- connections --------------------------------------------------------------------------------

/// A generated connection, owning what [`Connection`](gatewright::Connection) borrows.
#[derive(Clone, Debug)]
pub struct GenConnection {
    /// UDP (else TCP).
    pub udp: bool,
    /// Destination port.
    pub port: u16,
    /// TLS ClientHello SNI.
    pub sni: Option<&'static str>,
    /// Gateway name (namespace [`GATEWAY_NAMESPACE`]); `nope` does not exist.
    pub gateway: Option<&'static str>,
    /// Entropy for the backend pick.
    pub entropy: u64,
}

impl GenConnection {
    /// The transport.
    pub fn transport(&self) -> gatewright::Transport {
        if self.udp {
            gatewright::Transport::Udp
        } else {
            gatewright::Transport::Tcp
        }
    }

    /// The [`Connection`](gatewright::Connection) to route.
    pub fn connection(&self) -> gatewright::Connection<'_> {
        let mut c = if self.udp {
            gatewright::Connection::udp(self.port)
        } else {
            gatewright::Connection::tcp(self.port)
        };
        if let Some(sni) = self.sni {
            c = c.sni(sni);
        }
        if let Some(g) = self.gateway {
            c = c.gateway(GATEWAY_NAMESPACE, g);
        }
        c
    }

    /// The Gateway as `(namespace, name)`.
    pub fn gateway_ref(&self) -> Option<(&'static str, &'static str)> {
        self.gateway.map(|g| (GATEWAY_NAMESPACE, g))
    }
}

impl fmt::Display for GenConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} port {}",
            if self.udp { "UDP" } else { "TCP" },
            self.port
        )?;
        match self.sni {
            Some(s) => write!(f, " sni={s}")?,
            None => write!(f, " (no SNI)")?,
        }
        if let Some(g) = self.gateway {
            write!(f, " gateway={GATEWAY_NAMESPACE}/{g}")?;
        }
        write!(f, " entropy={:#x}", self.entropy)
    }
}

/// A connection before it is fitted to a manifest.
#[derive(Clone, Debug)]
struct RawConnection {
    udp: Option<bool>,
    port: PortChoice,
    sni: Option<&'static str>,
    gateway: GatewayChoice,
    entropy: u64,
}

fn raw_connection() -> impl Strategy<Value = RawConnection> {
    (
        // `None`: the transport of the chosen port's listener.
        prop_oneof![12 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))],
        port_choice(0, 16, 1),
        prop_oneof![
            2 => Just(None),
            9 => select(&SNIS[..4]).prop_map(Some),
            4 => select(&SNIS[4..]).prop_map(Some),
        ],
        prop_oneof![
            18 => any::<Index>().prop_map(GatewayChoice::Auto),
            1 => Just(GatewayChoice::Unnamed),
            1 => Just(GatewayChoice::Nope),
        ],
        any::<u64>(),
    )
        .prop_map(|(udp, port, sni, gateway, entropy)| RawConnection {
            udp,
            port,
            sni,
            gateway,
            entropy,
        })
}

impl RawConnection {
    fn resolve(self, m: &ManifestSpec) -> GenConnection {
        let gateway = match self.gateway {
            GatewayChoice::Auto(_) if m.gateways.len() == 1 => None,
            GatewayChoice::Auto(i) => Some(*i.get(&GATEWAYS[..m.gateways.len()])),
            GatewayChoice::Unnamed => None,
            GatewayChoice::Nope => Some("nope"),
        };
        // Ports of the Gateway the connection enters (of all Gateways when it names none).
        let listeners: Vec<&ListenerSpec> = match GATEWAYS.iter().position(|g| Some(*g) == gateway)
        {
            Some(g) if g < m.gateways.len() => m.gateways[g].iter().collect(),
            _ => m.gateways.iter().flatten().collect(),
        };
        let (port, listener_udp) = match self.port {
            PortChoice::Listener(i) if !listeners.is_empty() => {
                let l = i.get(&listeners);
                (l.port, l.proto == Proto::Udp)
            }
            _ => (9, false),
        };
        let udp = self.udp.unwrap_or(listener_udp);
        GenConnection {
            udp,
            port,
            sni: if udp { None } else { self.sni },
            gateway,
            entropy: self.entropy,
        }
    }
}

/// One L4 manifest with `connections` connections near it: one or two Gateways with 1–4
/// listeners among TLS (Passthrough; Terminate with a good, a missing or no certificate) on
/// 443/8443 with pool hostnames, TCP on 5000/5001, UDP on 5000/5353 (sharing 5000 with TCP)
/// and the odd HTTP listener; 3–7 TLSRoutes (pool hostnames, wildcards, none), TCPRoutes and
/// UDPRoutes with colliding names and timestamps, weighted and invalid backends, sometimes a
/// second (ignored) rule. Connections go mostly to listener ports with the listener's
/// transport, with SNIs from the pool, misses, upper case, a trailing dot or none.
pub fn l4_scenario(
    connections: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = (String, Vec<GenConnection>)> {
    (l4_manifest_spec(), vec(raw_connection(), connections)).prop_map(|(m, raws)| {
        let yaml = render(&m);
        let conns = raws.into_iter().map(|r| r.resolve(&m)).collect();
        (yaml, conns)
    })
}

// --- Ingress model -------------------------------------------------------------------------------

/// Ingress rule hosts: exact, a one-label wildcard covering the first, a deeper name, no host.
pub static INGRESS_HOSTS: [Option<&str>; 4] = [
    Some("a.example.com"),
    Some("*.example.com"),
    Some("x.a.example.com"),
    None,
];
/// Ingress paths: nested, a trailing slash, equal lengths, upper case.
pub static INGRESS_PATHS: [&str; 7] = ["/", "/a", "/a/", "/a/b", "/ab", "/a/b/c", "/A"];
/// Regex-mode paths (with `use-regex`); `/a(/|$)(.*)` pairs with `rewrite-target: /$2`.
pub static INGRESS_REGEX_PATHS: [&str; 3] = ["/a.*", "/[ab]+", "/a(/|$)(.*)"];
/// Ingress names.
pub static INGRESS_NAMES: [&str; 3] = ["i1", "i2", "i3"];

#[derive(Clone, Debug)]
struct IngressPathSpec {
    path: &'static str,
    /// `Exact`, `Prefix` or `ImplementationSpecific`.
    kind: &'static str,
    service: &'static str,
    /// `None`: `port: {name: http}`.
    port: Option<u16>,
}

#[derive(Clone, Debug)]
struct IngressRuleSpec {
    host: Option<&'static str>,
    paths: Vec<IngressPathSpec>,
}

#[derive(Clone, Debug, Default)]
struct IngressAnnotationSpec {
    ssl_redirect_off: bool,
    force_ssl_redirect: bool,
    use_regex: bool,
    rewrite_target: Option<&'static str>,
    /// `(weight, header, header value)`.
    canary: Option<(u32, Option<&'static str>, Option<&'static str>)>,
}

#[derive(Clone, Debug)]
struct IngressSpec {
    namespace: &'static str,
    name: &'static str,
    created: Option<&'static str>,
    /// `Some("nginx")`, `None` (the default class), or a class that does not exist.
    class: Option<&'static str>,
    default_backend: Option<&'static str>,
    /// TLS hosts (the rule hosts) and whether the Secret exists.
    tls: Option<(Vec<&'static str>, bool)>,
    annotations: IngressAnnotationSpec,
    rules: Vec<IngressRuleSpec>,
}

fn ingress_path_spec(regex: bool) -> impl Strategy<Value = IngressPathSpec> {
    let path = if regex {
        prop_oneof![3 => select(&INGRESS_PATHS[..]), 2 => select(&INGRESS_REGEX_PATHS[..])].boxed()
    } else {
        select(&INGRESS_PATHS[..]).boxed()
    };
    (
        path,
        prop_oneof![3 => Just("Prefix"), 2 => Just("Exact"), 1 => Just("ImplementationSpecific")],
        prop_oneof![8 => select(&SERVICES[..2]), 1 => Just(SERVICES[2])],
        prop_oneof![6 => Just(Some(80u16)), 2 => Just(None), 1 => Just(Some(81u16))],
    )
        .prop_map(|(path, kind, service, port)| IngressPathSpec {
            path,
            kind,
            service,
            port,
        })
}

fn ingress_annotations() -> impl Strategy<Value = IngressAnnotationSpec> {
    (
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.15),
        option::weighted(0.1, select(vec!["/", "/$2", "/x/$1"])),
        option::weighted(
            0.25,
            (
                select(vec![0u32, 30, 100]),
                option::weighted(0.6, Just("x-canary")),
                option::weighted(0.4, Just("yes")),
            ),
        ),
    )
        .prop_map(
            |(ssl_redirect_off, force_ssl_redirect, use_regex, rewrite_target, canary)| {
                IngressAnnotationSpec {
                    ssl_redirect_off,
                    force_ssl_redirect,
                    use_regex,
                    rewrite_target,
                    canary,
                }
            },
        )
}

fn ingress_spec() -> impl Strategy<Value = IngressSpec> {
    ingress_annotations().prop_flat_map(|annotations| {
        let regex = annotations.use_regex || annotations.rewrite_target.is_some();
        let rule = (
            select(&INGRESS_HOSTS[..]),
            vec(ingress_path_spec(regex), 1..=3),
        )
            .prop_map(|(host, paths)| IngressRuleSpec { host, paths })
            .boxed();
        (
            (
                select(&NAMESPACES[..]),
                select(&INGRESS_NAMES[..]),
                select(&TIMESTAMPS[..]),
                prop_oneof![8 => Just(Some("nginx")), 2 => Just(None), 1 => Just(Some("other"))],
            ),
            option::weighted(0.3, select(&SERVICES[..])),
            option::weighted(0.3, prop::bool::weighted(0.8)),
            prop_oneof![1 => Just(0usize), 5 => Just(1usize), 3 => Just(2usize)]
                .prop_flat_map(move |n| vec(rule.clone(), n)),
        )
            .prop_map(
                move |((namespace, name, created, class), default_backend, tls, rules)| {
                    let hosts: Vec<&'static str> = rules.iter().filter_map(|r| r.host).collect();
                    IngressSpec {
                        namespace,
                        name,
                        created,
                        class,
                        default_backend,
                        tls: tls.map(|ok| (hosts, ok)),
                        annotations: annotations.clone(),
                        rules,
                    }
                },
            )
    })
}

fn render_ingresses(ingresses: &[IngressSpec]) -> String {
    let mut y = String::new();
    y.push_str("apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\n  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}\nspec: {controller: k8s.io/ingress-nginx}\n");
    for ns in NAMESPACES {
        for s in &SERVICES[..2] {
            let _ = write!(y, "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {s}, namespace: {ns}}}\nspec: {{ports: [{{port: 80, name: http}}]}}\n");
        }
        let _ = write!(
            y,
            "---\napiVersion: v1\nkind: Secret\nmetadata: {{name: cert, namespace: {ns}}}\ntype: kubernetes.io/tls\n\
             data: {{tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t, tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t}}\n"
        );
    }
    let backend = |service: &str, port: Option<u16>| match port {
        Some(n) => format!("{{service: {{name: {service}, port: {{number: {n}}}}}}}"),
        None => format!("{{service: {{name: {service}, port: {{name: http}}}}}}"),
    };
    for i in ingresses {
        let _ = write!(
            y,
            "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {}\n  namespace: {}\n",
            i.name, i.namespace
        );
        if let Some(c) = i.created {
            let _ = writeln!(y, "  creationTimestamp: {}", q(c));
        }
        let a = &i.annotations;
        let mut anns = Vec::new();
        let key = |k: &str| format!("nginx.ingress.kubernetes.io/{k}");
        if a.ssl_redirect_off {
            anns.push((key("ssl-redirect"), "false".to_owned()));
        }
        if a.force_ssl_redirect {
            anns.push((key("force-ssl-redirect"), "true".to_owned()));
        }
        if a.use_regex {
            anns.push((key("use-regex"), "true".to_owned()));
        }
        if let Some(t) = a.rewrite_target {
            anns.push((key("rewrite-target"), t.to_owned()));
        }
        if let Some((weight, header, value)) = a.canary {
            anns.push((key("canary"), "true".to_owned()));
            anns.push((key("canary-weight"), weight.to_string()));
            if let Some(h) = header {
                anns.push((key("canary-by-header"), h.to_owned()));
            }
            if let Some(v) = value {
                anns.push((key("canary-by-header-value"), v.to_owned()));
            }
        }
        if !anns.is_empty() {
            y.push_str("  annotations:\n");
            for (k, v) in anns {
                let _ = writeln!(y, "    {}: {}", q(&k), q(&v));
            }
        }
        let empty = i.class.is_none()
            && i.default_backend.is_none()
            && i.tls.is_none()
            && i.rules.is_empty();
        y.push_str(if empty { "spec: {}\n" } else { "spec:\n" });
        if let Some(c) = i.class {
            let _ = writeln!(y, "  ingressClassName: {c}");
        }
        if let Some(s) = i.default_backend {
            let _ = writeln!(y, "  defaultBackend: {}", backend(s, Some(80)));
        }
        if let Some((hosts, ok)) = &i.tls {
            let hs: Vec<String> = hosts.iter().map(|h| q(h)).collect();
            let secret = if *ok { "cert" } else { "missing-cert" };
            let _ = writeln!(
                y,
                "  tls:\n  - {{hosts: [{}], secretName: {secret}}}",
                hs.join(", ")
            );
        }
        if !i.rules.is_empty() {
            y.push_str("  rules:\n");
        }
        for r in &i.rules {
            y.push_str("  - ");
            if let Some(h) = r.host {
                let _ = write!(y, "host: {}\n    ", q(h));
            }
            y.push_str("http:\n      paths:\n");
            for p in &r.paths {
                let _ = writeln!(
                    y,
                    "      - {{path: {}, pathType: {}, backend: {}}}",
                    q(p.path),
                    p.kind,
                    backend(p.service, p.port)
                );
            }
        }
    }
    y
}

/// Request paths for Ingress scenarios: the pool plus children, siblings, case and regex fodder.
pub static INGRESS_REQUEST_PATHS: [&str; 14] = [
    "/", "/a", "/a/", "/a/b", "/ab", "/a/b/c", "/A", "/a/B", "/abc", "/a/b/x", "/b", "/ba", "/aaa",
    "",
];

/// Values of the canary header `x-canary` in requests.
static CANARY_VALUES: [&str; 4] = ["always", "never", "yes", "maybe"];

/// One Ingress manifest with `requests` requests near it: IngressClass `nginx` (the default
/// class), Services `s1`, `s2` (port 80 named `http`) and a TLS Secret `cert` in both
/// namespaces, and 1–4 Ingresses with colliding names, namespaces and timestamps, 0–2 rules
/// (exact, one-label wildcard, deeper and host-less hosts) of 1–3 paths (Exact, Prefix,
/// ImplementationSpecific; nested, trailing slashes, upper case; regexes under `use-regex`),
/// backends by port number, by name, missing or with a wrong port, default backends, TLS with
/// a present or missing Secret, and the annotations the front end implements (`ssl-redirect`,
/// `force-ssl-redirect`, `use-regex`, `rewrite-target`, canary weight and header). Requests:
/// the host pool (deeper names, case, trailing dot), the path pool, http and https, the canary
/// header `x-canary` or none, any entropy.
pub fn ingress_scenario(
    requests: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = (String, Vec<GenRequest>)> {
    static NO_QUERY: [Option<&str>; 2] = [None, Some("q=1")];
    // The class Gateway has `http` on 80 and `https` on 443 (for port and scheme choices).
    let ports = ManifestSpec {
        gateways: vec![vec![
            ListenerSpec {
                name: Some("http"),
                port: 80,
                hostname: None,
                proto: Proto::Http,
                kind: None,
            },
            ListenerSpec {
                name: Some("https"),
                port: 443,
                hostname: None,
                proto: Proto::Https(true),
                kind: None,
            },
        ]],
        ..ManifestSpec::default()
    };
    (
        vec(ingress_spec(), 1..=4),
        vec(
            (
                raw_request_with(&INGRESS_REQUEST_PATHS, &NO_QUERY, vec!["GET"]),
                option::weighted(0.4, select(&CANARY_VALUES[..])),
            ),
            requests,
        ),
    )
        .prop_map(move |(ingresses, raws)| {
            let yaml = render_ingresses(&ingresses);
            let requests = raws
                .into_iter()
                .map(|(raw, canary)| {
                    let mut r = raw.resolve(&ports);
                    // Listener names of the class Gateway are `http` and `https`.
                    r.listener = None;
                    if let Some(v) = canary {
                        r.headers.push(("x-canary", v));
                    }
                    r
                })
                .collect();
            (yaml, requests)
        })
}
