//! The one place where HTTPRoute ordering lives.
//!
//! Source: Gateway API `apis/v1/httproute_types.go`, `HTTPRouteRule.Matches`
//! (v1.6, lines 184–206) and `HTTPRouteSpec.Hostnames` (103–112):
//!
//! > Proxy or Load Balancer routing configuration generated from HTTPRoutes
//! > MUST prioritize matches based on the following criteria, continuing on
//! > ties. Across all rules specified on applicable Routes, precedence must be
//! > given to the match having:
//! > * "Exact" path match.
//! > * "Prefix" path match with largest number of characters.
//! > * Method match.
//! > * Largest number of header matches.
//! > * Largest number of query param matches.
//! >
//! > If ties still exist across multiple Routes, matching precedence MUST be
//! > determined in order of the following criteria, continuing on ties:
//! > * The oldest Route based on creation timestamp.
//! > * The Route appearing first in alphabetical order by "{namespace}/{name}".
//! >
//! > If ties still exist within an HTTPRoute, matching precedence MUST be granted
//! > to the FIRST matching rule (in list order) with a match meeting the above
//! > criteria.
//!
//! and, before all of these, the hostname: "precedence MUST be given to the rule
//! with the most characters in a matching non-wildcard hostname, then the most
//! characters in a matching hostname" (`HTTPRouteSpec.Hostnames`).
//!
//! `RegularExpression` path precedence is implementation-specific
//! (`PathMatchType`: "Implementation-specific"). gatewright ranks it after
//! `PathPrefix`, longest pattern first, as Istio does (`getURIRank` in
//! pilot/pkg/config/kube/gateway/conversion.go: "Exact > Prefix > Regex") and
//! as the shared workload generator's reference does. Envoy Gateway ranks
//! regex above prefix instead; the workload marks requests whose answer
//! depends on that choice (`regex_order_sensitive`).

//!
//! # Ingress
//!
//! Routes lowered from Ingresses use the same key. Kubernetes, "Multiple matches"
//! (<https://kubernetes.io/docs/concepts/services-networking/ingress/>): "precedence
//! will be given first to the longest matching path. If two paths are still equally
//! matched, precedence will be given to paths with an exact path type over prefix
//! path type." Within one host (Ingress hosts never share candidates, see below) the
//! Gateway API order above gives the same answer:
//!
//! * Exact `e` and Prefix `p` both match a request path `r`: then `e = r`, and `p`
//!   (without its trailing `/`, which "is ignored") is an element-wise prefix of `r`,
//!   so `len(p) <= len(e)`: the longest matching path is `e`, or they tie and the
//!   exact type wins. Either way Exact first, as "Exact path match" first says.
//! * Two Prefix paths both match `r`: both are element-wise prefixes of `r`, so the
//!   longer is the longest matching path. The Ingress front end stores prefixes
//!   normalized (no trailing `/`), so "largest number of characters" counts the
//!   matched length, and `/foo/` and `/foo` tie as the Kubernetes table treats them.
//! * ingress-nginx regex mode (`use-regex`, `rewrite-target`): every path of the
//!   host is a regex, tried longest first, which is the `RegularExpression` order here
//!   (the front end wraps every path in the same `(?i)(?:…).*`, so lengths compare as
//!   the paths' do).
//! * A host's default location (`defaultBackend`) is [`PathRank::Fallback`], after all.
//! * Ties between Ingresses: the older, then `{namespace}/{name}` ([`RouteOrder`]); the
//!   front end drops the later of two equal paths anyway, as ingress-nginx keeps the
//!   first location. (ingress-nginx's `sortIngressSlice` puts the *greater*
//!   `namespace/name` first when timestamps are equal; gatewright keeps the Gateway
//!   API direction so that converted HTTPRoutes rank alike.)
//!
//! Ingress hosts never compete: an ingress-nginx request is served by one `server`
//! (exact host, else one-label wildcard, else catch-all), which the synthesized
//! Gateways express with `host_fallthrough: Some(false)`. The spec-literal reference
//! (`spec-tests/src/reference.rs`, `route_ingress`) checks the equivalence.

use std::cmp::Ordering;

use crate::ir::{HostMatch, Match, PathMatch, Route, Timestamp};

/// Specificity of the hostname that matched the request.
///
/// Orders from most to least specific: exact names (longer first), then
/// wildcards (longer suffix first), then the catch-all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HostRank {
    /// Characters of a matching non-wildcard hostname (0 for wildcards and catch-all).
    pub exact_chars: usize,
    /// Characters of the matching hostname (wildcards counted with their `*`).
    pub chars: usize,
}

