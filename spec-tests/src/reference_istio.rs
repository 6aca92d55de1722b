//! A spec-literal reference matcher for Istio HTTP routing, transcribed from
//! `spec/istio/SEMANTICS.md` (section numbers below refer to it; through them, to the istio/istio
//! and Envoy sources cited there).
//!
//! It exists to be compared with the compiled [`Router`](gatewright::Router). It reads only the
//! public serde models ([`gatewright::resource::istio`], [`Object::Service`]) and shares no
//! code with the engine's Istio front end: every decision is a linear scan over the objects, in
//! the order the semantics describe, with no index, trie, map or cache. Route tables are rebuilt
//! for every request.
//!
//! What it decides, for a request entering an Istio `Gateway` or a sidecar (mesh):
//!
//! * names: VirtualService host and destination short names (§1.1), gateway names (§1.2),
//!   `exportTo` (§1.3), DestinationRule subsets and the destination port rule (§1.4);
//! * gateways: the workload's servers (Gateways with identical selectors, §2.1), plain-text
//!   servers sharing one route table per port, HTTPS (terminating) servers chosen by SNI,
//!   server `ns/host` filters and host intersection, one virtual host per intersected name,
//!   routes concatenated in VirtualService order (§2.4) and catch-alls moved to the end
//!   (§2.2, §3.1), no fall-back between virtual hosts, `tls.httpsRedirect` (301);
//! * sidecars: one VirtualService per host (oldest visible wins, exact beats wildcard), the
//!   domains a client may write, bare names only from the same namespace, non-registry hosts on
//!   port 80, the default route of a Service without a VirtualService (§2.3);
//! * route building: match expansion, the build-time filters `port`, `gateways`,
//!   `sourceLabels`, `sourceNamespace` and catch-all truncation (§3), delegation (§6);
//! * matching: every `HTTPMatchRequest` field of §4;
//! * actions: destinations (weight-0 dropped, a single survivor is a plain backend; 503 when
//!   the cluster does not exist, §1.4, §5.1), `redirect` (§5.3, README "Redirect location
//!   rule"), `directResponse` status and string body (§5.4).
//!
//! Left out: rewrites, header operations, mirrors and carried-through policy (§5.2, §5.5–5.7:
//! they do not change which decision is taken), TLS/TCP routes (§7), Gateway API resources
//! (§8), ServiceEntry, `directResponse.body.bytes`, percent-decoding of query parameters (the
//! generators send none).
//!
//! Where SEMANTICS.md is silent, the reference follows the upstream code it cites and says so
//! at the place (each such place is marked "upstream:").

use std::collections::BTreeMap;

use gatewright::resource::istio::{
    Delegate, HttpMatchRequest, HttpRedirect, HttpRule, IstioGateway, Server, StringMatch,
    VirtualService,
};
use gatewright::{Object, Resources};
use regex_automata::meta::Regex;

/// The cluster DNS suffix short names are expanded with (README "Conventions").
pub const DOMAIN_SUFFIX: &str = "cluster.local";

// === inputs ======================================================================================

/// Where a request enters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Through the Istio `Gateway` `namespace/name`: its workload (every Gateway with the same
    /// selector) serves the request; its namespace is the proxy's config namespace.
    Gateway {
        /// Namespace of the Gateway.
        namespace: String,
        /// Name of the Gateway.
        name: String,
    },
    /// From the sidecar of a workload in `namespace` with these pod labels.
    Mesh {
        /// The client's namespace.
        namespace: String,
        /// The client's pod labels.
        labels: Vec<(String, String)>,
    },
}

/// An HTTP request, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefRequest {
    /// `:method`.
    pub method: String,
    /// `:scheme` (`http`, or `https` when the request arrives over TLS at a gateway).
    pub scheme: String,
    /// The Host header exactly as sent (may carry `:port`).
    pub authority: String,
    /// The path without the query string.
    pub path: String,
    /// The raw query string without `?`.
    pub query: Option<String>,
    /// Request headers (name, value), in order; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The listener port: the gateway server port, or the Service port called (mesh). When
    /// absent: 443 for `https`, else 80.
    pub port: Option<u16>,
    /// TLS SNI (HTTPS servers select on it); default: the Host without port.
    pub sni: Option<String>,
}

impl RefRequest {
    fn listener_port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }

    /// The Host without `:port`, lower-cased: virtual hosts ignore the port and case (§2.2
    /// `IgnorePortInHostMatching`, §2.3 "Ports are ignored in Host matching").
    fn host(&self) -> String {
        strip_port(&self.authority).to_ascii_lowercase()
    }

    /// A header's value; several headers of one name are joined with `,` (§4 notes, [Envoy]).
    fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            None
        } else {
            Some(values.join(","))
        }
    }

    /// The first occurrence of a query parameter; `?key` has the value "" (§4 `queryParams`).
    fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        for pair in query.split('&') {
            let (n, v) = match pair.split_once('=') {
                Some((n, v)) => (n, v),
                None => (pair, ""),
            };
            if n == name {
                return Some(v.to_owned());
            }
        }
        None
    }
}

// === outputs =====================================================================================

/// An upstream cluster `outbound|port|subset|host` (§1.4).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RefBackend {
    /// Destination host after short-name resolution.
    pub host: String,
    /// Port per the port rule.
    pub port: u16,
    /// DestinationRule subset.
    pub subset: Option<String>,
}

/// One destination of a weighted split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefWeighted {
    /// The cluster.
    pub backend: RefBackend,
    /// The raw weight (relative).
    pub weight: u32,
    /// Whether the cluster exists (else picking it answers 503).
    pub exists: bool,
}

/// What the reference decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefDecision {
    /// Forwarded to one existing cluster.
    Backend(RefBackend),
    /// A weighted split over two or more destinations, in configured order.
    Split(Vec<RefWeighted>),
    /// 503: the route's single cluster does not exist (§1.4).
    Unavailable(RefBackend),
    /// A locally generated response: 404 (no virtual host, no route) or a `directResponse`.
    Status {
        /// Status code.
        status: u16,
        /// `directResponse.body.string`.
        body: Option<String>,
    },
    /// A redirect: `tls.httpsRedirect` or a route's `redirect`.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        code: u16,
        /// The `Location` header.
        location: String,
    },
    /// No listener takes the connection: unknown Gateway, no server on the port, no HTTPS
    /// server for the SNI.
    Refused,
}

impl RefDecision {
    fn not_found() -> Self {
        RefDecision::Status {
            status: 404,
            body: None,
        }
    }
}

/// The index of the destination a weighted split sends a request with this `entropy` to:
/// `point = (entropy × total) >> 64`, the first destination whose cumulative weight range
/// holds the point (gatewright's injected-randomness convention, as `Backends::pick`).
pub fn pick(split: &[RefWeighted], entropy: u64) -> usize {
    let total: u64 = split.iter().map(|w| u64::from(w.weight)).sum();
    let point = u64::try_from((u128::from(entropy) * u128::from(total)) >> 64).unwrap_or(0);
    let mut upper = 0u64;
    for (i, w) in split.iter().enumerate() {
        upper += u64::from(w.weight);
        if point < upper {
            return i;
        }
    }
    0
}

// === the world ===================================================================================

/// Creation time as (seconds, nanoseconds) since the epoch; a missing or unreadable
/// timestamp is Go's zero `time.Time`, older than any real one (upstream: `config.Meta`).
type Created = (i64, u32);

