//! Stage 4, route: the compiled [`Router`] and its lookup.

mod actions;
mod connection;
mod mesh;
pub(crate) use actions::splitmix64;
pub use actions::{modify_path, pick, scale};
mod decision;
mod policies;
mod request;
mod routed;

use std::fmt::Write as _;

pub use connection::{Connection, Transport};
pub use decision::{
    Action, BackendName, Connect, Considered, Decision, Explanation, Forward, MirrorTo, Provenance,
    RedirectTo, Respond, RetryPolicy, Upstream, Weighted,
};
pub use request::{MeshEntry, Request};
use routed::Found;
pub use routed::{BackendRef, Routed, RuleRef};

use crate::attach::attach;
use crate::compile::{compile, Candidate, GatewayIndex, ListenerIndex, VirtualHost};
use crate::config::Config;
use crate::diag::{Diagnostic, StatusReport};
use crate::error::CompileError;
use crate::ir::{HostMatch, Ir, Match, PathMatch, ValueMatch};
use crate::precedence::{deciding_field, Key, PathClass};
use crate::resource::Resources;

/// An immutable, compiled routing table. Cheap to share across threads.
///
/// ```
/// use gatewright::{Request, Resources, Router};
/// let yaml = include_str!("../../../examples/quickstart.yaml");
/// let router = Router::compile(&Resources::from_yaml(yaml)?)?;
/// // Exact beats a longer prefix: `/api/health` is an Exact match.
/// let d = router.decide(&Request::new("GET", "shop.example.com", "/api/health"));
/// assert_eq!(d.backend().unwrap().name, "health");
/// let d = router.decide(&Request::new("GET", "shop.example.com", "/api/health/deep"));
/// assert_eq!(d.backend().unwrap().name, "api");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Router {
    ir: Ir,
    istio: crate::istio::IstioWorld,
    policies: Option<policies::PolicyTable>,
    index: Vec<GatewayIndex>,
    status: StatusReport,
    diagnostics: Vec<Diagnostic>,
    config: Config,
}

/// Where a lookup entered and which listener it chose.
struct Entry<'r> {
    gateway: usize,
    listener: usize,
    index: &'r ListenerIndex,
}

/// Where a decision is made: a Gateway listener, or a Service port (mesh).
pub(crate) struct Site {
    /// `namespace/name` of the Gateway, or `mesh`.
    gateway: String,
    /// Listener name, or `Service namespace/name:port`.
    listener: String,
    /// The port the client connected to (for redirects without a port).
    port: u16,
}

/// The candidate that won, and under which hostname.
struct Winner<'r> {
    vhost: &'r VirtualHost,
    candidate: Candidate,
}

impl Router {
    /// Compiles resources with the default [`Config`].
    ///
    /// # Errors
    /// A [`CompileError`] only when no router can be built at all; problems in
    /// single objects are [`diagnostics`](Router::diagnostics) and status.
    pub fn compile(resources: &Resources) -> Result<Self, CompileError> {
        Self::compile_with(resources, Config::default())
    }

    /// Compiles resources with a [`Config`].
    ///
    /// # Errors
    /// As [`Router::compile`].
    pub fn compile_with(resources: &Resources, config: Config) -> Result<Self, CompileError> {
        let attached = attach(resources, &config);
        // Lints (identical, shadowed, unreachable rules) run on the attached IR.
        let mut diagnostics = attached.diagnostics;
        if config.get_lints() {
            diagnostics.extend(crate::lint::lint(&attached.ir));
        }
        // The Istio front end decides from its own tables (see `istio`).
        let istio = crate::istio::IstioWorld::build(
            resources,
            config.get_regex_size_limit(),
            &mut diagnostics,
        );
        // Policy attachment (GEP-713): resolved once; each rule's effective policy is
        // precomputed so decisions carry it without work per request.
        let policies = (!resources.policies().is_empty()).then(|| {
            let set = crate::policy::PolicySet::resolve(
                resources,
                &config.get_policy_registry(),
                &config.get_policy_options(),
            );
            policies::PolicyTable::build(&attached.ir, set)
        });
        let mut router = Self::from_ir(attached.ir, attached.status, diagnostics, config);
        router.istio = istio;
        router.policies = policies;
        Ok(router)
    }

