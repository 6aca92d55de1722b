//! A spec-literal reference matcher over the validated [`Ir`].
//!
//! It exists to be compared with the compiled [`Router`](gatewright::Router): where the router
//! uses hash maps, sorted candidate lists and probing, this module does the dumbest possible
//! thing — a linear scan over every listener, and then over every attachment × hostname × rule ×
//! match, testing each condition as the Gateway API text words it and keeping the candidate with
//! the smallest precedence key, computed field by field here (nothing from
//! `gatewright::precedence` or the compiler is used).
//!
//! Rules implemented (see `SEMANTICS.md` §1–3):
//!
//! * Gateway: the request's, or the only one; port: the request's, else the authority's, else
//!   443 for `https` and 80 otherwise.
//! * Listener (`Listener.Hostname`): the most specific listener hostname on that port matching
//!   the Host (exact, then wildcards with more labels right of `*`, then none). HTTPS: the SNI
//!   (default: the Host) selects; a different listener matching the Host → 421; no listener
//!   matching the Host → 404. A listener that is not programmed refuses the request.
//! * Routes (`HTTPRouteRule.Matches`, `HTTPRouteSpec.Hostnames`): precedence key = hostname
//!   (non-wildcard characters, then characters), Exact path, PathPrefix length as written,
//!   RegularExpression (gatewright: after PathPrefix, longer pattern first), method,
//!   header count, query count, oldest `creationTimestamp` (missing = newest),
//!   `{namespace}/{name}`, rule index, match index.
//! * Backends (`BackendRef.Weight`): `point = (entropy × total) >> 64`, the first backend whose
//!   cumulative weight range holds the point; weight 0 never; total 0, an invalid target or an
//!   invalid rule → 500; a rule-level redirect answers with its status.
//!
//! * GRPCRoute (§5): a match holds when its `method` condition (service and/or method, Exact or
//!   RegularExpression, on `:path` = `/{service}/{method}`) and its header conditions hold; no
//!   `method` matches every gRPC request. Key = hostname, characters in the matching service,
//!   characters in the matching method, header count, oldest, `{namespace}/{name}`, rule,
//!   match. An HTTPRoute and a GRPCRoute with intersecting hostnames on one listener: only the
//!   older is served there. [`grpc_status`] gives the status a gRPC client must see.
//! * Connections (§6, [`route_connection`]): TLS listeners by SNI (most specific listener
//!   hostname), then the most specific matching TLSRoute hostname; TCP/UDP: every attached
//!   route; then oldest, `{namespace}/{name}`; first rule; weighted backend; invalid → reject.
//!
//! * Ingress classes (the Gateways named `IngressClass/<class>`; not in `SEMANTICS.md`, transcribed
//!   from the Kubernetes Ingress page and ingress-nginx): see [`route_ingress`].
//!
//! CORS preflights are not modelled (the generators never send `OPTIONS` with `Origin`).

use gatewright::ir::{
    Attachment, Backend, BackendTarget, Gateway, HostMatch, Ir, Match, PathMatch, Protocol, Route,
    RouteKind, ValueMatch, INGRESS_CLASS_NAMESPACE,
};
use gatewright::{Action, Decision, Request, Transport};

/// What the reference decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefDecision {
    /// The connection is refused: unknown Gateway, no listener on the port, unknown listener
    /// name, no listener for the SNI, or a listener that is not programmed.
    Rejected,
    /// 404 because no listener on the port matches the Host.
    NoListener,
    /// 421 Misdirected Request (HTTPS: the Host belongs to another listener than the SNI's).
    Misdirected,
    /// 404 from a chosen listener: no rule matches.
    NoMatch {
        /// Index in [`Ir::gateways`].
        gateway: usize,
        /// Index in [`Gateway::listeners`].
        listener: usize,
    },
    /// A rule won.
    Matched(RefMatch),
}

/// The winning candidate and what it does with the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefMatch {
    /// Index in [`Ir::gateways`].
    pub gateway: usize,
    /// Index in [`Gateway::listeners`].
    pub listener: usize,
    /// Index in [`Ir::routes`].
    pub route: usize,
    /// [`Rule::index`](gatewright::ir::Rule::index) (position in `spec.rules`).
    pub rule: usize,
    /// [`Match::index`] (position in `matches`).
    pub matched: usize,
    /// The route hostname it matched under, as [`HostMatch`]'s `Display` (`*` = any).
    pub hostname: String,
    /// What happens.
    pub outcome: RefOutcome,
}

/// What the winning rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefOutcome {
    /// Forwarded to this Service.
    Backend {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// 500: invalid rule, invalid backend, or no backend with a weight above 0.
    ServerError,
    /// A redirect with this status.
    Redirect(u16),
}

impl RefDecision {
    /// The status the client sees: `Some(0)` refused, `None` forwarded (as [`Decision::status`]).
    pub fn status(&self) -> Option<u16> {
        match self {
            RefDecision::Rejected => Some(0),
            RefDecision::NoListener | RefDecision::NoMatch { .. } => Some(404),
            RefDecision::Misdirected => Some(421),
            RefDecision::Matched(m) => match m.outcome {
                RefOutcome::Backend { .. } => None,
                RefOutcome::ServerError => Some(500),
                RefOutcome::Redirect(s) => Some(s),
            },
        }
    }
}