impl HostRank {
    /// The rank of a route hostname.
    pub fn of(host: &HostMatch) -> Self {
        match host {
            HostMatch::Exact(h) => HostRank {
                exact_chars: h.len(),
                chars: h.len(),
            },
            // An Ingress wildcard ranks as a Gateway API one of the same length (the
            // two never share a listener).
            HostMatch::Wildcard(s) | HostMatch::SingleLabel(s) => HostRank {
                exact_chars: 0,
                chars: s.len() + 1,
            },
            HostMatch::Any => HostRank {
                exact_chars: 0,
                chars: 0,
            },
        }
    }
}

impl Ord for HostRank {
    /// `Less` means "more specific, wins".
    fn cmp(&self, other: &Self) -> Ordering {
        // "most characters in a matching non-wildcard hostname"
        (other.exact_chars.cmp(&self.exact_chars))
            // "then the most characters in a matching hostname"
            .then(other.chars.cmp(&self.chars))
    }
}

impl PartialOrd for HostRank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The kinds of path condition, for the compiled lookup, which visits them in
/// [`PathClass::ORDER`] so that the order is stated once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathClass {
    /// `Exact`.
    Exact,
    /// `PathPrefix`.
    Prefix,
    /// `RegularExpression`.
    Regex,
    /// An Ingress default location ([`PathMatch::Fallback`]).
    Fallback,
}

impl PathClass {
    /// "Exact" path match, then "Prefix" path match, then (implementation-specific)
    /// regex; last the Ingress default location, which serves only what no path of
    /// its host matches (ingress-nginx's `location /` default of each `server`).
    pub const ORDER: [PathClass; 4] = [
        PathClass::Exact,
        PathClass::Prefix,
        PathClass::Regex,
        PathClass::Fallback,
    ];

    fn position(self) -> usize {
        Self::ORDER
            .iter()
            .position(|c| *c == self)
            .unwrap_or(Self::ORDER.len())
    }
}

/// Specificity of a path condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathRank {
    /// `Exact` (length is irrelevant: two Exact matches of one request are equal strings).
    Exact,
    /// `PathPrefix`, with the prefix length in characters as written.
    Prefix(usize),
    /// `RegularExpression`, with the pattern length in characters.
    Regex(usize),
    /// The Ingress default location (after every other path condition).
    Fallback,
}

impl PathRank {
    /// The rank of a path condition.
    pub fn of(path: &PathMatch) -> Self {
        match path {
            PathMatch::Exact(_) => PathRank::Exact,
            PathMatch::Prefix(p) => PathRank::Prefix(p.chars().count()),
            PathMatch::Regex(p) => PathRank::Regex(p.as_str().chars().count()),
            PathMatch::Fallback => PathRank::Fallback,
        }
    }

    /// The kind of path condition.
    pub fn class(self) -> PathClass {
        match self {
            PathRank::Exact => PathClass::Exact,
            PathRank::Prefix(_) => PathClass::Prefix,
            PathRank::Regex(_) => PathClass::Regex,
            PathRank::Fallback => PathClass::Fallback,
        }
    }

    fn len(self) -> usize {
        match self {
            PathRank::Exact | PathRank::Fallback => 0,
            PathRank::Prefix(n) | PathRank::Regex(n) => n,
        }
    }
}

impl Ord for PathRank {
    /// `Less` means "wins".
    fn cmp(&self, other: &Self) -> Ordering {
        // "Exact" path match, then "Prefix", then (implementation-specific) regex.
        self.class()
            .position()
            .cmp(&other.class().position())
            // "Prefix" path match with largest number of characters.
            .then(other.len().cmp(&self.len()))
    }
}

impl PartialOrd for PathRank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The part of the precedence key that depends on the match alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatchRank {
    /// GRPCRoute: the match constrains the service. "Characters in a matching
    /// service" (`GRPCRouteRule.Matches`, grpcroute_types.go 195–214) are the
    /// request's service name for every match that constrains it, so for one
    /// request they reduce to whether the match constrains it. Always `false` for HTTPRoute.
    pub grpc_service: bool,
    /// GRPCRoute: the match constrains the method (same reasoning).
    pub grpc_method: bool,
    /// Path specificity.
    pub path: PathRank,
    /// Whether the match has a method condition.
    pub method: bool,
    /// Number of header conditions.
    pub headers: usize,
    /// Number of query parameter conditions.
    pub query: usize,
}

impl MatchRank {
    /// The rank of a match.
    pub fn of(m: &Match) -> Self {
        MatchRank {
            grpc_service: m.grpc.as_ref().is_some_and(|g| g.service.is_some()),
            grpc_method: m.grpc.as_ref().is_some_and(|g| g.method.is_some()),
            path: PathRank::of(&m.path),
            method: m.method.is_some(),
            headers: m.headers.len(),
            query: m.query.len(),
        }
    }
}