    fn from_ir(ir: Ir, status: StatusReport, diagnostics: Vec<Diagnostic>, config: Config) -> Self {
        let index = compile(&ir, config.get_regex_size_limit());
        Router {
            istio: crate::istio::IstioWorld::default(),
            policies: None,
            ir,
            index,
            status,
            diagnostics,
            config,
        }
    }

    /// `namespace/name` of every Gateway a request can enter: the Gateway API
    /// Gateways served, then the Istio Gateways.
    ///
    /// ```
    /// # let yaml = include_str!("../../../examples/quickstart.yaml");
    /// let router = gatewright::Router::compile(&gatewright::Resources::from_yaml(yaml)?)?;
    /// assert_eq!(router.gateway_names(), ["shop/public"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gateway_names(&self) -> Vec<String> {
        self.ir
            .gateways
            .iter()
            .map(|g| format!("{}/{}", g.namespace, g.name))
            .chain(
                self.istio
                    .gateways
                    .iter()
                    .map(|g| format!("{}/{}", g.namespace, g.name)),
            )
            .collect()
    }

    /// The resolved policies (GEP-713 policy attachment): status per policy and
    /// effective policy with provenance on any path; `None` when the input has no policy.
    pub fn policies(&self) -> Option<&crate::policy::PolicySet> {
        self.policies.as_ref().map(|t| &t.set)
    }

    /// The validated routing table the router was compiled from.
    pub fn ir(&self) -> &Ir {
        &self.ir
    }

    /// Status of every GatewayClass, Gateway and route, in the Kubernetes shape.
    pub fn status(&self) -> &StatusReport {
        &self.status
    }

    /// Everything found while reading and attaching: skipped kinds, rejected
    /// parentRefs, unresolved backends, invalid regexes, conflicts.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Routes a request with entropy 0 (the first backend of a weighted split
    /// whose weight is not 0). See [`Router::route_with`].
    pub fn route<'a>(&'a self, request: &Request<'a>) -> Routed<'a> {
        self.route_with(request, 0)
    }

    /// Routes a request: finds the winning rule and picks its backend, without
    /// allocating for Gateway API and Ingress HTTP requests (see [`Routed`]).
    /// `entropy` is any `u64` from the caller's random source; the backend pick
    /// and mirror sampling are pure functions of it, so the same entropy gives
    /// the same decision. Never panics.
    pub fn route_with<'a>(&'a self, request: &Request<'a>, entropy: u64) -> Routed<'a> {
        Routed {
            router: self,
            request: *request,
            entropy,
            found: self.find(request, entropy),
        }
    }

    /// The complete owned decision with entropy 0. See [`Router::decide_with`].
    pub fn decide(&self, request: &Request<'_>) -> Decision {
        self.decide_with(request, 0)
    }

    /// The complete owned decision: [`Router::route_with`] then
    /// [`Routed::into_decision`] (the upstream request with filters applied,
    /// header changes, mirrors, policies, provenance). Never panics.
    pub fn decide_with(&self, request: &Request<'_>, entropy: u64) -> Decision {
        self.route_with(request, entropy).into_decision()
    }

    fn find<'a>(&'a self, request: &Request<'a>, entropy: u64) -> Found<'a> {
        let decided = |d: Decision| Found::Decided(Box::new(d));
        if let Some(mesh) = request.mesh {
            return decided(self.route_mesh(request, &mesh, entropy));
        }
        if let Some(workload) = &request.workload {
            return decided(self.istio.route_mesh(workload, request, entropy));
        }
        match request.gateway {
            Some((ns, name)) if self.istio.has_gateway(ns, name) => {
                return decided(self.istio.route_gateway(ns, name, request, entropy));
            }
            // The only Gateway of the input is an Istio one.
            None if self.ir.gateways.is_empty() && self.istio.gateways.len() == 1 => {
                let g = &self.istio.gateways[0];
                return decided(
                    self.istio
                        .route_gateway(&g.namespace, &g.name, request, entropy),
                );
            }
            _ => {}
        }
        let (host, port) = request.host_and_port();
        let host = lower(host);
        let entry = match self.enter(request, &host, request.entry_port(port), entropy) {
            Ok(entry) => entry,
            Err(decision) => return decided(decision),
        };
        match self.lookup(&entry, request, &host) {
            Some(winner) => Found::Matched {
                gateway: entry.gateway,
                listener: entry.listener,
                vhost: winner.vhost,
                candidate: winner.candidate,
            },
            None => Found::NoRule {
                gateway: entry.gateway,
                listener: entry.listener,
            },
        }
    }

    /// Routes a request and lists every candidate considered, in precedence
    /// order, with why each lost.
    pub fn explain(&self, request: &Request<'_>, entropy: u64) -> Explanation {
        let decision = self.decide_with(request, entropy);
        let istio_gateway = decision.matched.as_ref().is_some_and(|m| {
            self.istio
                .gateways
                .iter()
                .any(|g| format!("{}/{}", g.namespace, g.name) == m.gateway)
        });
        if request.workload.is_some() || istio_gateway {
            let (listener, considered) = self.istio.explain(request, &decision);
            return Explanation {
                policies: Default::default(),
                decision,
                listener,
                considered,
            };
        }
        if let Some(mesh) = request.mesh {
            let routes = self.mesh_routes(&mesh);
            let any = HostMatch::Any;
            let candidates = self.mesh_candidates(&routes);
            let winner_key = decision.matched.as_ref().and_then(|m| {
                candidates.iter().find(|c| {
                    let route = &self.ir.routes[c.route as usize];
                    let rule = &route.rules[c.rule as usize];
                    Some(route.namespace.as_str()) == m.namespace.as_deref()
                        && Some(route.name.as_str()) == m.name.as_deref()
                        && Some(rule.index) == m.rule
                        && Some(rule.matches[c.matched as usize].index) == m.matched
                })
            });
            let winner_key = winner_key.map(|c| c.key(&self.ir, &any));
            let mut considered = Vec::new();
            self.consider(
                candidates,
                &any,
                winner_key.as_ref(),
                request,
                &mut considered,
            );
            let listener = if routes.is_empty() {
                format!(
                    "mesh: Service {}/{}:{} (no route applies: sent to the Service)",
                    mesh.service_namespace, mesh.service, mesh.port
                )
            } else {
                format!(
                    "mesh: workload in {} → Service {}/{}:{}",
                    mesh.from_namespace, mesh.service_namespace, mesh.service, mesh.port
                )
            };
            return Explanation {
                policies: Default::default(),
                decision,
                listener,
                considered,
            };
        }
        let (host, port) = request.host_and_port();
        let host = lower(host);
        let Ok(entry) = self.enter(request, &host, request.entry_port(port), entropy) else {
            return Explanation {
                policies: Default::default(),
                decision,
                listener: "none".into(),
                considered: Vec::new(),
            };
        };
        let gw = &self.ir.gateways[entry.gateway];
        let listener = &gw.listeners[entry.listener];
        let listener_text = format!(
            "{}/{} listener {} (port {}, hostname {})",
            gw.namespace,
            gw.name,
            listener.name,
            listener.port,
            listener.hostname.as_deref().unwrap_or("*")
        );
        let mut considered = Vec::new();
        let winner_key = self
            .lookup(&entry, request, &host)
            .map(|w| w.candidate.key(&self.ir, &w.vhost.host));
        let mut vhosts: Vec<&VirtualHost> = entry.index.hosts_for(&host).collect();
        if !self.host_fallthrough(entry.gateway) {
            vhosts.truncate(1);
        }
        for vhost in vhosts {
            let all: Vec<Candidate> = vhost
                .exact
                .values()
                .chain(vhost.prefixes.values())
                .flatten()
                .copied()
                .chain(vhost.regexes.iter().map(|(_, c)| *c))
                .chain(vhost.fallbacks.iter().copied())
                .collect();
            self.consider(
                all,
                &vhost.host,
                winner_key.as_ref(),
                request,
                &mut considered,
            );
        }
        let policies = self.policy_provenance(&decision);
        Explanation {
            policies,
            decision,
            listener: listener_text,
            considered,
        }
    }

    /// The effective policy of every kind on a Gateway API decision's path, with provenance.
    fn policy_provenance(
        &self,
        decision: &Decision,
    ) -> std::collections::BTreeMap<String, crate::policy::Effective> {
        let (Some(table), Some(m)) = (&self.policies, &decision.matched) else {
            return Default::default();
        };
        let (Some((gns, gname)), Some(ns), Some(name), Some(rule)) =
            (m.gateway.split_once('/'), &m.namespace, &m.name, m.rule)
        else {
            return Default::default();
        };
        let rule = m.rule_name.clone().unwrap_or_else(|| rule.to_string());
        let mut path = crate::policy::PolicyPath::gateway(gns, gname)
            .listener(&m.listener)
            .route(ns, name)
            .rule(&rule);
        if let Some(b) = decision.backend() {
            path = path.service(&b.namespace, &b.name);
            if let Some(port) = table.set.port_name(&b.namespace, &b.name, b.port) {
                path = path.port(port);
            }
        }
        table
            .set
            .kinds()
            .into_iter()
            .map(|k| {
                let e = table.set.effective(&k, &path);
                (k, e)
            })
            .filter(|(_, e)| !e.fields.is_empty() || !e.discarded.is_empty())
            .collect()
    }

    /// Appends every candidate, in precedence order, with its verdict against the winner.
    fn consider(
        &self,
        mut all: Vec<Candidate>,
        host: &HostMatch,
        winner_key: Option<&Key<'_>>,
        request: &Request<'_>,
        out: &mut Vec<Considered>,
    ) {
        all.sort_by(|a, b| a.key(&self.ir, host).cmp(&b.key(&self.ir, host)));
        for c in all {
            let key = c.key(&self.ir, host);
            let m = c.get(&self.ir);
            let verdict = match (winner_key, mismatch(m, request)) {
                (Some(w), None) if *w == key => "won".to_owned(),
                (_, Some(why)) => format!("no match: {why}"),
                (Some(w), None) => {
                    format!("matches, but the winner has {}", deciding_field(w, &key))
                }
                (None, None) => "matches".to_owned(),
            };
            let route = &self.ir.routes[c.route as usize];
            out.push(Considered {
                route: format!("{}/{}", route.namespace, route.name),
                rule: key.rule,
                matched: key.matched,
                hostname: host.to_string(),
                summary: summarize(m),
                verdict,
            });
        }
    }

    /// Chooses the Gateway and listener (`Listener.Hostname`, gateway_types.go 372–406).
    #[allow(
        clippy::result_large_err,
        reason = "private; the error is the final decision, built once per request"
    )]
    fn enter(
        &self,
        request: &Request<'_>,
        host: &str,
        port: u16,
        entropy: u64,
    ) -> Result<Entry<'_>, Decision> {
        let g = self.gateway_index(request.gateway)?;
        let gw = &self.ir.gateways[g];
        let index = &self.index[g];
        if let Some(name) = request.listener {
            let Some(l) = gw.listeners.iter().position(|l| l.name == name) else {
                return Err(reject(format!(
                    "Gateway {}/{} has no listener {name}",
                    gw.namespace, gw.name
                )));
            };
            return self.checked_entry(g, l);
        }
        let Some(http_port) = index.http_ports.iter().find(|p| p.port == port) else {
            // No HTTP listener: a TLS or TCP listener on this port routes the connection
            // (an HTTPS request through TLS passthrough is routed by its SNI).
            let sni = request.sni.unwrap_or(host);
            let conn = Connection::tcp(port).gateway_index(g).sni(sni);
            return Err(self.route_connection(&conn, entropy));
        };
        let on_port = http_port.listeners.iter().copied();
        let matches = |l: usize, name: &str| index.listener_hosts[l].matches(name);
        // Most specific listener hostname matching the Host header.
        let by_host = on_port.clone().find(|&l| matches(l, host));
        if !http_port.https {
            return match by_host {
                Some(l) => self.checked_entry(g, l),
                // "No listener match ... → reject: HTTP 404" (General Listener behavior).
                None => Err(respond(
                    404,
                    format!("no listener on port {port} matches host {host:?}"),
                )),
            };
        }
        // HTTPS: the SNI selects the listener (and its certificate).
        let sni = lower(request.sni.unwrap_or(host));
        let Some(by_sni) = on_port.clone().find(|&l| matches(l, &sni)) else {
            return Err(reject(format!(
                "no listener on port {port} serves SNI {sni:?}"
            )));
        };
        match by_host {
            // `Listener.Hostname`: a different listener matching the Host → 421.
            Some(l) if l != by_sni => Err(respond(
                421,
                format!(
                    "Host {host:?} belongs to listener {} but SNI {sni:?} selected listener {}",
                    gw.listeners[l].name, gw.listeners[by_sni].name
                ),
            )),
            Some(_) => self.checked_entry(g, by_sni),
            None => Err(respond(
                404,
                format!("no listener on port {port} matches host {host:?}"),
            )),
        }
    }

    /// The Gateway a request or connection entered: the named one, or the only one.
    #[allow(
        clippy::result_large_err,
        reason = "private; the error is the final decision, built once per request"
    )]
    fn gateway_index(&self, gateway: Option<(&str, &str)>) -> Result<usize, Decision> {
        let found = match gateway {
            Some((ns, name)) => self
                .ir
                .gateways
                .iter()
                .position(|g| g.namespace == ns && g.name == name),
            None if self.ir.gateways.len() == 1 => Some(0),
            None => None,
        };
        found.ok_or_else(|| {
            reject(match gateway {
                Some((ns, name)) => format!("Gateway {ns}/{name} is not served"),
                None => format!(
                    "{} Gateways are served; say which one the request entered",
                    self.ir.gateways.len()
                ),
            })
        })
    }

    #[allow(
        clippy::result_large_err,
        reason = "private; the error is the final decision, built once per request"
    )]
    fn checked_entry(&self, g: usize, l: usize) -> Result<Entry<'_>, Decision> {
        if !self.index[g].programmed[l] {
            return Err(reject(format!(
                "listener {} is not programmed (see its status)",
                self.ir.gateways[g].listeners[l].name
            )));
        }
        Ok(Entry {
            gateway: g,
            listener: l,
            index: &self.index[g].listeners[l],
        })
    }

    /// The best candidate: virtual hosts from the most specific, and within one,
    /// exact paths, then prefixes from the longest, then regexes, each list
    /// already in precedence order (see `precedence.rs`).
    fn lookup<'r>(
        &'r self,
        entry: &Entry<'r>,
        request: &Request<'_>,
        host: &str,
    ) -> Option<Winner<'r>> {
        let path = request.path();
        let fallthrough = self.host_fallthrough(entry.gateway);
        for vhost in entry.index.hosts_for(host) {
            if let Some(candidate) = self.best_in(vhost, request, path) {
                return Some(Winner { vhost, candidate });
            }
            if !fallthrough {
                return None;
            }
        }
        None
    }

    /// Host fall-through on a Gateway: its own setting (Ingress classes: off),
    /// else the [`Config`]'s.
    fn host_fallthrough(&self, gateway: usize) -> bool {
        self.ir.gateways[gateway]
            .host_fallthrough
            .unwrap_or_else(|| self.config.get_host_fallthrough())
    }

    fn best_in(&self, vhost: &VirtualHost, request: &Request<'_>, path: &str) -> Option<Candidate> {
        let passes = |c: &&Candidate| c.unconditional || residual_matches(c.get(&self.ir), request);
        // Path classes in precedence order; within a class each list is already sorted.
        PathClass::ORDER.iter().find_map(|class| match class {
            PathClass::Exact => vhost
                .exact_lens
                .contains(path.len())
                .then(|| vhost.exact.get(path))
                .flatten()
                .and_then(|list| list.iter().find(passes))
                .copied(),
            PathClass::Prefix => prefix_keys(path)
                .filter(|prefix| vhost.prefix_lens.contains(prefix.len()))
                .find_map(|prefix| {
                    vhost
                        .prefixes
                        .get(prefix)
                        .and_then(|list| list.iter().find(passes))
                })
                .copied(),
            PathClass::Regex => match &vhost.regex_set {
                Some(set) => set
                    .first(path, |i| passes(&&vhost.regexes[i].1))
                    .map(|i| vhost.regexes[i].1),
                None => vhost
                    .regexes
                    .iter()
                    .find(|(literal, c)| {
                        path.starts_with(&**literal)
                            && c.get(&self.ir).path.matches(path)
                            && passes(&c)
                    })
                    .map(|(_, c)| *c),
            },
            PathClass::Fallback => vhost.fallbacks.iter().find(passes).copied(),
        })
    }

    fn not_found(&self, gateway: usize, listener: usize) -> Decision {
        let gw = &self.ir.gateways[gateway];
        let listener = &gw.listeners[listener];
        Decision {
            policies: None,
            // `HTTPRouteRule.Matches`: when no rule matches, the gateway MUST answer 404.
            action: Action::Respond(Respond {
                body: None,
                backend: None,
                status: 404,
                headers: Vec::new(),
                reason: "no rule matches".into(),
            }),
            matched: Some(Provenance {
                gateway: format!("{}/{}", gw.namespace, gw.name),
                listener: listener.name.clone(),
                hostname: None,
                kind: None,
                namespace: None,
                name: None,
                rule: None,
                rule_name: None,
                matched: None,
            }),
        }
    }
}

