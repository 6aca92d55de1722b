//! Which VirtualService rules apply where: gateway route tables (SEMANTICS §2.1,
//! §2.2, §3.1), sidecar VirtualService choice (§2.3), ordering (§2.4), and the
//! build-time filters and catch-all truncation of §3.

use std::collections::{BTreeMap, HashMap};

use super::lower::{lower_vs, merge_delegate, resolve_rule, Block, Rule, Uri, Vs};
use super::names::{host_matches, intersect, server_host, specificity, visible_to, DOMAIN_SUFFIX};
use crate::diag::{Code, Diagnostic, ObjectRef, Severity};
use crate::ir::Timestamp;
use crate::resource::istio::{IstioGateway, VirtualService, ISTIO_GROUP};
use crate::resource::{Object, Resources};

/// A VirtualService's place in a proxy's order: (group, base position).
type Rank = (u8, usize);

/// Where a DestinationRule lives and whom it is exported to: (namespace, `exportTo`).
pub(crate) type Visibility = (String, Vec<String>);

/// Everything the Istio front end decides from.
#[derive(Debug, Default)]
pub(crate) struct IstioWorld {
    /// Validated VirtualServices (delegates merged into their roots; delegates
    /// themselves omitted), in base order: creationTimestamp, name, namespace.
    pub(crate) vss: Vec<Vs>,
    /// One entry per Istio Gateway object.
    pub(crate) gateways: Vec<GatewayTables>,
    /// Kubernetes Services: FQDN → (namespace, name, ports).
    pub(crate) services: BTreeMap<String, (String, String, Vec<u16>)>,
    /// `(host FQDN, subset)` → the (namespace, exportTo) of each DestinationRule defining it.
    pub(crate) subsets: HashMap<(String, String), Vec<Visibility>>,
    /// Sidecar index: exact VirtualService host → VirtualServices (base order) that apply to `mesh`.
    mesh_hosts: HashMap<String, Vec<usize>>,
    /// Sidecar index: wildcard VirtualService hosts that apply to `mesh`.
    mesh_wildcards: Vec<(String, usize)>,
    /// Names a client may use for a Service (FQDN, `name.ns`, `name.ns.svc`) → FQDNs.
    domains: HashMap<String, Vec<String>>,
}

/// The route tables of one Istio Gateway's workload, seen from that Gateway.
#[derive(Debug, Default)]
pub(crate) struct GatewayTables {
    pub(crate) namespace: String,
    pub(crate) name: String,
    /// Plain-text HTTP: one table per port, shared by every server on it.
    pub(crate) http: Vec<(u16, Table)>,
    /// TLS-terminating HTTPS servers: one table each, chosen by SNI.
    pub(crate) https: Vec<HttpsServer>,
    /// TLS passthrough: per port, SNI filter chains.
    pub(crate) tls: Vec<(u16, Vec<SniChain>)>,
    /// TCP servers: per port, the VirtualService tcp rule that serves it.
    pub(crate) tcp: Vec<(u16, Option<(usize, usize)>)>,
}

/// An HTTPS server that terminates TLS.
#[derive(Debug)]
pub(crate) struct HttpsServer {
    pub(crate) port: u16,
    pub(crate) name: String,
    /// Server host patterns (lower-case, namespace part removed).
    pub(crate) hosts: Vec<String>,
    pub(crate) table: Table,
}

/// A TLS passthrough filter chain: an SNI pattern and the tls rule it routes to.
#[derive(Debug)]
pub(crate) struct SniChain {
    pub(crate) sni: String,
    /// (VirtualService, tls rule).
    pub(crate) rule: (usize, usize),
}

/// A route table: virtual hosts looked up exact, then longest wildcard suffix, then `*`.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) vhosts: Vec<VHost>,
    exact: HashMap<String, usize>,
    /// Wildcard suffix including the dot (`*.example.com` → `.example.com`).
    wildcard: HashMap<String, usize>,
    any: Option<usize>,
}

/// A virtual host: one domain and its ordered routes.
#[derive(Debug)]
pub(crate) struct VHost {
    pub(crate) domain: String,
    /// `tls.httpsRedirect` on a server contributing to it: plain-text requests get 301.
    pub(crate) require_tls: bool,
    /// Routes in first-match order.
    pub(crate) routes: Vec<Built>,
    /// Positions in `routes` by path condition, so a lookup checks only routes whose
    /// path can match; the first-match order is kept by taking the smallest position.
    pub(crate) index: PathIndex,
}

