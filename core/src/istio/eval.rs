//! Deciding one request or connection with Istio semantics: entry (server by port
//! and SNI), virtual host, first-match over the ordered routes (§4), and the
//! action (§5): destinations and the port rule (§1.4), redirects, direct
//! responses, rewrites, header operations and mirrors.

use std::collections::BTreeMap;

use super::lower::{ActionKind, Block, Cond, Dest, HttpAction, Ops, Str, Target, Uri};
use super::names::{host_matches, specificity};
use super::table::{build_routes, Built, IstioWorld, Proxy, Table};
use super::Workload;
use crate::ir::HeaderOps;
use crate::route::{
    Action, BackendName, Connect, Considered, Decision, Forward, MirrorTo, Provenance, RedirectTo,
    Request, Respond, Upstream, Weighted,
};

/// Where the decision is made.
struct Site<'a> {
    /// `ns/name` of the Istio Gateway, or `mesh`.
    gateway: String,
    /// Server / listener description.
    listener: String,
    /// Listener port (for `derivePort` and the port rule).
    port: u16,
    /// Whether this is a gateway (the single-port Service rule of §1.4 applies).
    at_gateway: bool,
    /// Namespace of the proxy (the gateway's or the client's): DestinationRule visibility.
    namespace: String,
    _p: std::marker::PhantomData<&'a ()>,
}

impl IstioWorld {
    /// Whether `namespace/name` is an Istio Gateway this world serves.
    pub(crate) fn has_gateway(&self, namespace: &str, name: &str) -> bool {
        self.gateways
            .iter()
            .any(|g| g.namespace == namespace && g.name == name)
    }

    /// Routes an HTTP request entering the Istio Gateway `namespace/name`.
    pub(crate) fn route_gateway(
        &self,
        namespace: &str,
        name: &str,
        request: &Request<'_>,
        entropy: u64,
    ) -> Decision {
        let Some(gw) = self
            .gateways
            .iter()
            .find(|g| g.namespace == namespace && g.name == name)
        else {
            return reject(format!("Istio Gateway {namespace}/{name} does not exist"));
        };
        let tls = request.scheme.eq_ignore_ascii_case("https");
        let port = request.port.unwrap_or(if tls { 443 } else { 80 });
        let host = normalize_host(request.host());
        let site = |listener: String| Site {
            gateway: format!("{namespace}/{name}"),
            listener,
            port,
            at_gateway: true,
            namespace: namespace.to_owned(),
            _p: std::marker::PhantomData,
        };
        if tls {
            // The TLS filter chain is chosen by SNI among the port's HTTPS servers (§2.1).
            let sni = request.sni.map_or_else(|| host.clone(), normalize_host);
            let best = gw
                .https
                .iter()
                .filter(|s| s.port == port)
                .filter_map(|s| {
                    s.hosts
                        .iter()
                        .filter(|h| host_matches(h, &sni))
                        .map(|h| specificity(h))
                        .max()
                        .map(|spec| (spec, s))
                })
                .max_by_key(|(spec, _)| *spec);
            let Some((_, server)) = best else {
                return reject(format!(
                    "no HTTPS server on port {port} of {namespace}/{name} accepts SNI {sni}"
                ));
            };
            let site = site(format!("https server {} (port {port})", server.name));
            return self.route_table(&server.table, &site, &host, request, entropy);
        }
        let Some((_, table)) = gw.http.iter().find(|(p, _)| *p == port) else {
            return reject(format!(
                "no plain-text HTTP server on port {port} of {namespace}/{name}"
            ));
        };
        let site = site(format!("http.{port}"));
        self.route_table(table, &site, &host, request, entropy)
    }

    fn route_table(
        &self,
        table: &Table,
        site: &Site<'_>,
        host: &str,
        request: &Request<'_>,
        entropy: u64,
    ) -> Decision {
        let Some(vhost) = table.select(host) else {
            return respond(404, format!("no virtual host for {host}"), site, None);
        };
        if vhost.require_tls && !request.scheme.eq_ignore_ascii_case("https") {
            // require_tls: ALL → Envoy's SSL redirect: 301 to https://<Host><path+query>.
            return Decision {
                policies: None,
                action: Action::Redirect(RedirectTo {
                    status: 301,
                    location: format!(
                        "https://{}{}{}",
                        request.authority,
                        request.path,
                        request.query.map(|q| format!("?{q}")).unwrap_or_default()
                    ),
                    headers: Vec::new(),
                }),
                matched: Some(provenance(site, Some(&vhost.domain), None, self)),
            };
        }
        // First match in route order, among the routes whose path condition can hold.
        let first = vhost
            .index
            .candidates(request.path)
            .into_iter()
            .map(|pos| &vhost.routes[pos as usize])
            .find(|r| self.matches(r, request));
        match first {
            Some(r) => self.decide(r, site, Some(&vhost.domain), request, entropy),
            None => respond(
                404,
                format!("no route of virtual host {} matches", vhost.domain),
                site,
                Some(&vhost.domain),
            ),
        }
    }