#[derive(Clone, Debug)]
struct GatewayObj {
    namespace: String,
    name: String,
    created: Created,
    selector: BTreeMap<String, String>,
    servers: Vec<Server>,
}

#[derive(Clone, Debug)]
struct ServiceObj {
    namespace: String,
    name: String,
    ports: Vec<u16>,
}

impl ServiceObj {
    fn fqdn(&self) -> String {
        format!("{}.{}.svc.{DOMAIN_SUFFIX}", self.name, self.namespace)
    }
}

#[derive(Clone, Debug)]
struct DestinationRuleObj {
    namespace: String,
    /// `spec.host`, short name resolved in the rule's namespace (§1.1).
    host: String,
    subsets: Vec<String>,
    export_to: Option<Vec<String>>,
}

/// A VirtualService after short-name resolution (§1.1, §1.2) and delegation (§6).
#[derive(Clone, Debug)]
struct Vs {
    namespace: String,
    name: String,
    created: Created,
    /// Lower-cased, short names expanded.
    hosts: Vec<String>,
    /// Resolved; empty = `[mesh]` (§1.2).
    gateways: Vec<String>,
    export_to: Option<Vec<String>>,
    http: Vec<HttpRule>,
}

impl Vs {
    /// §1.2: "Empty list ⇒ [mesh]".
    fn applies_to(&self, gateway: &str) -> bool {
        if self.gateways.is_empty() {
            gateway == "mesh"
        } else {
            self.gateways.iter().any(|g| g == gateway)
        }
    }
}

/// Everything the reference decides from, read from [`Resources`].
#[derive(Clone, Debug, Default)]
pub struct ReferenceWorld {
    gateways: Vec<GatewayObj>,
    services: Vec<ServiceObj>,
    destination_rules: Vec<DestinationRuleObj>,
    /// Valid root VirtualServices in base order (§2.4); delegates merged in, then omitted.
    virtual_services: Vec<Vs>,
    /// VirtualServices left out, with the reason (for people reading a failure).
    pub ignored: Vec<String>,
}

impl ReferenceWorld {
    /// Reads a multi-document YAML manifest.
    ///
    /// # Errors
    /// When the text is not a manifest gatewright can read.
    pub fn from_yaml(yaml: &str) -> Result<Self, String> {
        let resources = Resources::from_yaml(yaml).map_err(|e| e.to_string())?;
        Ok(Self::new(&resources))
    }

    /// Takes the Istio Gateways, VirtualServices, DestinationRules and Services of `resources`
    /// (everything else is ignored).
    pub fn new(resources: &Resources) -> Self {
        let mut world = ReferenceWorld::default();
        let mut raw_vss: Vec<&VirtualService> = Vec::new();
        for object in resources.objects() {
            match object {
                Object::IstioGateway(g) => world.gateways.push(gateway_obj(g)),
                Object::Service(s) => world.services.push(ServiceObj {
                    namespace: namespace_of(s.metadata.namespace.as_deref()),
                    name: s.metadata.name.clone(),
                    ports: s.spec.ports.iter().map(|p| p.port).collect(),
                }),
                Object::DestinationRule(d) => {
                    let namespace = namespace_of(d.metadata.namespace.as_deref());
                    world.destination_rules.push(DestinationRuleObj {
                        host: resolve_short_name(&d.spec.host, &namespace),
                        subsets: d.spec.subsets.iter().map(|s| s.name.clone()).collect(),
                        export_to: d.spec.export_to.clone(),
                        namespace,
                    });
                }
                Object::VirtualService(v) => raw_vss.push(v),
                _ => {}
            }
        }
        // Gateways in creation order, then name, then namespace (upstream: `initGateways`
        // sorts by creation time; this is the order servers are merged in, §2.1).
        world.gateways.sort_by(|a, b| {
            (a.created, &a.name, &a.namespace).cmp(&(b.created, &b.name, &b.namespace))
        });

        // §1.1/§1.2: short names in hosts, destinations and gateways, in each VS's namespace.
        let mut resolved: Vec<Vs> = raw_vss.into_iter().map(resolve_vs).collect();
        // §2.4: "creationTimestamp ascending, then name, then namespace".
        resolved.sort_by(|a, b| {
            (a.created, &a.name, &a.namespace).cmp(&(b.created, &b.name, &b.namespace))
        });

        // §6: delegates have no hosts; roots get their delegate rules merged in place.
        let delegates: Vec<Vs> = resolved
            .iter()
            .filter(|v| v.hosts.is_empty())
            .cloned()
            .collect();
        for vs in resolved {
            if vs.hosts.is_empty() {
                continue;
            }
            let vs = merge_delegates(vs, &delegates);
            match validate(&vs) {
                Ok(()) => world.virtual_services.push(vs),
                Err(why) => world
                    .ignored
                    .push(format!("{}/{}: {why}", vs.namespace, vs.name)),
            }
        }
        world
    }
}

fn namespace_of(ns: Option<&str>) -> String {
    ns.unwrap_or("default").to_owned()
}

fn gateway_obj(g: &IstioGateway) -> GatewayObj {
    GatewayObj {
        namespace: namespace_of(g.metadata.namespace.as_deref()),
        name: g.metadata.name.clone(),
        created: parse_created(g.metadata.creation_timestamp.as_deref()),
        selector: g.spec.selector.clone(),
        servers: g.spec.servers.clone(),
    }
}

/// §1.1 `ResolveShortnameToFQDN`: a name without a dot gets `.<namespace>.svc.<domain>`;
/// `*`, names with a dot and IPs stay as written. Lower-cased: hosts match case-insensitively.
fn resolve_short_name(host: &str, namespace: &str) -> String {
    let host = host.to_ascii_lowercase();
    if host == "*" || host.contains('.') || host.contains(':') || host.is_empty() {
        host
    } else {
        format!("{host}.{namespace}.svc.{DOMAIN_SUFFIX}")
    }
}

/// §1.2 `resolveGatewayName`: `mesh` stays; `ns/name` as written, `./name` in the VS's
/// namespace; a name with a dot is the legacy `name.ns[.svc.cluster.local]` form (`ns/name`);
/// a bare name is in the VS's namespace.
fn resolve_gateway_name(gateway: &str, namespace: &str) -> String {
    if gateway == "mesh" {
        return gateway.to_owned();
    }
    if let Some((ns, name)) = gateway.split_once('/') {
        return if ns == "." {
            format!("{namespace}/{name}")
        } else {
            gateway.to_owned()
        };
    }
    match gateway.split_once('.') {
        None => format!("{namespace}/{gateway}"),
        Some((name, rest)) => {
            let ns = rest.split('.').next().unwrap_or(rest);
            format!("{ns}/{name}")
        }
    }
}

fn resolve_vs(v: &VirtualService) -> Vs {
    let namespace = namespace_of(v.metadata.namespace.as_deref());
    let mut http = v.spec.http.clone();
    for rule in &mut http {
        for m in &mut rule.matches {
            for g in &mut m.gateways {
                *g = resolve_gateway_name(g, &namespace);
            }
        }
        for d in &mut rule.route {
            d.destination.host = resolve_short_name(&d.destination.host, &namespace);
        }
    }
    Vs {
        hosts: v
            .spec
            .hosts
            .iter()
            .map(|h| resolve_short_name(h, &namespace))
            .collect(),
        gateways: v
            .spec
            .gateways
            .iter()
            .map(|g| resolve_gateway_name(g, &namespace))
            .collect(),
        export_to: v.spec.export_to.clone(),
        created: parse_created(v.metadata.creation_timestamp.as_deref()),
        name: v.metadata.name.clone(),
        namespace,
        http,
    }
}