/// Routes `request` over `ir` the spec-literal way. `host_fallthrough` as
/// [`Config::host_fallthrough`](gatewright::Config::host_fallthrough): when `false`, only routes
/// under the single most specific matching route hostname of the listener are considered.
pub fn route(ir: &Ir, request: &Request<'_>, entropy: u64, host_fallthrough: bool) -> RefDecision {
    let host = request.host().to_ascii_lowercase();

    // The Gateway: the one named by the request, or the only one.
    let gateway = match request.get_gateway() {
        Some((ns, name)) => ir
            .gateways
            .iter()
            .position(|g| g.namespace == ns && g.name == name),
        None if ir.gateways.len() == 1 => Some(0),
        None => None,
    };
    let Some(g) = gateway else {
        return RefDecision::Rejected;
    };
    let gw = &ir.gateways[g];
    if gw.namespace == INGRESS_CLASS_NAMESPACE {
        return route_ingress(ir, g, request, entropy);
    }

    let l = match select_listener(gw, request, &host) {
        Ok(l) => l,
        Err(d) => return d,
    };
    let listener = &gw.listeners[l];
    if !listener.programmed {
        return RefDecision::Rejected;
    }

    // With fall-through off: only the most specific route hostname that matches the host.
    let mut only_host: Option<&HostMatch> = None;
    if !host_fallthrough {
        for attachment in &listener.attachments {
            for h in &attachment.hostnames {
                if route_host_matches(h, &host)
                    && only_host.is_none_or(|best| host_key(h) < host_key(best))
                {
                    only_host = Some(h);
                }
            }
        }
    }

    // Linear scan over every candidate, keeping the smallest key. (The HTTPRoute/GRPCRoute
    // conflict check is only needed when the listener carries both kinds.)
    let kinds = |k: RouteKind| {
        listener
            .attachments
            .iter()
            .any(|a| ir.routes[a.route].kind == k)
    };
    let mixed = kinds(RouteKind::Http) && kinds(RouteKind::Grpc);
    let mut best: Option<(AnyKey, RefMatch, &Route, usize)> = None;
    for attachment in &listener.attachments {
        let route = &ir.routes[attachment.route];
        if mixed && loses_kind_conflict(ir, &listener.attachments, attachment) {
            continue;
        }
        for h in &attachment.hostnames {
            if !route_host_matches(h, &host) {
                continue;
            }
            if only_host.is_some_and(|only| only != h) {
                continue;
            }
            for (rule_pos, rule) in route.rules.iter().enumerate() {
                for m in &rule.matches {
                    let key = if route.kind == RouteKind::Grpc {
                        let Some((service_chars, method_chars)) = grpc_match_holds(m, request)
                        else {
                            continue;
                        };
                        AnyKey::Grpc(grpc_key(
                            h,
                            m,
                            route,
                            rule.index,
                            service_chars,
                            method_chars,
                        ))
                    } else {
                        if !match_holds(m, request) {
                            continue;
                        }
                        AnyKey::Http(key(h, m, route, rule.index))
                    };
                    if best.as_ref().is_none_or(|(k, ..)| key < *k) {
                        let found = RefMatch {
                            gateway: g,
                            listener: l,
                            route: attachment.route,
                            rule: rule.index,
                            matched: m.index,
                            hostname: h.to_string(),
                            outcome: RefOutcome::ServerError,
                        };
                        best = Some((key, found, route, rule_pos));
                    }
                }
            }
        }
    }
    decided(
        best.map(|(_, found, route, rule_pos)| (found, route, rule_pos)),
        g,
        l,
        entropy,
    )
}

/// The decision for the best candidate of a listener (404 when there is none): its rule's
/// outcome with `entropy`.
fn decided(
    best: Option<(RefMatch, &Route, usize)>,
    gateway: usize,
    listener: usize,
    entropy: u64,
) -> RefDecision {
    let Some((mut found, route, rule_pos)) = best else {
        return RefDecision::NoMatch { gateway, listener };
    };
    found.outcome = outcome(&route.rules[rule_pos].action, entropy);
    RefDecision::Matched(found)
}

/// Maps a router [`Decision`] onto a [`RefDecision`] (route and listener names back to IR
/// indices), for comparison. `Err` for decisions the reference does not model.
///
/// # Errors
/// A description of the decision when it has no [`RefDecision`] counterpart.
pub fn observe(ir: &Ir, decision: &Decision) -> Result<RefDecision, String> {
    let Some(p) = &decision.matched else {
        return match &decision.action {
            Action::Reject { .. } => Ok(RefDecision::Rejected),
            Action::Respond(r) if r.status == 404 => Ok(RefDecision::NoListener),
            Action::Respond(r) if r.status == 421 => Ok(RefDecision::Misdirected),
            other => Err(format!("unexpected decision without provenance: {other:?}")),
        };
    };
    let gateway = ir
        .gateways
        .iter()
        .position(|g| format!("{}/{}", g.namespace, g.name) == p.gateway)
        .ok_or_else(|| format!("unknown gateway {}", p.gateway))?;
    let listener = ir.gateways[gateway]
        .listeners
        .iter()
        .position(|l| l.name == p.listener)
        .ok_or_else(|| format!("unknown listener {}", p.listener))?;
    let (Some(namespace), Some(name), Some(rule), Some(matched)) =
        (&p.namespace, &p.name, p.rule, p.matched)
    else {
        return match &decision.action {
            Action::Respond(r) if r.status == 404 => Ok(RefDecision::NoMatch { gateway, listener }),
            other => Err(format!("unexpected decision without a route: {other:?}")),
        };
    };
    let same = |r: &Route| {
        &r.namespace == namespace
            && &r.name == name
            && p.kind.as_deref().is_none_or(|k| k == r.kind.as_str())
    };
    // An Ingress lowers into several routes of one name (per host, and per listener
    // when HTTP redirects): the one attached to this listener under this hostname.
    let hostname = p.hostname.clone().unwrap_or_default();
    let route = ir.gateways[gateway].listeners[listener]
        .attachments
        .iter()
        .find(|a| {
            same(&ir.routes[a.route]) && a.hostnames.iter().any(|h| h.to_string() == hostname)
        })
        .map(|a| a.route)
        .or_else(|| ir.routes.iter().position(same))
        .ok_or_else(|| format!("unknown route {namespace}/{name}"))?;
    let outcome = match &decision.action {
        Action::Forward(f) => RefOutcome::Backend {
            namespace: f.backend.namespace.clone(),
            name: f.backend.name.clone(),
        },
        Action::Redirect(r) => RefOutcome::Redirect(r.status),
        // HTTPRoute: 500; GRPCRoute: 503 with `grpc-status: 14` (UNAVAILABLE).
        // HTTPRoute: 500; GRPCRoute: 503 with `grpc-status: 14`; Ingress: 503.
        Action::Respond(r)
            if r.status == 500
                || (r.status == 503
                    && (ir.routes[route].kind == RouteKind::Ingress
                        || r.headers
                            .iter()
                            .any(|(n, v)| n == "grpc-status" && v == "14"))) =>
        {
            RefOutcome::ServerError
        }
        other => return Err(format!("unexpected action of a matched rule: {other:?}")),
    };
    Ok(RefDecision::Matched(RefMatch {
        gateway,
        listener,
        route,
        rule,
        matched,
        hostname: p.hostname.clone().unwrap_or_default(),
        outcome,
    }))
}

// --- listener selection --------------------------------------------------------------------

/// The port the client connected to: the request's, else the authority's, else by scheme.
fn entry_port(request: &Request<'_>) -> u16 {
    if let Some(p) = request.get_port() {
        return p;
    }
    let authority = request.authority();
    let port_text = if authority.starts_with('[') {
        // `[v6]:port`
        authority.split_once("]:").map(|(_, p)| p)
    } else {
        authority.rsplit_once(':').map(|(_, p)| p)
    };
    if let Some(p) = port_text.and_then(|p| p.parse::<u16>().ok()) {
        return p;
    }
    if request.get_scheme().eq_ignore_ascii_case("https") {
        443
    } else {
        80
    }
}

