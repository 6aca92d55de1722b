//! Turning the winning rule into what the proxy must do: backend choice,
//! redirects, rewrites, header changes, mirrors and CORS.

use super::{
    Action, BackendName, Decision, Forward, MirrorTo, Provenance, RedirectTo, Request, Respond,
    RetryPolicy, Router, Site, Upstream,
};
use crate::compile::{Candidate, VirtualHost};
use crate::ir::{
    normalize_prefix, Backend, BackendTarget, Cors, Filters, HeaderOps, PathMatch, PathModifier,
    Redirect, RouteKind,
};

impl Router {
    /// The decision for a Gateway API or Ingress winner, with its precomputed policies.
    pub(super) fn decide_winner(
        &self,
        gateway: usize,
        listener: usize,
        vhost: &VirtualHost,
        candidate: Candidate,
        request: &Request<'_>,
        entropy: u64,
    ) -> Decision {
        let (g, l) = (gateway, listener);
        let gw = &self.ir.gateways[g];
        let listener = &gw.listeners[l];
        let site = Site {
            gateway: format!("{}/{}", gw.namespace, gw.name),
            listener: listener.name.clone(),
            port: listener.port,
        };
        let mut decision =
            self.decide_at(&site, candidate, &vhost.host.to_string(), request, entropy);
        if let Some(table) = &self.policies {
            let c = candidate;
            let rule = &self.ir.routes[c.route as usize].rules[c.rule as usize];
            // Which backend was chosen, by position (names are unique enough per rule).
            let backend = decision.backend().and_then(|b| {
                rule.action.backends.iter().position(|x| {
                    matches!(&x.target, BackendTarget::Service { namespace, name, port }
                        if *namespace == b.namespace && *name == b.name && *port == b.port)
                })
            });
            decision.policies = table
                .lookup((g, l, c.route as usize, c.rule as usize, backend))
                .or_else(|| table.lookup((g, l, c.route as usize, c.rule as usize, None)));
        }
        decision
    }

    /// Builds the decision for a winning candidate at a site (a Gateway listener,
    /// or a Service port for mesh traffic).
    pub(super) fn decide_at(
        &self,
        site: &Site,
        candidate: Candidate,
        hostname: &str,
        request: &Request<'_>,
        entropy: u64,
    ) -> Decision {
        let winner = candidate;
        let route = &self.ir.routes[winner.route as usize];
        let rule = &route.rules[winner.rule as usize];
        let m = &rule.matches[winner.matched as usize];
        let matched = Some(Provenance {
            gateway: site.gateway.clone(),
            listener: site.listener.clone(),
            hostname: Some(hostname.to_owned()),
            kind: Some(route.kind.as_str().into()),
            namespace: Some(route.namespace.clone()),
            name: Some(route.name.clone()),
            rule: Some(rule.index),
            rule_name: rule.name.clone(),
            matched: Some(m.index),
        });
        let matched_path = &m.path;
        let action = &rule.action;
        let decided = |action| Decision {
            policies: None,
            action,
            matched: matched.clone(),
        };
        let backend = match plan(rule, request, entropy) {
            Plan::Invalid(reason) => {
                return decided(server_error(
                    route.kind,
                    format!("the rule cannot be served: {reason}"),
                ))
            }
            Plan::Preflight(cors) => return decided(cors_preflight(cors, request)),
            Plan::Redirect(redirect) => {
                return decided(redirect_to(redirect, request, site.port, matched_path))
            }
            Plan::NoBackend => {
                return decided(server_error(
                    route.kind,
                    "the rule has no backend with a weight above 0".into(),
                ))
            }
            Plan::InvalidBackend { reason, name } => {
                return decided(server_error(
                    route.kind,
                    format!("backend {name} is invalid ({reason})"),
                ))
            }
            Plan::Forward(backend) => backend,
        };
        let filters = &action.filters;
        let BackendTarget::Service {
            namespace,
            name,
            port,
        } = &backend.target
        else {
            unreachable!("Plan::Forward holds a Service backend")
        };
        let mut upstream = Upstream::unchanged(request);
        let mut response_headers = HeaderOps::default();
        let mut mirrors = Vec::new();
        for f in [filters, &backend.filters] {
            apply_forward_filters(f, &mut upstream, &mut response_headers, matched_path);
            for (i, mirror) in f.mirrors.iter().enumerate() {
                let BackendTarget::Service {
                    namespace,
                    name,
                    port,
                } = &mirror.backend
                else {
                    continue;
                };
                let sample = splitmix64(entropy ^ (0x9e37_79b9 + mirrors.len() as u64 + i as u64));
                mirrors.push(MirrorTo {
                    backend: BackendName {
                        subset: None,
                        host: None,
                        namespace: namespace.clone(),
                        name: name.clone(),
                        port: *port,
                    },
                    percent: f64::from(mirror.numerator) * 100.0 / f64::from(mirror.denominator),
                    selected: scale(sample, u64::from(mirror.denominator))
                        < u64::from(mirror.numerator),
                });
            }
        }
        if let Some(cors) = &filters.cors {
            cors_response_headers(cors, request, &mut response_headers);
        }
        decided(Action::Forward(Box::new(Forward {
            split: Vec::new(),
            attributes: Default::default(),
            backend: BackendName {
                subset: None,
                host: None,
                namespace: namespace.clone(),
                name: name.clone(),
                port: *port,
            },
            upstream,
            response_headers,
            mirrors,
            request_timeout_ms: action.request_timeout_ms,
            backend_request_timeout_ms: action.backend_request_timeout_ms,
            retry: action.retry.as_ref().map(RetryPolicy::from),
            backend_tls: backend.tls.as_deref().cloned(),
        })))
    }
}

