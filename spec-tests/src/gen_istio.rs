//! Proptest strategies for small Istio worlds and requests biased to collide with them, for
//! the differential test of the Istio front end against
//! [`reference_istio`](crate::reference_istio).
//!
//! A world ([`istio_scenario`]) has 1–2 Istio Gateways (the same or different selectors, plain
//! HTTP servers on 80/8080 with host lists that mix exact names, wildcards and `ns/`, `./`,
//! `*/` prefixes, now and then `tls.httpsRedirect`), 1–4 Services with 1–2 ports, optional
//! DestinationRules with subsets, and 1–5 VirtualServices in 1–3 namespaces: hosts (short names,
//! FQDNs, wildcards, non-registry names), `gateways` (mesh, short/`ns/`/`./`/legacy names),
//! `exportTo`, creation timestamps with ties (or none at all), 1–4 rules of 0–3 match blocks
//! (uri exact/prefix/regex, ignoreUriCase, method, authority, scheme, headers, withoutHeaders,
//! queryParams, port, sourceLabels, sourceNamespace, per-match gateways) and a route (1–3
//! destinations, with or without subset, port, weight), a redirect or a direct response.
//!
//! Everything comes from tiny pools so that hosts, paths and names overlap. The first 1–3
//! VirtualServices are bound to the first Gateway with its first server host, so that routes
//! of several VirtualServices merge into one virtual host (§3.1). Requests enter a Gateway of
//! the world (or one that does not exist) on a port of its workload (or one where nothing
//! listens), or come from a sidecar in one of the namespaces with one of the label sets; their
//! hosts are mostly the world's own (hosts of the VirtualServices bound to the Gateway entered,
//! wildcards made concrete, Service names in every spelling a client may use, on one of the
//! Service's ports), the rest near misses.
//!
//! The generator keeps to configurations Istio's validation accepts, and away from the
//! corners where the engine is known to disagree with SEMANTICS.md (comments `KNOWN ENGINE
//! BUG`, reproduced in `tests/istio_known_engine_bugs.rs`).
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! let mut runner = TestRunner::deterministic();
//! let (yaml, requests) = gatewright_spec::gen_istio::istio_scenario(3..=3)
//!     .new_tree(&mut runner)
//!     .unwrap()
//!     .current();
//! assert!(gatewright::Resources::from_yaml(&yaml).is_ok());
//! assert_eq!(requests.len(), 3);
//! ```

use std::fmt::{self, Write as _};

use gatewright::Request;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, Index};

use crate::reference_istio::{Entry, RefRequest};

/// Namespace of most Gateways (the usual gateway workload namespace).
pub const GATEWAY_NAMESPACE: &str = "istio-system";
/// Namespaces of VirtualServices, Services and clients (a world uses the first 1–3).
pub static NAMESPACES: [&str; 3] = ["default", "apps", "team"];
/// Gateway names.
pub static GATEWAY_NAMES: [&str; 2] = ["gw1", "gw2"];
/// Values of the gateway selector label `istio` (equal values share a workload).
pub static SELECTORS: [&str; 2] = ["ingress", "other"];
/// Server hosts: exact, wildcards, and namespace-qualified forms.
pub static SERVER_HOSTS: [&str; 11] = [
    "*",
    "*.example.com",
    "a.example.com",
    "b.example.com",
    "*.a.example.com",
    "apps/*",
    "./*.example.com",
    "*/b.example.com",
    "default/a.example.com",
    "team/*.example.com",
    "*.svc.cluster.local",
];
/// Service names (in any of the namespaces).
pub static SERVICE_NAMES: [&str; 3] = ["s1", "s2", "s3"];
/// Service ports.
pub static SERVICE_PORTS: [u16; 3] = [80, 8080, 9090];
/// VirtualService names.
pub static VS_NAMES: [&str; 3] = ["r1", "r2", "r3"];
/// VirtualService hosts: external names and wildcards, Service short names and FQDNs,
/// non-registry names, `*`.
pub static VS_HOSTS: [&str; 14] = [
    "a.example.com",
    "b.example.com",
    "*.example.com",
    "x.a.example.com",
    "*.a.example.com",
    "*",
    "s1",
    "s2",
    "s1.default.svc.cluster.local",
    "s2.apps.svc.cluster.local",
    "*.apps.svc.cluster.local",
    "s3.team.svc.cluster.local",
    "ext.example.org",
    "*.example.org",
];
/// `VirtualService.gateways` lists.
pub static VS_GATEWAYS: [&[&str]; 10] = [
    &[],
    &["mesh"],
    &["gw1"],
    &["istio-system/gw1"],
    &["istio-system/gw2"],
    &["./gw1"],
    &["gw1.istio-system.svc.cluster.local"],
    &["mesh", "istio-system/gw1"],
    &["istio-system/gw1", "istio-system/gw2"],
    &["apps/gw2"],
];
/// `exportTo` lists (`None` = absent). `.` next to the VS's own namespace name is a duplicate
/// Istio rejects; the renderer drops the name then.
pub static EXPORT_TO: [Option<&[&str]>; 8] = [
    None,
    Some(&["."]),
    Some(&["*"]),
    Some(&["~"]),
    Some(&["istio-system"]),
    Some(&[".", "istio-system"]),
    Some(&["apps"]),
    Some(&["default", "apps"]),
];
/// Creation timestamps: the first two are the same instant.
pub static TIMESTAMPS: [&str; 4] = [
    "2024-01-01T00:00:00Z",
    "2024-01-01T01:00:00+01:00",
    "2023-06-01T00:00:00Z",
    "2025-01-01T00:00:00Z",
];
/// Paths for uri exact/prefix: nested, equal lengths, case variants.
pub static PATHS: [&str; 7] = ["/", "/a", "/a/", "/a/b", "/ab", "/A", "/b"];
/// Path regexes (`.*` is a catch-all).
pub static PATH_REGEXES: [&str; 5] = ["/a/.*", ".*", "/[ab]+", "/a/b/?", "/(a|b)/c"];
/// Header names of match conditions.
pub static HEADER_NAMES: [&str; 2] = ["x-a", "x-b"];
/// Query parameter names of match conditions.
pub static QUERY_NAMES: [&str; 2] = ["q", "r"];
/// A destination host that is no Service.
pub const MISSING_HOST: &str = "missing";
/// Subsets (`v9` is never defined).
pub static SUBSETS: [&str; 3] = ["v1", "v2", "v9"];
/// Request paths.
pub static REQUEST_PATHS: [&str; 12] = [
    "/", "/a", "/a/", "/a/b", "/ab", "/A", "/a/B", "/b", "/b/c", "/a/c", "/x", "/a/b/c",
];
/// Request query strings.
pub static REQUEST_QUERIES: [Option<&str>; 6] = [
    None,
    Some("q=1"),
    Some("q=2&q=1"),
    Some("r"),
    Some("q=12&r=2"),
    Some("Q=1"),
];
/// Request headers.
pub static REQUEST_HEADERS: [(&str, &str); 5] = [
    ("x-a", "1"),
    ("x-a", "2"),
    ("x-b", ""),
    ("X-A", "1"),
    ("x-b", "12"),
];
/// Request hosts that no world names exactly (near misses and case variants).
pub static MISS_HOSTS: [&str; 6] = [
    "example.com",
    "c.example.com",
    "A.EXAMPLE.com",
    "y.x.a.example.com",
    "other.org",
    "s9.default.svc.cluster.local",
];
/// Client label sets.
pub static CLIENT_LABELS: [&[(&str, &str)]; 3] = [&[], &[("app", "a")], &[("app", "b")]];