/// Prefix map keys that can match `path`, longest first: the path itself, then
/// the path cut at each `/` from the right, then `/`. Keys never end in `/`
/// (they are normalised), so cuts that leave a trailing slash are skipped.
fn prefix_keys(path: &str) -> impl Iterator<Item = &str> {
    let full = (!path.ends_with('/') && path.len() > 1).then_some(path);
    // Byte-wise from the right (a `/` byte is always a char boundary in UTF-8).
    let mut end = path.len();
    let cuts = std::iter::from_fn(move || loop {
        let i = path.as_bytes()[..end].iter().rposition(|&b| b == b'/')?;
        end = i;
        if i == 0 {
            return None;
        }
        let cut = &path[..i];
        if !cut.ends_with('/') {
            return Some(cut);
        }
    });
    full.into_iter().chain(cuts).chain(std::iter::once("/"))
}

/// Method, header and query conditions (the path is checked by the index).
pub(crate) fn residual_matches(m: &Match, request: &Request<'_>) -> bool {
    m.grpc
        .as_ref()
        .is_none_or(|g| g.matches_path(request.path()))
        && m.method
            .as_deref()
            .is_none_or(|method| method == request.method())
        && m.headers
            .iter()
            .all(|h| request.header(&h.name).is_some_and(|v| h.value.matches(v)))
        && m.query.iter().all(|q| {
            request
                .query_param(&q.name)
                .is_some_and(|v| q.value.matches(v))
        })
}