    /// Routes a request from a sidecar: the calling workload, the Host and the port called (§2.3).
    pub(crate) fn route_mesh(
        &self,
        workload: &Workload<'_>,
        request: &Request<'_>,
        entropy: u64,
    ) -> Decision {
        let port = request.port.unwrap_or(80);
        let host = normalize_host(request.host());
        let site = Site {
            gateway: "mesh".into(),
            listener: format!("outbound port {port} from {}", workload.namespace),
            port,
            at_gateway: false,
            namespace: workload.namespace.to_owned(),
            _p: std::marker::PhantomData,
        };
        let service = self.mesh_service(workload.namespace, &host, port);
        // Non-registry VirtualService hosts get a virtual host only on port 80.
        let target = match service {
            Some(fqdn) => fqdn.to_owned(),
            None if port == 80 => host.clone(),
            None => {
                return respond(
                    404,
                    format!("no Service answers {host}:{port}"),
                    &site,
                    None,
                )
            }
        };
        let labels = |k: &str| workload.label(k);
        let proxy = Proxy {
            gateway: None,
            port,
            labels: &labels,
            namespace: workload.namespace,
        };
        // One VirtualService per host (§2.3): the first candidate that contributes routes
        // for this proxy and port (one whose rules all drop contributes nothing, §3).
        let chosen = self
            .mesh_candidates(workload.namespace, &target, port, service.is_some())
            .into_iter()
            .map(|vs| (vs, build_routes(vs, &self.vss[vs], &proxy)))
            .find(|(_, routes)| !routes.is_empty());
        if let Some((vs, routes)) = chosen {
            {
                return match routes.iter().find(|r| self.matches(r, request)) {
                    Some(r) => self.decide(r, &site, Some(&target), request, entropy),
                    None => respond(
                        404,
                        format!(
                            "no rule of VirtualService {}/{} matches",
                            self.vss[vs].namespace, self.vss[vs].name
                        ),
                        &site,
                        Some(&target),
                    ),
                };
            }
        }
        match service {
            // Services without a VirtualService (or whose rules all dropped) get the default route.
            Some(fqdn) => {
                let dest = Dest {
                    host: fqdn.to_owned(),
                    subset: None,
                    port: None,
                };
                let action = HttpAction::default();
                self.forward(
                    &[(&dest, 0, &Ops::default(), &Ops::default())],
                    &action,
                    None,
                    &site,
                    None,
                    request,
                    entropy,
                    None,
                )
            }
            None => respond(404, format!("no virtual host for {host}"), &site, None),
        }
    }

    /// Routes a TLS (SNI) or TCP connection entering an Istio Gateway (§7).
    pub(crate) fn route_connection(
        &self,
        namespace: &str,
        name: &str,
        port: u16,
        sni: Option<&str>,
        entropy: u64,
    ) -> Decision {
        let Some(gw) = self
            .gateways
            .iter()
            .find(|g| g.namespace == namespace && g.name == name)
        else {
            return reject(format!("Istio Gateway {namespace}/{name} does not exist"));
        };
        let gateway_site = |listener: String| Site {
            gateway: format!("{namespace}/{name}"),
            listener,
            port,
            at_gateway: true,
            namespace: namespace.to_owned(),
            _p: std::marker::PhantomData,
        };
        if let (Some(sni), Some((_, chains))) = (sni, gw.tls.iter().find(|(p, _)| *p == port)) {
            let sni = normalize_host(sni);
            // The most specific SNI wins (exact, then the longest wildcard) [Envoy].
            let best = chains
                .iter()
                .filter(|c| host_matches(&c.sni, &sni))
                .max_by_key(|c| specificity(&c.sni));
            let Some(chain) = best else {
                return reject(format!("no TLS route on port {port} accepts SNI {sni}"));
            };
            let (vs, rule) = chain.rule;
            let site = gateway_site(format!("tls.{port}"));
            return self.connect(
                &self.vss[vs].tls[rule].dests,
                vs,
                rule,
                &site,
                true,
                Some(&sni),
                entropy,
            );
        }
        if let Some((_, Some((vs, rule)))) = gw.tcp.iter().find(|(p, _)| *p == port) {
            let site = gateway_site(format!("tcp.{port}"));
            return self.connect(
                &self.vss[*vs].tcp[*rule].dests,
                *vs,
                *rule,
                &site,
                false,
                None,
                entropy,
            );
        }
        reject(format!(
            "no TLS or TCP route serves port {port} of {namespace}/{name}"
        ))
    }