// --- world model --------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct ServerSpec {
    port: u16,
    hosts: Vec<&'static str>,
    https_redirect: bool,
}

#[derive(Clone, Debug)]
struct GatewaySpec {
    namespace: &'static str,
    name: &'static str,
    selector: &'static str,
    created: Option<&'static str>,
    servers: Vec<ServerSpec>,
}

#[derive(Clone, Debug)]
struct ServiceSpec {
    namespace: &'static str,
    name: &'static str,
    ports: Vec<u16>,
}

#[derive(Clone, Debug)]
struct DrSpec {
    /// Index into the world's Services.
    service: Index,
    /// Written as a short name (in the Service's namespace) or as the FQDN.
    short: bool,
    subsets: Vec<&'static str>,
    export_to: Option<&'static [&'static str]>,
    /// In another namespace than the Service's (then the host is always the FQDN).
    elsewhere: Option<&'static str>,
}

/// A `StringMatch`.
#[derive(Clone, Debug)]
enum Sm {
    Exact(&'static str),
    Prefix(&'static str),
    Regex(&'static str),
    Present,
}

#[derive(Clone, Debug)]
struct MatchSpec {
    uri: Option<Sm>,
    ignore_uri_case: bool,
    method: Option<Sm>,
    authority: Option<Sm>,
    scheme: Option<Sm>,
    headers: Vec<(&'static str, Sm)>,
    without_headers: Vec<(&'static str, Sm)>,
    query: Vec<(&'static str, Sm)>,
    port: Option<u16>,
    source_labels: Option<&'static str>,
    source_namespace: Option<&'static str>,
    gateways: &'static [&'static str],
}

#[derive(Clone, Debug)]
struct DestSpec {
    /// A Service of the world (its short name, resolved in the VS's namespace, or its FQDN),
    /// or `None`: [`MISSING_HOST`].
    service: Option<(Index, bool)>,
    subset: Option<&'static str>,
    port: Option<u16>,
    weight: Option<u32>,
}

#[derive(Clone, Debug)]
struct RedirectSpec {
    uri: Option<&'static str>,
    prefix_rewrite: Option<&'static str>,
    authority: Option<&'static str>,
    scheme: Option<&'static str>,
    port: Option<u16>,
    derive_port: Option<&'static str>,
    code: Option<u16>,
}

#[derive(Clone, Debug)]
enum ActionSpec {
    Route(Vec<DestSpec>),
    Redirect(RedirectSpec),
    Direct(u16, Option<&'static str>),
}

#[derive(Clone, Debug)]
struct RuleSpec {
    matches: Vec<MatchSpec>,
    action: ActionSpec,
}

#[derive(Clone, Debug)]
struct VsSpec {
    namespace: &'static str,
    name: &'static str,
    created: Option<&'static str>,
    hosts: Vec<&'static str>,
    gateways: &'static [&'static str],
    export_to: Option<&'static [&'static str]>,
    rules: Vec<RuleSpec>,
}

/// A generated world, before rendering.
#[derive(Clone, Debug)]
struct WorldSpec {
    gateways: Vec<GatewaySpec>,
    services: Vec<ServiceSpec>,
    destination_rules: Vec<DrSpec>,
    virtual_services: Vec<VsSpec>,
    /// How many VirtualServices after the first also share its Gateway and first host (so
    /// that routes of several VirtualServices merge into one virtual host, §3.1).
    shared: usize,
}

fn sm_value(
    values: &'static [&'static str],
    prefixes: &'static [&'static str],
    regexes: &'static [&'static str],
) -> impl Strategy<Value = Sm> {
    prop_oneof![
        4 => select(values).prop_map(Sm::Exact),
        2 => select(prefixes).prop_map(Sm::Prefix),
        2 => select(regexes).prop_map(Sm::Regex),
        1 => Just(Sm::Present),
    ]
}

fn header_sm() -> impl Strategy<Value = Sm> {
    static VALUES: [&str; 3] = ["1", "2", ""];
    static PREFIXES: [&str; 2] = ["1", "2"];
    static REGEXES: [&str; 2] = ["[12]", "1.*"];
    sm_value(&VALUES, &PREFIXES, &REGEXES)
}

fn uri_sm() -> impl Strategy<Value = Sm> {
    prop_oneof![
        3 => select(&PATHS[..]).prop_map(Sm::Exact),
        4 => select(&PATHS[..]).prop_map(Sm::Prefix),
        2 => select(&PATH_REGEXES[..]).prop_map(Sm::Regex),
    ]
}

fn match_spec() -> impl Strategy<Value = MatchSpec> {
    static METHODS: [&str; 2] = ["GET", "POST"];
    static METHOD_PREFIXES: [&str; 1] = ["PO"];
    static METHOD_REGEXES: [&str; 1] = ["GET|PUT"];
    static AUTHORITIES: [&str; 2] = ["a.example.com", "a.example.com:8080"];
    static AUTHORITY_PREFIXES: [&str; 1] = ["a."];
    static AUTHORITY_REGEXES: [&str; 1] = [".*:8080"];
    static SCHEMES: [&str; 2] = ["http", "https"];
    static MATCH_GATEWAYS: [&[&str]; 3] = [&["mesh"], &["istio-system/gw1"], &["gw2"]];
    let conditions = (
        option::weighted(0.7, uri_sm()),
        prop_oneof![6 => Just(false), 1 => Just(true)],
        option::weighted(
            0.2,
            prop_oneof![
                3 => select(&METHODS[..]).prop_map(Sm::Exact),
                1 => select(&METHOD_PREFIXES[..]).prop_map(Sm::Prefix),
                1 => select(&METHOD_REGEXES[..]).prop_map(Sm::Regex),
            ],
        ),
        option::weighted(
            0.07,
            prop_oneof![
                2 => select(&AUTHORITIES[..]).prop_map(Sm::Exact),
                1 => select(&AUTHORITY_PREFIXES[..]).prop_map(Sm::Prefix),
                1 => select(&AUTHORITY_REGEXES[..]).prop_map(Sm::Regex),
            ],
        ),
        option::weighted(0.05, select(&SCHEMES[..]).prop_map(Sm::Exact)),
    );
    let maps = (
        prop_oneof![5 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)]
            .prop_flat_map(|n| vec((select(&HEADER_NAMES[..]), header_sm()), n)),
        prop_oneof![6 => Just(0usize), 1 => Just(1usize)]
            .prop_flat_map(|n| vec((select(&HEADER_NAMES[..]), header_sm()), n)),
        prop_oneof![5 => Just(0usize), 1 => Just(1usize)]
            .prop_flat_map(|n| vec((select(&QUERY_NAMES[..]), header_sm()), n)),
    );
    let filters = (
        option::weighted(0.15, select(&SERVICE_PORTS[..])),
        option::weighted(0.1, select(vec!["a", "b"])),
        option::weighted(0.1, select(vec!["default", "apps", GATEWAY_NAMESPACE])),
        prop_oneof![
            10 => Just(&[][..]),
            1 => select(&MATCH_GATEWAYS[..]),
        ],
    );
    (conditions, maps, filters).prop_map(
        |(
            (uri, ignore_uri_case, method, authority, scheme),
            (headers, without_headers, query),
            (port, source_labels, source_namespace, gateways),
        )| MatchSpec {
            uri,
            ignore_uri_case,
            method,
            authority,
            scheme,
            headers: dedupe_keys(headers),
            without_headers: dedupe_keys(without_headers),
            query: dedupe_keys(query),
            port,
            source_labels,
            source_namespace,
            gateways,
        },
    )
}