/// Route positions of a virtual host, by path condition.
#[derive(Debug, Default)]
pub(crate) struct PathIndex {
    /// `uri.exact` → positions (ascending).
    exact: HashMap<Box<str>, Vec<u32>>,
    /// `uri.exact` with `ignoreUriCase`, lower-cased.
    exact_ci: HashMap<Box<str>, Vec<u32>>,
    /// `uri.prefix` (plain string prefix) → positions.
    prefix: HashMap<Box<str>, Vec<u32>>,
    /// `uri.prefix` with `ignoreUriCase`, lower-cased.
    prefix_ci: HashMap<Box<str>, Vec<u32>>,
    /// Distinct prefix lengths in bytes, to probe only those.
    prefix_lens: Vec<usize>,
    prefix_ci_lens: Vec<usize>,
    /// Routes without a path condition or with a regex: always candidates.
    always: Vec<u32>,
}

impl PathIndex {
    fn build(routes: &[Built], vss: &[Vs]) -> Self {
        let mut index = PathIndex::default();
        for (i, r) in routes.iter().enumerate() {
            let pos = u32::try_from(i).unwrap_or(u32::MAX);
            let uri = r
                .block
                .and_then(|b| vss[r.vs].http[r.rule].blocks[b].uri.as_ref());
            match uri {
                Some(Uri::Exact {
                    value,
                    ignore_case: false,
                }) => index
                    .exact
                    .entry(value.as_str().into())
                    .or_default()
                    .push(pos),
                Some(Uri::Exact {
                    value,
                    ignore_case: true,
                }) => index
                    .exact_ci
                    .entry(value.to_ascii_lowercase().into())
                    .or_default()
                    .push(pos),
                Some(Uri::Prefix {
                    value,
                    ignore_case: false,
                }) => index
                    .prefix
                    .entry(value.as_str().into())
                    .or_default()
                    .push(pos),
                Some(Uri::Prefix {
                    value,
                    ignore_case: true,
                }) => index
                    .prefix_ci
                    .entry(value.to_ascii_lowercase().into())
                    .or_default()
                    .push(pos),
                Some(Uri::Regex(_)) | None => index.always.push(pos),
            }
        }
        index.prefix_lens = index.prefix.keys().map(|k| k.len()).collect();
        index.prefix_lens.sort_unstable();
        index.prefix_lens.dedup();
        index.prefix_ci_lens = index.prefix_ci.keys().map(|k| k.len()).collect();
        index.prefix_ci_lens.sort_unstable();
        index.prefix_ci_lens.dedup();
        index
    }