/// Whether a listener hostname (`None` = any) matches a host name. A wildcard `*.example.com`
/// covers any number of labels but never the bare `example.com`.
fn listener_host_matches(pattern: Option<&str>, host: &str) -> bool {
    match pattern {
        None => true,
        Some(p) => match p.strip_prefix("*.") {
            Some(rest) => {
                let suffix = format!(".{rest}");
                host.ends_with(&suffix) && host.len() > suffix.len()
            }
            None => p == host,
        },
    }
}

/// Listener hostname specificity, larger wins: exact (2), wildcard (1) with more labels right
/// of the `*` first, none (0).
fn listener_specificity(pattern: Option<&str>) -> (u8, usize) {
    match pattern {
        None => (0, 0),
        Some(p) => match p.strip_prefix("*.") {
            Some(rest) => (1, rest.split('.').count()),
            None => (2, 0),
        },
    }
}

/// The most specific listener on `on_port` whose hostname matches `name` (spec order on ties).
fn most_specific(gw: &Gateway, on_port: &[usize], name: &str) -> Option<usize> {
    let mut best: Option<usize> = None;
    for &l in on_port {
        let hostname = gw.listeners[l].hostname.as_deref();
        if !listener_host_matches(hostname, name) {
            continue;
        }
        let better = match best {
            None => true,
            Some(b) => {
                listener_specificity(hostname)
                    > listener_specificity(gw.listeners[b].hostname.as_deref())
            }
        };
        if better {
            best = Some(l);
        }
    }
    best
}

fn select_listener(gw: &Gateway, request: &Request<'_>, host: &str) -> Result<usize, RefDecision> {
    if let Some(name) = request.get_listener() {
        return gw
            .listeners
            .iter()
            .position(|l| l.name == name)
            .ok_or(RefDecision::Rejected);
    }
    let port = entry_port(request);
    let on_port: Vec<usize> = (0..gw.listeners.len())
        .filter(|&l| gw.listeners[l].port == port)
        .collect();
    if on_port.is_empty() {
        return Err(RefDecision::Rejected);
    }
    let by_host = most_specific(gw, &on_port, host);
    if !on_port
        .iter()
        .any(|&l| gw.listeners[l].protocol == Protocol::Https)
    {
        return by_host.ok_or(RefDecision::NoListener);
    }
    // HTTPS: the SNI selects the listener; the Host must belong to the same listener.
    let sni = request
        .get_sni()
        .map_or_else(|| host.to_owned(), str::to_ascii_lowercase);
    let by_sni = most_specific(gw, &on_port, &sni).ok_or(RefDecision::Rejected)?;
    match by_host {
        None => Err(RefDecision::NoListener),
        Some(l) if l != by_sni => Err(RefDecision::Misdirected),
        Some(l) => Ok(l),
    }
}

// --- route matching --------------------------------------------------------------------------

/// Whether a route hostname (after intersection) matches the request host.
fn route_host_matches(h: &HostMatch, host: &str) -> bool {
    match h {
        HostMatch::Exact(name) => name == host,
        HostMatch::Wildcard(suffix) => host.ends_with(suffix.as_str()) && host.len() > suffix.len(),
        // Kubernetes "Hostname wildcards": `*.foo.com` matches `bar.foo.com`, not
        // `baz.bar.foo.com` nor `foo.com`: exactly one label before the suffix.
        HostMatch::SingleLabel(suffix) => {
            host.ends_with(suffix.as_str())
                && host.len() > suffix.len()
                && !host[..host.len() - suffix.len()].contains('.')
        }
        HostMatch::Any => true,
        _ => false,
    }
}

/// `Exact`: the whole path, case-sensitive.
fn exact_path_matches(exact: &str, path: &str) -> bool {
    exact == path
}

/// `PathPrefix`: element by element on `/`-separated segments, a trailing `/` in the prefix
/// ignored (`/abc` matches `/abc`, `/abc/`, `/abc/def`, not `/abcd`).
fn prefix_path_matches(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    let want: Vec<&str> = prefix.split('/').collect();
    let have: Vec<&str> = path.split('/').collect();
    have.len() >= want.len() && want.iter().zip(&have).all(|(w, h)| w == h)
}

/// The first value of a header, names compared case-insensitively.
fn first_header<'a>(request: &Request<'a>, name: &str) -> Option<&'a str> {
    for (n, v) in request.get_headers() {
        if n.eq_ignore_ascii_case(name) {
            return Some(v);
        }
    }
    None
}

/// The first value of a query parameter, names compared exactly (no decoding).
fn first_query<'a>(request: &Request<'a>, name: &str) -> Option<&'a str> {
    for pair in request.query()?.split('&') {
        let (n, v) = match pair.find('=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, ""),
        };
        if n == name {
            return Some(v);
        }
    }
    None
}

fn value_holds(condition: &ValueMatch, value: Option<&str>) -> bool {
    let Some(value) = value else { return false };
    match condition {
        ValueMatch::Exact(v) => v == value,
        ValueMatch::Regex(re) => re.is_match(value),
        _ => false,
    }
}

/// Every condition of a match holds (they are ANDed).
fn match_holds(m: &Match, request: &Request<'_>) -> bool {
    let path = request.path();
    let path_ok = match &m.path {
        PathMatch::Exact(p) => exact_path_matches(p, path),
        PathMatch::Prefix(p) => prefix_path_matches(p, path),
        regex @ PathMatch::Regex(_) => regex.matches(path),
        // The Ingress default location: every path.
        PathMatch::Fallback => true,
        _ => false,
    };
    path_ok
        && m.method
            .as_deref()
            .is_none_or(|method| method == request.method())
        && m.headers
            .iter()
            .all(|h| value_holds(&h.value, first_header(request, &h.name)))
        && m.query
            .iter()
            .all(|q| value_holds(&q.value, first_query(request, &q.name)))
}

// --- precedence ------------------------------------------------------------------------------

/// Hostname part of the key, smaller wins: (−non-wildcard characters, −characters).
type HostKey = (std::cmp::Reverse<usize>, std::cmp::Reverse<usize>);

fn host_key(h: &HostMatch) -> HostKey {
    use std::cmp::Reverse;
    match h {
        HostMatch::Exact(name) => (Reverse(name.len()), Reverse(name.len())),
        // Characters of `*.example.com`, the `*` included.
        HostMatch::Wildcard(suffix) | HostMatch::SingleLabel(suffix) => {
            (Reverse(0), Reverse(1 + suffix.len()))
        }
        _ => (Reverse(0), Reverse(0)),
    }
}