/// The validation the generators and the corpus can reach (`validation.go`
/// `ValidateVirtualService`); an invalid VirtualService is rejected at admission, so it is
/// ignored as a whole.
fn validate(vs: &Vs) -> Result<(), String> {
    // §1.1: "`*` is rejected for VSs that apply to `mesh`".
    if vs.applies_to("mesh") && vs.hosts.iter().any(|h| h == "*") {
        return Err("host `*` on a VirtualService for mesh".into());
    }
    // §1.1: "two hosts of one VS must not overlap".
    for (i, a) in vs.hosts.iter().enumerate() {
        for b in &vs.hosts[i + 1..] {
            if subset_of(a, b) || subset_of(b, a) {
                return Err(format!("hosts {a} and {b} overlap"));
            }
        }
    }
    for rule in &vs.http {
        // §5: exactly one of route, redirect, directResponse (or delegate).
        let actions = usize::from(!rule.route.is_empty())
            + usize::from(rule.redirect.is_some())
            + usize::from(rule.direct_response.is_some())
            + usize::from(rule.delegate.is_some());
        if actions != 1 {
            return Err("a rule needs exactly one of route, redirect, directResponse".into());
        }
        // §5.1: "Validation only rejects several destinations with total 0".
        if rule.route.len() > 1 && rule.route.iter().all(|d| d.weight.unwrap_or(0) <= 0) {
            return Err("several destinations with total weight 0".into());
        }
        // §5.3: "any other value makes the route invalid".
        if let Some(r) = &rule.redirect {
            if !matches!(
                r.redirect_code,
                None | Some(0 | 301 | 302 | 303 | 307 | 308)
            ) {
                return Err("unsupported redirectCode".into());
            }
        }
        // §4 notes: "regex must compile (Go RE2)".
        for m in &rule.matches {
            let mut all: Vec<&StringMatch> = Vec::new();
            all.extend(m.uri.iter());
            all.extend(m.scheme.iter());
            all.extend(m.method.iter());
            all.extend(m.authority.iter());
            all.extend(m.headers.values());
            all.extend(m.without_headers.values());
            all.extend(m.query_params.values());
            for s in all {
                if let Some(re) = &s.regex {
                    if re != "*" && full_match_regex(re).is_none() {
                        return Err(format!("regex {re:?} does not compile"));
                    }
                }
            }
        }
    }
    Ok(())
}

/// RFC 3339 → (seconds, nanoseconds) since the epoch, honouring the offset.
fn parse_created(ts: Option<&str>) -> Created {
    const ZERO: Created = (i64::MIN, 0);
    let Some(ts) = ts else { return ZERO };
    let num = |s: &str| -> Option<i64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let parse = || -> Option<Created> {
        let (date, time) = ts.split_once(['T', 't'])?;
        let mut d = date.split('-');
        let (y, mo, da) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
        // The offset: `Z`, or `+hh:mm` / `-hh:mm` after the seconds.
        let (clock, offset) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
            (c, 0)
        } else {
            let at = time.rfind(['+', '-'])?;
            let (c, o) = time.split_at(at);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = o[1..].split_once(':')?;
            (c, sign * (num(oh)? * 3600 + num(om)? * 60))
        };
        let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
        let mut t = hms.split(':');
        let (h, mi, s) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
        let nanos: u32 = if frac.is_empty() {
            0
        } else {
            let digits: String = frac.chars().chain("000000000".chars()).take(9).collect();
            u32::try_from(num(&digits)?).ok()?
        };
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
        let y = if mo <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((mo + 9) % 12) + 2) / 5 + da - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some((days * 86_400 + h * 3600 + mi * 60 + s - offset, nanos))
    };
    parse().unwrap_or(ZERO)
}

// === §6 delegation ===============================================================================

fn merge_delegates(mut root: Vs, delegates: &[Vs]) -> Vs {
    let mut http = Vec::new();
    for rule in std::mem::take(&mut root.http) {
        let Some(Delegate {
            name, namespace, ..
        }) = rule.delegate.clone()
        else {
            http.push(rule);
            continue;
        };
        let namespace = namespace.unwrap_or_else(|| root.namespace.clone());
        // "A missing delegate drops only that root rule"; "The delegate must be exported to
        // the root's namespace, else that root rule is dropped".
        let Some(delegate) = delegates
            .iter()
            .find(|d| d.name == name && d.namespace == namespace)
        else {
            continue;
        };
        if !visible(
            delegate.export_to.as_deref(),
            &delegate.namespace,
            &root.namespace,
        ) {
            continue;
        }
        // "The root rule is replaced in place by the delegate's rules, in the delegate's order."
        for leaf in &delegate.http {
            // "it may not delegate again (one level only)".
            if leaf.delegate.is_some() {
                continue;
            }
            if let Some(merged) = merge_rule(&rule, leaf) {
                http.push(merged);
            }
        }
    }
    root.http = http;
    root
}

/// §6 `mergeHTTPRoute`: matches merged (or the rule dropped on conflict); for each policy the
/// delegate's value if set, else the root's; `route`/`redirect` from the delegate.
fn merge_rule(root: &HttpRule, leaf: &HttpRule) -> Option<HttpRule> {
    let mut out = leaf.clone();
    out.matches = if root.matches.is_empty() {
        leaf.matches.clone()
    } else if leaf.matches.is_empty() {
        root.matches.clone()
    } else {
        let mut merged = Vec::new();
        for l in &leaf.matches {
            let mut found = false;
            for r in &root.matches {
                if has_conflict(r, l) {
                    continue;
                }
                merged.push(merge_match(r, l));
                found = true;
            }
            // "If some delegate match conflicts with every root match, the whole delegate
            // rule is dropped."
            if !found {
                return None;
            }
        }
        merged
    };
    out.name = match (&root.name, &leaf.name) {
        (Some(r), Some(l)) => Some(format!("{r}-{l}")),
        (r, None) => r.clone(),
        (None, l) => l.clone(),
    };
    if out.rewrite.is_none() {
        out.rewrite.clone_from(&root.rewrite);
    }
    if out.direct_response.is_none() {
        out.direct_response.clone_from(&root.direct_response);
    }
    if out.timeout.is_none() {
        out.timeout.clone_from(&root.timeout);
    }
    if out.retries.is_none() {
        out.retries.clone_from(&root.retries);
    }
    if out.fault.is_none() {
        out.fault.clone_from(&root.fault);
    }
    if out.mirror.is_none() {
        out.mirror.clone_from(&root.mirror);
    }
    if out.mirror_percent.is_none() {
        out.mirror_percent = root.mirror_percent;
    }
    if out.mirror_percentage.is_none() {
        out.mirror_percentage.clone_from(&root.mirror_percentage);
    }
    if out.cors_policy.is_none() {
        out.cors_policy.clone_from(&root.cors_policy);
    }
    if out.mirrors.is_empty() {
        out.mirrors.clone_from(&root.mirrors);
    }
    if out.headers.is_none() {
        out.headers.clone_from(&root.headers);
    }
    Some(out)
}

