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
        let applicable = self.mesh_routes(mesh);
        if applicable.is_empty() {
            return plain_service(request, mesh);
        }
        let host = HostMatch::Any;
        let best = self
            .mesh_candidates(&applicable)
            .into_iter()
            .filter(|c| {
                let m = c.get(&self.ir);
                m.path.matches(request.path()) && residual_matches(m, request)
            })
            .min_by(|a, b| a.key(&self.ir, &host).cmp(&b.key(&self.ir, &host)));
        match best {
            Some(candidate) => {
                self.decide_at(&site, candidate, &host.to_string(), request, entropy)
            }
            // Routes apply but none matches: 404 (`HTTPRouteRule.Matches`).
            None => Decision {
                policies: None,
                action: Action::Respond(super::Respond {
                    body: None,
                    backend: None,
                    status: 404,
                    headers: Vec::new(),
                    reason: "no rule of the Service's routes matches".into(),
                }),
                matched: None,
            },
        }
    }
}

impl Router {
    /// The routes that decide `mesh` traffic: consumer routes of the client's
    /// namespace when there are any, else the producer routes; only those whose
    /// parentRef port (if any) is the port called.
    pub(super) fn mesh_routes(&self, mesh: &MeshEntry<'_>) -> Vec<usize> {
        let attachments: Vec<_> = self
            .ir
            .services
            .iter()
            .filter(|s| s.namespace == mesh.service_namespace && s.name == mesh.service)
            .flat_map(|s| s.attachments.iter())
            .filter(|a| a.port.is_none_or(|p| p == mesh.port))
            .collect();
        let consumer: Vec<usize> = attachments
            .iter()
            .filter(|a| a.consumer && self.ir.routes[a.route].namespace == mesh.from_namespace)
            .map(|a| a.route)
            .collect();
        if consumer.is_empty() {
            attachments
                .iter()
                .filter(|a| !a.consumer)
                .map(|a| a.route)
                .collect()
        } else {
            consumer
        }
    }

    /// Every (route, rule, match) of the given routes. The HTTPRoute/GRPCRoute
    /// precedence ranks them (there is no hostname to rank: every route serves the Service).
    pub(super) fn mesh_candidates(&self, routes: &[usize]) -> Vec<Candidate> {
        let mut out = Vec::new();
        for &r in routes {
            for (ri, rule) in self.ir.routes[r].rules.iter().enumerate() {
                for (mi, m) in rule.matches.iter().enumerate() {
                    out.push(Candidate::of(r, ri, mi, m));
                }
            }
        }
        out.sort_unstable_by_key(|c| (c.route, c.rule, c.matched));
        out.dedup();
        out
    }
}

/// No route applies: the request goes to the Service it was sent to, unchanged.
fn plain_service(request: &Request<'_>, mesh: &MeshEntry<'_>) -> Decision {
    Decision {
        policies: None,
        action: Action::Forward(Box::new(Forward {
            split: Vec::new(),
            attributes: Default::default(),
            backend: BackendName {
                subset: None,
                host: None,
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