/// The whole precedence key, compared lexicographically; smaller wins. Fields in the order of
/// SEMANTICS §3.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// 1. Hostname.
    host: HostKey,
    /// 2. Path kind: Exact 0, PathPrefix 1, RegularExpression 2.
    path_kind: u8,
    /// 3. Longer regex / prefix first (as written).
    path_len: std::cmp::Reverse<usize>,
    /// 4. A method condition first.
    method: std::cmp::Reverse<bool>,
    /// 5. More header conditions first.
    headers: std::cmp::Reverse<usize>,
    /// 6. More query conditions first.
    query: std::cmp::Reverse<usize>,
    /// 7. Oldest first; missing timestamps after all given ones.
    created: (bool, Option<(i64, u32)>),
    /// 8. `{namespace}/{name}`, alphabetically.
    name: String,
    /// 9. Rule index.
    rule: usize,
    /// Match index.
    matched: usize,
}

fn key(h: &HostMatch, m: &Match, route: &Route, rule: usize) -> Key {
    use std::cmp::Reverse;
    let (path_kind, path_len) = match &m.path {
        PathMatch::Exact(_) => (0, 0),
        PathMatch::Prefix(p) => (1, p.chars().count()),
        PathMatch::Regex(re) => (2, re.as_str().chars().count()),
        // The Ingress default location comes after every path.
        _ => (3, 0),
    };
    Key {
        host: host_key(h),
        path_kind,
        path_len: Reverse(path_len),
        method: Reverse(m.method.is_some()),
        headers: Reverse(m.headers.len()),
        query: Reverse(m.query.len()),
        created: (route.created.is_none(), route.created),
        name: format!("{}/{}", route.namespace, route.name),
        rule,
        matched: m.index,
    }
}

// --- Ingress (Kubernetes "Ingress" page + ingress-nginx) ------------------------------------

/// An Ingress class, transcribed from the Kubernetes text
/// (<https://kubernetes.io/docs/concepts/services-networking/ingress/>) and the ingress-nginx
/// behaviour the front end documents, over the lowered routes (one per Ingress and host; the
/// default location of a host is a [`PathMatch::Fallback`] match):
///
/// 1. Listener: as for Gateways (`http` on 80, `https` on 443, neither with a hostname).
/// 2. Server: the route hostname equal to the host; else the one-label wildcard `*.parent`
///    ("Hostname wildcards": `*.foo.com` matches `bar.foo.com`, not `baz.bar.foo.com`); else
///    the host-less rules. Nothing else is consulted (an ingress-nginx request is served by one
///    `server` block); no server → 404.
/// 3. Within the server, among the matches whose conditions hold: "precedence will be given first
///    to the longest matching path" (an Exact path's length, a Prefix's without its trailing `/`,
///    a regex-mode path's pattern length); "if two paths are still equally matched, precedence
///    will be given to paths with an exact path type over prefix path type"; the default location
///    last; a canary header condition before none (ingress-nginx tries the header before the
///    weight); then the older Ingress (missing timestamps last), `{namespace}/{name}`, the path's
///    position, the match's position.
pub fn route_ingress(ir: &Ir, g: usize, request: &Request<'_>, entropy: u64) -> RefDecision {
    let host = request.host().to_ascii_lowercase();
    let gw = &ir.gateways[g];
    let l = match select_listener(gw, request, &host) {
        Ok(l) => l,
        Err(d) => return d,
    };
    let listener = &gw.listeners[l];
    if !listener.programmed {
        return RefDecision::Rejected;
    }
    let hostnames: Vec<&HostMatch> = listener
        .attachments
        .iter()
        .flat_map(|a| a.hostnames.iter())
        .collect();
    let exact = hostnames
        .iter()
        .find(|h| matches!(h, HostMatch::Exact(name) if *name == host));
    let one_label = || {
        hostnames.iter().find(|h| match h {
            HostMatch::SingleLabel(suffix) => match host.strip_suffix(suffix.as_str()) {
                Some(label) => !label.is_empty() && !label.contains('.'),
                None => false,
            },
            _ => false,
        })
    };
    let any = || hostnames.iter().find(|h| matches!(h, HostMatch::Any));
    let Some(server) = exact.or_else(one_label).or_else(any).map(|h| (*h).clone()) else {
        return RefDecision::NoMatch {
            gateway: g,
            listener: l,
        };
    };

    let mut best: Option<(IngressKey, RefMatch, &Route, usize)> = None;
    for attachment in &listener.attachments {
        if !attachment.hostnames.contains(&server) {
            continue;
        }
        let route = &ir.routes[attachment.route];
        for (rule_pos, rule) in route.rules.iter().enumerate() {
            for m in &rule.matches {
                if !match_holds(m, request) {
                    continue;
                }
                let key = ingress_key(m, route, rule.index);
                if best.as_ref().is_none_or(|(k, ..)| key < *k) {
                    let found = RefMatch {
                        gateway: g,
                        listener: l,
                        route: attachment.route,
                        rule: rule.index,
                        matched: m.index,
                        hostname: server.to_string(),
                        outcome: RefOutcome::ServerError,
                    };
                    best = Some((key, found, route, rule_pos));
                }
            }
        }
    }
    decided(
        best.map(|(_, found, route, rule_pos)| (found, route, rule_pos)),
        g,
        l,
        entropy,
    )
}

/// Ingress precedence, smaller wins, fields in the order of the text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct IngressKey {
    /// The default location comes after every path.
    default_location: bool,
    /// "longest matching path first".
    length: std::cmp::Reverse<usize>,
    /// "exact path type over prefix path type".
    prefix: bool,
    /// A canary header condition first.
    headers: std::cmp::Reverse<usize>,
    /// Oldest Ingress first; missing timestamps after all given ones.
    created: (bool, Option<(i64, u32)>),
    /// `{namespace}/{name}`.
    name: String,
    /// Position of the path, then of the match.
    rule: usize,
    matched: usize,
}

fn ingress_key(m: &Match, route: &Route, rule: usize) -> IngressKey {
    use std::cmp::Reverse;
    let (default_location, length, prefix) = match &m.path {
        PathMatch::Exact(p) => (false, p.len(), false),
        // "/aaa/bbb/ matches /aaa/bbb: ignores trailing slash": the matched length.
        PathMatch::Prefix(p) => {
            let trimmed = p.trim_end_matches('/');
            (false, trimmed.len().max(1), true)
        }
        PathMatch::Regex(re) => (false, re.as_str().len(), true),
        _ => (true, 0, true),
    };
    IngressKey {
        default_location,
        length: Reverse(length),
        prefix,
        headers: Reverse(m.headers.len()),
        created: (route.created.is_none(), route.created),
        name: format!("{}/{}", route.namespace, route.name),
        rule,
        matched: m.index,
    }
}

// --- GRPCRoute (SEMANTICS §5) -----------------------------------------------------------------

/// A gRPC request path: `"/" service "/" method`, both parts non-empty and without `/`
/// (gRPC over HTTP/2: `:path` is `/{Service-Name}/{method name}`).
fn grpc_parts(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix('/')?;
    let mut parts = rest.split('/');
    let service = parts.next()?;
    let method = parts.next()?;
    if parts.next().is_some() || service.is_empty() || method.is_empty() {
        return None;
    }
    Some((service, method))
}