/// Why a match does not apply to the request, for `explain`.
fn mismatch(m: &Match, request: &Request<'_>) -> Option<String> {
    if !m.path.matches(request.path()) {
        return Some("path".into());
    }
    if m.grpc
        .as_ref()
        .is_some_and(|g| !g.matches_path(request.path()))
    {
        return Some("gRPC service/method".into());
    }
    if let Some(method) = &m.method {
        if method != request.method() {
            return Some(format!("method is not {method}"));
        }
    }
    for h in &m.headers {
        if !request.header(&h.name).is_some_and(|v| h.value.matches(v)) {
            return Some(format!("header {}", h.name));
        }
    }
    for q in &m.query {
        if !request
            .query_param(&q.name)
            .is_some_and(|v| q.value.matches(v))
        {
            return Some(format!("query parameter {}", q.name));
        }
    }
    None
}

/// A short human description of a match.
pub(crate) fn summarize(m: &Match) -> String {
    if let Some(g) = &m.grpc {
        let part = |v: &Option<ValueMatch>| match v {
            None => "*".to_owned(),
            Some(ValueMatch::Exact(x)) => x.clone(),
            Some(ValueMatch::Regex(re)) => format!("~{}", re.as_str()),
        };
        let mut s = format!("gRPC {}/{}", part(&g.service), part(&g.method));
        for h in &m.headers {
            let _ = write!(s, ", header {}", h.name);
        }
        return s;
    }
    let mut s = match &m.path {
        PathMatch::Exact(p) => format!("Exact {p}"),
        PathMatch::Prefix(p) => format!("PathPrefix {p}"),
        PathMatch::Regex(re) => format!("RegularExpression {}", re.as_str()),
        PathMatch::Fallback => "default backend (any path)".to_owned(),
    };
    if let Some(method) = &m.method {
        let _ = write!(s, ", method {method}");
    }
    for h in &m.headers {
        let _ = match &h.value {
            ValueMatch::Exact(v) => write!(s, ", header {}={v}", h.name),
            ValueMatch::Regex(re) => write!(s, ", header {}~{}", h.name, re.as_str()),
        };
    }
    for q in &m.query {
        let _ = match &q.value {
            ValueMatch::Exact(v) => write!(s, ", query {}={v}", q.name),
            ValueMatch::Regex(re) => write!(s, ", query {}~{}", q.name, re.as_str()),
        };
    }
    s
}