impl Ord for MatchRank {
    /// `Less` means "wins".
    fn cmp(&self, other: &Self) -> Ordering {
        // GRPCRoute: "Characters in a matching service", then "Characters in a matching method".
        (other.grpc_service.cmp(&self.grpc_service))
            .then(other.grpc_method.cmp(&self.grpc_method))
            .then(self.path.cmp(&other.path))
            // "Method match."
            .then(other.method.cmp(&self.method))
            // "Largest number of header matches."
            .then(other.headers.cmp(&self.headers))
            // "Largest number of query param matches."
            .then(other.query.cmp(&self.query))
    }
}

impl PartialOrd for MatchRank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Route-level tie breakers: creation time, then `{namespace}/{name}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteOrder<'a> {
    /// Creation timestamp; `None` (not given) counts as newer than any given one.
    pub created: Option<Timestamp>,
    /// Namespace.
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
}

impl<'a> RouteOrder<'a> {
    /// The order key of a route.
    pub fn of(route: &'a Route) -> Self {
        RouteOrder {
            created: route.created,
            namespace: &route.namespace,
            name: &route.name,
        }
    }
}

impl Ord for RouteOrder<'_> {
    /// `Less` means "wins".
    fn cmp(&self, other: &Self) -> Ordering {
        let created = match (self.created, other.created) {
            // "The oldest Route based on creation timestamp."
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        // "The Route appearing first in alphabetical order by {namespace}/{name}."
        // Comparing (namespace, name) as a pair equals comparing the joined string
        // except when a namespace is a prefix of another; Kubernetes names cannot
        // contain '/', so compare the joined form literally.
        created.then_with(|| {
            let a = self.namespace.bytes().chain(*b"/").chain(self.name.bytes());
            let b = other
                .namespace
                .bytes()
                .chain(*b"/")
                .chain(other.name.bytes());
            a.cmp(b)
        })
    }
}

impl PartialOrd for RouteOrder<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The full key of a candidate (hostname, route, rule, match). `Less` wins.
///
/// ```
/// use gatewright::precedence::{HostRank, MatchRank, PathRank, Key, RouteOrder};
/// let host = HostRank { exact_chars: 0, chars: 0 };
/// let exact = MatchRank { grpc_service: false, grpc_method: false, path: PathRank::Exact, method: false, headers: 0, query: 0 };
/// let long_prefix = MatchRank { grpc_service: false, grpc_method: false, path: PathRank::Prefix(20), method: true, headers: 3, query: 0 };
/// let route = RouteOrder { created: None, namespace: "a", name: "r" };
/// let k1 = Key { host, matching: exact, route, rule: 1, matched: 0 };
/// let k2 = Key { host, matching: long_prefix, route, rule: 0, matched: 0 };
/// assert!(k1 < k2, "Exact beats a longer prefix with more conditions");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key<'a> {
    /// Hostname specificity.
    pub host: HostRank,
    /// Match specificity.
    pub matching: MatchRank,
    /// Route tie breakers.
    pub route: RouteOrder<'a>,
    /// Rule index within the route ("the FIRST matching rule (in list order)").
    pub rule: usize,
    /// Match index within the rule (reported, and makes the order total).
    pub matched: usize,
}

impl Ord for Key<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.host
            .cmp(&other.host)
            .then(self.matching.cmp(&other.matching))
            .then(self.route.cmp(&other.route))
            .then(self.rule.cmp(&other.rule))
            .then(self.matched.cmp(&other.matched))
    }
}

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Which part of the key decided between a winner and a loser, for `explain`.
pub fn deciding_field(winner: &Key<'_>, loser: &Key<'_>) -> &'static str {
    if winner.host != loser.host {
        "a more specific hostname"
    } else if winner.matching.grpc_service != loser.matching.grpc_service {
        "a service match"
    } else if winner.matching.grpc_method != loser.matching.grpc_method {
        "a method match"
    } else if winner.matching.path != loser.matching.path {
        match (winner.matching.path, loser.matching.path) {
            (PathRank::Exact, _) => "an Exact path match",
            (PathRank::Prefix(_), PathRank::Regex(_)) => {
                "a PathPrefix match (ranked above RegularExpression)"
            }
            (_, PathRank::Fallback) => "a path match (the default backend comes last)",
            _ => "a longer path match",
        }
    } else if winner.matching.method != loser.matching.method {
        "a method match"
    } else if winner.matching.headers != loser.matching.headers {
        "more header matches"
    } else if winner.matching.query != loser.matching.query {
        "more query parameter matches"
    } else if winner.route.created != loser.route.created {
        "an older route (creationTimestamp)"
    } else if (winner.route.namespace, winner.route.name)
        != (loser.route.namespace, loser.route.name)
    {
        "the route first in {namespace}/{name} order"
    } else if winner.rule != loser.rule {
        "an earlier rule of the same route"
    } else {
        "an earlier match of the same rule"
    }
}