    /// A TLS or TCP connection from a sidecar (§7, `buildSidecarOutboundTLSFilterChainOpts`,
    /// `buildSidecarOutboundTCPFilterChainOpts`): the VirtualService of the dialled host
    /// (one per host, §2.3); TLS: the most specific matching `sniHosts`; TCP: the first
    /// applicable rule. Without one, the connection goes to the Service itself.
    /// `destinationSubnets` needs the destination IP, which a connection here does not
    /// carry: blocks with subnets never match.
    pub(crate) fn route_mesh_connection(
        &self,
        workload: &Workload<'_>,
        host: &str,
        port: u16,
        sni: Option<&str>,
        entropy: u64,
    ) -> Decision {
        let host = normalize_host(host);
        let site = Site {
            gateway: "mesh".into(),
            listener: format!("outbound port {port} from {}", workload.namespace),
            port,
            at_gateway: false,
            namespace: workload.namespace.to_owned(),
            _p: std::marker::PhantomData,
        };
        let service = self.mesh_service(workload.namespace, &host, port);
        let target = service.map_or_else(|| host.clone(), str::to_owned);
        let labels = |k: &str| workload.label(k);
        let proxy = Proxy {
            gateway: None,
            port,
            labels: &labels,
            namespace: workload.namespace,
        };
        let applies = |b: &crate::resource::istio::L4Match| {
            b.destination_subnets.is_empty()
                && super::table::block_applies(
                    b.port,
                    &b.gateways,
                    &b.source_labels,
                    b.source_namespace.as_deref(),
                    &proxy,
                )
        };
        if let Some(vs) = self.mesh_vs(workload.namespace, &target) {
            let v = &self.vss[vs];
            if let Some(sni) = sni {
                let sni = normalize_host(sni);
                let best = v
                    .tls
                    .iter()
                    .enumerate()
                    .flat_map(|(ri, r)| {
                        r.blocks
                            .iter()
                            .filter(|b| applies(b))
                            .flat_map(move |b| b.sni_hosts.iter().map(move |h| (ri, h)))
                    })
                    .filter(|(_, h)| host_matches(h, &sni))
                    .max_by_key(|(ri, h)| (specificity(h), std::cmp::Reverse(*ri)));
                if let Some((ri, _)) = best {
                    return self.connect(
                        &v.tls[ri].dests,
                        vs,
                        ri,
                        &site,
                        true,
                        Some(&sni),
                        entropy,
                    );
                }
            } else if let Some(ri) = v
                .tcp
                .iter()
                .position(|r| r.blocks.is_empty() || r.blocks.iter().any(&applies))
            {
                return self.connect(&v.tcp[ri].dests, vs, ri, &site, false, None, entropy);
            }
        }
        match service {
            Some(fqdn) => Decision {
                policies: None,
                action: Action::Connect(Box::new(Connect {
                    backend: self.backend_name(
                        &Dest {
                            host: fqdn.to_owned(),
                            subset: None,
                            port: None,
                        },
                        &site,
                    ),
                    tls_passthrough: sni.is_some(),
                    sni: sni.map(str::to_owned),
                    backend_tls: None,
                })),
                matched: None,
            },
            None => reject(format!("no Service answers {host}:{port}")),
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "private helper of route_connection"
    )]
    fn connect(
        &self,
        dests: &[(Dest, u32)],
        vs: usize,
        rule: usize,
        site: &Site<'_>,
        passthrough: bool,
        sni: Option<&str>,
        entropy: u64,
    ) -> Decision {
        let live: Vec<&(Dest, u32)> = if dests.len() == 1 {
            dests.iter().collect()
        } else {
            dests.iter().filter(|(_, w)| *w > 0).collect()
        };
        let total: u64 = live.iter().map(|(_, w)| u64::from(*w)).sum();
        let chosen = if live.len() <= 1 || total == 0 {
            live.first().copied()
        } else {
            let mut point = crate::route::scale(entropy, total);
            live.iter()
                .find(|(_, w)| {
                    if point < u64::from(*w) {
                        true
                    } else {
                        point -= u64::from(*w);
                        false
                    }
                })
                .copied()
        };
        let Some((dest, _)) = chosen else {
            return reject("the route has no destination".into());
        };
        let v = &self.vss[vs];
        Decision {
            policies: None,
            action: Action::Connect(Box::new(Connect {
                backend: self.backend_name(dest, site),
                tls_passthrough: passthrough,
                sni: sni.map(str::to_owned),
                backend_tls: None,
            })),
            matched: Some(Provenance {
                gateway: site.gateway.clone(),
                listener: site.listener.clone(),
                hostname: None,
                kind: Some("VirtualService".into()),
                namespace: Some(v.namespace.clone()),
                name: Some(v.name.clone()),
                rule: Some(rule),
                rule_name: None,
                matched: None,
            }),
        }
    }

