//! Lowering route rules (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) into IR rules: validation, regex compilation,
//! filter interpretation and backendRef resolution.

use std::sync::Arc;

use super::policy::BackendTlsPolicies;
use super::refs::RefIndex;
use crate::diag::{Code, Diagnostic, ObjectRef, Severity, GATEWAY_GROUP};
use crate::ir::{
    Backend, BackendTarget, BackendTls, Cors, Filters, GrpcMethod, HeaderOps, Match, Mirror,
    NameValueMatch, PathMatch, PathModifier, Pattern, Redirect, Retry, Rewrite, Rule, RuleAction,
    ValueMatch,
};
use crate::resource::model::{
    BackendRef, GrpcRoute, GrpcRouteRule, HttpBackendRef, HttpHeaderFilter, HttpHeaderMatch,
    HttpPathModifier, HttpRoute, HttpRouteFilter, HttpRouteMatch, HttpRouteRule, L4Route,
    L4RouteRule,
};

/// Methods allowed in `HTTPRouteMatch.method` (`HTTPMethod`, httproute_types.go 713–727).
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The result of lowering one route.
pub(crate) struct LoweredRoute {
    pub(crate) rules: Vec<Rule>,
    /// Some rules were dropped (`PartiallyInvalid`), with the first message.
    pub(crate) dropped: Option<String>,
    /// First unresolved reference: (ResolvedRefs reason, message).
    pub(crate) unresolved: Option<(String, String)>,
    /// BackendTLSPolicies governing the route's backends.
    pub(crate) policy_uses: Vec<usize>,
}

pub(crate) struct Lowerer<'a, 'r> {
    pub(crate) refs: &'a RefIndex<'r>,
    /// Services the route is attached to as a mesh route (reachable without a grant).
    pub(crate) mesh_parents: Vec<(String, String)>,
    pub(crate) policies: &'a BackendTlsPolicies<'r>,
    /// BackendTLSPolicies governing this route's backends (for their ancestor status).
    pub(crate) policy_uses: Vec<usize>,
    pub(crate) regex_size_limit: usize,
    pub(crate) object: &'a ObjectRef,
    pub(crate) namespace: &'a str,
    pub(crate) diagnostics: &'a mut Vec<Diagnostic>,
    pub(crate) unresolved: Option<(String, String)>,
}

/// A reason to drop a rule: the field and the message.
type Invalid = (String, String);

impl Lowerer<'_, '_> {
    pub(crate) fn lower_route(self, route: &HttpRoute) -> LoweredRoute {
        self.lower_rules(&route.spec.rules, Self::lower_rule)
    }

    pub(crate) fn lower_grpc_route(self, route: &GrpcRoute) -> LoweredRoute {
        self.lower_rules(&route.spec.rules, Self::lower_grpc_rule)
    }

    /// A TLSRoute, TCPRoute or UDPRoute: backends only. Only the first rule is
    /// used (TLSRoute v1 allows exactly one; `TCPRouteSpec.Rules`/`UDPRouteSpec.Rules`
    /// in v1alpha2 allowed several but gave no way to choose between them).
    pub(crate) fn lower_l4_route(self, route: &L4Route) -> LoweredRoute {
        self.lower_rules(&route.spec.rules, |this, index, rule: &L4RouteRule| {
            let mut action = RuleAction::default();
            for (j, b) in rule.backend_refs.iter().enumerate() {
                let target =
                    this.resolve_backend(b, &format!("spec.rules[{index}].backendRefs[{j}]"));
                let (target, tls) = this.backend_tls(target);
                action.backends.push(Backend {
                    weight: b.weight.unwrap_or(1),
                    target,
                    filters: Filters::default(),
                    tls,
                });
            }
            Ok(Rule {
                index,
                name: rule.name.clone(),
                matches: vec![default_match()],
                action: Arc::new(action),
            })
        })
    }