/// §6 "delegate's fields win, root fills unset fields; header/query/withoutHeaders/
/// sourceLabels maps are unioned with the delegate overriding keys".
fn merge_match(root: &HttpMatchRequest, leaf: &HttpMatchRequest) -> HttpMatchRequest {
    let mut out = leaf.clone();
    out.name = match (&root.name, &leaf.name) {
        (Some(r), Some(l)) => Some(format!("{r}-{l}")),
        (r, None) => r.clone(),
        (None, l) => l.clone(),
    };
    for (mine, theirs) in [
        (&mut out.uri, &root.uri),
        (&mut out.scheme, &root.scheme),
        (&mut out.method, &root.method),
        (&mut out.authority, &root.authority),
    ] {
        if mine.is_none() {
            mine.clone_from(theirs);
        }
    }
    for (mine, theirs, leafs) in [
        (&mut out.headers, &root.headers, &leaf.headers),
        (
            &mut out.without_headers,
            &root.without_headers,
            &leaf.without_headers,
        ),
        (
            &mut out.query_params,
            &root.query_params,
            &leaf.query_params,
        ),
    ] {
        let mut union = theirs.clone();
        union.extend(leafs.iter().map(|(k, v)| (k.clone(), v.clone())));
        *mine = union;
    }
    if out.port.unwrap_or(0) == 0 {
        out.port = root.port;
    }
    let mut labels = root.source_labels.clone();
    labels.extend(leaf.source_labels.clone());
    out.source_labels = labels;
    if out.source_namespace.as_deref().unwrap_or("").is_empty() {
        out.source_namespace.clone_from(&root.source_namespace);
    }
    if out.gateways.is_empty() {
        out.gateways.clone_from(&root.gateways);
    }
    out
}

/// §6 `hasConflict`.
fn has_conflict(root: &HttpMatchRequest, leaf: &HttpMatchRequest) -> bool {
    for (r, l) in [
        (&root.uri, &leaf.uri),
        (&root.scheme, &leaf.scheme),
        (&root.method, &leaf.method),
        (&root.authority, &leaf.authority),
    ] {
        if string_match_conflict(r.as_ref(), l.as_ref()) {
            return true;
        }
    }
    for (roots, leaves) in [
        (&root.headers, &leaf.headers),
        (&root.without_headers, &leaf.without_headers),
        (&root.query_params, &leaf.query_params),
    ] {
        for (key, l) in leaves {
            if string_match_conflict(roots.get(key), Some(l)) {
                return true;
            }
        }
    }
    // "different ignoreUriCase ⇒ conflict; both ports set and different".
    if root.ignore_uri_case != leaf.ignore_uri_case {
        return true;
    }
    if let (Some(r), Some(l)) = (root.port, leaf.port) {
        if r != 0 && l != 0 && r != l {
            return true;
        }
    }
    // "root sourceNamespace set and different".
    let rns = root.source_namespace.as_deref().unwrap_or("");
    if !rns.is_empty() && leaf.source_namespace.as_deref().unwrap_or("") != rns {
        return true;
    }
    // "a sourceLabel key with different value".
    for (k, v) in &leaf.source_labels {
        if root.source_labels.get(k).is_some_and(|r| r != v) {
            return true;
        }
    }
    // "leaf gateways not a subset of root gateways" (upstream: only when both are set).
    if !root.gateways.is_empty()
        && !leaf.gateways.is_empty()
        && !leaf.gateways.iter().all(|g| root.gateways.contains(g))
    {
        return true;
    }
    false
}

/// §6 `stringMatchConflict`: regex on either side with any matcher on the other conflicts;
/// root exact needs an equal leaf exact; root prefix needs a leaf prefix/exact starting with
/// it; upstream: any other root matcher (presence) conflicts with a set leaf.
fn string_match_conflict(root: Option<&StringMatch>, leaf: Option<&StringMatch>) -> bool {
    let (Some(root), Some(leaf)) = (root, leaf) else {
        return false;
    };
    let set = |s: &Option<String>| s.as_deref().is_some_and(|v| !v.is_empty());
    let any = |m: &StringMatch| set(&m.exact) || set(&m.prefix) || set(&m.regex);
    if (set(&root.regex) && any(leaf)) || (set(&leaf.regex) && any(root)) {
        return true;
    }
    if set(&root.exact) {
        return set(&leaf.prefix) || leaf.exact != root.exact;
    }
    if let Some(prefix) = root.prefix.as_deref().filter(|p| !p.is_empty()) {
        if let Some(p) = leaf.prefix.as_deref().filter(|p| !p.is_empty()) {
            return !p.starts_with(prefix);
        }
        if let Some(e) = leaf.exact.as_deref().filter(|e| !e.is_empty()) {
            return !e.starts_with(prefix);
        }
    }
    true
}

// === §1.3 visibility, §2.4 order =================================================================

/// §1.3 `exportTo`: missing (or empty) = `*`; `.` = own namespace; `*` = everyone; `~` =
/// nobody. Upstream (`initVirtualServices`): `*` anywhere makes it public and `~` anywhere
/// (without `*`) hides it.
fn visible(export_to: Option<&[String]>, own: &str, viewer: &str) -> bool {
    match export_to {
        None | Some([]) => true,
        Some(list) => {
            if list.iter().any(|e| e == "*") {
                return true;
            }
            if list.iter().any(|e| e == "~") {
                return false;
            }
            list.iter()
                .any(|e| (e == "." && own == viewer) || e == viewer)
        }
    }
}

/// §2.4, per proxy: "first VSs private to the proxy's namespace, then VSs exported to it by
/// name, then public ones"; each group keeps the base order. Upstream (`initVirtualServices`
/// in `push_context.go`): a VS is private to its namespace when its `exportTo` lists `.` or
/// that namespace's name (and neither `*` nor `~`).
fn ordered_for<'w>(world: &'w ReferenceWorld, viewer: &str) -> Vec<&'w Vs> {
    let group = |vs: &Vs| -> Option<u8> {
        let list = vs.export_to.as_deref().unwrap_or(&[]);
        if list.is_empty() || list.iter().any(|e| e == "*") {
            return Some(2);
        }
        if list.iter().any(|e| e == "~") {
            return None;
        }
        if vs.namespace == viewer && list.iter().any(|e| e == "." || *e == vs.namespace) {
            return Some(0);
        }
        if list.iter().any(|e| e == viewer) {
            return Some(1);
        }
        None
    };
    let mut out = Vec::new();
    for wanted in 0..=2u8 {
        for vs in &world.virtual_services {
            if group(vs) == Some(wanted) {
                out.push(vs);
            }
        }
    }
    out
}

// === hosts =======================================================================================

fn strip_port(authority: &str) -> &str {
    match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

/// `names.go` `SubsetOf` (§2.2 intersection): `a` is covered by `b`.
fn subset_of(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(a_rest), Some(b_rest)) => a.len() >= b.len() && a_rest.ends_with(b_rest),
        (Some(_), None) => false,
        (None, Some(b_rest)) => a.ends_with(b_rest),
        (None, None) => a == b,
    }
}