    /// Whether a route's match block holds for the request (§4).
    pub(crate) fn matches(&self, route: &Built, request: &Request<'_>) -> bool {
        let Some(b) = route.block else {
            return true;
        };
        block_matches(&self.vss[route.vs].http[route.rule].blocks[b], request)
    }

    fn decide(
        &self,
        route: &Built,
        site: &Site<'_>,
        vhost: Option<&str>,
        request: &Request<'_>,
        entropy: u64,
    ) -> Decision {
        let rule = &self.vss[route.vs].http[route.rule];
        let block = route.block.map(|b| &rule.blocks[b]);
        let action = &rule.action;
        let matched = Some(self.route_provenance(route, site, vhost));
        match &action.kind {
            ActionKind::Redirect(r) => {
                let location = redirect_location(r, block, request, site.port);
                Decision {
                    policies: None,
                    action: Action::Redirect(RedirectTo {
                        status: r.code,
                        location,
                        headers: response_list(&action.response_ops),
                    }),
                    matched,
                }
            }
            ActionKind::Direct { status, body } => Decision {
                policies: None,
                action: Action::Respond(Respond {
                    status: *status,
                    headers: response_list(&action.response_ops),
                    reason: "directResponse".into(),
                    body: body.clone(),
                    backend: None,
                }),
                matched,
            },
            ActionKind::Route(dests) => {
                let list: Vec<(&Dest, u32, &Ops, &Ops)> = dests
                    .iter()
                    .map(|d| (&d.dest, d.weight, &d.request_ops, &d.response_ops))
                    .collect();
                self.forward(&list, action, block, site, vhost, request, entropy, matched)
            }
            ActionKind::None => respond(500, "rule has no action".into(), site, vhost),
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "private; one call per decision kind"
    )]
    fn forward(
        &self,
        dests: &[(&Dest, u32, &Ops, &Ops)],
        action: &HttpAction,
        block: Option<&Block>,
        site: &Site<'_>,
        vhost: Option<&str>,
        request: &Request<'_>,
        entropy: u64,
        matched: Option<Provenance>,
    ) -> Decision {
        let matched = matched.or_else(|| Some(provenance(site, vhost, None, self)));
        let weighted = dests.len() > 1;
        let total: u64 = dests.iter().map(|d| u64::from(d.1)).sum();
        let index = if weighted && total > 0 {
            let mut point = crate::route::scale(entropy, total);
            dests
                .iter()
                .position(|d| {
                    if point < u64::from(d.1) {
                        true
                    } else {
                        point -= u64::from(d.1);
                        false
                    }
                })
                .unwrap_or(0)
        } else {
            0
        };
        let Some((dest, _, dest_req, dest_resp)) = dests.get(index) else {
            return respond(500, "no destination".into(), site, vhost);
        };
        let backend = self.backend_name(dest, site);
        let split = if weighted {
            dests
                .iter()
                .map(|d| Weighted {
                    backend: self.backend_name(d.0, site),
                    weight: d.1,
                })
                .collect()
        } else {
            Vec::new()
        };
        if !self.cluster_exists(&backend, &site.namespace) {
            // Envoy answers 503 "cluster not found" for VirtualService routes (§1.4).
            return Decision {
                policies: None,
                action: Action::Respond(Respond {
                    status: 503,
                    headers: Vec::new(),
                    reason: format!(
                        "cluster outbound|{}|{}|{} does not exist",
                        backend.port,
                        backend.subset.as_deref().unwrap_or(""),
                        backend.host.as_deref().unwrap_or("")
                    ),
                    body: None,
                    backend: Some(backend),
                }),
                matched,
            };
        }
        // Upstream request: path and authority rewrites, then header operations.
        let mut upstream = Upstream::unchanged(request);
        upstream.path = rewrite_path(action, block, request.path);
        if let Some(a) = &action.rewrite_authority {
            upstream.authority = a.clone();
        }
        let mut headers = upstream.headers.clone();
        // Single destination: its ops come after the rule's in one list (its `set` wins);
        // weighted clusters are evaluated before the route's ops (the rule's `set` wins) [Envoy].
        let (first, second) = if weighted {
            (*dest_req, &action.request_ops)
        } else {
            (&action.request_ops, *dest_req)
        };
        first.apply(&mut headers);
        second.apply(&mut headers);
        upstream.headers = headers;
        let mut response = Ops::default();
        let (rf, rs) = if weighted {
            (*dest_resp, &action.response_ops)
        } else {
            (&action.response_ops, *dest_resp)
        };
        for o in [rf, rs] {
            merge_ops(&mut response, o);
        }
        let mirrors = action
            .mirrors
            .iter()
            .enumerate()
            .map(|(i, (d, percent))| {
                let sample = crate::route::splitmix64(entropy ^ (i as u64 + 1));
                MirrorTo {
                    backend: self.backend_name(d, site),
                    percent: *percent,
                    selected: *percent >= 100.0
                        || (crate::route::scale(sample, 1_000_000) as f64) < percent * 10_000.0,
                }
            })
            .collect();
        Decision {
            policies: None,
            action: Action::Forward(Box::new(Forward {
                backend,
                split,
                attributes: action.attributes.clone(),
                upstream,
                response_headers: to_header_ops(&response),
                mirrors,
                request_timeout_ms: None,
                backend_request_timeout_ms: None,
                retry: None,
                backend_tls: None,
            })),
            matched,
        }
    }