    /// Lowers every rule; an invalid rule is dropped with a diagnostic and the
    /// route becomes `PartiallyInvalid` (GEP-1364).
    fn lower_rules<R>(
        mut self,
        list: &[R],
        mut lower: impl FnMut(&mut Self, usize, &R) -> Result<Rule, Invalid>,
    ) -> LoweredRoute {
        let mut rules = Vec::new();
        let mut dropped = None;
        for (i, rule) in list.iter().enumerate() {
            match lower(&mut self, i, rule) {
                Ok(r) => rules.push(r),
                Err((field, message)) => {
                    let code = if message.contains("regular expression") {
                        Code::InvalidRegex
                    } else {
                        Code::UnsupportedValue
                    };
                    self.diagnostics.push(Diagnostic::new(
                        code,
                        Severity::Error,
                        self.object,
                        &field,
                        format!("{message}; rule {i} is dropped"),
                    ));
                    dropped.get_or_insert(format!("{field}: {message}"));
                }
            }
        }
        LoweredRoute {
            rules,
            dropped,
            unresolved: self.unresolved,
            policy_uses: self.policy_uses,
        }
    }

    /// A GRPCRoute rule. `GRPCRouteRule.Matches`: "If no matches are specified, the
    /// implementation MUST match every gRPC request"; a method match needs a service
    /// or a method (`GRPCMethodMatch`, grpcroute_types.go 332–370).
    fn lower_grpc_rule(&mut self, index: usize, rule: &GrpcRouteRule) -> Result<Rule, Invalid> {
        let at = format!("spec.rules[{index}]");
        let mut matches = Vec::new();
        for (j, m) in rule.matches.iter().enumerate() {
            let field = format!("{at}.matches[{j}]");
            let grpc = match &m.method {
                None => None,
                Some(method) => {
                    let regex = match method.kind.as_deref().unwrap_or("Exact") {
                        "Exact" => false,
                        "RegularExpression" => true,
                        other => {
                            return Err((
                                format!("{field}.method.type"),
                                format!("unsupported method match type {other:?}"),
                            ))
                        }
                    };
                    let value =
                        |v: &Option<String>, name: &str| -> Result<Option<ValueMatch>, Invalid> {
                            match v {
                                None => Ok(None),
                                Some(v) if regex => Ok(Some(ValueMatch::Regex(
                                    self.pattern(v, &format!("{field}.method.{name}"))?,
                                ))),
                                Some(v) => Ok(Some(ValueMatch::Exact(v.clone()))),
                            }
                        };
                    let service = value(&method.service, "service")?;
                    let method_name = value(&method.method, "method")?;
                    if service.is_none() && method_name.is_none() {
                        return Err((
                            format!("{field}.method"),
                            "a method match needs a service or a method".into(),
                        ));
                    }
                    Some(GrpcMethod {
                        service,
                        method: method_name,
                    })
                }
            };
            let headers = self.name_values(&m.headers, &format!("{field}.headers"), true)?;
            matches.push(Match {
                index: j,
                path: PathMatch::Prefix("/".into()),
                method: None,
                headers,
                query: Vec::new(),
                grpc,
            });
        }
        if matches.is_empty() {
            matches.push(default_match());
        }
        let mut action = RuleAction::default();
        match self.lower_filters(&rule.filters, &format!("{at}.filters")) {
            Ok(filters) => action.filters = filters,
            Err(reason) => action.invalid = Some(reason),
        }
        self.lower_backends(&rule.backend_refs, &at, &mut action);
        Ok(Rule {
            index,
            name: rule.name.clone(),
            matches,
            action: Arc::new(action),
        })
    }

    fn lower_backends(
        &mut self,
        backend_refs: &[HttpBackendRef],
        at: &str,
        action: &mut RuleAction,
    ) {
        for (j, b) in backend_refs.iter().enumerate() {
            let field = format!("{at}.backendRefs[{j}]");
            let backend = b.backend();
            let target = self.resolve_backend(&backend, &field);
            let (target, tls) = self.backend_tls(target);
            let filters = match self.lower_filters(&b.filters, &format!("{field}.filters")) {
                Ok(f) => f,
                Err(reason) => {
                    action.invalid = Some(reason);
                    Filters::default()
                }
            };
            action.backends.push(Backend {
                weight: backend.weight.unwrap_or(1),
                target,
                filters,
                tls,
            });
        }
    }

