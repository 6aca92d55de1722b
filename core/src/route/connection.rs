//! Connection-level routing: TLSRoute (by SNI), TCPRoute and UDPRoute.

use serde::Serialize;

use super::{reject, Action, BackendName, Connect, Decision, Provenance, Router};
use crate::compile::GatewayIndex;
use crate::ir::{BackendTarget, HostMatch, Listener, Protocol, Route};
use crate::precedence::{HostRank, RouteOrder};

/// The transport of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum Transport {
    /// A TCP connection (plain, or TLS with an SNI).
    Tcp,
    /// A UDP datagram from a new source.
    Udp,
}

/// A new connection entering a Gateway, routed by [`Router::route_connection`].
///
/// ```
/// use gatewright::{Connection, Transport};
/// let tls = Connection::tcp(443).sni("db.example.com").gateway("infra", "edge");
/// assert_eq!(tls.transport(), Transport::Tcp);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Connection<'a> {
    gateway: Option<(&'a str, &'a str)>,
    gateway_index: Option<usize>,
    port: u16,
    transport: Transport,
    sni: Option<&'a str>,
    /// Istio sidecar connection: the client workload and the host it dialled.
    workload: Option<(crate::istio::Workload<'a>, &'a str)>,
}

impl<'a> Connection<'a> {
    /// A TCP connection to `port` (add [`Connection::sni`] for TLS).
    pub fn tcp(port: u16) -> Self {
        Connection {
            gateway: None,
            gateway_index: None,
            port,
            transport: Transport::Tcp,
            sni: None,
            workload: None,
        }
    }

    /// A UDP datagram to `port`.
    pub fn udp(port: u16) -> Self {
        Connection {
            transport: Transport::Udp,
            ..Self::tcp(port)
        }
    }

    /// The TLS ClientHello SNI.
    #[must_use]
    pub fn sni(mut self, sni: &'a str) -> Self {
        self.sni = Some(sni);
        self
    }

    /// The Gateway the client connected to (default: the only one).
    #[must_use]
    pub fn gateway(mut self, namespace: &'a str, name: &'a str) -> Self {
        self.gateway = Some((namespace, name));
        self
    }

    /// An Istio sidecar connection: a workload in `namespace` with these pod labels
    /// dials `host` (a Service name as the client writes it, or an external host) on
    /// [`Connection::port`]. VirtualService `tls` (by SNI) and `tcp` rules decide.
    ///
    /// ```
    /// let labels = [("app", "web")];
    /// let c = gatewright::Connection::tcp(5432).workload("shop", &labels, "db");
    /// assert_eq!(c.port(), 5432);
    /// ```
    #[must_use]
    pub fn workload(
        mut self,
        namespace: &'a str,
        labels: &'a [(&'a str, &'a str)],
        host: &'a str,
    ) -> Self {
        self.workload = Some((crate::istio::Workload { namespace, labels }, host));
        self
    }

    pub(crate) fn gateway_index(mut self, index: usize) -> Self {
        self.gateway_index = Some(index);
        self
    }

    /// The transport.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Router {
    /// Routes a connection. TLS listeners choose the most specific listener
    /// hostname matching the SNI, then the TLSRoute with the most specific
    /// matching hostname; TCP and UDP listeners take the oldest attached route
    /// (then `{namespace}/{name}`): `Listener.AllowedRoutes`, gateway_types.go
    /// 456–470. The backend is chosen by weight from `entropy`; an invalid backend
    /// refuses the connection (`TLSRouteRule.BackendRefs`).
    pub fn route_connection(&self, conn: &Connection<'_>, entropy: u64) -> Decision {
        if let Some((workload, host)) = &conn.workload {
            return self
                .istio
                .route_mesh_connection(workload, host, conn.port, conn.sni, entropy);
        }
        if let Some((ns, name)) = conn.gateway {
            if self.istio.has_gateway(ns, name) {
                return self
                    .istio
                    .route_connection(ns, name, conn.port, conn.sni, entropy);
            }
        }
        let g = match conn.gateway_index {
            Some(g) => g,
            None => match self.gateway_index(conn.gateway) {
                Ok(g) => g,
                Err(d) => return d,
            },
        };
        let gw = &self.ir.gateways[g];
        let index: &GatewayIndex = &self.index[g];
        let port = conn.port;
        let on_port: Vec<usize> = index
            .ports
            .iter()
            .find(|(p, _)| *p == port)
            .map(|(_, ls)| ls.clone())
            .unwrap_or_default();
        let wanted = |l: &Listener| match conn.transport {
            Transport::Udp => l.protocol == Protocol::Udp,
            Transport::Tcp => matches!(l.protocol, Protocol::Tcp | Protocol::Tls),
        };
        let candidates: Vec<usize> = on_port
            .into_iter()
            .filter(|&l| wanted(&gw.listeners[l]))
            .collect();
        let sni = conn.sni.map(str::to_ascii_lowercase);
        let tls_listeners: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&l| gw.listeners[l].protocol == Protocol::Tls)
            .collect();
        let chosen = match (&sni, tls_listeners.is_empty()) {
            // Most specific listener hostname first (the port list is sorted that way).
            (Some(sni), false) => tls_listeners
                .into_iter()
                .find(|&l| index.listener_hosts[l].matches(sni)),
            _ => candidates
                .into_iter()
                .find(|&l| gw.listeners[l].protocol != Protocol::Tls),
        };
        let Some(l) = chosen else {
            return reject(format!(
                "no listener on port {port} accepts this connection{}",
                sni_text(conn.sni)
            ));
        };
        let listener = &gw.listeners[l];
        if !listener.programmed {
            return reject(format!(
                "listener {} is not programmed (see its status)",
                listener.name
            ));
        }
        // The winning route: the most specific matching hostname (TLS), then the oldest, then namespace/name.
        let mut best: Option<(HostRank, RouteOrder<'_>, &Route, &HostMatch)> = None;
        for attachment in &listener.attachments {
            let route = &self.ir.routes[attachment.route];
            for host in &attachment.hostnames {
                if listener.protocol == Protocol::Tls
                    && !sni.as_deref().is_some_and(|s| host.matches(s))
                {
                    continue;
                }
                let key = (HostRank::of(host), RouteOrder::of(route));
                if best.as_ref().is_none_or(|(h, o, _, _)| key < (*h, *o)) {
                    best = Some((key.0, key.1, route, host));
                }
            }
        }
        let Some((_, _, route, host)) = best else {
            return reject(format!(
                "no route on listener {} matches this connection{}",
                listener.name,
                sni_text(conn.sni)
            ));
        };
        let Some(rule) = route.rules.first() else {
            return reject("the route has no rule".into());
        };
        let matched = Some(Provenance {
            gateway: format!("{}/{}", gw.namespace, gw.name),
            listener: listener.name.clone(),
            hostname: Some(host.to_string()),
            kind: Some(route.kind.as_str().into()),
            namespace: Some(route.namespace.clone()),
            name: Some(route.name.clone()),
            rule: Some(rule.index),
            rule_name: rule.name.clone(),
            matched: None,
        });
        let decision = |action| Decision {
            policies: None,
            action,
            matched: matched.clone(),
        };
        let Some(backend) = super::pick(&rule.action.backends, entropy) else {
            return decision(Action::Reject {
                reason: "the rule has no backend with a weight above 0".into(),
            });
        };
        match &backend.target {
            BackendTarget::Service {
                namespace,
                name,
                port,
            } => {
                let passthrough = listener.protocol == Protocol::Tls && listener.tls_passthrough;
                decision(Action::Connect(Box::new(Connect {
                    backend: BackendName {
                        subset: None,
                        host: None,
                        namespace: namespace.clone(),
                        name: name.clone(),
                        port: *port,
                    },
                    tls_passthrough: passthrough,
                    sni: if passthrough {
                        sni.clone()
                    } else {
                        backend.tls.as_ref().map(|t| t.hostname.clone())
                    },
                    backend_tls: backend.tls.as_deref().cloned(),
                })))
            }
            BackendTarget::Invalid { reason, name } => decision(Action::Reject {
                reason: format!("backend {name} is invalid ({reason})"),
            }),
        }
    }
}