    /// §1.4: `destination.port`, else (at a gateway) the Service's only port, else the listener port.
    fn backend_name(&self, dest: &Dest, site: &Site<'_>) -> BackendName {
        let service = self.services.get(&dest.host);
        let port = dest.port.unwrap_or_else(|| match service {
            Some((_, _, ports)) if site.at_gateway && ports.len() == 1 => ports[0],
            _ => site.port,
        });
        let (namespace, name) = match service {
            Some((ns, name, _)) => (ns.clone(), name.clone()),
            None => (String::new(), dest.host.clone()),
        };
        BackendName {
            namespace,
            name,
            port,
            subset: dest.subset.clone(),
            host: Some(dest.host.clone()),
        }
    }

    /// A cluster `outbound|port|subset|host` exists when the Service has that port and,
    /// for a subset, some DestinationRule defines it.
    fn cluster_exists(&self, b: &BackendName, viewer: &str) -> bool {
        let host = b.host.as_deref().unwrap_or("");
        let Some((_, _, ports)) = self.services.get(host) else {
            return false;
        };
        // A subset exists for this proxy only if a DestinationRule visible to its
        // namespace defines it (§1.4, visibility as §1.3).
        ports.contains(&b.port)
            && b.subset.as_ref().is_none_or(|s| {
                self.subsets
                    .get(&(host.to_owned(), s.clone()))
                    .is_some_and(|rules| {
                        rules
                            .iter()
                            .any(|(ns, export)| super::names::visible_to(export, ns, viewer))
                    })
            })
    }

    fn route_provenance(&self, route: &Built, site: &Site<'_>, vhost: Option<&str>) -> Provenance {
        let vs = &self.vss[route.vs];
        let rule = &vs.http[route.rule];
        let block_name = route.block.and_then(|b| rule.blocks[b].name.as_deref());
        // Route name = rule.name or rule.name + "." + match.name (§3).
        let rule_name = match (&rule.name, block_name) {
            (Some(r), Some(m)) => Some(format!("{r}.{m}")),
            (Some(r), None) => Some(r.clone()),
            (None, m) => m.map(str::to_owned),
        };
        Provenance {
            gateway: site.gateway.clone(),
            listener: site.listener.clone(),
            hostname: vhost.map(str::to_owned),
            kind: Some("VirtualService".into()),
            namespace: Some(vs.namespace.clone()),
            name: Some(vs.name.clone()),
            rule: Some(rule.index),
            rule_name,
            matched: route.block,
        }
    }
}