    fn lower_rule(&mut self, index: usize, rule: &HttpRouteRule) -> Result<Rule, Invalid> {
        let at = format!("spec.rules[{index}]");
        let matches = match &rule.matches {
            // `HTTPRouteRule.Matches`: default `- path: {type: PathPrefix, value: /}`.
            None => vec![default_match()],
            Some(list) if list.is_empty() => vec![default_match()],
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(j, m)| self.lower_match(j, m, &format!("{at}.matches[{j}]")))
                .collect::<Result<_, _>>()?,
        };
        let mut action = RuleAction::default();
        match self.lower_filters(&rule.filters, &format!("{at}.filters")) {
            Ok(filters) => action.filters = filters,
            Err(reason) => action.invalid = Some(reason),
        }
        if let Some(Some(PathModifier::ReplacePrefixMatch(_))) = action
            .filters
            .rewrite
            .as_ref()
            .map(|r| r.path.as_ref())
            .or(action.filters.redirect.as_ref().map(|r| r.path.as_ref()))
        {
            // `HTTPPathModifier.ReplacePrefixMatch` "is only compatible with a PathPrefix HTTPRouteMatch".
            if !matches
                .iter()
                .all(|m| matches!(m.path, PathMatch::Prefix(_)))
            {
                return Err((
                    format!("{at}.filters"),
                    "ReplacePrefixMatch requires every match of the rule to be a PathPrefix match"
                        .into(),
                ));
            }
        }
        self.lower_backends(&rule.backend_refs, &at, &mut action);
        // HTTPRouteRule validation (CEL): RequestRedirect cannot be combined with
        // URLRewrite, nor with backendRefs. The API server rejects such a rule; offline
        // we report it and the redirect wins.
        if action.filters.redirect.is_some()
            && (action.filters.rewrite.is_some() || !action.backends.is_empty())
        {
            self.diagnostics.push(Diagnostic::new(
                Code::IncompatibleFilters,
                Severity::Warning,
                self.object,
                &at,
                "RequestRedirect cannot be combined with URLRewrite or backendRefs (the API server rejects this); the redirect is applied",
            ));
        }
        if let Some(t) = &rule.timeouts {
            action.request_timeout_ms =
                self.duration(t.request.as_deref(), &format!("{at}.timeouts.request"));
            action.backend_request_timeout_ms = self.duration(
                t.backend_request.as_deref(),
                &format!("{at}.timeouts.backendRequest"),
            );
        }
        if let Some(r) = &rule.retry {
            action.retry = Some(Retry {
                codes: r.codes.clone(),
                attempts: r.attempts.unwrap_or(1),
                backoff_ms: self.duration(r.backoff.as_deref(), &format!("{at}.retry.backoff")),
            });
        }
        Ok(Rule {
            index,
            name: rule.name.clone(),
            matches,
            action: Arc::new(action),
        })
    }

    fn lower_match(
        &mut self,
        index: usize,
        m: &HttpRouteMatch,
        at: &str,
    ) -> Result<Match, Invalid> {
        let path = match &m.path {
            None => PathMatch::Prefix("/".into()),
            Some(p) => {
                let value = p.value.clone().unwrap_or_else(|| "/".into());
                match p.kind.as_deref().unwrap_or("PathPrefix") {
                    kind @ ("Exact" | "PathPrefix") => {
                        if !value.starts_with('/') {
                            return Err((
                                format!("{at}.path.value"),
                                format!("path {value:?} must start with '/'"),
                            ));
                        }
                        // HTTPPathMatch CEL: "must not contain '//' when type one of ['Exact',
                        // 'PathPrefix']". Also keeps PathPrefix ranking by characters as written
                        // consistent with the prefix index (`/a//` would tie `/a/b`).
                        if value.contains("//") {
                            return Err((
                                format!("{at}.path.value"),
                                format!("path {value:?} must not contain '//'"),
                            ));
                        }
                        if kind == "Exact" {
                            PathMatch::Exact(value)
                        } else {
                            PathMatch::Prefix(value)
                        }
                    }
                    "RegularExpression" => {
                        PathMatch::Regex(self.pattern(&value, &format!("{at}.path.value"))?)
                    }
                    other => {
                        return Err((
                            format!("{at}.path.type"),
                            format!("unsupported path match type {other:?}"),
                        ))
                    }
                }
            }
        };
        let method = match &m.method {
            None => None,
            Some(method) if METHODS.contains(&method.as_str()) => Some(method.clone()),
            Some(method) => {
                return Err((
                    format!("{at}.method"),
                    format!("unsupported method {method:?}"),
                ))
            }
        };
        let headers = self.name_values(&m.headers, &format!("{at}.headers"), true)?;
        let query = self.name_values(&m.query_params, &format!("{at}.queryParams"), false)?;
        Ok(Match {
            index,
            path,
            method,
            headers,
            query,
            grpc: None,
        })
    }

    /// Header and query conditions. `HTTPHeaderMatch.Name`: "If multiple entries specify
    /// equivalent header names, only the first entry with an equivalent name MUST be
    /// considered" (headers case-insensitively, query names exactly).
    fn name_values(
        &mut self,
        list: &[HttpHeaderMatch],
        at: &str,
        fold_case: bool,
    ) -> Result<Vec<NameValueMatch>, Invalid> {
        let mut out: Vec<NameValueMatch> = Vec::new();
        for (i, h) in list.iter().enumerate() {
            let name = if fold_case {
                h.name.to_ascii_lowercase()
            } else {
                h.name.clone()
            };
            if out.iter().any(|o| o.name == name) {
                continue;
            }
            let value = match h.kind.as_deref().unwrap_or("Exact") {
                "Exact" => ValueMatch::Exact(h.value.clone()),
                "RegularExpression" => {
                    ValueMatch::Regex(self.pattern(&h.value, &format!("{at}[{i}].value"))?)
                }
                other => {
                    return Err((
                        format!("{at}[{i}].type"),
                        format!("unsupported match type {other:?}"),
                    ))
                }
            };
            out.push(NameValueMatch { name, value });
        }
        Ok(out)
    }

    fn pattern(&self, source: &str, at: &str) -> Result<Pattern, Invalid> {
        Pattern::new(source, self.regex_size_limit).map_err(|e| {
            (
                at.to_owned(),
                format!("invalid regular expression {source:?}: {e}"),
            )
        })
    }

    /// Interprets filters. `Err` carries the reason the rule must answer 500
    /// (an unsupported filter: "the implementation MUST NOT skip it", HTTPRouteFilter doc).
    fn lower_filters(&mut self, filters: &[HttpRouteFilter], at: &str) -> Result<Filters, String> {
        let mut out = Filters::default();
        let mut invalid = None;
        for (i, f) in filters.iter().enumerate() {
            let field = format!("{at}[{i}]");
            let problem = match f.kind.as_str() {
                "RequestHeaderModifier" => f
                    .request_header_modifier
                    .as_ref()
                    .map(|h| merge_ops(&mut out.request_headers, h))
                    .ok_or("requestHeaderModifier is missing"),
                "ResponseHeaderModifier" => f
                    .response_header_modifier
                    .as_ref()
                    .map(|h| merge_ops(&mut out.response_headers, h))
                    .ok_or("responseHeaderModifier is missing"),
                "RequestRedirect" => f
                    .request_redirect
                    .as_ref()
                    .map(|r| {
                        out.redirect = Some(Redirect {
                            scheme: r.scheme.clone(),
                            hostname: r.hostname.clone(),
                            path: r.path.as_ref().and_then(path_modifier),
                            port: r.port,
                            // `HTTPRequestRedirectFilter.StatusCode`: default 302.
                            status: r.status_code.unwrap_or(302),
                        });
                    })
                    .ok_or("requestRedirect is missing"),
                "URLRewrite" => f
                    .url_rewrite
                    .as_ref()
                    .map(|r| {
                        out.rewrite = Some(Rewrite {
                            hostname: r.hostname.clone(),
                            path: r.path.as_ref().and_then(path_modifier),
                        });
                    })
                    .ok_or("urlRewrite is missing"),
                "RequestMirror" => match &f.request_mirror {
                    Some(m) => {
                        let backend = self.resolve_backend(
                            &m.backend_ref,
                            &format!("{field}.requestMirror.backendRef"),
                        );
                        let (numerator, denominator) = match (&m.fraction, m.percent) {
                            (Some(fr), _) => (fr.numerator, fr.denominator.unwrap_or(100).max(1)),
                            (None, Some(p)) => (p.min(100), 100),
                            (None, None) => (100, 100),
                        };
                        out.mirrors.push(Mirror {
                            backend,
                            numerator: numerator.min(denominator),
                            denominator,
                        });
                        Ok(())
                    }
                    None => Err("requestMirror is missing"),
                },
                "CORS" => f
                    .cors
                    .as_ref()
                    .map(|c| {
                        out.cors = Some(Cors {
                            allow_origins: c.allow_origins.clone(),
                            allow_credentials: c.allow_credentials.unwrap_or(false),
                            allow_methods: c.allow_methods.clone(),
                            allow_headers: c.allow_headers.clone(),
                            expose_headers: c.expose_headers.clone(),
                            max_age: c.max_age,
                        });
                    })
                    .ok_or("cors is missing"),
                "ExtensionRef" => Err("ExtensionRef filters are not supported"),
                _ => Err("unsupported filter type"),
            };
            if let Err(message) = problem {
                let code = if message.ends_with("missing") {
                    Code::UnsupportedValue
                } else {
                    Code::UnsupportedFilter
                };
                self.diagnostics.push(Diagnostic::new(
                    code,
                    Severity::Error,
                    self.object,
                    &field,
                    format!(
                        "{message} ({}); requests matching this rule get 500",
                        f.kind
                    ),
                ));
                invalid.get_or_insert(format!("{field}: {message}"));
            }
        }
        match invalid {
            Some(reason) => Err(reason),
            None => Ok(out),
        }
    }

    /// The TLS a backend gets from the BackendTLSPolicy governing its Service port
    /// (a policy for the port by name beats one for the whole Service). A backend
    /// whose policy is invalid must get no traffic at all, so it becomes invalid.
    fn backend_tls(&mut self, target: BackendTarget) -> (BackendTarget, Option<Arc<BackendTls>>) {
        let BackendTarget::Service {
            namespace,
            name,
            port,
        } = &target
        else {
            return (target, None);
        };
        let port_name = self
            .refs
            .service(namespace, name)
            .and_then(|s| s.spec.ports.iter().find(|p| p.port == *port))
            .and_then(|p| p.name.as_deref());
        let Some(index) = self.policies.governing(namespace, name, port_name) else {
            return (target, None);
        };
        self.policy_uses.push(index);
        match self.policies.tls(index) {
            Ok(tls) => (target, Some(tls)),
            Err(reason) => {
                let name = format!("{namespace}/{name}");
                (BackendTarget::Invalid { reason, name }, None)
            }
        }
    }

    /// Resolves a backendRef to a Service port (`BackendRef`, shared_types.go;
    /// ResolvedRefs reasons 416–440). Cross-namespace access is checked before
    /// existence so that a missing grant never reveals whether the object exists.
    fn resolve_backend(&mut self, b: &BackendRef, at: &str) -> BackendTarget {
        let group = b.group.as_deref().unwrap_or("");
        let kind = b.kind.as_deref().unwrap_or("Service");
        let namespace = b.namespace.as_deref().unwrap_or(self.namespace);
        let name = format!("{namespace}/{}", b.name);
        let invalid = |this: &mut Self, reason: &str, code: Code, message: String| {
            this.diagnostics.push(Diagnostic::new(
                code,
                Severity::Error,
                this.object,
                at,
                message.clone(),
            ));
            this.unresolved.get_or_insert((reason.to_owned(), message));
            BackendTarget::Invalid {
                reason: reason.to_owned(),
                name: name.clone(),
            }
        };
        if !(group.is_empty() || group == "core") || kind != "Service" {
            return invalid(
                self,
                "InvalidKind",
                Code::InvalidBackendKind,
                format!("backend kind {group}/{kind} is not supported"),
            );
        }
        if namespace != self.namespace
            && !self
                .mesh_parents
                .iter()
                .any(|(ns, n)| ns == namespace && *n == b.name)
            && !self.refs.granted(
                (GATEWAY_GROUP, self.object.kind.as_str(), self.namespace),
                ("", "Service", namespace, &b.name),
            )
        {
            return invalid(
                self,
                "RefNotPermitted",
                Code::RefNotPermitted,
                format!(
                    "no ReferenceGrant in {namespace} allows HTTPRoutes from {} to Service {}",
                    self.namespace, b.name
                ),
            );
        }
        let Some(service) = self.refs.service(namespace, &b.name) else {
            return invalid(
                self,
                "BackendNotFound",
                Code::BackendNotFound,
                format!("Service {name} not found"),
            );
        };
        let Some(port) = b.port else {
            return invalid(
                self,
                "BackendNotFound",
                Code::BackendNotFound,
                format!("backendRef to Service {name} has no port"),
            );
        };
        let Some(service_port) = service.spec.ports.iter().find(|p| p.port == port) else {
            return invalid(
                self,
                "BackendNotFound",
                Code::BackendNotFound,
                format!("Service {name} has no port {port}"),
            );
        };
        // A backend whose `appProtocol` the route cannot speak is unresolved with
        // reason `UnsupportedProtocol` (shared_types.go, RouteReasonUnsupportedProtocol;
        // GEP-1911 backend protocol selection). HTTP routes can reach HTTP/1, h2c,
        // WebSocket, TLS-originated HTTP and gRPC backends.
        let l4 = matches!(
            self.object.kind.as_str(),
            "TLSRoute" | "TCPRoute" | "UDPRoute"
        );
        if let Some(app) = service_port.app_protocol.as_ref().filter(|_| !l4) {
            let known = [
                "http",
                "https",
                "h2c",
                "kubernetes.io/h2c",
                "kubernetes.io/ws",
                "kubernetes.io/wss",
                "grpc",
            ];
            if !known.iter().any(|k| k.eq_ignore_ascii_case(app)) {
                return invalid(self, "UnsupportedProtocol", Code::UnsupportedBackendProtocol, format!("Service {name} port {port} has appProtocol {app:?}, which HTTPRoute cannot use"));
            }
        }
        BackendTarget::Service {
            namespace: namespace.to_owned(),
            name: b.name.clone(),
            port,
        }
    }

    fn duration(&mut self, text: Option<&str>, at: &str) -> Option<u64> {
        let text = text?;
        match parse_duration_ms(text) {
            Some(ms) => Some(ms),
            None => {
                self.diagnostics.push(Diagnostic::new(
                    Code::UnsupportedValue,
                    Severity::Error,
                    self.object,
                    at,
                    format!("invalid duration {text:?}; ignored"),
                ));
                None
            }
        }
    }
}