/// Whether a `GRPCRouteMatch` holds: its `method` condition (service and/or method, Exact or
/// RegularExpression over the whole part) and every header condition (ANDed). A match without
/// `method` matches every gRPC request. `Some((characters in the matching service, characters
/// in the matching method))`, 0 for a part the match does not constrain.
fn grpc_match_holds(m: &Match, request: &Request<'_>) -> Option<(usize, usize)> {
    if !m
        .headers
        .iter()
        .all(|h| value_holds(&h.value, first_header(request, &h.name)))
    {
        return None;
    }
    let Some(g) = &m.grpc else {
        return Some((0, 0));
    };
    let (service, method) = grpc_parts(request.path())?;
    let chars = |condition: &Option<ValueMatch>, value: &str| match condition {
        None => Some(0),
        Some(c) => value_holds(c, Some(value)).then(|| value.chars().count()),
    };
    Some((chars(&g.service, service)?, chars(&g.method, method)?))
}

/// GRPCRoute precedence key, smaller wins (`GRPCRouteRule.Matches`): hostname (non-wildcard
/// characters, then characters), characters in the matching service, characters in the matching
/// method, header matches, oldest route, `{namespace}/{name}`, first rule, first match.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct GrpcKey {
    host: HostKey,
    service: std::cmp::Reverse<usize>,
    method: std::cmp::Reverse<usize>,
    headers: std::cmp::Reverse<usize>,
    created: (bool, Option<(i64, u32)>),
    name: String,
    rule: usize,
    matched: usize,
}

fn grpc_key(
    h: &HostMatch,
    m: &Match,
    route: &Route,
    rule: usize,
    service_chars: usize,
    method_chars: usize,
) -> GrpcKey {
    use std::cmp::Reverse;
    GrpcKey {
        host: host_key(h),
        service: Reverse(service_chars),
        method: Reverse(method_chars),
        headers: Reverse(m.headers.len()),
        created: (route.created.is_none(), route.created),
        name: format!("{}/{}", route.namespace, route.name),
        rule,
        matched: m.index,
    }
}

/// A candidate's key. HTTPRoute and GRPCRoute rules are never merged; after
/// [`loses_kind_conflict`] all candidates for one host are of one kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum AnyKey {
    Http(Key),
    Grpc(GrpcKey),
}

/// §5: "An HTTPRoute and a GRPCRoute on the same listener with intersecting hostnames conflict:
/// accept only the older one (then `{namespace}/{name}`)". Whether `a` is the loser of such a
/// conflict on this listener. (The router does not resolve this conflict yet; the generators
/// never produce it.)
fn loses_kind_conflict(ir: &Ir, attachments: &[Attachment], a: &Attachment) -> bool {
    let route = &ir.routes[a.route];
    let http_or_grpc = |k: RouteKind| matches!(k, RouteKind::Http | RouteKind::Grpc);
    if !http_or_grpc(route.kind) {
        return false;
    }
    let order = |r: &Route| {
        (
            (r.created.is_none(), r.created),
            format!("{}/{}", r.namespace, r.name),
        )
    };
    attachments.iter().any(|b| {
        let other = &ir.routes[b.route];
        http_or_grpc(other.kind)
            && other.kind != route.kind
            && order(other) < order(route)
            && a.hostnames
                .iter()
                .any(|x| b.hostnames.iter().any(|y| hosts_intersect(x, y)))
    })
}

/// Whether two route hostnames (after listener intersection) share a host name.
fn hosts_intersect(a: &HostMatch, b: &HostMatch) -> bool {
    match (a, b) {
        (HostMatch::Any, _) | (_, HostMatch::Any) => true,
        (HostMatch::Exact(x), HostMatch::Exact(y)) => x == y,
        (HostMatch::Wildcard(s), HostMatch::Exact(h))
        | (HostMatch::Exact(h), HostMatch::Wildcard(s)) => {
            h.ends_with(s.as_str()) && h.len() > s.len()
        }
        (HostMatch::Wildcard(x), HostMatch::Wildcard(y)) => {
            x.ends_with(y.as_str()) || y.ends_with(x.as_str())
        }
        _ => false,
    }
}

/// The gRPC status a client sees for a decision on a gRPC request, as the spec words it:
/// no listener or no rule → `Unimplemented` (§1 "Listener isolation", §5); a rule without a
/// usable backend → `Unavailable` (`GRPCRouteRule.BackendRefs`). `None` when the request is
/// forwarded (the backend answers), refused, or the spec names no gRPC status.
pub fn grpc_status(decision: &RefDecision) -> Option<&'static str> {
    match decision {
        RefDecision::NoListener | RefDecision::NoMatch { .. } => Some("Unimplemented"),
        RefDecision::Matched(m) => match m.outcome {
            RefOutcome::ServerError => Some("Unavailable"),
            RefOutcome::Backend { .. } | RefOutcome::Redirect(_) => None,
        },
        RefDecision::Rejected | RefDecision::Misdirected => None,
    }
}

// --- TLSRoute, TCPRoute, UDPRoute (SEMANTICS §6) ---------------------------------------------

/// What the reference decided for a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefConnection {
    /// Refused before a route was chosen: unknown Gateway, no listener for the transport and
    /// port, no TLS listener hostname matching the SNI (or no SNI for a TLS listener), a listener
    /// that is not programmed, or no attached route (for TLS: no route hostname matching the SNI).
    Refused,
    /// A route was chosen.
    Routed(RefConnMatch),
}

/// The route chosen for a connection and what happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefConnMatch {
    /// Index in [`Ir::gateways`].
    pub gateway: usize,
    /// Index in [`Gateway::listeners`].
    pub listener: usize,
    /// Index in [`Ir::routes`].
    pub route: usize,
    /// [`Rule::index`](gatewright::ir::Rule::index) of the (first) rule.
    pub rule: usize,
    /// The route hostname it was chosen under (`*` = any).
    pub hostname: String,
    /// What happens.
    pub outcome: RefConnOutcome,
}

/// What happens to a routed connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefConnOutcome {
    /// Proxied to this Service port.
    Connect {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
        /// Port.
        port: u16,
        /// TLS Passthrough: the backend gets the client's TLS stream.
        tls_passthrough: bool,
        /// The SNI the backend sees (passthrough only).
        sni: Option<String>,
    },
    /// Actively rejected: the picked backend is invalid, or no backend has a weight above 0.
    Reject,
}

