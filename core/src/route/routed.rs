//! The allocation-free answer of [`Router::route`]: which rule won and what it does,
//! borrowed from the router, materialised into an owned [`Decision`] only on demand.

use super::actions::{plan, Plan};
use super::{Decision, Request, Router};
use crate::compile::{Candidate, VirtualHost};
use crate::ir::{BackendTarget, HostMatch, Route, Rule};

/// What [`Router::route`] found: the winning rule and the action it takes,
/// borrowed from the router and the request. Building it does not allocate once a
/// request has entered a Gateway API or Ingress HTTP(S) listener (whatever the rule
/// does, or a 404 when none matches; `tests/no_alloc.rs` proves it with a counting
/// allocator). Istio, mesh, TLS/TCP answers and answers before a listener is
/// chosen (no listener for the host: 404/421, refused) are decided in full up front.
///
/// [`Routed::decision`] builds the complete owned [`Decision`] (rewritten
/// upstream request, header changes, mirrors, policies), exactly what
/// [`Router::decide_with`] returns for the same request and entropy.
///
/// ```
/// use gatewright::{Request, Resources, Router};
/// let yaml = include_str!("../../../examples/quickstart.yaml");
/// let router = Router::compile(&Resources::from_yaml(yaml)?)?;
/// let request = Request::new("GET", "shop.example.com", "/api/health");
/// let routed = router.route(&request);
/// assert_eq!(routed.status(), None); // forwarded
/// assert_eq!(routed.backend().unwrap().name, "health");
/// assert_eq!(routed.rule().unwrap().name, "shop");
/// assert_eq!(routed.decision(), router.decide(&request));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Routed<'a> {
    pub(super) router: &'a Router,
    pub(super) request: Request<'a>,
    pub(super) entropy: u64,
    pub(super) found: Found<'a>,
}

/// How the lookup ended.
#[derive(Clone, Debug)]
pub(super) enum Found<'a> {
    /// A rule of a Gateway API or Ingress listener matched.
    Matched {
        gateway: usize,
        listener: usize,
        vhost: &'a VirtualHost,
        candidate: Candidate,
    },
    /// The listener was found but no rule matches: 404.
    NoRule { gateway: usize, listener: usize },
    /// Decided in full by another path (Istio, mesh, connections, errors).
    Decided(Box<Decision>),
}

/// A backend Service port, borrowed from the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackendRef<'a> {
    /// Namespace.
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
    /// Port.
    pub port: u16,
}

/// The rule that decided, borrowed from the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleRef<'a> {
    /// Route kind (`HTTPRoute`, `GRPCRoute`, `Ingress`, `VirtualService`, …).
    pub kind: &'a str,
    /// Route namespace.
    pub namespace: &'a str,
    /// Route name.
    pub name: &'a str,
    /// Rule index in the route's rule list.
    pub rule: usize,
    /// Rule name, when the rule has one.
    pub rule_name: Option<&'a str>,
    /// Match index in the rule's `matches`.
    pub matched: usize,
}

impl<'a> Routed<'a> {
    /// The winning route, rule and match (the IR's), when a Gateway API or
    /// Ingress rule matched.
    fn winner(&self) -> Option<(&'a Route, &'a Rule, Candidate)> {
        let Found::Matched { candidate, .. } = self.found else {
            return None;
        };
        let route = &self.router.ir.routes[candidate.route as usize];
        Some((route, &route.rules[candidate.rule as usize], candidate))
    }

    fn plan(&self) -> Option<(&'a Route, Plan<'a>)> {
        self.winner()
            .map(|(route, rule, _)| (route, plan(rule, &self.request, self.entropy)))
    }

    /// The HTTP status the gateway answers with (redirect, direct response,
    /// 404, 500), `None` when the request is forwarded, `Some(0)` when the
    /// connection is refused. The same as [`Decision::status`].
    pub fn status(&self) -> Option<u16> {
        match &self.found {
            Found::Matched { .. } => self.plan().and_then(|(route, p)| p.status(route.kind)),
            Found::NoRule { .. } => Some(404),
            Found::Decided(d) => d.status(),
        }
    }

    /// The backend the request is forwarded to (picked from the weighted
    /// backends with the entropy), if it is forwarded.
    pub fn backend(&self) -> Option<BackendRef<'_>> {
        match &self.found {
            Found::Matched { .. } => match self.plan()?.1 {
                Plan::Forward(b) => match &b.target {
                    BackendTarget::Service {
                        namespace,
                        name,
                        port,
                    } => Some(BackendRef {
                        namespace,
                        name,
                        port: *port,
                    }),
                    BackendTarget::Invalid { .. } => None,
                },
                _ => None,
            },
            Found::NoRule { .. } => None,
            Found::Decided(d) => d.backend().map(|b| BackendRef {
                namespace: &b.namespace,
                name: &b.name,
                port: b.port,
            }),
        }
    }

    /// The route, rule and match that decided, when one did.
    pub fn rule(&self) -> Option<RuleRef<'_>> {
        if let Some((route, rule, c)) = self.winner() {
            return Some(RuleRef {
                kind: route.kind.as_str(),
                namespace: &route.namespace,
                name: &route.name,
                rule: rule.index,
                rule_name: rule.name.as_deref(),
                matched: rule.matches[c.matched as usize].index,
            });
        }
        let Found::Decided(d) = &self.found else {
            return None;
        };
        let m = d.matched.as_ref()?;
        Some(RuleRef {
            kind: m.kind.as_deref()?,
            namespace: m.namespace.as_deref()?,
            name: m.name.as_deref()?,
            rule: m.rule?,
            rule_name: m.rule_name.as_deref(),
            matched: m.matched?,
        })
    }

    /// The route hostname the winner matched under (`*` for any host), when a
    /// Gateway API or Ingress rule matched.
    pub fn hostname(&self) -> Option<&'a HostMatch> {
        match self.found {
            Found::Matched { vhost, .. } => Some(&vhost.host),
            _ => None,
        }
    }

    /// The complete decision: the upstream request with filters applied, header
    /// changes, mirrors and policies. Allocates.
    pub fn decision(&self) -> Decision {
        self.clone().into_decision()
    }

    /// The complete decision, consuming `self` (see [`Routed::decision`]).
    pub fn into_decision(self) -> Decision {
        let mut decision = match self.found {
            Found::Matched {
                gateway,
                listener,
                vhost,
                candidate,
            } => self.router.decide_winner(
                gateway,
                listener,
                vhost,
                candidate,
                &self.request,
                self.entropy,
            ),
            Found::NoRule { gateway, listener } => self.router.not_found(gateway, listener),
            Found::Decided(d) => *d,
        };
        mark_grpc_unimplemented(&mut decision, &self.request);
        decision
    }
}

/// A gRPC call that no rule serves is UNIMPLEMENTED (code 12): "No listener
/// match, or a listener match but no route match → HTTP 404, gRPC
/// Unimplemented" (gateway_types.go, General Listener behavior).
fn mark_grpc_unimplemented(decision: &mut Decision, request: &Request<'_>) {
    if let super::Action::Respond(r) = &mut decision.action {
        let grpc = request
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/grpc"));
        if grpc && r.status == 404 && !r.headers.iter().any(|(n, _)| n == "grpc-status") {
            r.headers.push(("grpc-status".to_owned(), "12".to_owned()));
        }
    }
}