impl IstioWorld {
    /// The routes an Istio request is evaluated against, in order, each with its
    /// verdict, plus how the entry was chosen (for `Router::explain`).
    pub(crate) fn explain(
        &self,
        request: &Request<'_>,
        decision: &Decision,
    ) -> (String, Vec<Considered>) {
        let host = normalize_host(request.host());
        let (entered, vhost_name, routes): (String, String, Vec<Built>) = if let Some(w) =
            &request.workload
        {
            let port = request.port.unwrap_or(80);
            let target = self
                .mesh_service(w.namespace, &host, port)
                .map_or_else(|| host.clone(), str::to_owned);
            let labels = |k: &str| w.label(k);
            let proxy = Proxy {
                gateway: None,
                port,
                labels: &labels,
                namespace: w.namespace,
            };
            let registry = self.mesh_service(w.namespace, &host, port).is_some();
            let chosen = self
                .mesh_candidates(w.namespace, &target, port, registry)
                .into_iter()
                .find(|&vs| !build_routes(vs, &self.vss[vs], &proxy).is_empty());
            match chosen {
                Some(vs) => (
                    format!(
                        "sidecar of a workload in {} calling {target}:{port}: VirtualService {}/{} (one per host at sidecars)",
                        w.namespace, self.vss[vs].namespace, self.vss[vs].name
                    ),
                    target,
                    build_routes(vs, &self.vss[vs], &proxy),
                ),
                None => (format!("sidecar of a workload in {} calling {target}:{port}: no VirtualService (default route)", w.namespace), target, Vec::new()),
            }
        } else {
            let Some(m) = &decision.matched else {
                return ("none".into(), Vec::new());
            };
            let Some(gw) = self
                .gateways
                .iter()
                .find(|g| format!("{}/{}", g.namespace, g.name) == m.gateway)
            else {
                return ("none".into(), Vec::new());
            };
            let port = request
                .port
                .unwrap_or(if request.scheme.eq_ignore_ascii_case("https") {
                    443
                } else {
                    80
                });
            let table = gw
                .https
                .iter()
                .find(|s| {
                    m.listener.starts_with(&format!("https server {} ", s.name)) && s.port == port
                })
                .map(|s| &s.table)
                .or_else(|| gw.http.iter().find(|(p, _)| *p == port).map(|(_, t)| t));
            match table.and_then(|t| t.select(&host)) {
                Some(v) => (
                    format!(
                        "{} {}: virtual host {} ({} routes, first match wins; catch-alls last)",
                        m.gateway,
                        m.listener,
                        v.domain,
                        v.routes.len()
                    ),
                    v.domain.clone(),
                    v.routes.clone(),
                ),
                None => (
                    format!("{} {}: no virtual host for {host}", m.gateway, m.listener),
                    String::new(),
                    Vec::new(),
                ),
            }
        };
        let mut out = Vec::new();
        let mut won = false;
        for r in &routes {
            let vs = &self.vss[r.vs];
            let rule = &vs.http[r.rule];
            let block = r.block.map(|b| &rule.blocks[b]);
            let verdict = if won {
                "not reached: an earlier route matched".to_owned()
            } else if self.matches(r, request) {
                won = true;
                "won".to_owned()
            } else {
                format!(
                    "no match: {}",
                    block.map_or_else(String::new, |b| mismatch(b, request))
                )
            };
            out.push(Considered {
                route: format!("{}/{}", vs.namespace, vs.name),
                rule: rule.index,
                matched: r.block.unwrap_or(0),
                hostname: vhost_name.clone(),
                summary: format!(
                    "{}{}",
                    rule.name
                        .as_deref()
                        .map(|n| format!("{n}: "))
                        .unwrap_or_default(),
                    block.map_or_else(|| "no match (everything)".to_owned(), summarize)
                ),
                verdict,
            });
        }
        (entered, out)
    }
}

fn describe_str(s: &Str) -> String {
    match s {
        Str::Exact(v) => format!("exact {v:?}"),
        Str::Prefix(v) => format!("prefix {v:?}"),
        Str::Regex(p) => format!("regex {:?}", p.as_str()),
        Str::Present => "present".into(),
    }
}

/// A match block in short form, e.g. `prefix /v2/, header x-canary exact "true"`.
fn summarize(b: &Block) -> String {
    let mut parts = Vec::new();
    match &b.uri {
        Some(Uri::Exact { value, ignore_case }) => parts.push(format!(
            "exact {value}{}",
            if *ignore_case { " (any case)" } else { "" }
        )),
        Some(Uri::Prefix { value, ignore_case }) => parts.push(format!(
            "prefix {value}{}",
            if *ignore_case { " (any case)" } else { "" }
        )),
        Some(Uri::Regex(p)) => parts.push(format!("regex {}", p.as_str())),
        None => {}
    }
    for c in &b.conds {
        let (what, name) = match &c.target {
            Target::Header(n) => ("header", n),
            Target::Query(n) => ("query", n),
        };
        let not = if c.invert { "without " } else { "" };
        parts.push(format!("{not}{what} {name} {}", describe_str(&c.matcher)));
    }
    if parts.is_empty() {
        "everything".into()
    } else {
        parts.join(", ")
    }
}

/// The first condition of `b` that fails for the request.
fn mismatch(b: &Block, request: &Request<'_>) -> String {
    let only_uri = Block {
        uri: b.uri.clone(),
        ..Block::default()
    };
    if !block_matches(&only_uri, request) {
        return "path".into();
    }
    for c in &b.conds {
        let one = Block {
            conds: vec![c.clone()],
            ..Block::default()
        };
        if !block_matches(&one, request) {
            let name = match &c.target {
                Target::Header(n) => format!("header {n}"),
                Target::Query(n) => format!("query {n}"),
            };
            return name;
        }
    }
    "conditions".into()
}