/// `pool` with entry `i` repeated `weights[i]` times, for a weighted `select`.
fn weighted<T: Clone>(pool: &[T], weights: &[usize]) -> Vec<T> {
    pool.iter()
        .zip(weights)
        .flat_map(|(x, w)| std::iter::repeat_n(x.clone(), *w))
        .collect()
}

/// Map keys are unique: keep the first of each name.
fn dedupe_keys(list: Vec<(&'static str, Sm)>) -> Vec<(&'static str, Sm)> {
    let mut out: Vec<(&'static str, Sm)> = Vec::new();
    for (k, v) in list {
        if !out.iter().any(|(n, _)| *n == k) {
            out.push((k, v));
        }
    }
    out
}

fn dest_spec() -> impl Strategy<Value = DestSpec> {
    (
        option::weighted(0.92, (any::<Index>(), any::<bool>())),
        option::weighted(0.25, select(&SUBSETS[..])),
        option::weighted(0.2, select(&SERVICE_PORTS[..])),
        option::weighted(0.8, prop_oneof![1 => Just(0u32), 6 => 1u32..=3]),
    )
        .prop_map(|(service, subset, port, weight)| DestSpec {
            service,
            subset,
            port,
            weight,
        })
}

fn redirect_spec() -> impl Strategy<Value = RedirectSpec> {
    (
        prop_oneof![
            3 => Just((None, None)),
            2 => select(vec!["/r", "/r?x=1"]).prop_map(|u| (Some(u), None)),
            1 => select(vec!["/p", "/"]).prop_map(|p| (None, Some(p))),
        ],
        option::weighted(0.3, select(vec!["other.example.com", "h.example.com:81"])),
        option::weighted(0.4, select(vec!["https", "http"])),
        prop_oneof![
            4 => Just((None, None)),
            1 => select(vec![8443u16, 9000]).prop_map(|p| (Some(p), None)),
            1 => select(vec!["FROM_REQUEST_PORT", "FROM_PROTOCOL_DEFAULT"]).prop_map(|d| (None, Some(d))),
        ],
        option::weighted(0.5, select(vec![301u16, 302, 307, 308])),
    )
        .prop_map(
            |((uri, prefix_rewrite), authority, scheme, (port, derive_port), code)| RedirectSpec {
                uri,
                prefix_rewrite,
                authority,
                scheme,
                port,
                derive_port,
                code,
            },
        )
}

fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    (
        prop_oneof![3 => Just(0usize), 4 => Just(1usize), 2 => Just(2usize), 1 => Just(3usize)]
            .prop_flat_map(|n| vec(match_spec(), n)),
        prop_oneof![
            16 => prop_oneof![5 => Just(1usize), 4 => Just(2usize), 1 => Just(3usize)]
                .prop_flat_map(|n| vec(dest_spec(), n))
                .prop_map(ActionSpec::Route),
            2 => redirect_spec().prop_map(ActionSpec::Redirect),
            2 => (select(vec![200u16, 403, 503]), option::of(select(vec!["ok", "denied"])))
                .prop_map(|(s, b)| ActionSpec::Direct(s, b)),
        ],
    )
        .prop_map(|(matches, action)| RuleSpec { matches, action })
}

fn vs_spec(namespaces: usize, timestamps: bool) -> impl Strategy<Value = VsSpec> {
    (
        select(NAMESPACES[..namespaces].to_vec()),
        select(&VS_NAMES[..]),
        select(&TIMESTAMPS[..]),
        vec(select(&VS_HOSTS[..]), 1..=2),
        select(weighted(&VS_GATEWAYS, &[3, 1, 1, 4, 2, 1, 1, 3, 2, 1])),
        select(weighted(&EXPORT_TO, &[8, 1, 2, 1, 2, 1, 1, 1])),
        vec(rule_spec(), 1..=4),
    )
        .prop_map(
            move |(namespace, name, created, hosts, gateways, export_to, rules)| VsSpec {
                namespace,
                name,
                created: timestamps.then_some(created),
                hosts,
                gateways,
                export_to,
                rules,
            },
        )
}

fn server_spec() -> impl Strategy<Value = ServerSpec> {
    (
        prop_oneof![3 => Just(80u16), 1 => Just(8080u16)],
        vec(
            select(weighted(&SERVER_HOSTS, &[3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1])),
            1..=2,
        ),
        prop_oneof![6 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(port, hosts, https_redirect)| ServerSpec {
            port,
            hosts,
            https_redirect,
        })
}

fn gateway_spec(timestamps: bool) -> impl Strategy<Value = GatewaySpec> {
    (
        prop_oneof![5 => Just(GATEWAY_NAMESPACE), 1 => Just("apps")],
        select(&SELECTORS[..]),
        select(&TIMESTAMPS[..]),
        vec(server_spec(), 1..=2),
    )
        .prop_map(move |(namespace, selector, created, servers)| GatewaySpec {
            namespace,
            name: "",
            selector,
            created: timestamps.then_some(created),
            servers,
        })
}

fn service_spec(namespaces: usize) -> impl Strategy<Value = ServiceSpec> {
    (
        select(NAMESPACES[..namespaces].to_vec()),
        select(&SERVICE_NAMES[..]),
        prop_oneof![3 => Just(1usize), 2 => Just(2usize)]
            .prop_flat_map(|n| vec(select(&SERVICE_PORTS[..]), n)),
    )
        .prop_map(|(namespace, name, mut ports)| {
            ports.dedup();
            ServiceSpec {
                namespace,
                name,
                ports,
            }
        })
}

fn dr_spec() -> impl Strategy<Value = DrSpec> {
    static DR_EXPORT: [Option<&[&str]>; 3] = [None, Some(&["."]), Some(&["*"])];
    (
        any::<Index>(),
        any::<bool>(),
        prop_oneof![1 => Just(vec!["v1"]), 2 => Just(vec!["v1", "v2"]), 1 => Just(vec!["v2"])],
        prop_oneof![4 => Just(None), 1 => select(&DR_EXPORT[1..]).prop_map(|e| e)],
        option::weighted(0.2, select(&NAMESPACES[..])),
    )
        .prop_map(|(service, short, subsets, export_to, elsewhere)| DrSpec {
            service,
            short,
            subsets,
            export_to,
            elsewhere,
        })
}

fn world_spec() -> impl Strategy<Value = WorldSpec> {
    (
        prop_oneof![1 => Just(1usize), 2 => Just(2usize), 1 => Just(3usize)],
        prop_oneof![3 => Just(true), 1 => Just(false)],
    )
        .prop_flat_map(|(namespaces, timestamps)| {
            (
                vec(gateway_spec(timestamps), 1..=2),
                vec(service_spec(namespaces), 1..=4),
                prop_oneof![1 => Just(0usize), 1 => Just(1usize), 1 => Just(2usize)]
                    .prop_flat_map(|n| vec(dr_spec(), n)),
                vec(vs_spec(namespaces, timestamps), 1..=5),
                prop_oneof![2 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)],
            )
        })
        .prop_map(
            |(mut gateways, services, destination_rules, virtual_services, shared)| {
                for (g, name) in gateways.iter_mut().zip(GATEWAY_NAMES) {
                    g.name = name;
                }
                let mut world = WorldSpec {
                    gateways,
                    services,
                    destination_rules,
                    virtual_services,
                    shared,
                };
                make_valid(&mut world);
                world
            },
        )
}

/// Host overlap as Istio's validation sees it (`*.foo.com` and `a.foo.com` overlap).
fn overlaps(a: &str, b: &str) -> bool {
    let covers = |wide: &str, narrow: &str| match wide.strip_prefix('*') {
        Some(suffix) => narrow.ends_with(suffix) && narrow.len() >= suffix.len(),
        None => wide == narrow,
    };
    covers(a, b) || covers(b, a)
}

/// Istio validation would reject some combinations outright; the generator keeps away from
/// them so that both sides see the same accepted configuration.
fn make_valid(world: &mut WorldSpec) {
    // Unique (namespace, name) per kind.
    let mut seen = Vec::new();
    world.services.retain(|s| {
        let key = (s.namespace, s.name);
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    let mut seen = Vec::new();
    world.virtual_services.retain(|v| {
        let key = (v.namespace, v.name);
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    // httpsRedirect only on servers whose hosts have no namespace part: upstream keys the
    // redirect-only virtual host by the raw server host, `ns/` included, which Envoy would
    // reject as a domain (outside SEMANTICS.md).
    for g in &mut world.gateways {
        for s in &mut g.servers {
            s.hosts.dedup();
            if s.https_redirect && s.hosts.iter().any(|h| h.contains('/')) {
                s.https_redirect = false;
            }
        }
    }
    for v in &mut world.virtual_services {
        // §1.1: `*` is rejected on a VS that applies to mesh; hosts must not overlap.
        let mesh = v.gateways.is_empty() || v.gateways.contains(&"mesh");
        let mut hosts: Vec<&'static str> = Vec::new();
        for h in v.hosts.drain(..) {
            let resolved_h = full_host(h, v.namespace);
            if (mesh && h == "*")
                || hosts
                    .iter()
                    .any(|o| overlaps(&full_host(o, v.namespace), &resolved_h))
            {
                continue;
            }
            hosts.push(h);
        }
        if hosts.is_empty() {
            hosts.push("a.example.com");
        }
        v.hosts = hosts;
        for r in &mut v.rules {
            // §5.1: several destinations need a positive total weight.
            if let ActionSpec::Route(dests) = &mut r.action {
                if dests.len() > 1 && dests.iter().all(|d| d.weight.unwrap_or(0) == 0) {
                    dests[0].weight = Some(1);
                }
            }
        }
    }
    // Bias: the first VirtualService is bound to the first Gateway, visible to it, and lists
    // the first host of its first server (in a namespace that server admits); without it most
    // requests through a Gateway are 404s.
    let gw = world.gateways[0].clone();
    let entry = gw.servers[0].hosts[0];
    let (ns, pattern) = match entry.split_once('/') {
        Some((".", h)) => (Some(gw.namespace), h),
        Some(("*", h)) => (None, h),
        Some((ns, h)) => (Some(ns), h),
        None => (None, entry),
    };
    let n = (1 + world.shared).min(world.virtual_services.len());
    for v in &mut world.virtual_services[..n] {
        v.gateways = if gw.namespace == GATEWAY_NAMESPACE {
            &["istio-system/gw1"]
        } else {
            &["apps/gw1"]
        };
        v.export_to = None;
        if let Some(ns) = ns {
            v.namespace = ns;
        }
        // The pattern first, then the other hosts that overlap nothing kept (in the VS's
        // final namespace: §1.1 "two hosts of one VS must not overlap").
        let namespace = v.namespace;
        let mut hosts = vec![pattern];
        for h in v.hosts.drain(..) {
            if !hosts
                .iter()
                .any(|o| overlaps(&full_host(o, namespace), &full_host(h, namespace)))
            {
                hosts.push(h);
            }
        }
        v.hosts = hosts;
    }
    let mut seen = Vec::new();
    world.virtual_services.retain(|v| {
        let key = (v.namespace, v.name);
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    // At most one DestinationRule per host (several for one host are merged or shadowed by
    // namespace rules that SEMANTICS.md does not describe).
    let mut hosts = Vec::new();
    let services = world.services.clone();
    world.destination_rules.retain(|d| {
        let s = d.service.get(&services);
        let key = (s.namespace, s.name);
        let fresh = !hosts.contains(&key);
        hosts.push(key);
        fresh
    });
}

/// A VS host as Istio resolves it in `namespace` (for the overlap check only).
fn full_host(h: &str, namespace: &str) -> String {
    if h == "*" || h.contains('.') {
        h.to_owned()
    } else {
        format!("{h}.{namespace}.svc.cluster.local")
    }
}

// --- rendering ------------------------------------------------------------------------------------

/// A double-quoted YAML scalar.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn render_sm(sm: &Sm) -> String {
    match sm {
        Sm::Exact(v) => format!("{{exact: {}}}", q(v)),
        Sm::Prefix(v) => format!("{{prefix: {}}}", q(v)),
        Sm::Regex(v) => format!("{{regex: {}}}", q(v)),
        Sm::Present => "{}".to_owned(),
    }
}

fn render_map(list: &[(&str, Sm)]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|(k, v)| format!("{}: {}", q(k), render_sm(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

fn render_list(list: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|s| q(s)).collect();
    format!("[{}]", items.join(", "))
}

fn render_meta(y: &mut String, name: &str, namespace: &str, created: Option<&str>) {
    let _ = write!(y, "metadata: {{name: {name}, namespace: {namespace}");
    if let Some(c) = created {
        let _ = write!(y, ", creationTimestamp: {}", q(c));
    }
    y.push_str("}\n");
}

fn render_match(m: &MatchSpec) -> String {
    let mut parts = Vec::new();
    if let Some(u) = &m.uri {
        parts.push(format!("uri: {}", render_sm(u)));
    }
    if m.ignore_uri_case {
        parts.push("ignoreUriCase: true".to_owned());
    }
    for (key, sm) in [
        ("method", &m.method),
        ("authority", &m.authority),
        ("scheme", &m.scheme),
    ] {
        if let Some(sm) = sm {
            parts.push(format!("{key}: {}", render_sm(sm)));
        }
    }
    for (key, map) in [
        ("headers", &m.headers),
        ("withoutHeaders", &m.without_headers),
        ("queryParams", &m.query),
    ] {
        if !map.is_empty() {
            parts.push(format!("{key}: {}", render_map(map)));
        }
    }
    if let Some(p) = m.port {
        parts.push(format!("port: {p}"));
    }
    if let Some(app) = m.source_labels {
        parts.push(format!("sourceLabels: {{app: {app}}}"));
    }
    if let Some(ns) = m.source_namespace {
        parts.push(format!("sourceNamespace: {ns}"));
    }
    if !m.gateways.is_empty() {
        parts.push(format!("gateways: {}", render_list(m.gateways)));
    }
    format!("{{{}}}", parts.join(", "))
}

fn render(world: &WorldSpec) -> String {
    let mut y = String::new();
    for g in &world.gateways {
        y.push_str("---\napiVersion: networking.istio.io/v1\nkind: Gateway\n");
        render_meta(&mut y, g.name, g.namespace, g.created);
        let _ = writeln!(
            y,
            "spec:\n  selector: {{istio: {}}}\n  servers:",
            g.selector
        );
        for (i, s) in g.servers.iter().enumerate() {
            let _ = writeln!(
                y,
                "  - port: {{number: {}, name: http-{i}, protocol: HTTP}}\n    hosts: {}",
                s.port,
                render_list(&s.hosts)
            );
            if s.https_redirect {
                y.push_str("    tls: {httpsRedirect: true}\n");
            }
        }
    }
    for s in &world.services {
        y.push_str("---\napiVersion: v1\nkind: Service\n");
        render_meta(&mut y, s.name, s.namespace, None);
        let ports: Vec<String> = s
            .ports
            .iter()
            .map(|p| format!("{{name: http-{p}, port: {p}}}"))
            .collect();
        let _ = writeln!(y, "spec:\n  ports: [{}]", ports.join(", "));
    }
    for (i, d) in world.destination_rules.iter().enumerate() {
        let s = d.service.get(&world.services);
        let (namespace, host) = match d.elsewhere {
            Some(ns) if ns != s.namespace => {
                (ns, format!("{}.{}.svc.cluster.local", s.name, s.namespace))
            }
            _ if d.short => (s.namespace, s.name.to_owned()),
            _ => (
                s.namespace,
                format!("{}.{}.svc.cluster.local", s.name, s.namespace),
            ),
        };
        y.push_str("---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n");
        render_meta(&mut y, &format!("dr{i}"), namespace, None);
        let _ = writeln!(y, "spec:\n  host: {}", q(&host));
        if let Some(e) = d.export_to {
            let _ = writeln!(y, "  exportTo: {}", render_list(e));
        }
        y.push_str("  subsets:\n");
        for sub in &d.subsets {
            let _ = writeln!(y, "  - {{name: {sub}, labels: {{version: {sub}}}}}");
        }
    }
    for v in &world.virtual_services {
        y.push_str("---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n");
        render_meta(&mut y, v.name, v.namespace, v.created);
        let _ = writeln!(y, "spec:\n  hosts: {}", render_list(&v.hosts));
        if !v.gateways.is_empty() {
            let _ = writeln!(y, "  gateways: {}", render_list(v.gateways));
        }
        if let Some(e) = v.export_to {
            // `.` and the own namespace's name are the same entry (a duplicate is rejected).
            let list: Vec<&str> = e
                .iter()
                .copied()
                .filter(|x| !(e.contains(&".") && *x == v.namespace))
                .collect();
            let _ = writeln!(y, "  exportTo: {}", render_list(&list));
        }
        y.push_str("  http:\n");
        for r in &v.rules {
            y.push_str("  - ");
            if r.matches.is_empty() {
                y.push_str("name: all\n");
            } else {
                let ms: Vec<String> = r.matches.iter().map(render_match).collect();
                let _ = writeln!(y, "match: [{}]", ms.join(", "));
            }
            match &r.action {
                ActionSpec::Route(dests) => {
                    y.push_str("    route:\n");
                    for d in dests {
                        let host = match d.service {
                            None => MISSING_HOST.to_owned(),
                            Some((i, true)) => i.get(&world.services).name.to_owned(),
                            Some((i, false)) => {
                                let s = i.get(&world.services);
                                format!("{}.{}.svc.cluster.local", s.name, s.namespace)
                            }
                        };
                        let mut dest = vec![format!("host: {}", q(&host))];
                        if let Some(s) = d.subset {
                            dest.push(format!("subset: {s}"));
                        }
                        if let Some(p) = d.port {
                            dest.push(format!("port: {{number: {p}}}"));
                        }
                        let weight = d
                            .weight
                            .map(|w| format!(", weight: {w}"))
                            .unwrap_or_default();
                        let _ =
                            writeln!(y, "    - {{destination: {{{}}}{weight}}}", dest.join(", "));
                    }
                }
                ActionSpec::Redirect(rd) => {
                    let mut parts = Vec::new();
                    for (key, value) in [
                        ("uri", rd.uri),
                        ("prefixRewrite", rd.prefix_rewrite),
                        ("authority", rd.authority),
                        ("scheme", rd.scheme),
                        ("derivePort", rd.derive_port),
                    ] {
                        if let Some(v) = value {
                            parts.push(format!("{key}: {}", q(v)));
                        }
                    }
                    if let Some(p) = rd.port {
                        parts.push(format!("port: {p}"));
                    }
                    if let Some(c) = rd.code {
                        parts.push(format!("redirectCode: {c}"));
                    }
                    let _ = writeln!(y, "    redirect: {{{}}}", parts.join(", "));
                }
                ActionSpec::Direct(status, body) => {
                    let body = body
                        .map(|b| format!(", body: {{string: {}}}", q(b)))
                        .unwrap_or_default();
                    let _ = writeln!(y, "    directResponse: {{status: {status}{body}}}");
                }
            }
        }
    }
    y
}

// --- requests ---------------------------------------------------------------------------------------

/// A generated request with its entry point, owning what [`Request`] borrows.
#[derive(Clone, Debug)]
pub struct GenIstioRequest {
    /// `Some((namespace, name))`: through this Istio Gateway; `None`: from a sidecar.
    pub gateway: Option<(&'static str, &'static str)>,
    /// The client's namespace (sidecar requests).
    pub client_namespace: &'static str,
    /// The client's labels (sidecar requests).
    pub client_labels: &'static [(&'static str, &'static str)],
    /// `GET`, `POST` or `PUT`.
    pub method: &'static str,
    /// `http` (mostly) or `https`.
    pub scheme: &'static str,
    /// Host header, optionally with `:port`.
    pub authority: String,
    /// Path without query.
    pub path: &'static str,
    /// Raw query string.
    pub query: Option<&'static str>,
    /// Headers.
    pub headers: Vec<(&'static str, &'static str)>,
    /// Listener port (server port, or the Service port called).
    pub port: u16,
    /// Entropy for a weighted pick.
    pub entropy: u64,
    path_and_query: String,
}

impl GenIstioRequest {
    /// The [`Request`] for the router.
    pub fn request(&self) -> Request<'_> {
        let mut r = Request::new(self.method, &self.authority, &self.path_and_query)
            .scheme(self.scheme)
            .headers(&self.headers)
            .port(self.port);
        if self.scheme == "https" {
            r = r.sni(strip_port(&self.authority));
        }
        match self.gateway {
            Some((ns, name)) => r.gateway(ns, name),
            None => r.workload(self.client_namespace, self.client_labels),
        }
    }

    /// The entry and request for the reference.
    pub fn reference(&self) -> (Entry, RefRequest) {
        let entry = match self.gateway {
            Some((ns, name)) => Entry::Gateway {
                namespace: ns.to_owned(),
                name: name.to_owned(),
            },
            None => Entry::Mesh {
                namespace: self.client_namespace.to_owned(),
                labels: self
                    .client_labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            },
        };
        let request = RefRequest {
            method: self.method.to_owned(),
            scheme: self.scheme.to_owned(),
            authority: self.authority.clone(),
            path: self.path.to_owned(),
            query: self.query.map(str::to_owned),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            port: Some(self.port),
            sni: (self.scheme == "https").then(|| strip_port(&self.authority).to_owned()),
        };
        (entry, request)
    }
}

fn strip_port(authority: &str) -> &str {
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

impl fmt::Display for GenIstioRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.gateway {
            Some((ns, name)) => write!(f, "via gateway {ns}/{name} port {}: ", self.port)?,
            None => write!(
                f,
                "from sidecar in {} labels {:?} to port {}: ",
                self.client_namespace, self.client_labels, self.port
            )?,
        }
        write!(
            f,
            "{} {}://{}{}",
            self.method, self.scheme, self.authority, self.path_and_query
        )?;
        for (n, v) in &self.headers {
            write!(f, " [{n}: {v}]")?;
        }
        write!(f, " entropy={:#x}", self.entropy)
    }
}

/// A request before it is fitted to a world (so that both shrink independently).
#[derive(Clone, Debug)]
struct RawRequest {
    /// 0–5: through a Gateway, 6–9: from a sidecar.
    kind: u8,
    gateway: Index,
    port: Index,
    /// Now and then a port nothing listens on (gateway) or the target Service lacks (mesh).
    odd_port: bool,
    client_namespace: &'static str,
    /// Mesh: the client runs in the target Service's namespace (bare names resolve).
    same_namespace: bool,
    client_labels: &'static [(&'static str, &'static str)],
    /// `None`: a host of the world; `Some`: a miss.
    miss: Option<&'static str>,
    host: Index,
    /// Mesh: a Service of the world (in one of its spellings) rather than a VS host.
    service: bool,
    spelling: Index,
    host_port: Option<u16>,
    method: &'static str,
    https: bool,
    path: &'static str,
    query: Option<&'static str>,
    headers: Vec<(&'static str, &'static str)>,
    entropy: u64,
}

fn raw_request() -> impl Strategy<Value = RawRequest> {
    static CLIENT_NAMESPACES: [&str; 4] = ["default", "apps", "team", "other"];
    let entry = (
        0u8..10,
        any::<Index>(),
        any::<Index>(),
        prop_oneof![9 => Just(false), 1 => Just(true)],
        select(&CLIENT_NAMESPACES[..]),
        prop_oneof![1 => Just(false), 1 => Just(true)],
        select(&CLIENT_LABELS[..]),
    );
    let target = (
        option::weighted(0.15, select(&MISS_HOSTS[..])),
        any::<Index>(),
        prop_oneof![1 => Just(false), 3 => Just(true)],
        any::<Index>(),
        option::weighted(0.1, select(vec![80u16, 8080])),
    );
    let rest = (
        prop_oneof![4 => Just("GET"), 2 => Just("POST"), 1 => Just("PUT")],
        prop_oneof![30 => Just(false), 1 => Just(true)],
        select(&REQUEST_PATHS[..]),
        select(&REQUEST_QUERIES[..]),
        vec(select(&REQUEST_HEADERS[..]), 0..=2),
        any::<u64>(),
    );
    (entry, target, rest).prop_map(
        |(
            (kind, gateway, port, odd_port, client_namespace, same_namespace, client_labels),
            (miss, host, service, spelling, host_port),
            (method, https, path, query, headers, entropy),
        )| RawRequest {
            kind,
            gateway,
            port,
            odd_port,
            client_namespace,
            same_namespace,
            client_labels,
            miss,
            host,
            service,
            spelling,
            host_port,
            method,
            https,
            path,
            query,
            headers,
            entropy,
        },
    )
}

/// Whether the VS's `gateways` name the Gateway `namespace/name` (§1.2 resolution).
fn binds(v: &VsSpec, namespace: &str, name: &str) -> bool {
    v.gateways.iter().any(|g| {
        let resolved = if let Some((ns, n)) = g.split_once('/') {
            if ns == "." {
                format!("{}/{n}", v.namespace)
            } else {
                (*g).to_owned()
            }
        } else if let Some((n, rest)) = g.split_once('.') {
            format!("{}/{n}", rest.split('.').next().unwrap_or(rest))
        } else {
            format!("{}/{g}", v.namespace)
        };
        resolved == format!("{namespace}/{name}")
    })
}

/// A concrete host a wildcard pattern matches.
fn concrete(pattern: &str) -> String {
    match pattern.strip_prefix('*') {
        Some("") => "any.org".to_owned(),
        Some(suffix) => format!("w{suffix}"),
        None => pattern.to_owned(),
    }
}

impl RawRequest {
    fn resolve(self, world: &WorldSpec) -> GenIstioRequest {
        let at_gateway = self.kind < 6;
        let mut client_namespace = self.client_namespace;
        let mut host: Option<String> = self.miss.map(str::to_owned);
        let (gateway, port) = if at_gateway {
            // A Gateway of the world (now and then one that does not exist), a port of its
            // workload's servers (now and then 9090, where nothing listens).
            let g = self.gateway.get(&world.gateways);
            let gw = if self.odd_port && self.gateway.index(2) == 0 {
                (GATEWAY_NAMESPACE, "nope")
            } else {
                (g.namespace, g.name)
            };
            let ports: Vec<u16> = world
                .gateways
                .iter()
                .filter(|w| w.selector == g.selector)
                .flat_map(|w| w.servers.iter().map(|s| s.port))
                .collect();
            let port = if self.odd_port && self.gateway.index(2) == 1 {
                9090
            } else {
                *self.port.get(&ports)
            };
            (Some(gw), port)
        } else if self.service && host.is_none() {
            // A Service of the world, spelled as a client may write it, on one of its ports.
            let s = self.host.get(&world.services);
            if self.same_namespace {
                client_namespace = s.namespace;
            }
            let spellings = [
                s.name.to_owned(),
                format!("{}.{}", s.name, s.namespace),
                format!("{}.{}.svc", s.name, s.namespace),
                format!("{}.{}.svc.cluster.local", s.name, s.namespace),
            ];
            host = Some(self.spelling.get(&spellings).clone());
            let port = if self.odd_port {
                80
            } else {
                *self.port.get(&s.ports)
            };
            (None, port)
        } else {
            // A VirtualService host (non-registry names live on port 80).
            let mut ports: Vec<u16> = world
                .services
                .iter()
                .flat_map(|s| s.ports.iter().copied())
                .collect();
            ports.sort_unstable();
            ports.dedup();
            let port = if self.odd_port {
                *self.port.get(&ports)
            } else {
                80
            };
            (None, port)
        };
        // Hosts the world names: VS hosts (wildcards made concrete, short names resolved in
        // the VS namespace, and as written), and at gateways the server hosts.
        let mut hosts: Vec<String> = Vec::new();
        for v in &world.virtual_services {
            for h in &v.hosts {
                hosts.push(concrete(&full_host(h, v.namespace)));
                if !h.contains('.') && *h != "*" {
                    hosts.push((*h).to_owned());
                }
            }
        }
        if let Some((gw_ns, gw_name)) = gateway {
            // Mostly the hosts of VirtualServices bound to the Gateway entered.
            // Mostly the hosts of VirtualServices bound to the Gateway entered that a server
            // on the port accepts.
            let accepted = |host: &str| {
                world.gateways.iter().any(|g| {
                    g.servers.iter().any(|s| {
                        s.port == port
                            && s.hosts.iter().any(|h| {
                                let pattern = h.rsplit('/').next().unwrap_or(h);
                                match pattern.strip_prefix('*') {
                                    Some(suffix) => host.ends_with(suffix),
                                    None => pattern == host,
                                }
                            })
                    })
                })
            };
            let bound: Vec<String> = world
                .virtual_services
                .iter()
                .filter(|v| binds(v, gw_ns, gw_name))
                .flat_map(|v| v.hosts.iter().map(|h| concrete(&full_host(h, v.namespace))))
                .filter(|h| accepted(h))
                .collect();
            if !bound.is_empty() && self.service {
                hosts = bound;
            }
            for g in &world.gateways {
                for s in &g.servers {
                    for h in &s.hosts {
                        hosts.push(concrete(h.rsplit('/').next().unwrap_or(h)));
                    }
                }
            }
        }
        if hosts.is_empty() {
            hosts.push(MISS_HOSTS[0].to_owned());
        }
        let host = host.unwrap_or_else(|| self.host.get(&hosts).clone());
        let authority = match self.host_port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        let path_and_query = match self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.to_owned(),
        };
        GenIstioRequest {
            gateway,
            client_namespace,
            client_labels: self.client_labels,
            method: self.method,
            scheme: if self.https { "https" } else { "http" },
            authority,
            path: self.path,
            query: self.query,
            headers: self.headers,
            port,
            entropy: self.entropy,
            path_and_query,
        }
    }
}

/// One Istio world (rendered as YAML) with `requests` requests near it; world and requests
/// shrink independently. See the module doc for what is generated.
pub fn istio_scenario(
    requests: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = (String, Vec<GenIstioRequest>)> {
    (world_spec(), vec(raw_request(), requests)).prop_map(|(world, raws)| {
        let yaml = render(&world);
        let requests = raws.into_iter().map(|r| r.resolve(&world)).collect();
        (yaml, requests)
    })
}