/// A host name in ASCII lower case, without allocating: borrowed when it
/// already is (the common case), else folded into an inline buffer (DNS names
/// have at most 253 bytes); only a longer name goes to the heap.
#[allow(
    clippy::large_enum_variant,
    reason = "a short-lived stack value: the inline buffer is the point (no heap)"
)]
enum Lower<'a> {
    Borrowed(&'a str),
    Inline { buf: [u8; 256], len: usize },
    Heap(String),
}

impl Lower<'_> {
    fn as_str(&self) -> &str {
        match self {
            Lower::Borrowed(s) => s,
            // The buffer holds an ASCII-folded copy of a `str`: still valid UTF-8.
            Lower::Inline { buf, len } => std::str::from_utf8(&buf[..*len]).unwrap_or_default(),
            Lower::Heap(s) => s,
        }
    }
}

impl std::fmt::Debug for Lower<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl std::ops::Deref for Lower<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// `text` in ASCII lower case (see [`Lower`]).
fn lower(text: &str) -> Lower<'_> {
    if !text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Lower::Borrowed(text);
    }
    let mut buf = [0u8; 256];
    match buf.get_mut(..text.len()) {
        Some(dst) => {
            dst.copy_from_slice(text.as_bytes());
            dst.make_ascii_lowercase();
            Lower::Inline {
                buf,
                len: text.len(),
            }
        }
        None => Lower::Heap(text.to_ascii_lowercase()),
    }
}

pub(crate) fn reject(reason: String) -> Decision {
    Decision {
        policies: None,
        action: Action::Reject { reason },
        matched: None,
    }
}

fn respond(status: u16, reason: String) -> Decision {
    Decision {
        policies: None,
        action: Action::Respond(Respond {
            body: None,
            backend: None,
            status,
            headers: Vec::new(),
            reason,
        }),
        matched: None,
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_keys;

    #[test]
    fn prefix_keys_longest_first() {
        assert_eq!(prefix_keys("/a/b").collect::<Vec<_>>(), ["/a/b", "/a", "/"]);
        assert_eq!(
            prefix_keys("/a/b/").collect::<Vec<_>>(),
            ["/a/b", "/a", "/"]
        );
        assert_eq!(prefix_keys("/").collect::<Vec<_>>(), ["/"]);
        assert_eq!(
            prefix_keys("/a//b").collect::<Vec<_>>(),
            ["/a//b", "/a", "/"]
        );
    }
}