    /// Positions of the routes whose path condition may hold for `path`, ascending.
    /// Exact and prefix conditions are decided here; regexes are left to the caller.
    pub(crate) fn candidates(&self, path: &str) -> Vec<u32> {
        let mut out: Vec<u32> = self.always.clone();
        if let Some(v) = self.exact.get(path) {
            out.extend_from_slice(v);
        }
        let probe =
            |map: &HashMap<Box<str>, Vec<u32>>, lens: &[usize], text: &str, out: &mut Vec<u32>| {
                for &len in lens {
                    if len > text.len() {
                        break;
                    }
                    if let Some(v) = text.get(..len).and_then(|p| map.get(p)) {
                        out.extend_from_slice(v);
                    }
                }
            };
        probe(&self.prefix, &self.prefix_lens, path, &mut out);
        if !self.exact_ci.is_empty() || !self.prefix_ci.is_empty() {
            let lower = path.to_ascii_lowercase();
            if let Some(v) = self.exact_ci.get(lower.as_str()) {
                out.extend_from_slice(v);
            }
            probe(&self.prefix_ci, &self.prefix_ci_lens, &lower, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A route of a table: one match block of one rule of one VirtualService.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Built {
    pub(crate) vs: usize,
    pub(crate) rule: usize,
    /// `None`: the rule has no `match`.
    pub(crate) block: Option<usize>,
    pub(crate) catch_all: bool,
}

/// The proxy a route list is built for (the build-time filters of §3).
pub(crate) struct Proxy<'a> {
    /// `ns/name` of the Gateway whose server is being built, `None` for sidecars (`mesh`).
    pub(crate) gateway: Option<&'a str>,
    pub(crate) port: u16,
    pub(crate) labels: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) namespace: &'a str,
}

impl Table {
    fn vhost_mut(&mut self, domain: &str) -> &mut VHost {
        let i = match self.lookup_key(domain) {
            Some(i) => i,
            None => {
                self.vhosts.push(VHost {
                    domain: domain.to_owned(),
                    require_tls: false,
                    routes: Vec::new(),
                    index: PathIndex::default(),
                });
                let i = self.vhosts.len() - 1;
                if domain == "*" {
                    self.any = Some(i);
                } else if let Some(suffix) = domain.strip_prefix('*') {
                    self.wildcard.insert(suffix.to_owned(), i);
                } else {
                    self.exact.insert(domain.to_owned(), i);
                }
                i
            }
        };
        &mut self.vhosts[i]
    }

    fn lookup_key(&self, domain: &str) -> Option<usize> {
        if domain == "*" {
            self.any
        } else if let Some(suffix) = domain.strip_prefix('*') {
            self.wildcard.get(suffix).copied()
        } else {
            self.exact.get(domain).copied()
        }
    }

    /// Envoy virtual host selection (§2.2): the exact domain, else the longest
    /// matching `*.suffix`, else `*`. Never a fall-back after that choice.
    pub(crate) fn select(&self, host: &str) -> Option<&VHost> {
        if let Some(&i) = self.exact.get(host) {
            return Some(&self.vhosts[i]);
        }
        // Suffixes from the longest: at every dot after the first label.
        for (i, c) in host.char_indices() {
            if c == '.' && i > 0 {
                if let Some(&v) = self.wildcard.get(&host[i..]) {
                    return Some(&self.vhosts[v]);
                }
            }
        }
        self.any.map(|i| &self.vhosts[i])
    }

    /// `SortVHostRoutes` (route.go): catch-all routes move to the end, stably; then
    /// the path index of each virtual host.
    fn finish(&mut self, vss: &[Vs]) {
        for v in &mut self.vhosts {
            v.routes.sort_by_key(|r| r.catch_all);
            v.index = PathIndex::build(&v.routes, vss);
        }
    }
}

/// Whether a match block applies to a proxy (`TranslateRoute`, `sourceMatchHTTP`):
/// `port` must equal the listener port; `gateways`, when set, must name this
/// gateway (then source selectors are not checked); otherwise `sourceLabels` must be
/// a subset of the proxy's labels and `sourceNamespace` its namespace.
pub(crate) fn block_applies(
    port: Option<u32>,
    gateways: &[String],
    source_labels: &BTreeMap<String, String>,
    source_namespace: Option<&str>,
    proxy: &Proxy<'_>,
) -> bool {
    if port.is_some_and(|p| p != u32::from(proxy.port)) {
        return false;
    }
    if !gateways.is_empty() {
        return gateways
            .iter()
            .any(|g| g.as_str() == proxy.gateway.unwrap_or("mesh"));
    }
    source_labels
        .iter()
        .all(|(k, v)| (proxy.labels)(k).as_deref() == Some(v.as_str()))
        && source_namespace.is_none_or(|ns| ns == proxy.namespace)
}

/// The routes one VirtualService contributes to a proxy (`BuildHTTPRoutesForVirtualService`):
/// rules in order, one route per applicable match block; a rule without `match` or a
/// catch-all block ends the list (§3 "catch-all truncation").
pub(crate) fn build_routes(vs_index: usize, vs: &Vs, proxy: &Proxy<'_>) -> Vec<Built> {
    let mut out = Vec::new();
    for (ri, rule) in vs.http.iter().enumerate() {
        if rule.blocks.is_empty() {
            out.push(Built {
                vs: vs_index,
                rule: ri,
                block: None,
                catch_all: true,
            });
            break;
        }
        let mut catch_all = false;
        for (bi, b) in rule.blocks.iter().enumerate() {
            if !applies(b, proxy) {
                continue;
            }
            let all = b.is_catch_all();
            out.push(Built {
                vs: vs_index,
                rule: ri,
                block: Some(bi),
                catch_all: all,
            });
            if all {
                catch_all = true;
                break;
            }
        }
        if catch_all {
            break;
        }
    }
    out
}

fn applies(b: &Block, proxy: &Proxy<'_>) -> bool {
    block_applies(
        b.port,
        &b.gateways,
        &b.source_labels,
        b.source_namespace.as_deref(),
        proxy,
    )
}

impl IstioWorld {
    /// Reads the Istio objects of `resources`; problems become diagnostics.
    pub(crate) fn build(
        resources: &Resources,
        regex_size_limit: usize,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Self {
        let mut world = IstioWorld::default();
        let mut raw_vs: Vec<&VirtualService> = Vec::new();
        let mut gateways: Vec<&IstioGateway> = Vec::new();
        for object in resources.objects() {
            match object {
                Object::VirtualService(vs) => raw_vs.push(vs),
                Object::IstioGateway(g) => gateways.push(g),
                Object::DestinationRule(dr) => {
                    let ns = dr.metadata.namespace.as_deref().unwrap_or("default");
                    let host = super::names::resolve_short_name(&dr.spec.host, ns);
                    let export = dr.spec.export_to.clone().unwrap_or_default();
                    for s in &dr.spec.subsets {
                        world
                            .subsets
                            .entry((host.clone(), s.name.clone()))
                            .or_default()
                            .push((ns.to_owned(), export.clone()));
                    }
                }
                Object::Service(s) => {
                    let ns = s.metadata.namespace.as_deref().unwrap_or("default");
                    let fqdn = format!("{}.{ns}.svc.{DOMAIN_SUFFIX}", s.metadata.name);
                    world.services.insert(
                        fqdn,
                        (
                            ns.to_owned(),
                            s.metadata.name.clone(),
                            s.spec.ports.iter().map(|p| p.port).collect(),
                        ),
                    );
                }
                Object::ServiceEntry(se) => {
                    // ServiceEntry hosts are registry services: their clusters exist and
                    // sidecars have a virtual host for them (exact names only here).
                    let ns = se.metadata.namespace.as_deref().unwrap_or("default");
                    let ports: Vec<u16> = se
                        .spec
                        .ports
                        .iter()
                        .filter_map(|p| u16::try_from(p.number).ok())
                        .collect();
                    for h in se.spec.hosts.iter().filter(|h| !h.starts_with('*')) {
                        let host = h.to_ascii_lowercase();
                        world
                            .services
                            .entry(host.clone())
                            .or_insert_with(|| (ns.to_owned(), host, ports.clone()));
                    }
                }
                _ => {}
            }
        }
        world.vss = lower_all(&raw_vs, regex_size_limit, diagnostics);
        world.index_mesh();
        if world.vss.is_empty() && gateways.is_empty() {
            return world;
        }
        for g in &gateways {
            let tables = world.gateway_tables(g, &gateways);
            world.gateways.push(tables);
        }
        world.lint(&gateways, diagnostics);
        world
    }

    /// VirtualService indexes visible to a proxy in `namespace`, in the proxy's order
    /// (§2.4, `VirtualServicesForGateway`): private to the namespace, then exported to it
    /// by name, then public; each group in base order.
    pub(crate) fn proxy_order(&self, namespace: &str) -> Vec<usize> {
        let mut ranked: Vec<(u8, usize)> = (0..self.vss.len())
            .filter_map(|i| self.rank(i, namespace))
            .collect();
        ranked.sort_unstable();
        ranked.into_iter().map(|(_, i)| i).collect()
    }

    fn gateway_tables(&self, gw: &IstioGateway, all: &[&IstioGateway]) -> GatewayTables {
        let namespace = gw.metadata.namespace.as_deref().unwrap_or("default");
        let labels = |k: &str| gw.spec.selector.get(k).cloned();
        // §2.1: every Gateway with the same selector runs on the same workload.
        // Their servers merge in creation order (upstream `initGateways` sorts Gateways with
        // `configCompareByCreationTime`: timestamp, then name, then namespace).
        let mut same: Vec<&IstioGateway> = all
            .iter()
            .copied()
            .filter(|g| g.spec.selector == gw.spec.selector)
            .collect();
        same.sort_by_cached_key(|g| {
            (
                g.metadata
                    .creation_timestamp
                    .as_deref()
                    .and_then(crate::attach::parse_timestamp)
                    .unwrap_or((0, 0)),
                g.metadata.name.clone(),
                g.metadata.namespace.clone().unwrap_or_default(),
            )
        });
        let workload: Vec<(String, &IstioGateway)> =
            same.iter().map(|g| (gateway_key(g), *g)).collect();
        let order = self.proxy_order(namespace);
        let mut out = GatewayTables {
            namespace: namespace.to_owned(),
            name: gw.metadata.name.clone(),
            ..GatewayTables::default()
        };
        for (gw_name, g) in &workload {
            let gw_ns = g.metadata.namespace.as_deref().unwrap_or("default");
            for server in &g.spec.servers {
                let Ok(port) = u16::try_from(server.port.number) else {
                    continue;
                };
                let protocol = server.port.protocol.to_ascii_uppercase();
                let mode = server
                    .tls
                    .as_ref()
                    .and_then(|t| t.mode.as_deref())
                    .unwrap_or("")
                    .to_ascii_uppercase();
                let passthrough = matches!(mode.as_str(), "PASSTHROUGH" | "AUTO_PASSTHROUGH");
                let hosts: Vec<(Option<String>, String)> =
                    server.hosts.iter().map(|h| server_host(h, gw_ns)).collect();
                let proxy = Proxy {
                    gateway: Some(gw_name),
                    port,
                    labels: &labels,
                    namespace,
                };
                let https_redirect = server.tls.as_ref().is_some_and(|t| t.https_redirect);
                match protocol.as_str() {
                    "HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB" | "HTTP_PROXY" => {
                        let i = match out.http.iter().position(|(p, _)| *p == port) {
                            Some(i) => i,
                            None => {
                                out.http.push((port, Table::default()));
                                out.http.len() - 1
                            }
                        };
                        let table = &mut out.http[i].1;
                        self.add_server(table, gw_name, &hosts, &order, &proxy, https_redirect);
                    }
                    "HTTPS" if !passthrough => {
                        let mut table = Table::default();
                        self.add_server(&mut table, gw_name, &hosts, &order, &proxy, false);
                        table.finish(&self.vss);
                        out.https.push(HttpsServer {
                            port,
                            name: server.port.name.clone(),
                            hosts: hosts.iter().map(|(_, h)| h.clone()).collect(),
                            table,
                        });
                    }
                    "HTTPS" | "TLS" if passthrough => {
                        let chains = self.sni_chains(gw_name, &hosts, &order, &proxy);
                        match out.tls.iter_mut().find(|(p, _)| *p == port) {
                            Some((_, c)) => c.extend(chains),
                            None => out.tls.push((port, chains)),
                        }
                    }
                    _ => {
                        let rule = self.tcp_rule(gw_name, &hosts, &order, &proxy);
                        if !out.tcp.iter().any(|(p, _)| *p == port) {
                            out.tcp.push((port, rule));
                        }
                    }
                }
            }
        }
        for (_, t) in &mut out.http {
            t.finish(&self.vss);
        }
        out
    }

    /// The VirtualServices bound to a server, in order, each with the host keys it
    /// contributes (§2.1, §2.2: server hosts filtered by the VS namespace ∩ VS hosts).
    fn bound<'s>(
        &'s self,
        gw_name: &'s str,
        hosts: &'s [(Option<String>, String)],
        order: &'s [usize],
    ) -> impl Iterator<Item = (usize, Vec<String>)> + 's {
        order.iter().filter_map(move |&i| {
            let vs = &self.vss[i];
            if !vs.gateways.iter().any(|g| g == gw_name) {
                return None;
            }
            let mut keys: Vec<String> = Vec::new();
            for (ns, server_host) in hosts {
                if ns.as_deref().is_some_and(|ns| ns != vs.namespace) {
                    continue;
                }
                for h in &vs.hosts {
                    if let Some(k) = intersect(server_host, h) {
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                    }
                }
            }
            (!keys.is_empty()).then_some((i, keys))
        })
    }

    fn add_server(
        &self,
        table: &mut Table,
        gw_name: &str,
        hosts: &[(Option<String>, String)],
        order: &[usize],
        proxy: &Proxy<'_>,
        https_redirect: bool,
    ) {
        for (i, keys) in self.bound(gw_name, hosts, order) {
            let routes = build_routes(i, &self.vss[i], proxy);
            if routes.is_empty() {
                continue;
            }
            for k in keys {
                let v = table.vhost_mut(&k);
                v.routes.extend(routes.iter().copied());
                v.require_tls |= https_redirect;
            }
        }
        if https_redirect {
            // A redirecting server's own hosts get a virtual host even without a VirtualService.
            for (_, h) in hosts {
                table.vhost_mut(h).require_tls = true;
            }
        }
    }

    /// §7: every applicable tls match block becomes a chain per SNI host; the first
    /// (VS order) of duplicate SNI hosts wins.
    fn sni_chains(
        &self,
        gw_name: &str,
        hosts: &[(Option<String>, String)],
        order: &[usize],
        proxy: &Proxy<'_>,
    ) -> Vec<SniChain> {
        let mut chains: Vec<SniChain> = Vec::new();
        for (i, _) in self.bound(gw_name, hosts, order) {
            for (ri, rule) in self.vss[i].tls.iter().enumerate() {
                for b in &rule.blocks {
                    if !block_applies(
                        b.port,
                        &b.gateways,
                        &b.source_labels,
                        b.source_namespace.as_deref(),
                        proxy,
                    ) {
                        continue;
                    }
                    for sni in &b.sni_hosts {
                        if !chains.iter().any(|c| &c.sni == sni) {
                            chains.push(SniChain {
                                sni: sni.clone(),
                                rule: (i, ri),
                            });
                        }
                    }
                }
            }
        }
        chains
    }

    /// §7: the first VirtualService bound to the server whose first applicable tcp rule
    /// passes `port`/`gateways` serves the whole server.
    fn tcp_rule(
        &self,
        gw_name: &str,
        hosts: &[(Option<String>, String)],
        order: &[usize],
        proxy: &Proxy<'_>,
    ) -> Option<(usize, usize)> {
        for (i, _) in self.bound(gw_name, hosts, order) {
            for (ri, rule) in self.vss[i].tcp.iter().enumerate() {
                let ok = rule.blocks.is_empty()
                    || rule.blocks.iter().any(|b| {
                        block_applies(
                            b.port,
                            &b.gateways,
                            &b.source_labels,
                            b.source_namespace.as_deref(),
                            proxy,
                        )
                    });
                if ok {
                    return Some((i, ri));
                }
            }
        }
        None
    }

    /// The rank of VirtualService `i` in the order of a proxy in `namespace` (§2.4,
    /// `VirtualServicesForGateway`): (group, base position), or `None` when it is not
    /// visible there. Groups: private to the namespace, exported to it by name, public.
    ///
    /// Upstream `initVirtualServices` files a VirtualService under every group one of its
    /// `exportTo` entries names (`.` or its own namespace: private there; another
    /// namespace: exported to it; `*` or none: public); a proxy sees the groups in that
    /// order, so the best group an entry gives decides.
    fn rank(&self, i: usize, namespace: &str) -> Option<Rank> {
        let vs = &self.vss[i];
        if vs.export_to.is_empty() {
            return Some((2, i));
        }
        vs.export_to
            .iter()
            .filter_map(|e| match e.as_str() {
                "*" => Some(2),
                "." if vs.namespace == namespace => Some(0),
                ns if ns == vs.namespace && ns == namespace => Some(0),
                ns if ns == namespace => Some(1),
                _ => None,
            })
            .min()
            .map(|group| (group, i))
    }

    /// §2.3: the VirtualServices a sidecar in `namespace` may use for `target`, best first:
    /// those with that exact host in the proxy's order, then those with a wildcard covering
    /// it, most specific first. The caller takes the first that contributes routes for the
    /// port (a VirtualService whose rules all drop "contributes nothing there", §3).
    /// For a non-registry `target` (`registry == false`), a wildcard host that covers a
    /// Service exposing `port` is a registry host, not a literal domain (upstream
    /// `separateVSHostsAndServices`), so it does not apply.
    pub(crate) fn mesh_candidates(
        &self,
        namespace: &str,
        target: &str,
        port: u16,
        registry: bool,
    ) -> Vec<usize> {
        let mut exact: Vec<(u8, usize)> = self
            .mesh_hosts
            .get(target)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.rank(i, namespace))
            .collect();
        exact.sort_unstable();
        // (most specific pattern first, then the proxy's order)
        let mut wild: Vec<(std::cmp::Reverse<(u8, usize)>, Rank)> = self
            .mesh_wildcards
            .iter()
            .filter(|(pattern, _)| host_matches(pattern, target))
            .filter(|(pattern, _)| registry || !self.covers_registry(pattern, port))
            .filter_map(|(pattern, i)| {
                let rank = self.rank(*i, namespace)?;
                Some((std::cmp::Reverse(specificity(pattern)), rank))
            })
            .collect();
        wild.sort_unstable();
        let mut out: Vec<usize> = exact.into_iter().map(|(_, i)| i).collect();
        for (_, (_, i)) in wild {
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
    }

    /// Whether a wildcard VirtualService host covers a registry Service exposing `port`.
    fn covers_registry(&self, pattern: &str, port: u16) -> bool {
        self.services
            .iter()
            .any(|(fqdn, (_, _, ports))| ports.contains(&port) && host_matches(pattern, fqdn))
    }

    /// The first of [`IstioWorld::mesh_candidates`] (for TLS/TCP, where rules are not
    /// filtered per port the same way).
    pub(crate) fn mesh_vs(&self, namespace: &str, target: &str) -> Option<usize> {
        // Exact hosts through the index; the first in the proxy's order wins.
        if let Some(found) = self
            .mesh_hosts
            .get(target)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.rank(i, namespace))
            .min()
        {
            return Some(found.1);
        }
        // Wildcards: the most specific pattern, then the proxy's order.
        self.mesh_wildcards
            .iter()
            .filter(|(pattern, _)| host_matches(pattern, target))
            .filter_map(|(pattern, i)| {
                let rank = self.rank(*i, namespace)?;
                Some((std::cmp::Reverse(specificity(pattern)), rank))
            })
            .min()
            .map(|(_, (_, i))| i)
    }