impl Workload<'_> {
    /// The value of one of the client pod's labels.
    fn label(&self, key: &str) -> Option<String> {
        self.labels
            .iter()
            .find(|(n, _)| *n == key)
            .map(|(_, v)| (*v).to_owned())
    }
}

/// Lower-case, without the `:port` and a trailing dot.
fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// §4: every present condition of the block holds.
pub(crate) fn block_matches(b: &Block, request: &Request<'_>) -> bool {
    let path = request.path;
    let uri_ok = match &b.uri {
        None => true,
        Some(Uri::Exact { value, ignore_case }) => {
            if *ignore_case {
                value.eq_ignore_ascii_case(path)
            } else {
                value == path
            }
        }
        Some(Uri::Prefix { value, ignore_case }) => {
            path.len() >= value.len()
                && path.is_char_boundary(value.len())
                && if *ignore_case {
                    path[..value.len()].eq_ignore_ascii_case(value)
                } else {
                    path.starts_with(value.as_str())
                }
        }
        Some(Uri::Regex(p)) => p.is_match(path),
    };
    uri_ok && b.conds.iter().all(|c| cond_matches(c, request))
}

fn cond_matches(c: &Cond, request: &Request<'_>) -> bool {
    let value: Option<std::borrow::Cow<'_, str>> = match &c.target {
        Target::Header(name) => match name.as_str() {
            ":method" => Some(request.method.into()),
            ":scheme" => Some(request.scheme.into()),
            ":authority" => Some(request.authority.into()),
            // Several headers of one name are matched joined with "," [Envoy].
            _ => {
                let values: Vec<&str> = request
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| *v)
                    .collect();
                (!values.is_empty()).then(|| values.join(",").into())
            }
        },
        // Only the first occurrence of a query parameter counts; `?key` has value "".
        Target::Query(name) => request.query.and_then(|q| {
            q.split('&').find_map(|pair| {
                let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
                (n == name).then(|| v.into())
            })
        }),
    };
    if c.invert {
        // withoutHeaders: presence ⇔ absent; otherwise a missing header is matched as "".
        return match c.matcher {
            Str::Present => value.is_none(),
            _ => !c.matcher.matches(value.as_deref().unwrap_or("")),
        };
    }
    value.is_some_and(|v| c.matcher.matches(&v))
}

/// §5.2: `rewrite.uri` replaces the matched prefix (the whole path for exact and
/// regex matches, `/` when there is no uri match); `uriRegexRewrite` replaces every match.
fn rewrite_path(action: &HttpAction, block: Option<&Block>, path: &str) -> String {
    if let Some(uri) = &action.rewrite_uri {
        return match block.and_then(|b| b.uri.as_ref()) {
            Some(Uri::Prefix { value, .. }) => {
                let rest = path.get(value.len()..).unwrap_or("");
                format!("{uri}{rest}")
            }
            Some(Uri::Exact { .. } | Uri::Regex(_)) => uri.clone(),
            None => format!("{uri}{}", path.strip_prefix('/').unwrap_or(path)),
        };
    }
    if let Some((re, replacement)) = &action.rewrite_regex {
        return regex_replace_all(re, path, replacement);
    }
    path.to_owned()
}

/// Envoy `regex_rewrite`: every non-overlapping match replaced, `\N` = group N.
fn regex_replace_all(re: &regex_automata::meta::Regex, text: &str, replacement: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    let mut caps = re.create_captures();
    let mut input = regex_automata::Input::new(text);
    loop {
        re.search_captures(&input, &mut caps);
        let Some(m) = caps.get_match() else { break };
        out.push_str(&text[last..m.start()]);
        let mut chars = replacement.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    chars.next();
                    if let Some(span) = caps.get_group(d as usize) {
                        out.push_str(&text[span.start..span.end]);
                    }
                    continue;
                }
            }
            out.push(c);
        }
        last = m.end();
        let next = if m.is_empty() { m.end() + 1 } else { m.end() };
        if next > text.len() {
            break;
        }
        input.set_start(next);
    }
    out.push_str(&text[last.min(text.len())..]);
    out
}