/// Routes a new connection the spec-literal way (SEMANTICS §1, §6):
///
/// * Gateway: the named one, or the only one.
/// * Listeners on `port` for the transport: UDP → `UDP` listeners; TCP → `TCP` and `TLS`.
/// * With an SNI and TLS listeners there: the TLS listener whose hostname matches the SNI most
///   specifically (`Listener.Hostname`: "TLS: The Listener Hostname MUST match the SNI");
///   none → refused ("unknown SNI → connection rejected"). Otherwise a plain TCP/UDP listener
///   (hostnames are not used); a TLS listener cannot route a connection without SNI.
/// * A listener that is not programmed refuses.
/// * Routes: TLS: (route, hostname) pairs whose hostname matches the SNI, most specific hostname
///   first (non-wildcard characters, then characters); TCP/UDP: every attached route. Ties: the
///   oldest `creationTimestamp` (missing = newest), then `{namespace}/{name}`
///   (`Listener.AllowedRoutes`).
/// * The route's first rule; the backend by weight (as [`route`]); an invalid backend or no
///   weight → reject; Passthrough TLS listeners forward the stream and the (lower-case) SNI.
pub fn route_connection(
    ir: &Ir,
    transport: Transport,
    port: u16,
    sni: Option<&str>,
    gateway: Option<(&str, &str)>,
    entropy: u64,
) -> RefConnection {
    let g = match gateway {
        Some((ns, name)) => ir
            .gateways
            .iter()
            .position(|g| g.namespace == ns && g.name == name),
        None if ir.gateways.len() == 1 => Some(0),
        None => None,
    };
    let Some(g) = g else {
        return RefConnection::Refused;
    };
    let gw = &ir.gateways[g];
    let udp = matches!(transport, Transport::Udp);
    let for_transport: Vec<usize> = (0..gw.listeners.len())
        .filter(|&l| gw.listeners[l].port == port)
        .filter(|&l| match gw.listeners[l].protocol {
            Protocol::Udp => udp,
            Protocol::Tcp | Protocol::Tls => !udp,
            _ => false,
        })
        .collect();
    let tls: Vec<usize> = for_transport
        .iter()
        .copied()
        .filter(|&l| gw.listeners[l].protocol == Protocol::Tls)
        .collect();
    let sni = sni.map(str::to_ascii_lowercase);
    let chosen = match &sni {
        Some(name) if !tls.is_empty() => most_specific(gw, &tls, name),
        _ => for_transport
            .iter()
            .copied()
            .find(|&l| gw.listeners[l].protocol != Protocol::Tls),
    };
    let Some(l) = chosen else {
        return RefConnection::Refused;
    };
    let listener = &gw.listeners[l];
    if !listener.programmed {
        return RefConnection::Refused;
    }
    let is_tls = listener.protocol == Protocol::Tls;
    let mut best: Option<(ConnKey, usize, &HostMatch)> = None;
    for attachment in &listener.attachments {
        let route = &ir.routes[attachment.route];
        for h in &attachment.hostnames {
            if is_tls && !sni.as_deref().is_some_and(|s| route_host_matches(h, s)) {
                continue;
            }
            let key = ConnKey {
                host: if is_tls {
                    host_key(h)
                } else {
                    host_key(&HostMatch::Any)
                },
                created: (route.created.is_none(), route.created),
                name: format!("{}/{}", route.namespace, route.name),
            };
            if best.as_ref().is_none_or(|(k, ..)| key < *k) {
                best = Some((key, attachment.route, h));
            }
        }
    }
    let Some((_, r, h)) = best else {
        return RefConnection::Refused;
    };
    let route = &ir.routes[r];
    let Some(rule) = route.rules.first() else {
        return RefConnection::Refused;
    };
    let outcome = match weighted_pick(&rule.action.backends, entropy).map(|b| &b.target) {
        Some(BackendTarget::Service {
            namespace,
            name,
            port,
        }) => {
            let passthrough = is_tls && listener.tls_passthrough;
            RefConnOutcome::Connect {
                namespace: namespace.clone(),
                name: name.clone(),
                port: *port,
                tls_passthrough: passthrough,
                sni: if passthrough { sni.clone() } else { None },
            }
        }
        _ => RefConnOutcome::Reject,
    };
    RefConnection::Routed(RefConnMatch {
        gateway: g,
        listener: l,
        route: r,
        rule: rule.index,
        hostname: h.to_string(),
        outcome,
    })
}

/// Route choice on a connection listener, smaller wins.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ConnKey {
    /// TLS: the most specific route hostname for the SNI.
    host: HostKey,
    /// Oldest first; missing timestamps after all given ones.
    created: (bool, Option<(i64, u32)>),
    /// `{namespace}/{name}`.
    name: String,
}

/// Maps a router [`Decision`] for a connection onto a [`RefConnection`].
///
/// # Errors
/// A description of a decision with no [`RefConnection`] counterpart.
pub fn observe_connection(ir: &Ir, decision: &Decision) -> Result<RefConnection, String> {
    let Some(p) = &decision.matched else {
        return match &decision.action {
            Action::Reject { .. } => Ok(RefConnection::Refused),
            other => Err(format!("unexpected decision without provenance: {other:?}")),
        };
    };
    let gateway = ir
        .gateways
        .iter()
        .position(|g| format!("{}/{}", g.namespace, g.name) == p.gateway)
        .ok_or_else(|| format!("unknown gateway {}", p.gateway))?;
    let listener = ir.gateways[gateway]
        .listeners
        .iter()
        .position(|l| l.name == p.listener)
        .ok_or_else(|| format!("unknown listener {}", p.listener))?;
    let (Some(namespace), Some(name), Some(rule)) = (&p.namespace, &p.name, p.rule) else {
        return Err(format!("connection decision without a route: {decision:?}"));
    };
    let route = ir
        .routes
        .iter()
        .position(|r| {
            &r.namespace == namespace
                && &r.name == name
                && p.kind.as_deref() == Some(r.kind.as_str())
        })
        .ok_or_else(|| format!("unknown route {namespace}/{name}"))?;
    let outcome = match &decision.action {
        Action::Connect(c) => RefConnOutcome::Connect {
            namespace: c.backend.namespace.clone(),
            name: c.backend.name.clone(),
            port: c.backend.port,
            tls_passthrough: c.tls_passthrough,
            sni: c.sni.clone(),
        },
        Action::Reject { .. } => RefConnOutcome::Reject,
        other => return Err(format!("unexpected action for a connection: {other:?}")),
    };
    Ok(RefConnection::Routed(RefConnMatch {
        gateway,
        listener,
        route,
        rule,
        hostname: p.hostname.clone().unwrap_or_default(),
        outcome,
    }))
}

// --- actions ---------------------------------------------------------------------------------