/// `names.go` `Intersection` (§2.2 step 1): for each overlapping pair, the more specific.
fn intersection(server_hosts: &[String], vs_hosts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in server_hosts {
        for v in vs_hosts {
            let keep = if subset_of(s, v) {
                Some(s)
            } else if subset_of(v, s) {
                Some(v)
            } else {
                None
            };
            if let Some(k) = keep {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
        }
    }
    out
}

/// Envoy domain match of one domain: exact, `*.suffix` (at least one character before the
/// suffix), or `*`; the host is already lower-cased.
fn domain_matches(domain: &str, host: &str) -> bool {
    if domain == "*" {
        return true;
    }
    match domain.strip_prefix('*') {
        Some(suffix) => host.len() > suffix.len() && host.ends_with(suffix),
        None => domain == host,
    }
}

/// Envoy virtual host selection (§2.2): the exact domain, else the longest matching
/// `*.suffix`, else `*`. Returns the index of the chosen domain.
fn select_domain<'d>(domains: impl Iterator<Item = &'d str>, host: &str) -> Option<usize> {
    let mut best: Option<(usize, (u8, usize))> = None;
    for (i, d) in domains.enumerate() {
        if !domain_matches(d, host) {
            continue;
        }
        let rank = if d == "*" {
            (0, 0)
        } else if d.starts_with('*') {
            (1, d.len())
        } else {
            (2, d.len())
        };
        if best.is_none_or(|(_, b)| rank > b) {
            best = Some((i, rank));
        }
    }
    best.map(|(i, _)| i)
}

// === §3 building routes ==========================================================================

/// The proxy a route list is built for (§3 build-time filters).
struct Proxy<'a> {
    /// `ns/name` of the Gateway of the server, or `mesh`.
    gateway: &'a str,
    port: u16,
    labels: &'a [(String, String)],
    namespace: &'a str,
}

/// One Envoy route: a match block (or none) of a rule of a VirtualService.
#[derive(Clone, Copy)]
struct Route<'w> {
    rule: &'w HttpRule,
    block: Option<&'w HttpMatchRequest>,
    catch_all: bool,
}

/// §3 `sourceMatchHTTP`: "when `gateways` is set, `sourceLabels`/`sourceNamespace` are not
/// checked"; otherwise the labels must be a subset of the proxy's and the namespace equal.
fn source_matches(m: &HttpMatchRequest, proxy: &Proxy<'_>) -> bool {
    if !m.gateways.is_empty() {
        return m.gateways.iter().any(|g| g == proxy.gateway);
    }
    let labels_ok = m
        .source_labels
        .iter()
        .all(|(k, v)| proxy.labels.iter().any(|(pk, pv)| pk == k && pv == v));
    let ns = m.source_namespace.as_deref().unwrap_or("");
    labels_ok && (ns.is_empty() || ns == proxy.namespace)
}

/// §3 `IsCatchAllRoute`: path prefix `/` (also when `uri` is absent) or regex `.*`, and no
/// header matchers (method/authority/scheme included), no query matchers.
fn is_catch_all(m: &HttpMatchRequest) -> bool {
    let path_all = match &m.uri {
        None => true,
        Some(u) => {
            if u.exact.is_some() {
                false
            } else if let Some(p) = &u.prefix {
                p == "/"
            } else if let Some(r) = &u.regex {
                r == ".*"
            } else {
                // `uri: {}` leaves Envoy's default `prefix: /`.
                true
            }
        }
    };
    path_all
        && m.headers.is_empty()
        && m.without_headers.is_empty()
        && m.query_params.is_empty()
        && m.method.is_none()
        && m.authority.is_none()
        && m.scheme.is_none()
}

/// §3 `BuildHTTPRoutesForVirtualService`: rules in order, one route per applicable match
/// block; a rule without `match`, or a block that becomes a catch-all, ends the list.
fn build_routes<'w>(vs: &'w Vs, proxy: &Proxy<'_>) -> Vec<Route<'w>> {
    let mut out = Vec::new();
    for rule in &vs.http {
        if rule.matches.is_empty() {
            out.push(Route {
                rule,
                block: None,
                catch_all: true,
            });
            break;
        }
        let mut stop = false;
        for m in &rule.matches {
            // "`port` is set and differs from the listener port".
            if m.port.is_some_and(|p| p != 0 && p != u32::from(proxy.port)) {
                continue;
            }
            if !source_matches(m, proxy) {
                continue;
            }
            let catch_all = is_catch_all(m);
            out.push(Route {
                rule,
                block: Some(m),
                catch_all,
            });
            if catch_all {
                stop = true;
                break;
            }
        }
        if stop {
            break;
        }
    }
    out
}

// === §4 matching =================================================================================

/// A regex compiled for a whole-value match: RE2 "must match the entire path" (§4).
fn full_match_regex(pattern: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{pattern})$")).ok()
}

fn regex_full_match(pattern: &str, value: &str) -> bool {
    full_match_regex(pattern).is_some_and(|re| re.is_match(value))
}

/// `{}` (and, in the translator, `{regex: "*"}`) is a presence check (§4 `headers.<name>: {}`).
fn is_presence(m: &StringMatch) -> bool {
    (m.exact.is_none() && m.prefix.is_none() && m.regex.is_none())
        || m.regex.as_deref() == Some("*")
}

/// A string matcher on a value: exact, prefix, or regex (full match); case-sensitive.
fn string_matches(m: &StringMatch, value: &str) -> bool {
    if let Some(e) = &m.exact {
        value == e
    } else if let Some(p) = &m.prefix {
        value.starts_with(p.as_str())
    } else if let Some(r) = &m.regex {
        regex_full_match(r, value)
    } else {
        true
    }
}

/// A positive header matcher: a missing header never matches; present: presence or value.
fn header_matches(m: &StringMatch, value: Option<&str>) -> bool {
    match value {
        None => false,
        Some(v) => is_presence(m) || string_matches(m, v),
    }
}

/// §4 `withoutHeaders`: true iff the positive matcher is false; for non-presence matchers a
/// missing header is matched as "" (`treat_missing_header_as_empty`).
fn without_header_matches(m: &StringMatch, value: Option<&str>) -> bool {
    if is_presence(m) {
        value.is_none()
    } else {
        !string_matches(m, value.unwrap_or(""))
    }
}

/// §4 `uri`: exact / plain string prefix / regex on the path (query excluded); `ignoreUriCase`
/// affects exact and prefix only.
fn uri_matches(m: &StringMatch, ignore_case: bool, path: &str) -> bool {
    if let Some(e) = &m.exact {
        if ignore_case {
            path.eq_ignore_ascii_case(e)
        } else {
            path == e
        }
    } else if let Some(p) = &m.prefix {
        if ignore_case {
            path.to_ascii_lowercase()
                .starts_with(&p.to_ascii_lowercase())
        } else {
            path.starts_with(p.as_str())
        }
    } else if let Some(r) = &m.regex {
        regex_full_match(r, path)
    } else {
        path.starts_with('/')
    }
}

/// §4: every present field of the block holds (ANDed).
fn block_matches(m: &HttpMatchRequest, req: &RefRequest) -> bool {
    if let Some(u) = &m.uri {
        if !uri_matches(u, m.ignore_uri_case, &req.path) {
            return false;
        }
    }
    // `scheme`, `method`, `authority` are header matchers on `:scheme`, `:method`,
    // `:authority` (the raw Host header, port included).
    for (matcher, value) in [
        (&m.scheme, &req.scheme),
        (&m.method, &req.method),
        (&m.authority, &req.authority),
    ] {
        if let Some(sm) = matcher {
            if !header_matches(sm, Some(value)) {
                return false;
            }
        }
    }
    for (name, sm) in &m.headers {
        if !header_matches(sm, req.header(name).as_deref()) {
            return false;
        }
    }
    for (name, sm) in &m.without_headers {
        if !without_header_matches(sm, req.header(name).as_deref()) {
            return false;
        }
    }
    for (name, sm) in &m.query_params {
        let value = req.query_param(name);
        let ok = match value.as_deref() {
            None => false,
            Some(v) => is_presence(sm) || string_matches(sm, v),
        };
        if !ok {
            return false;
        }
    }
    true
}