/// What a winning rule does with a request, decided without allocating. The
/// checks run in the order the filters apply: an invalid rule (500), a CORS
/// preflight (answered by the gateway), a `RequestRedirect` (rule, then picked
/// backend), no weighted backend (500), an unresolved backend (500), else forward.
#[derive(Clone, Copy, Debug)]
pub(super) enum Plan<'r> {
    /// The rule cannot be served (`RuleAction::invalid`).
    Invalid(&'r str),
    /// A CORS preflight, answered by the gateway (`HTTPCORSFilter`).
    Preflight(&'r Cors),
    /// A `RequestRedirect` filter answers.
    Redirect(&'r Redirect),
    /// `HTTPRouteRule.BackendRefs`: no backends and no answering filter → 500.
    NoBackend,
    /// The picked backend does not resolve: 500 in proportion to its weight.
    InvalidBackend {
        /// The ResolvedRefs reason.
        reason: &'r str,
        /// What was referenced.
        name: &'r str,
    },
    /// Forward to this backend (its target is a Service).
    Forward(&'r Backend),
}

pub(super) fn plan<'r>(rule: &'r crate::ir::Rule, request: &Request<'_>, entropy: u64) -> Plan<'r> {
    let action = &*rule.action;
    if let Some(reason) = &action.invalid {
        return Plan::Invalid(reason);
    }
    let filters = &action.filters;
    if let Some(cors) = &filters.cors {
        if is_preflight(request) {
            return Plan::Preflight(cors);
        }
    }
    if let Some(redirect) = &filters.redirect {
        return Plan::Redirect(redirect);
    }
    let Some(backend) = pick(&action.backends, entropy) else {
        return Plan::NoBackend;
    };
    match &backend.target {
        BackendTarget::Invalid { reason, name } => Plan::InvalidBackend { reason, name },
        BackendTarget::Service { .. } => match &backend.filters.redirect {
            Some(redirect) => Plan::Redirect(redirect),
            None => Plan::Forward(backend),
        },
    }
}

impl Plan<'_> {
    /// The status the gateway answers with, `None` when the request is forwarded.
    pub(super) fn status(&self, kind: RouteKind) -> Option<u16> {
        match self {
            Plan::Invalid(_) | Plan::NoBackend | Plan::InvalidBackend { .. } => {
                Some(server_error_status(kind))
            }
            Plan::Preflight(_) => Some(204),
            Plan::Redirect(r) => Some(r.status),
            Plan::Forward(_) => None,
        }
    }
}

/// The answer when the rule cannot reach a backend. `HTTPRouteRule.BackendRefs`:
/// HTTP 500; `GRPCRouteRule.BackendRefs` (grpcroute_types.go 257–285): gRPC
/// `UNAVAILABLE` (code 14), sent as HTTP 503 with `grpc-status: 14`.
///
/// Ingress: ingress-nginx answers 503 when a location's upstream has no usable
/// endpoint (`rootfs/etc/nginx/lua/balancer.lua`, `_M.rewrite`: no balancer →
/// `ngx.HTTP_SERVICE_UNAVAILABLE`), which is the case for a Service or port that
/// does not exist.
fn server_error(kind: RouteKind, reason: String) -> Action {
    let headers = match kind {
        RouteKind::Grpc => vec![("grpc-status".to_owned(), "14".to_owned())],
        _ => Vec::new(),
    };
    let status = server_error_status(kind);
    Action::Respond(Respond {
        body: None,
        backend: None,
        status,
        headers,
        reason,
    })
}

/// The status of [`server_error`]: 503 for GRPCRoute and Ingress, else 500.
fn server_error_status(kind: RouteKind) -> u16 {
    match kind {
        RouteKind::Grpc | RouteKind::Ingress => 503,
        _ => 500,
    }
}

/// Maps a uniform sample onto `0..n` (multiply-shift), the basis of every weighted choice.
pub fn scale(sample: u64, n: u64) -> u64 {
    u64::try_from((u128::from(sample) * u128::from(n)) >> 64).unwrap_or(0)
}

/// SplitMix64, to derive independent samples from one entropy value.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Weighted choice: the backend whose cumulative weight range holds
/// `scale(entropy, total)`. Weight 0 is never chosen; `None` when the total is 0
/// (`BackendRef.Weight`: "proportional ... weight 0 receives nothing").
pub fn pick(backends: &[Backend], entropy: u64) -> Option<&Backend> {
    let total: u64 = backends.iter().map(|b| u64::from(b.weight)).sum();
    if total == 0 {
        return None;
    }
    let mut point = scale(entropy, total);
    for b in backends {
        let w = u64::from(b.weight);
        if point < w {
            return Some(b);
        }
        point -= w;
    }
    None
}

fn apply_forward_filters(
    f: &Filters,
    upstream: &mut Upstream,
    response: &mut HeaderOps,
    matched: &PathMatch,
) {
    if let Some(rewrite) = &f.rewrite {
        if let Some(host) = &rewrite.hostname {
            upstream.authority.clone_from(host);
        }
        if let Some(path) = &rewrite.path {
            upstream.path = modify_matched_path(path, &upstream.path, matched);
        }
    }
    f.request_headers.apply(&mut upstream.headers);
    response.set.extend(f.response_headers.set.iter().cloned());
    response.add.extend(f.response_headers.add.iter().cloned());
    response
        .remove
        .extend(f.response_headers.remove.iter().cloned());
}

/// `HTTPPathModifier` (httproute_types.go 1151–1200). For `ReplacePrefixMatch`
/// the matched prefix is replaced on a segment boundary, following the spec's
/// table: `/foo/bar` with prefix `/foo` → `/xyz/bar`; an empty replacement
/// leaves `/bar`; a result that would be empty is `/`.
///
/// ```
/// use gatewright::ir::PathModifier;
/// use gatewright::modify_path;
/// let m = PathModifier::ReplacePrefixMatch("/xyz/".into());
/// assert_eq!(modify_path(&m, "/foo/bar", Some("/foo/")), "/xyz/bar");
/// let strip = PathModifier::ReplacePrefixMatch(String::new());
/// assert_eq!(modify_path(&strip, "/foo", Some("/foo")), "/");
/// ```
///
/// [`PathModifier::RegexSubstitution`] needs the rule's regex: here, without it,
/// the `$n` references are dropped (the router uses the matched regex).
pub fn modify_path(modifier: &PathModifier, path: &str, matched_prefix: Option<&str>) -> String {
    match modifier {
        PathModifier::RegexSubstitution(template) => {
            absolute(crate::ir::expand_template(template, |_| None))
        }
        PathModifier::ReplaceFullPath(p) => {
            if p.is_empty() {
                "/".into()
            } else {
                p.clone()
            }
        }
        PathModifier::ReplacePrefixMatch(replacement) => {
            let prefix = matched_prefix.map_or("/", normalize_prefix);
            let rest = if prefix == "/" {
                path
            } else {
                path.get(prefix.len()..).unwrap_or("")
            };
            let replacement = replacement.trim_end_matches('/');
            let joined = format!("{replacement}{rest}");
            if joined.is_empty() {
                "/".into()
            } else if joined.starts_with('/') {
                joined
            } else {
                format!("/{joined}")
            }
        }
    }
}

/// A path modifier applied for the rule's matched path condition: the matched
/// prefix for `ReplacePrefixMatch`, the matched regex's captures for
/// `RegexSubstitution`.
fn modify_matched_path(modifier: &PathModifier, path: &str, matched: &PathMatch) -> String {
    match (modifier, matched) {
        // ingress-nginx: `rewrite "(?i)<path>" <target> break;`: the whole URI becomes
        // the target with `$n` from the location regex (which matched `path`).
        (PathModifier::RegexSubstitution(template), PathMatch::Regex(re)) => {
            absolute(re.expand(path, template).unwrap_or_default())
        }
        (_, PathMatch::Prefix(p)) => modify_path(modifier, path, Some(p)),
        _ => modify_path(modifier, path, None),
    }
}

/// A rewritten path: `/` when empty, with a leading `/` added when missing.
fn absolute(path: String) -> String {
    if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    }
}

/// `HTTPRequestRedirectFilter` (httproute_types.go 1209–1298).
fn redirect_to(
    r: &Redirect,
    request: &Request<'_>,
    listener_port: u16,
    matched: &PathMatch,
) -> Action {
    let scheme = r
        .scheme
        .clone()
        .unwrap_or_else(|| request.get_scheme().to_ascii_lowercase());
    let host = r
        .hostname
        .clone()
        .unwrap_or_else(|| request.host().to_owned());
    // Port: "If no port is specified, the redirect port MUST be derived ...: if the
    // redirect scheme is not-empty, the well-known port of the scheme ... if the
    // redirect scheme is empty, the Gateway Listener port."
    let port = r.port.unwrap_or(match (&r.scheme, scheme.as_str()) {
        (Some(_), "http") => 80,
        (Some(_), "https") => 443,
        _ => listener_port,
    });
    // "Implementations SHOULD NOT add the port number in the 'Location' header" for http:80 and https:443.
    let default_port = matches!((scheme.as_str(), port), ("http", 80) | ("https", 443));
    let path = r.path.as_ref().map_or_else(
        || request.path().to_owned(),
        |m| modify_matched_path(m, request.path(), matched),
    );
    let mut location = format!("{scheme}://{host}");
    if !default_port {
        location.push(':');
        location.push_str(&port.to_string());
    }
    location.push_str(&path);
    if let Some(q) = request.query() {
        location.push('?');
        location.push_str(q);
    }
    Action::Redirect(RedirectTo {
        headers: Vec::new(),
        status: r.status,
        location,
    })
}

/// Whether `origin` is allowed: `*`, an exact origin, or `scheme://*.suffix[:port]`
/// wildcards (`HTTPCORSFilter.AllowOrigins`, httproute_types.go 1379–1615).
fn origin_allowed(cors: &Cors, origin: &str) -> bool {
    cors.allow_origins.iter().any(|allowed| {
        if allowed == "*" || allowed.eq_ignore_ascii_case(origin) {
            return true;
        }
        let Some((scheme, pattern)) = allowed.split_once("://") else {
            return false;
        };
        let Some(suffix) = pattern.strip_prefix('*') else {
            return false;
        };
        let Some((o_scheme, o_host)) = origin.split_once("://") else {
            return false;
        };
        o_scheme.eq_ignore_ascii_case(scheme)
            && o_host.len() > suffix.len()
            && o_host
                .to_ascii_lowercase()
                .ends_with(&suffix.to_ascii_lowercase())
    })
}

/// A CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
/// is answered by the gateway: with the CORS headers when the origin is allowed,
/// without them otherwise.
fn is_preflight(request: &Request<'_>) -> bool {
    request.method() == "OPTIONS"
        && request.header("origin").is_some()
        && request.header("access-control-request-method").is_some()
}

/// The gateway's answer to a CORS preflight ([`is_preflight`]).
fn cors_preflight(cors: &Cors, request: &Request<'_>) -> Action {
    let origin = request.header("origin").unwrap_or_default();
    let requested_method = request
        .header("access-control-request-method")
        .unwrap_or_default();
    let mut headers = Vec::new();
    if origin_allowed(cors, origin) {
        // Echo the origin (never `*` with credentials; echoing is always valid).
        headers.push(("access-control-allow-origin".to_owned(), origin.to_owned()));
        let methods = if cors.allow_methods.iter().any(|m| m == "*") {
            requested_method.to_owned()
        } else {
            cors.allow_methods.join(", ")
        };
        if !methods.is_empty() {
            headers.push(("access-control-allow-methods".to_owned(), methods));
        }
        let allow_headers = if cors.allow_headers.iter().any(|h| h == "*") {
            request
                .header("access-control-request-headers")
                .unwrap_or("")
                .to_owned()
        } else {
            cors.allow_headers.join(", ")
        };
        if !allow_headers.is_empty() {
            headers.push(("access-control-allow-headers".to_owned(), allow_headers));
        }
        if !cors.expose_headers.is_empty() {
            headers.push((
                "access-control-expose-headers".to_owned(),
                cors.expose_headers.join(", "),
            ));
        }
        if let Some(age) = cors.max_age {
            headers.push(("access-control-max-age".to_owned(), age.to_string()));
        }
        if cors.allow_credentials {
            headers.push((
                "access-control-allow-credentials".to_owned(),
                "true".to_owned(),
            ));
        }
    }
    Action::Respond(Respond {
        body: None,
        backend: None,
        status: 204,
        headers,
        reason: "CORS preflight".into(),
    })
}

/// CORS headers on the response of an actual (non-preflight) request from an allowed origin.
fn cors_response_headers(cors: &Cors, request: &Request<'_>, response: &mut HeaderOps) {
    let Some(origin) = request.header("origin") else {
        return;
    };
    if !origin_allowed(cors, origin) {
        return;
    }
    response
        .set
        .push(("access-control-allow-origin".into(), origin.to_owned()));
    if cors.allow_credentials {
        response
            .set
            .push(("access-control-allow-credentials".into(), "true".into()));
    }
    if !cors.expose_headers.is_empty() {
        response.set.push((
            "access-control-expose-headers".into(),
            cors.expose_headers.join(", "),
        ));
    }
}