fn outcome(action: &gatewright::ir::RuleAction, entropy: u64) -> RefOutcome {
    if action.invalid.is_some() {
        return RefOutcome::ServerError;
    }
    if let Some(redirect) = &action.filters.redirect {
        return RefOutcome::Redirect(redirect.status);
    }
    let Some(backend) = weighted_pick(&action.backends, entropy) else {
        return RefOutcome::ServerError;
    };
    match &backend.target {
        BackendTarget::Service { .. } if backend.filters.redirect.is_some() => {
            RefOutcome::Redirect(backend.filters.redirect.as_ref().map_or(302, |r| r.status))
        }
        BackendTarget::Service {
            namespace, name, ..
        } => RefOutcome::Backend {
            namespace: namespace.clone(),
            name: name.clone(),
        },
        _ => RefOutcome::ServerError,
    }
}

/// `point = (entropy × total) >> 64`; the first backend whose cumulative range holds it.
fn weighted_pick(backends: &[Backend], entropy: u64) -> Option<&Backend> {
    let total: u128 = backends.iter().map(|b| u128::from(b.weight)).sum();
    if total == 0 {
        return None;
    }
    let point = (u128::from(entropy) * total) >> 64;
    let mut start: u128 = 0;
    for b in backends {
        let end = start + u128::from(b.weight);
        if start <= point && point < end {
            return Some(b);
        }
        start = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatewright::{Config, Resources, Router};

    const HEAD: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gw}
spec: {controllerName: gatewright/controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gw
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: s1, namespace: app}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: s2, namespace: app}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: s1, namespace: app-x}
spec: {ports: [{port: 80}]}
"#;

    /// A route `ns/name` with optional timestamp, hostnames and rules `(match yaml, service)`.
    fn route_yaml(
        ns: &str,
        name: &str,
        created: Option<&str>,
        hostnames: &[&str],
        rules: &[(&str, &str)],
    ) -> String {
        let mut s = format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: {ns}");
        if let Some(c) = created {
            s.push_str(&format!(", creationTimestamp: \"{c}\""));
        }
        s.push_str("}\nspec:\n  parentRefs: [{name: gw, namespace: infra}]\n");
        if !hostnames.is_empty() {
            s.push_str(&format!(
                "  hostnames: [{}]\n",
                hostnames
                    .iter()
                    .map(|h| format!("\"{h}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s.push_str("  rules:\n");
        for (m, backend) in rules {
            s.push_str(&format!(
                "  - matches: [{m}]\n    backendRefs: [{{name: {backend}, port: 80}}]\n"
            ));
        }
        s
    }

    /// Routes with the reference; returns `(route namespace/name, rule, match, backend)`.
    fn winner(
        yaml: &str,
        method: &str,
        host: &str,
        path: &str,
        fallthrough: bool,
    ) -> Option<(String, usize, usize, String)> {
        let router = Router::compile_with(
            &Resources::from_yaml(yaml).unwrap(),
            Config::new().host_fallthrough(fallthrough),
        )
        .unwrap();
        let ir = router.ir();
        match route(ir, &Request::new(method, host, path), 0, fallthrough) {
            RefDecision::Matched(m) => {
                let r = &ir.routes[m.route];
                let RefOutcome::Backend { name, .. } = m.outcome else {
                    panic!("not forwarded: {m:?}")
                };
                Some((
                    format!("{}/{}", r.namespace, r.name),
                    m.rule,
                    m.matched,
                    name,
                ))
            }
            RefDecision::NoMatch { .. } => None,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn exact_beats_longer_prefix() {
        let yaml = format!(
            "{HEAD}{}",
            route_yaml(
                "app",
                "r",
                None,
                &[],
                &[
                    ("{path: {type: PathPrefix, value: /a/b/c}, method: GET, headers: [{name: x, value: '1'}]}", "s1"),
                    ("{path: {type: Exact, value: /a/b/c}}", "s2"),
                ]
            )
        );
        let w = winner(&yaml, "GET", "h", "/a/b/c", true).unwrap();
        assert_eq!((w.1, w.3.as_str()), (1, "s2"));
    }

    #[test]
    fn prefix_is_element_wise() {
        let yaml = format!(
            "{HEAD}{}",
            route_yaml(
                "app",
                "r",
                None,
                &[],
                &[("{path: {type: PathPrefix, value: /foo}}", "s1")]
            )
        );
        assert!(winner(&yaml, "GET", "h", "/foobar", true).is_none());
        assert!(winner(&yaml, "GET", "h", "/foo", true).is_some());
        assert!(winner(&yaml, "GET", "h", "/foo/", true).is_some());
        assert!(winner(&yaml, "GET", "h", "/foo/bar", true).is_some());
        let yaml = format!(
            "{HEAD}{}",
            route_yaml(
                "app",
                "r",
                None,
                &[],
                &[("{path: {type: PathPrefix, value: /foo/}}", "s1")]
            )
        );
        assert!(
            winner(&yaml, "GET", "h", "/foo", true).is_some(),
            "trailing slash of the prefix is ignored"
        );
        assert!(winner(&yaml, "GET", "h", "/foobar", true).is_none());
        assert!(prefix_path_matches("/", "/anything"));
        assert!(!exact_path_matches("/abc", "/abc/"));
    }

    #[test]
    fn older_route_wins_a_tie() {
        let m = [("{path: {type: PathPrefix, value: /}}", "s1")];
        let m2 = [("{path: {type: PathPrefix, value: /}}", "s2")];
        let yaml = format!(
            "{HEAD}{}{}{}",
            route_yaml("app", "a-new", Some("2024-01-02T00:00:00Z"), &[], &m),
            route_yaml("app", "z-old", Some("2024-01-01T00:00:00Z"), &[], &m2),
            route_yaml("app", "0-none", None, &[], &m),
        );
        assert_eq!(
            winner(&yaml, "GET", "h", "/x", true).unwrap().0,
            "app/z-old"
        );
    }

    #[test]
    fn name_order_breaks_the_last_tie() {
        let m = [("{path: {type: PathPrefix, value: /}}", "s1")];
        // "app-x/r" < "app/r" because '-' (0x2d) sorts before '/' (0x2f).
        let yaml = format!(
            "{HEAD}{}{}",
            route_yaml("app", "r", None, &[], &m),
            route_yaml("app-x", "r", None, &[], &m)
        );
        assert_eq!(winner(&yaml, "GET", "h", "/x", true).unwrap().0, "app-x/r");
        let yaml = format!(
            "{HEAD}{}{}",
            route_yaml("app", "b", None, &[], &m),
            route_yaml("app", "a", None, &[], &m)
        );
        assert_eq!(winner(&yaml, "GET", "h", "/x", true).unwrap().0, "app/a");
    }

    #[test]
    fn wildcard_host_loses_to_exact_host() {
        let long = [("{path: {type: Exact, value: /x}, method: GET}", "s1")];
        let short = [("{path: {type: PathPrefix, value: /}}", "s2")];
        let yaml = format!(
            "{HEAD}{}{}",
            route_yaml(
                "app",
                "wild",
                Some("2020-01-01T00:00:00Z"),
                &["*.example.com"],
                &long
            ),
            route_yaml("app", "exact", None, &["a.example.com"], &short),
        );
        assert_eq!(
            winner(&yaml, "GET", "a.example.com", "/x", true).unwrap().0,
            "app/exact"
        );
        assert_eq!(
            winner(&yaml, "GET", "b.example.com", "/x", true).unwrap().0,
            "app/wild"
        );
    }

    #[test]
    fn falls_through_to_catch_all_when_exact_host_has_no_rule() {
        let exact = [("{path: {type: Exact, value: /only}}", "s1")];
        let any = [("{path: {type: PathPrefix, value: /}}", "s2")];
        let yaml = format!(
            "{HEAD}{}{}",
            route_yaml("app", "exact", None, &["a.example.com"], &exact),
            route_yaml("app", "any", None, &[], &any),
        );
        assert_eq!(
            winner(&yaml, "GET", "a.example.com", "/other", true)
                .unwrap()
                .0,
            "app/any"
        );
        assert_eq!(
            winner(&yaml, "GET", "a.example.com", "/only", true)
                .unwrap()
                .0,
            "app/exact"
        );
        // Without fall-through the most specific hostname owns the request: 404.
        assert!(winner(&yaml, "GET", "a.example.com", "/other", false).is_none());
    }

    #[test]
    fn weighted_pick_follows_the_formula() {
        let yaml = format!(
            "{HEAD}---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: app}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra}}]\n  rules:\n  - backendRefs: [{{name: s1, port: 80, weight: 1}}, {{name: gone, port: 80, weight: 0}}, {{name: s2, port: 80, weight: 3}}]\n"
        );
        let router = Router::compile(&Resources::from_yaml(&yaml).unwrap()).unwrap();
        let pick = |entropy: u64| match route(
            router.ir(),
            &Request::new("GET", "h", "/"),
            entropy,
            true,
        ) {
            RefDecision::Matched(RefMatch {
                outcome: RefOutcome::Backend { name, .. },
                ..
            }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(pick(0), "s1");
        assert_eq!(pick(u64::MAX / 4 - 1), "s1");
        assert_eq!(pick(u64::MAX / 4 + 1), "s2");
        assert_eq!(pick(u64::MAX), "s2");
    }

    #[test]
    fn listener_selection() {
        let yaml = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gw
  listeners:
  - {name: any, port: 80, protocol: HTTP}
  - {name: wild, port: 80, protocol: HTTP, hostname: "*.example.com"}
  - {name: wild2, port: 80, protocol: HTTP, hostname: "*.a.example.com"}
  - {name: exact, port: 8080, protocol: HTTP, hostname: "a.example.com"}
"#;
        let router = Router::compile(&Resources::from_yaml(yaml).unwrap()).unwrap();
        let ir = router.ir();
        let listener_of =
            |authority: &str| match route(ir, &Request::new("GET", authority, "/"), 0, true) {
                RefDecision::NoMatch { listener, .. } => {
                    ir.gateways[0].listeners[listener].name.clone()
                }
                other => format!("{other:?}"),
            };
        assert_eq!(listener_of("x.a.example.com"), "wild2");
        assert_eq!(listener_of("a.example.com"), "wild");
        assert_eq!(listener_of("example.com"), "any");
        assert_eq!(listener_of("a.example.com:8080"), "exact");
        assert_eq!(listener_of("b.example.com:8080"), "NoListener");
        assert_eq!(listener_of("b.example.com:9"), "Rejected");
    }

    const GRPC: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gw
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: s1, namespace: app}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: s2, namespace: app}
spec: {ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: old, namespace: app, creationTimestamp: "2020-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - matches: [{method: {method: Ping}, headers: [{name: x, value: "1"}]}]
    backendRefs: [{name: s1, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: new, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - matches: [{method: {type: RegularExpression, service: "pkg\\..*"}}]
    backendRefs: [{name: s2, port: 80}]
"#;

    #[test]
    fn grpc_service_beats_method_and_headers() {
        let router = Router::compile(&Resources::from_yaml(GRPC).unwrap()).unwrap();
        let headers = [("X", "1")];
        let winner = |path: &str| match route(
            router.ir(),
            &Request::new("POST", "h", path).headers(&headers),
            0,
            true,
        ) {
            RefDecision::Matched(m) => router.ir().routes[m.route].name.clone(),
            other => format!("{other:?}"),
        };
        // A service match ranks above a method match with a header, whatever the age.
        assert_eq!(winner("/pkg.Echo/Ping"), "new");
        assert_eq!(winner("/other.Svc/Ping"), "old");
        assert_eq!(
            winner("/other.Svc/Get"),
            "NoMatch { gateway: 0, listener: 0 }"
        );
        assert_eq!(
            winner("/pkg.Echo/Ping/x"),
            "NoMatch { gateway: 0, listener: 0 }"
        );
    }

    #[test]
    fn tls_connection_prefers_the_specific_hostname_then_the_oldest() {
        let yaml = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gw
  listeners:
  - {name: tls, port: 443, protocol: TLS, tls: {mode: Passthrough}, allowedRoutes: {namespaces: {from: All}}}
  - {name: tcp, port: 5000, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: s1, namespace: app}
spec: {ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: wild, namespace: app, creationTimestamp: "2020-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: ["*.example.com"]
  rules: [{backendRefs: [{name: s1, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: exact, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: ["a.example.com"]
  rules: [{backendRefs: [{name: gone, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: b, namespace: app, creationTimestamp: "2020-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules: [{backendRefs: [{name: s1, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: a, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules: [{backendRefs: [{name: s1, port: 80}]}]
"#;
        let router = Router::compile(&Resources::from_yaml(yaml).unwrap()).unwrap();
        let ir = router.ir();
        let decide = |port: u16, sni: Option<&str>| match route_connection(
            ir,
            Transport::Tcp,
            port,
            sni,
            None,
            0,
        ) {
            RefConnection::Routed(m) => {
                format!("{} {:?}", ir.routes[m.route].name, m.outcome)
            }
            RefConnection::Refused => "refused".into(),
        };
        assert_eq!(decide(443, Some("A.example.com")), "exact Reject");
        assert!(decide(443, Some("b.example.com")).starts_with("wild Connect"));
        assert!(decide(443, Some("b.example.com")).contains("sni: Some(\"b.example.com\")"));
        assert_eq!(decide(443, Some("example.com")), "refused");
        assert_eq!(decide(443, None), "refused");
        // TCP: the oldest route, SNI ignored.
        assert!(decide(5000, Some("x")).starts_with("b Connect"));
        assert_eq!(
            route_connection(ir, Transport::Udp, 5000, None, None, 0),
            RefConnection::Refused
        );
    }
}