fn route_matches(route: &Route<'_>, req: &RefRequest) -> bool {
    route.block.is_none_or(|m| block_matches(m, req))
}

// === §5 actions ==================================================================================

/// Where the chosen route is applied.
struct Site<'a> {
    /// The proxy's namespace: DestinationRules must be visible to it.
    viewer: &'a str,
    listener_port: u16,
    /// A gateway (the single-port Service rule of §1.4 applies), else a sidecar.
    at_gateway: bool,
    /// The request arrived over TLS (the redirect's default scheme, §5.3).
    tls: bool,
}

fn decide(
    world: &ReferenceWorld,
    route: &Route<'_>,
    req: &RefRequest,
    site: &Site<'_>,
) -> RefDecision {
    let rule = route.rule;
    // "The translator applies `redirect` if set, else `directResponse`, else `route`."
    if let Some(r) = &rule.redirect {
        return redirect(r, route.block, req, site);
    }
    if let Some(d) = &rule.direct_response {
        return RefDecision::Status {
            status: u16::try_from(d.status).unwrap_or(0),
            body: d.body.as_ref().and_then(|b| b.string.clone()),
        };
    }
    // §5.1: one destination takes all traffic; several: weight-0 (or unset) dropped.
    if rule.route.len() == 1 {
        let b = backend(world, &rule.route[0].destination, site);
        return if cluster_exists(world, &b, site) {
            RefDecision::Backend(b)
        } else {
            RefDecision::Unavailable(b)
        };
    }
    let mut split = Vec::new();
    for d in &rule.route {
        let weight = d.weight.unwrap_or(0);
        if weight <= 0 {
            continue;
        }
        let b = backend(world, &d.destination, site);
        split.push(RefWeighted {
            exists: cluster_exists(world, &b, site),
            backend: b,
            weight: u32::try_from(weight).unwrap_or(u32::MAX),
        });
    }
    // README: "A split left with a single destination is written as backend".
    if split.len() == 1 {
        let only = split.remove(0);
        return if only.exists {
            RefDecision::Backend(only.backend)
        } else {
            RefDecision::Unavailable(only.backend)
        };
    }
    RefDecision::Split(split)
}

/// §1.4 port rule: `destination.port`; else, at a gateway, the Service's only port; else the
/// listener port (always so for sidecars).
fn backend(
    world: &ReferenceWorld,
    d: &gatewright::resource::istio::Destination,
    site: &Site<'_>,
) -> RefBackend {
    let explicit = d
        .port
        .as_ref()
        .map(|p| p.number)
        .filter(|n| *n != 0)
        .and_then(|n| u16::try_from(n).ok());
    let port = explicit.unwrap_or_else(|| {
        if site.at_gateway {
            for s in &world.services {
                if s.fqdn() == d.host && s.ports.len() == 1 {
                    return s.ports[0];
                }
            }
        }
        site.listener_port
    });
    RefBackend {
        host: d.host.clone(),
        port,
        subset: d.subset.clone().filter(|s| !s.is_empty()),
    }
}

/// §1.4: `outbound|port|subset|host` exists when a Service has that FQDN and port and, for a
/// subset, a DestinationRule visible to the proxy defines it.
fn cluster_exists(world: &ReferenceWorld, b: &RefBackend, site: &Site<'_>) -> bool {
    let service = world
        .services
        .iter()
        .any(|s| s.fqdn() == b.host && s.ports.contains(&b.port));
    if !service {
        return false;
    }
    match &b.subset {
        None => true,
        Some(subset) => world.destination_rules.iter().any(|dr| {
            dr.host == b.host
                && dr.subsets.contains(subset)
                && visible(dr.export_to.as_deref(), &dr.namespace, site.viewer)
        }),
    }
}

/// §5.3 `redirect` and the README "Redirect location rule".
fn redirect(
    r: &HttpRedirect,
    block: Option<&HttpMatchRequest>,
    req: &RefRequest,
    site: &Site<'_>,
) -> RefDecision {
    let code = match r.redirect_code {
        None | Some(0) => 301,
        Some(c) => u16::try_from(c).unwrap_or(301),
    };
    let request_scheme = if req.scheme == "https" {
        "https"
    } else {
        "http"
    };
    let scheme = r
        .scheme
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| request_scheme.to_owned());
    // "port = redirect.port or, for derivePort: FROM_REQUEST_PORT, the listener port"; "if it
    // is 80 with scheme http or 443 with scheme https (scheme = redirect.scheme, else https on
    // a TLS server, else http), it is dropped".
    let mut port = match (r.port.filter(|p| *p != 0), r.derive_port.as_deref()) {
        (Some(p), _) => Some(p),
        (None, Some("FROM_REQUEST_PORT")) => Some(u32::from(site.listener_port)),
        _ => None,
    };
    let default_scheme = r
        .scheme
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| if site.tls { "https" } else { "http" }.to_owned());
    if (port == Some(80) && default_scheme == "http")
        || (port == Some(443) && default_scheme == "https")
    {
        port = None;
    }
    // Host: `authority`, else the request Host, whose port is removed when a port is emitted,
    // or when the scheme changes and it was the old scheme's default [Envoy processRequestHost].
    let host = match r.authority.as_deref().filter(|a| !a.is_empty()) {
        Some(a) => a.to_owned(),
        None => {
            let authority = req.authority.as_str();
            match authority.rsplit_once(':') {
                Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => {
                    let mut remove = port.is_some();
                    if scheme != request_scheme {
                        remove |= (request_scheme == "https" && p == "443")
                            || (request_scheme == "http" && p == "80");
                    }
                    if remove {
                        h.to_owned()
                    } else {
                        authority.to_owned()
                    }
                }
                _ => authority.to_owned(),
            }
        }
    };
    let query = req
        .query
        .as_deref()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    // Path: `uri` replaces the whole path (the query is kept unless `uri` has its own);
    // `prefixRewrite` replaces the matched prefix (§5.2 rules); else unchanged.
    let mut path = if let Some(uri) = r.uri.as_deref().filter(|u| !u.is_empty()) {
        if uri.contains('?') {
            uri.to_owned()
        } else {
            format!("{uri}{query}")
        }
    } else if let Some(pr) = &r.prefix_rewrite {
        format!("{}{query}", replace_matched_prefix(block, &req.path, pr))
    } else {
        format!("{}{query}", req.path)
    };
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    RefDecision::Redirect {
        code,
        location: format!("{scheme}://{host}{port}{path}"),
    }
}

/// §5.2: "the matched prefix is replaced": a prefix match's prefix (whatever its case under
/// `ignoreUriCase`), the whole path for exact and regex matches, `/` without a uri match.
fn replace_matched_prefix(block: Option<&HttpMatchRequest>, path: &str, with: &str) -> String {
    let uri = block.and_then(|b| b.uri.as_ref());
    match uri {
        Some(u) if u.prefix.is_some() => {
            let n = u.prefix.as_deref().map_or(0, str::len);
            format!("{with}{}", path.get(n..).unwrap_or(""))
        }
        Some(u) if u.exact.is_some() || u.regex.is_some() => with.to_owned(),
        _ => format!("{with}{}", path.get(1..).unwrap_or("")),
    }
}

// === entry points ================================================================================