/// §5.3 and the README "Redirect location rule" (Envoy `newUri`, `processRequestHost`).
fn redirect_location(
    r: &super::lower::Redirect,
    block: Option<&Block>,
    request: &Request<'_>,
    listener_port: u16,
) -> String {
    let old_scheme = request.scheme.to_ascii_lowercase();
    let scheme = r.scheme.clone().unwrap_or_else(|| old_scheme.clone());
    let port = r.port.or(r.from_request_port.then_some(listener_port));
    let default_port = |s: &str| match s {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let host = match &r.authority {
        Some(a) => a.clone(),
        None => {
            let authority = request.authority;
            match split_port(authority) {
                Some((h, p)) => {
                    // The Host's port goes when a redirect port is *emitted* (a port elided
                    // as the scheme's default is not), or when the scheme changes and it was
                    // the old scheme's default (README "Redirect location rule").
                    let emitted = port.is_some_and(|p| default_port(&scheme) != Some(p));
                    let drop =
                        emitted || (scheme != old_scheme && default_port(&old_scheme) == Some(p));
                    if drop {
                        h.to_owned()
                    } else {
                        authority.to_owned()
                    }
                }
                None => authority.to_owned(),
            }
        }
    };
    let port_text = match port {
        Some(p) if default_port(&scheme) != Some(p) => format!(":{p}"),
        _ => String::new(),
    };
    let mut query = request.query.map(|q| format!("?{q}")).unwrap_or_default();
    let path = if let Some(uri) = &r.uri {
        if uri.contains('?') {
            query = String::new();
        }
        uri.clone()
    } else if let Some(pr) = &r.prefix_rewrite {
        match block.and_then(|b| b.uri.as_ref()) {
            Some(Uri::Prefix { value, .. }) => {
                format!("{pr}{}", request.path.get(value.len()..).unwrap_or(""))
            }
            Some(_) => pr.clone(),
            None => format!(
                "{pr}{}",
                request.path.strip_prefix('/').unwrap_or(request.path)
            ),
        }
    } else {
        request.path.to_owned()
    };
    format!("{scheme}://{host}{port_text}{path}{query}")
}

fn split_port(authority: &str) -> Option<(&str, u16)> {
    let (h, p) = authority.rsplit_once(':')?;
    if h.contains(']') || !h.contains(':') {
        return p.parse().ok().map(|p| (h, p));
    }
    None
}

fn response_list(ops: &Ops) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    ops.apply(&mut headers);
    headers
}

/// Appends `o` to `into` as one operation list.
fn merge_ops(into: &mut Ops, o: &Ops) {
    into.remove.extend(o.remove.iter().cloned());
    for (k, v) in &o.set {
        into.set.retain(|(n, _)| n != k);
        into.add.retain(|(n, _)| n != k);
        into.set.push((k.clone(), v.clone()));
    }
    into.add.extend(o.add.iter().cloned());
}

/// Istio's order (remove, then set/add) as a [`HeaderOps`] whose own order (set,
/// add, remove) gives the same result: names that are removed and then set/added
/// leave `remove`, and an `add` after a `remove` becomes a `set`.
fn to_header_ops(ops: &Ops) -> HeaderOps {
    let mut out = HeaderOps::default();
    let removed = |k: &str| ops.remove.iter().any(|r| r.eq_ignore_ascii_case(k));
    let mut added: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &ops.add {
        added.entry(k.clone()).or_default().push(v.clone());
    }
    out.set = ops.set.clone();
    for (k, vs) in added {
        if removed(&k) && !ops.set.iter().any(|(n, _)| n == &k) {
            out.set.push((k, vs.join(",")));
        } else {
            for v in vs {
                out.add.push((k.clone(), v));
            }
        }
    }
    out.remove = ops
        .remove
        .iter()
        .filter(|r| !out.set.iter().any(|(n, _)| n.eq_ignore_ascii_case(r)))
        .cloned()
        .collect();
    out
}

fn provenance(
    site: &Site<'_>,
    vhost: Option<&str>,
    _rule: Option<usize>,
    _w: &IstioWorld,
) -> Provenance {
    Provenance {
        gateway: site.gateway.clone(),
        listener: site.listener.clone(),
        hostname: vhost.map(str::to_owned),
        kind: None,
        namespace: None,
        name: None,
        rule: None,
        rule_name: None,
        matched: None,
    }
}

fn respond(status: u16, reason: String, site: &Site<'_>, vhost: Option<&str>) -> Decision {
    Decision {
        policies: None,
        action: Action::Respond(Respond {
            status,
            headers: Vec::new(),
            reason,
            body: None,
            backend: None,
        }),
        matched: Some(Provenance {
            gateway: site.gateway.clone(),
            listener: site.listener.clone(),
            hostname: vhost.map(str::to_owned),
            kind: None,
            namespace: None,
            name: None,
            rule: None,
            rule_name: None,
            matched: None,
        }),
    }
}

fn reject(reason: String) -> Decision {
    Decision {
        policies: None,
        action: Action::Reject { reason },
        matched: None,
    }
}