    /// §2.3 `generateVirtualHostDomains`: the Service a sidecar in `client_ns` reaches
    /// with Host `host` on `port`: FQDN, `name.ns`, `name.ns.svc`, and bare `name` only
    /// from the Service's own namespace. Only Services exposing `port` are in that table.
    pub(crate) fn mesh_service(&self, client_ns: &str, host: &str, port: u16) -> Option<&str> {
        let has_port = |fqdn: &str| {
            self.services
                .get(fqdn)
                .is_some_and(|(_, _, ports)| ports.contains(&port))
        };
        if let Some(fqdn) = self
            .domains
            .get(host)
            .into_iter()
            .flatten()
            .find(|f| has_port(f))
        {
            return Some(fqdn.as_str());
        }
        // A bare name: `name.<client namespace>.svc.cluster.local`.
        let fqdn = format!("{host}.{client_ns}.svc.{DOMAIN_SUFFIX}");
        (!host.contains('.') && has_port(&fqdn))
            .then(|| {
                self.services
                    .get_key_value(fqdn.as_str())
                    .map(|(k, _)| k.as_str())
            })
            .flatten()
    }

    /// Builds the sidecar lookup indexes (`mesh_hosts`, `mesh_wildcards`, `domains`).
    fn index_mesh(&mut self) {
        for (i, vs) in self.vss.iter().enumerate() {
            if !vs.gateways.iter().any(|g| g == "mesh") {
                continue;
            }
            for h in &vs.hosts {
                if h.starts_with('*') {
                    self.mesh_wildcards.push((h.clone(), i));
                } else {
                    self.mesh_hosts.entry(h.clone()).or_default().push(i);
                }
            }
        }
        for (fqdn, (ns, name, _)) in &self.services {
            let mut names = vec![fqdn.clone()];
            if fqdn.ends_with(&format!(".{ns}.svc.{DOMAIN_SUFFIX}")) {
                names.push(format!("{name}.{ns}"));
                names.push(format!("{name}.{ns}.svc"));
            }
            for d in names {
                self.domains.entry(d).or_default().push(fqdn.clone());
            }
        }
    }