/// Routes `request` entering at `entry`, the spec-literal way.
pub fn route(world: &ReferenceWorld, entry: &Entry, request: &RefRequest) -> RefDecision {
    match entry {
        Entry::Gateway { namespace, name } => route_gateway(world, namespace, name, request),
        Entry::Mesh { namespace, labels } => route_mesh(world, namespace, labels, request),
    }
}

/// A plain-text HTTP server (`HTTP`, `HTTP2`, `GRPC`) shares the port's route table (§2.1).
fn is_plain_http(s: &Server) -> bool {
    matches!(
        s.port.protocol.to_ascii_uppercase().as_str(),
        "HTTP" | "HTTP2" | "GRPC"
    )
}

/// An `HTTPS` server that terminates TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL) has
/// a route table of its own (§2.1); PASSTHROUGH (the default mode) is TLS routing (§7).
fn is_terminating_https(s: &Server) -> bool {
    s.port.protocol.eq_ignore_ascii_case("HTTPS")
        && s.tls
            .as_ref()
            .and_then(|t| t.mode.as_deref())
            .is_some_and(|m| matches!(m, "SIMPLE" | "MUTUAL" | "OPTIONAL_MUTUAL" | "ISTIO_MUTUAL"))
}

/// A server host without its namespace part, lower-cased (`ns/host` → `host`).
fn server_host_name(entry: &str) -> String {
    match entry.split_once('/') {
        Some((_, h)) => h.to_ascii_lowercase(),
        None => entry.to_ascii_lowercase(),
    }
}