fn sni_text(sni: Option<&str>) -> String {
    sni.map_or_else(|| " (no SNI)".to_owned(), |s| format!(" (SNI {s})"))
}

impl Router {
    /// Routes a connection and lists every route of the chosen listener with why
    /// it won or lost (hostname specificity for TLS, then age, then name).
    ///
    /// ```
    /// # let yaml = include_str!("../../../examples/l4-and-grpc.yaml");
    /// let router = gatewright::Router::compile(&gatewright::Resources::from_yaml(yaml)?)?;
    /// let e = router.explain_connection(&gatewright::Connection::tcp(443).sni("db.example.com"), 0);
    /// assert_eq!(e.considered.iter().filter(|c| c.verdict == "won").count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain_connection(&self, conn: &Connection<'_>, entropy: u64) -> super::Explanation {
        let decision = self.route_connection(conn, entropy);
        let found = decision.matched.as_ref().and_then(|m| {
            let gw = self
                .ir
                .gateways
                .iter()
                .find(|g| format!("{}/{}", g.namespace, g.name) == m.gateway)?;
            Some((gw, gw.listeners.iter().find(|l| l.name == m.listener)?, m))
        });
        let Some((gw, listener, m)) = found else {
            return super::Explanation {
                policies: Default::default(),
                decision,
                listener: "none".into(),
                considered: Vec::new(),
            };
        };
        let sni = conn.sni.map(str::to_ascii_lowercase);
        let winner = self.ir.routes.iter().find(|r| {
            Some(r.namespace.as_str()) == m.namespace.as_deref()
                && Some(r.name.as_str()) == m.name.as_deref()
        });
        let winner_key = winner.map(|r| {
            (
                HostRank::of(&HostMatch::parse(m.hostname.as_deref())),
                RouteOrder::of(r),
            )
        });
        let mut considered = Vec::new();
        for attachment in &listener.attachments {
            let route = &self.ir.routes[attachment.route];
            for host in &attachment.hostnames {
                let key = (HostRank::of(host), RouteOrder::of(route));
                let verdict = if listener.protocol == Protocol::Tls
                    && !sni.as_deref().is_some_and(|s| host.matches(s))
                {
                    "no match: SNI".to_owned()
                } else if winner_key == Some(key) && Some(host.to_string()) == m.hostname {
                    "won".to_owned()
                } else if let Some((wh, wo)) = winner_key {
                    let why = if wh != key.0 {
                        "a more specific hostname"
                    } else if wo.created != key.1.created {
                        "an older route (creationTimestamp)"
                    } else {
                        "the route first in {namespace}/{name} order"
                    };
                    format!("matches, but the winner has {why}")
                } else {
                    "matches".to_owned()
                };
                considered.push(super::Considered {
                    route: format!("{}/{}", route.namespace, route.name),
                    rule: route.rules.first().map_or(0, |r| r.index),
                    matched: 0,
                    hostname: host.to_string(),
                    summary: route.kind.as_str().to_owned(),
                    verdict,
                });
            }
        }
        let listener_text = format!(
            "{}/{} listener {} (port {})",
            gw.namespace, gw.name, listener.name, listener.port
        );
        super::Explanation {
            policies: Default::default(),
            decision,
            listener: listener_text,
            considered,
        }
    }
}