fn default_match() -> Match {
    Match {
        index: 0,
        path: PathMatch::Prefix("/".into()),
        method: None,
        headers: Vec::new(),
        query: Vec::new(),
        grpc: None,
    }
}

fn merge_ops(ops: &mut HeaderOps, h: &HttpHeaderFilter) {
    ops.set
        .extend(h.set.iter().map(|x| (x.name.clone(), x.value.clone())));
    ops.add
        .extend(h.add.iter().map(|x| (x.name.clone(), x.value.clone())));
    ops.remove.extend(h.remove.iter().cloned());
}

fn path_modifier(p: &HttpPathModifier) -> Option<PathModifier> {
    match p.kind.as_str() {
        "ReplaceFullPath" => Some(PathModifier::ReplaceFullPath(
            p.replace_full_path.clone().unwrap_or_default(),
        )),
        "ReplacePrefixMatch" => Some(PathModifier::ReplacePrefixMatch(
            p.replace_prefix_match.clone().unwrap_or_default(),
        )),
        _ => None,
    }
}

/// Parses a Gateway API `Duration` (GEP-2257: `^([0-9]{1,5}(h|m|s|ms)){1,4}$`) into milliseconds.
///
/// ```
/// # use gatewright::parse_duration_ms;
/// assert_eq!(parse_duration_ms("1h2m3s4ms"), Some(3_723_004));
/// assert_eq!(parse_duration_ms("500ms"), Some(500));
/// assert_eq!(parse_duration_ms("1.5s"), None);
/// ```
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let mut rest = text;
    let mut total: u64 = 0;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 5 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('s') {
            (1_000, 1)
        } else {
            return None;
        };
        rest = &rest[len..];
        total += n * unit;
        parts += 1;
    }
    (1..=4).contains(&parts).then_some(total)
}