/// §2.1 "`hosts` entries are `[namespace/]dnsName`": no prefix or `*/` ⇒ any namespace; `./`
/// ⇒ the Gateway's namespace; `ns/` ⇒ only VSs in `ns` (`NamesForNamespace`).
fn names_for_namespace(
    server: &Server,
    vs_namespace: &str,
    gateway_namespace: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    for entry in &server.hosts {
        match entry.split_once('/') {
            None => out.push(entry.to_ascii_lowercase()),
            Some((ns, host)) => {
                let ns = if ns == "." { gateway_namespace } else { ns };
                if ns == "*" || ns == vs_namespace {
                    out.push(host.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

struct VHost<'w> {
    domain: String,
    require_tls: bool,
    routes: Vec<Route<'w>>,
}

/// §2.2 `buildGatewayHTTPRouteConfig` for the given servers (all on one port of one workload).
fn gateway_table<'w>(
    world: &'w ReferenceWorld,
    servers: &[(&'w GatewayObj, &'w Server)],
    config_namespace: &str,
    labels: &[(String, String)],
) -> Vec<VHost<'w>> {
    let ordered = ordered_for(world, config_namespace);
    let mut vhosts: Vec<VHost<'w>> = Vec::new();
    for (gw, server) in servers {
        let gateway_name = format!("{}/{}", gw.namespace, gw.name);
        let redirect = server.tls.as_ref().is_some_and(|t| t.https_redirect);
        let proxy = Proxy {
            gateway: &gateway_name,
            port: u16::try_from(server.port.number).unwrap_or(0),
            labels,
            namespace: config_namespace,
        };
        for vs in &ordered {
            // §2.1: "A VS binds to a server iff it lists the gateway (1.2), is visible (1.3),
            // and one of its hosts intersects one of the server hosts allowed for the VS's
            // namespace".
            if !vs.applies_to(&gateway_name) {
                continue;
            }
            let server_hosts = names_for_namespace(server, &vs.namespace, &gw.namespace);
            let intersecting = intersection(&server_hosts, &vs.hosts);
            if intersecting.is_empty() {
                continue;
            }
            // §3: "If no route survives the VS contributes nothing for this port."
            let routes = build_routes(vs, &proxy);
            if routes.is_empty() {
                continue;
            }
            // §2.2 step 2: appended to the vhost keyed by each intersecting name.
            for name in intersecting {
                let key = name.to_ascii_lowercase();
                match vhosts.iter_mut().find(|v| v.domain == key) {
                    Some(v) => {
                        v.routes.extend(routes.iter().copied());
                        v.require_tls |= redirect;
                    }
                    None => vhosts.push(VHost {
                        domain: key,
                        require_tls: redirect,
                        routes: routes.clone(),
                    }),
                }
            }
        }
        // §2.1 httpsRedirect: every host of the server gets a virtual host requiring TLS, with
        // or without routes (corpus 26 "hosts without any VS still get the redirect";
        // upstream: the loop after the VirtualServices in `buildGatewayHTTPRouteConfig`, which
        // keys it by the raw lower-cased server host; here its namespace part is removed).
        if redirect {
            for entry in &server.hosts {
                let key = server_host_name(entry);
                match vhosts.iter_mut().find(|v| v.domain == key) {
                    Some(v) => v.require_tls = true,
                    None => vhosts.push(VHost {
                        domain: key,
                        require_tls: true,
                        routes: Vec::new(),
                    }),
                }
            }
        }
    }
    // §2.2 step 3 `SortVHostRoutes`: catch-all routes move to the end, stably.
    for v in &mut vhosts {
        let mut specific: Vec<Route<'w>> = Vec::new();
        let mut catch_alls: Vec<Route<'w>> = Vec::new();
        for r in v.routes.drain(..) {
            if r.catch_all {
                catch_alls.push(r);
            } else {
                specific.push(r);
            }
        }
        specific.extend(catch_alls);
        v.routes = specific;
    }
    vhosts
}

fn route_gateway(
    world: &ReferenceWorld,
    namespace: &str,
    name: &str,
    req: &RefRequest,
) -> RefDecision {
    let Some(entry) = world
        .gateways
        .iter()
        .find(|g| g.namespace == namespace && g.name == name)
    else {
        return RefDecision::Refused;
    };
    // README: "Istio Gateways with identical spec.selector run on the same gateway workload;
    // their servers are merged"; the workload's config namespace is the named Gateway's.
    let workload: Vec<&GatewayObj> = world
        .gateways
        .iter()
        .filter(|g| g.selector == entry.selector)
        .collect();
    let labels: Vec<(String, String)> = entry
        .selector
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let port = req.listener_port();
    let host = req.host();
    let tls = req.scheme == "https";
    let mut servers: Vec<(&GatewayObj, &Server)> = Vec::new();
    if tls {
        // §2.1: "the TLS filter chain is chosen by SNI among that port's servers, then
        // Host-header vhost matching happens only among that server's vhosts".
        let sni = req
            .sni
            .as_deref()
            .map_or_else(|| host.clone(), str::to_ascii_lowercase);
        let mut candidates: Vec<(&GatewayObj, &Server, String)> = Vec::new();
        for gw in &workload {
            for s in &gw.servers {
                if s.port.number == u32::from(port) && is_terminating_https(s) {
                    for h in &s.hosts {
                        candidates.push((gw, s, server_host_name(h)));
                    }
                }
            }
        }
        let Some(i) = select_domain(candidates.iter().map(|c| c.2.as_str()), &sni) else {
            return RefDecision::Refused;
        };
        servers.push((candidates[i].0, candidates[i].1));
    } else {
        for gw in &workload {
            for s in &gw.servers {
                if s.port.number == u32::from(port) && is_plain_http(s) {
                    servers.push((gw, s));
                }
            }
        }
        if servers.is_empty() {
            return RefDecision::Refused;
        }
    }
    let vhosts = gateway_table(world, &servers, &entry.namespace, &labels);
    // §2.2: vhost by Host (port ignored); "Requests never fall back".
    let Some(i) = select_domain(vhosts.iter().map(|v| v.domain.as_str()), &host) else {
        return RefDecision::not_found();
    };
    let vhost = &vhosts[i];
    // §2.1: "a plain-text request gets 301 to https://<Host header><path+query>".
    if vhost.require_tls && !tls {
        let query = req
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        return RefDecision::Redirect {
            code: 301,
            location: format!("https://{}{}{query}", req.authority, req.path),
        };
    }
    let site = Site {
        viewer: &entry.namespace,
        listener_port: port,
        at_gateway: true,
        tls,
    };
    for r in &vhost.routes {
        if route_matches(r, req) {
            return decide(world, r, req, &site);
        }
    }
    RefDecision::not_found()
}

/// The names a client in `client_namespace` may write for a Service (§2.3
/// `generateVirtualHostDomains`): FQDN, `name.ns`, `name.ns.svc`, and the bare name only from
/// the Service's own namespace.
fn service_domains(s: &ServiceObj, client_namespace: &str) -> Vec<String> {
    let mut out = vec![
        s.fqdn(),
        format!("{}.{}", s.name, s.namespace),
        format!("{}.{}.svc", s.name, s.namespace),
    ];
    if s.namespace == client_namespace {
        out.push(s.name.clone());
    }
    out
}

/// §2.3: which VirtualService serves Service `fqdn` for this sidecar, with its routes. "One VS
/// per host": the first in VS order that lists it (and has routes for this port); "an exact
/// VS beats a wildcard VS regardless of age"; a wildcard VS applies only when it is the most
/// specific VS for the Service (upstream `mostSpecificWildcardVsIndex`: computed over the
/// visible VSs regardless of routes, so a most specific VS without routes leaves the default
/// route — "A VS whose rules all get dropped for a port contributes nothing there and the
/// service keeps its default route").
fn sidecar_vs<'w>(vss: &[&'w Vs], fqdn: &str, proxy: &Proxy<'_>) -> Option<Vec<Route<'w>>> {
    let exact = vss.iter().any(|v| v.hosts.iter().any(|h| h == fqdn));
    // The most specific wildcard host matching the Service, first VS in order per host.
    let mut wildcard: Option<(&Vs, usize)> = None;
    if !exact {
        for v in vss {
            for h in &v.hosts {
                if h.starts_with('*')
                    && domain_matches(h, fqdn)
                    && wildcard.is_none_or(|(_, len)| h.len() > len)
                {
                    wildcard = Some((v, h.len()));
                }
            }
        }
    }
    for v in vss {
        let claims = if exact {
            v.hosts.iter().any(|h| h == fqdn)
        } else {
            wildcard.is_some_and(|(w, _)| std::ptr::eq(w, *v))
        };
        if !claims {
            continue;
        }
        let routes = build_routes(v, proxy);
        if !routes.is_empty() {
            return Some(routes);
        }
    }
    None
}

fn route_mesh(
    world: &ReferenceWorld,
    namespace: &str,
    labels: &[(String, String)],
    req: &RefRequest,
) -> RefDecision {
    let port = req.port.unwrap_or(80);
    let host = req.host();
    let proxy = Proxy {
        gateway: "mesh",
        port,
        labels,
        namespace,
    };
    let site = Site {
        viewer: namespace,
        listener_port: port,
        at_gateway: false,
        tls: false,
    };
    // §2.3: "VSs with mesh in gateways (or no gateways) that are visible to the client
    // namespace", in the per-proxy order of §2.4.
    let vss: Vec<&Vs> = ordered_for(world, namespace)
        .into_iter()
        .filter(|v| v.applies_to("mesh"))
        .collect();
    let evaluate = |routes: &[Route<'_>]| -> RefDecision {
        for r in routes {
            if route_matches(r, req) {
                return decide(world, r, req, &site);
            }
        }
        RefDecision::not_found()
    };
    // Registry services exposing the listener port ("the service index handed to route
    // building contains only services that expose the listener port", §1.4).
    let on_port: Vec<&ServiceObj> = world
        .services
        .iter()
        .filter(|s| s.ports.contains(&port))
        .collect();
    for s in &on_port {
        if service_domains(s, namespace).contains(&host) {
            let fqdn = s.fqdn();
            return match sidecar_vs(&vss, &fqdn, &proxy) {
                Some(routes) => evaluate(&routes),
                // "Services without a VS get a default vhost routing to outbound|<port>||<fqdn>".
                None => RefDecision::Backend(RefBackend {
                    host: fqdn,
                    port,
                    subset: None,
                }),
            };
        }
    }
    // "Non-registry VS hosts (e.g. api.external.com) get a vhost with that literal domain,
    // only on port 80"; a wildcard host is non-registry when it matches no such Service.
    if port != 80 {
        return RefDecision::not_found();
    }
    let mut domains: Vec<(String, Vec<Route<'_>>)> = Vec::new();
    for v in &vss {
        let routes = build_routes(v, &proxy);
        if routes.is_empty() {
            continue;
        }
        for h in &v.hosts {
            let registry = on_port.iter().any(|s| {
                let fqdn = s.fqdn();
                if h.starts_with('*') {
                    domain_matches(h, &fqdn)
                } else {
                    *h == fqdn
                }
            });
            // "One VS per host": a domain already taken stays with the first VS.
            if registry || domains.iter().any(|(d, _)| d == h) {
                continue;
            }
            domains.push((h.clone(), routes.clone()));
        }
    }
    match select_domain(domains.iter().map(|(d, _)| d.as_str()), &host) {
        Some(i) => evaluate(&domains[i].1),
        None => RefDecision::not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            resolve_short_name("reviews", "bookinfo"),
            "reviews.bookinfo.svc.cluster.local"
        );
        assert_eq!(resolve_short_name("reviews.other", "x"), "reviews.other");
        assert_eq!(resolve_gateway_name("gw", "apps"), "apps/gw");
        assert_eq!(resolve_gateway_name("./gw", "apps"), "apps/gw");
        assert_eq!(
            resolve_gateway_name("gw.istio-system.svc.cluster.local", "apps"),
            "istio-system/gw"
        );
        assert_eq!(
            intersection(&["*.example.com".into()], &["api.example.com".into()]),
            vec!["api.example.com".to_owned()]
        );
        assert_eq!(
            intersection(&["*".into()], &["*.org".into()]),
            vec!["*.org".to_owned()]
        );
        assert!(intersection(&["*.example.com".into()], &["example.com".into()]).is_empty());
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_created(Some("1970-01-01T00:00:00Z")), (0, 0));
        assert_eq!(
            parse_created(Some("2024-01-01T01:00:00+01:00")),
            parse_created(Some("2024-01-01T00:00:00Z"))
        );
        assert!(parse_created(None) < parse_created(Some("1900-01-01T00:00:00Z")));
        assert_eq!(
            parse_created(Some("2000-03-01T00:00:00.5Z")),
            (951_868_800, 500_000_000)
        );
    }

    #[test]
    fn split_pick() {
        let w = |weight| RefWeighted {
            backend: RefBackend {
                host: "h".into(),
                port: 80,
                subset: None,
            },
            weight,
            exists: true,
        };
        let split = [w(1), w(3)];
        assert_eq!(pick(&split, 0), 0);
        assert_eq!(pick(&split, u64::MAX / 4 - 1), 0);
        assert_eq!(pick(&split, u64::MAX / 2), 1);
    }
}