    fn lint(&self, gateways: &[&IstioGateway], diagnostics: &mut Vec<Diagnostic>) {
        let gateway_names: Vec<(String, &IstioGateway)> =
            gateways.iter().map(|g| (gateway_key(g), *g)).collect();
        for vs in &self.vss {
            let obj = ObjectRef::new(ISTIO_GROUP, "VirtualService", Some(&vs.namespace), &vs.name);
            // A catch-all rule hides every later rule of the VirtualService (§3).
            let mut hidden_after: Option<(usize, String)> = None;
            for (ri, rule) in vs.http.iter().enumerate() {
                if let Some((at, what)) = &hidden_after {
                    diagnostics.push(Diagnostic::new(
                        Code::CatchAllTruncation,
                        Severity::Warning,
                        &obj,
                        format!("spec.http[{ri}]"),
                        format!(
                            "rule {} is never used: rule {at} ({what}) matches every request before it (Istio drops the rules after a catch-all)",
                            rule_label(rule, ri)
                        ),
                    ));
                    continue;
                }
                if rule.blocks.is_empty() {
                    hidden_after = Some((ri, "no match".into()));
                } else if let Some(bi) = rule
                    .blocks
                    .iter()
                    .position(|b| b.is_catch_all() && b.port.is_none() && no_source(b))
                {
                    hidden_after = Some((ri, format!("match[{bi}] is a catch-all")));
                }
            }
            // Subsets no DestinationRule defines answer 503.
            for (ri, rule) in vs.http.iter().enumerate() {
                if let super::lower::ActionKind::Route(dests) = &rule.action.kind {
                    for (di, d) in dests.iter().enumerate() {
                        if let Some(subset) = &d.dest.subset {
                            if !self
                                .subsets
                                .contains_key(&(d.dest.host.clone(), subset.clone()))
                            {
                                diagnostics.push(Diagnostic::new(
                                    Code::UnknownSubset,
                                    Severity::Warning,
                                    &obj,
                                    format!("spec.http[{ri}].route[{di}].destination.subset"),
                                    format!(
                                        "no DestinationRule defines subset {subset} of {}; requests routed here get 503",
                                        d.dest.host
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
            // Gateways that do not exist or do not admit any of the VS hosts.
            for (gi, g) in vs.gateways.iter().enumerate() {
                if g == "mesh" {
                    continue;
                }
                let Some((_, gw)) = gateway_names.iter().find(|(n, _)| n == g) else {
                    diagnostics.push(Diagnostic::new(
                        Code::UnboundVirtualService,
                        Severity::Warning,
                        &obj,
                        format!("spec.gateways[{gi}]"),
                        format!("Gateway {g} does not exist (a short name means a Gateway in the VirtualService's namespace)"),
                    ));
                    continue;
                };
                let gw_ns = gw.metadata.namespace.as_deref().unwrap_or("default");
                let admitted = gw.spec.servers.iter().any(|s| {
                    s.hosts.iter().any(|h| {
                        let (ns, host) = server_host(h, gw_ns);
                        ns.is_none_or(|ns| ns == vs.namespace)
                            && vs.hosts.iter().any(|vh| intersect(&host, vh).is_some())
                    })
                });
                if !admitted {
                    diagnostics.push(Diagnostic::new(
                        Code::UnboundVirtualService,
                        Severity::Warning,
                        &obj,
                        format!("spec.gateways[{gi}]"),
                        format!(
                            "Gateway {g} admits none of the hosts {:?} from namespace {}",
                            vs.hosts, vs.namespace
                        ),
                    ));
                }
            }
        }
    }
}

fn no_source(b: &Block) -> bool {
    b.gateways.is_empty() && b.source_labels.is_empty() && b.source_namespace.is_none()
}

/// `namespace/name` of an Istio Gateway, as VirtualService `gateways` name it.
fn gateway_key(g: &IstioGateway) -> String {
    format!(
        "{}/{}",
        g.metadata.namespace.as_deref().unwrap_or("default"),
        g.metadata.name
    )
}

/// `name` or `http[i]`, for messages.
pub(crate) fn rule_label(rule: &Rule, index: usize) -> String {
    rule.name
        .clone()
        .unwrap_or_else(|| format!("http[{index}]"))
}

/// Validates every VirtualService, merges delegates into their roots (§6), and sorts
/// them by creationTimestamp, then name, then namespace (§2.4).
fn lower_all(
    raw: &[&VirtualService],
    regex_size_limit: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Vs> {
    let ns_of = |vs: &VirtualService| vs.metadata.namespace.clone().unwrap_or("default".into());
    let mut out = Vec::new();
    for vs in raw {
        let namespace = ns_of(vs);
        let obj = ObjectRef::new(
            ISTIO_GROUP,
            "VirtualService",
            Some(&namespace),
            &vs.metadata.name,
        );
        if vs.spec.hosts.is_empty() {
            continue; // a delegate: used only through its root
        }
        let mut rules = Vec::new();
        let mut dropped = false;
        for (i, rule) in vs.spec.http.iter().enumerate() {
            let resolved = resolve_rule(rule, &namespace);
            let Some(d) = &rule.delegate else {
                rules.push(resolved);
                continue;
            };
            let d_ns = d.namespace.clone().unwrap_or_else(|| namespace.clone());
            let delegate = raw
                .iter()
                .find(|c| c.metadata.name == d.name && ns_of(c) == d_ns && c.spec.hosts.is_empty());
            let Some(delegate) = delegate else {
                diagnostics.push(Diagnostic::new(
                    Code::DelegateNotFound,
                    Severity::Error,
                    &obj,
                    format!("spec.http[{i}].delegate"),
                    format!("delegate VirtualService {d_ns}/{} does not exist (or has hosts); the rule is dropped", d.name),
                ));
                dropped = true;
                continue;
            };
            let export = delegate.spec.export_to.clone().unwrap_or_default();
            if !visible_to(&export, &d_ns, &namespace) {
                diagnostics.push(Diagnostic::new(
                    Code::DelegateNotFound,
                    Severity::Error,
                    &obj,
                    format!("spec.http[{i}].delegate"),
                    format!("delegate VirtualService {d_ns}/{} is not exported to {namespace}; the rule is dropped", d.name),
                ));
                dropped = true;
                continue;
            }
            let leaf: Vec<_> = delegate
                .spec
                .http
                .iter()
                .filter(|r| r.delegate.is_none()) // one level only
                .map(|r| resolve_rule(r, &d_ns))
                .collect();
            rules.extend(merge_delegate(&resolved, &leaf));
        }
        let _ = dropped;
        let created = vs
            .metadata
            .creation_timestamp
            .as_deref()
            .and_then(crate::attach::parse_timestamp);
        match lower_vs(vs, &rules, created, regex_size_limit) {
            Ok(v) => out.push(v),
            Err(e) => diagnostics.push(Diagnostic::new(
                Code::InvalidVirtualService,
                Severity::Error,
                &obj,
                e.field,
                format!("{}; the VirtualService is ignored", e.message),
            )),
        }
    }
    // configCompareByCreationTime: timestamp, then name, then namespace.
    out.sort_by(|a, b| {
        let t = |v: &Vs| -> Timestamp { v.created.unwrap_or((0, 0)) };
        t(a).cmp(&t(b))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.namespace.cmp(&b.namespace))
    });
    out
}
