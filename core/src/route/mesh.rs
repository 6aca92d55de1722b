//! GAMMA: routes attached to a Service decide east-west traffic to it.
//!
//! Source: Gateway API GEP-1426 (mesh) and the mesh conformance tests: a route
//! binds to the Service (and port) the client connected to, never to the Host
//! header; a route in the Service's namespace (producer) applies to every client,
//! a route in another namespace (consumer) only to clients in that namespace and
//! then in place of the producer routes; a parentRef `port` limits the route to
//! that port. Without an applicable route the request goes to the Service itself.

use super::{
    residual_matches, Action, BackendName, Decision, Forward, MeshEntry, Request, Router, Site,
    Upstream,
};
use crate::compile::Candidate;
use crate::ir::{HeaderOps, HostMatch};
use crate::precedence::{HostRank, Key, MatchRank, RouteOrder};

impl Router {
    pub(super) fn route_mesh(
        &self,
        request: &Request<'_>,
        mesh: &MeshEntry<'_>,
        entropy: u64,
    ) -> Decision {
        let site = Site {
            gateway: "mesh".into(),
            listener: format!(
                "Service {}/{}:{}",
                mesh.service_namespace, mesh.service, mesh.port
            ),
            port: mesh.port,
        };
        let attachments: Vec<_> = self
            .ir
            .services
            .iter()
            .filter(|s| s.namespace == mesh.service_namespace && s.name == mesh.service)
            .flat_map(|s| s.attachments.iter())
            .filter(|a| a.port.is_none_or(|p| p == mesh.port))
            .collect();
        let consumer: Vec<_> = attachments
            .iter()
            .filter(|a| a.consumer && self.ir.routes[a.route].namespace == mesh.from_namespace)
            .collect();
        let applicable: Vec<_> = if consumer.is_empty() {
            attachments.iter().filter(|a| !a.consumer).collect()
        } else {
            consumer
        };
        if applicable.is_empty() {
            return plain_service(request, mesh);
        }
        // The HTTPRoute/GRPCRoute precedence over every rule of the applicable routes
        // (there is no hostname to rank: every route serves the Service).
        let host = HostMatch::Any;
        let mut best: Option<(Key<'_>, Candidate)> = None;
        for a in applicable {
            let route = &self.ir.routes[a.route];
            for (ri, rule) in route.rules.iter().enumerate() {
                for (mi, m) in rule.matches.iter().enumerate() {
                    if !m.path.matches(request.path()) || !residual_matches(m, request) {
                        continue;
                    }
                    let key = Key {
                        host: HostRank::of(&host),
                        matching: MatchRank::of(m),
                        route: RouteOrder::of(route),
                        rule: rule.index,
                        matched: m.index,
                    };
                    if best.as_ref().is_none_or(|(k, _)| key < *k) {
                        let to_u32 = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
                        best = Some((
                            key,
                            Candidate {
                                route: to_u32(a.route),
                                rule: to_u32(ri),
                                matched: to_u32(mi),
                            },
                        ));
                    }
                }
            }
        }
        match best {
            Some((_, candidate)) => {
                self.decide_at(&site, candidate, &host.to_string(), request, entropy)
            }
            // Routes apply but none matches: 404 (`HTTPRouteRule.Matches`).
            None => Decision {
                action: Action::Respond(super::Respond {
                    status: 404,
                    headers: Vec::new(),
                    reason: "no rule of the Service's routes matches".into(),
                }),
                matched: None,
            },
        }
    }
}

/// No route applies: the request goes to the Service it was sent to, unchanged.
fn plain_service(request: &Request<'_>, mesh: &MeshEntry<'_>) -> Decision {
    Decision {
        action: Action::Forward(Box::new(Forward {
            backend: BackendName {
                namespace: mesh.service_namespace.to_owned(),
                name: mesh.service.to_owned(),
                port: mesh.port,
            },
            upstream: Upstream::unchanged(request),
            response_headers: HeaderOps::default(),
            mirrors: Vec::new(),
            request_timeout_ms: None,
            backend_request_timeout_ms: None,
            retry: None,
            backend_tls: None,
        })),
        matched: None,
    }
}
