//! Proptest strategies for differential testing: manifests and requests biased to collide.
//!
//! Everything is drawn from tiny pools — a handful of hostnames (with a wildcard and an
//! absent one), nested paths with equal lengths, two route names in two namespaces whose
//! `{namespace}/{name}` order differs from the `(namespace, name)` order, creation timestamps
//! that are equal, older or missing — so that generated routes overlap and every precedence
//! tie-break is exercised. Requests are drawn from the same pools plus near misses.
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

/// A listener: name `l{i}`, port, hostname, HTTPS (with or without a resolvable certificate).
#[derive(Clone, Debug)]
struct ListenerSpec {
    port: u16,
    hostname: Option<&'static str>,
    https: Option<bool>,
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

#[derive(Clone, Debug)]
struct ManifestSpec {
    gateways: Vec<Vec<ListenerSpec>>,
    routes: Vec<RouteSpec>,
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
                port,
                hostname,
                https,
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
            ls[0].https = None;
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
        (vec(listeners(), gateways), vec(route_spec(gateways), 1..=4))
            .prop_map(|(gateways, routes)| ManifestSpec { gateways, routes })
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
            let protocol = if l.https.is_some() { "HTTPS" } else { "HTTP" };
            let _ = write!(y, "  - {{name: l{i}, port: {}, protocol: {protocol}, allowedRoutes: {{namespaces: {{from: All}}}}", l.port);
            if let Some(h) = l.hostname {
                let _ = write!(y, ", hostname: {}", q(h));
            }
            if let Some(cert_ok) = l.https {
                let secret = if cert_ok { "cert" } else { "no-such-cert" };
                let _ = write!(
                    y,
                    ", tls: {{mode: Terminate, certificateRefs: [{{name: {secret}}}]}}"
                );
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
                let values = |list: &[ValueSpec]| {
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
                };
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
    y
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
    let target = (
        select(vec!["GET", "POST"]),
        // `Some(true)`: https when the manifest has a 443 listener; `Some(false)`: always https.
        prop_oneof![10 => Just(None), 4 => Just(Some(true)), 1 => Just(Some(false))],
        select(&REQUEST_HOSTS[..]),
        port_choice(8, 4, 1),
        select(&REQUEST_PATHS[..]),
        select(&REQUEST_QUERIES[..]),
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
