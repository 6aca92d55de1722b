//! VirtualService → validated rules: name resolution (SEMANTICS §1), delegation
//! (§6), match blocks (§4) and actions (§5). Everything here is independent of
//! the proxy a rule is built for; `table` applies the build-time filters.

use std::collections::BTreeMap;
use std::sync::Arc;

use regex_automata::meta::Regex;
use serde_json::Value;

use super::names::{resolve_gateway_name, resolve_short_name};
use crate::ir::{Pattern, Timestamp};
use crate::resource::istio::{
    Destination, HeaderOperations, HttpMatchRequest, HttpRule, L4Match, StringMatch, VirtualService,
};

/// A validated VirtualService with every name resolved and delegates merged in.
#[derive(Clone, Debug)]
pub(crate) struct Vs {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) created: Option<Timestamp>,
    /// Resolved, lower-case hosts.
    pub(crate) hosts: Vec<String>,
    /// Resolved gateways (`mesh` or `ns/name`); `[mesh]` when none were given.
    pub(crate) gateways: Vec<String>,
    pub(crate) export_to: Vec<String>,
    pub(crate) http: Vec<Rule>,
    pub(crate) tls: Vec<L4Rule>,
    pub(crate) tcp: Vec<L4Rule>,
}

/// One `http[]` rule.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    /// Position in `http[]` of the (root) VirtualService.
    pub(crate) index: usize,
    pub(crate) name: Option<String>,
    /// Match blocks (ORed); empty = the rule has no `match` and matches everything.
    pub(crate) blocks: Vec<Block>,
    pub(crate) action: Arc<HttpAction>,
}

/// One `HTTPMatchRequest`: runtime conditions plus build-time filters.
#[derive(Clone, Debug, Default)]
pub(crate) struct Block {
    pub(crate) name: Option<String>,
    pub(crate) uri: Option<Uri>,
    /// Header (incl. `:method`, `:scheme`, `:authority`) and query conditions.
    pub(crate) conds: Vec<Cond>,
    pub(crate) port: Option<u32>,
    pub(crate) source_labels: BTreeMap<String, String>,
    pub(crate) gateways: Vec<String>,
    pub(crate) source_namespace: Option<String>,
}

impl Block {
    /// `IsCatchAllRoute` (route.go): the path match is prefix `/` (or absent) or
    /// regex `.*`/`*`, and there is no header or query condition. Method, scheme
    /// and authority are header matchers in Envoy, so they count as conditions.
    pub(crate) fn is_catch_all(&self) -> bool {
        let path_all = match &self.uri {
            None => true,
            Some(Uri::Prefix { value, .. }) => value == "/",
            Some(Uri::Regex(p)) => matches!(p.as_str(), ".*" | "*"),
            Some(Uri::Exact { .. }) => false,
        };
        path_all && self.conds.is_empty()
    }
}

/// A `uri` condition (SEMANTICS §4 table).
#[derive(Clone, Debug)]
pub(crate) enum Uri {
    /// Whole path; `ignore_case` compares ASCII case-insensitively.
    Exact { value: String, ignore_case: bool },
    /// Plain string prefix (`/api` matches `/apiary`), not segment-aware.
    Prefix { value: String, ignore_case: bool },
    /// RE2, full match, always case-sensitive (`ignoreUriCase` never applies).
    Regex(Pattern),
}

/// Where a condition looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// A header, lower-case; `:method`, `:scheme`, `:authority` are pseudo-headers.
    Header(String),
    /// A query parameter (case-sensitive name, first occurrence).
    Query(String),
}

/// A header or query condition.
#[derive(Clone, Debug)]
pub(crate) struct Cond {
    pub(crate) target: Target,
    pub(crate) matcher: Str,
    /// `withoutHeaders`: true iff the positive matcher is false.
    pub(crate) invert: bool,
}

/// A `StringMatch`.
#[derive(Clone, Debug)]
pub(crate) enum Str {
    Exact(String),
    Prefix(String),
    Regex(Pattern),
    /// `{}`: present with any value.
    Present,
}

impl Str {
    pub(crate) fn matches(&self, value: &str) -> bool {
        match self {
            Str::Exact(v) => v == value,
            Str::Prefix(p) => value.starts_with(p.as_str()),
            Str::Regex(re) => re.is_match(value),
            Str::Present => true,
        }
    }
}

/// What a rule does.
#[derive(Clone, Debug, Default)]
pub(crate) struct HttpAction {
    pub(crate) kind: ActionKind,
    /// `rewrite.uri`: replaces the matched prefix (Envoy `prefix_rewrite`).
    pub(crate) rewrite_uri: Option<String>,
    /// `rewrite.uriRegexRewrite`: (unanchored pattern, replacement with `\N`).
    pub(crate) rewrite_regex: Option<(Arc<Regex>, String)>,
    /// `rewrite.authority`, or a `host`/`:authority` request header set.
    pub(crate) rewrite_authority: Option<String>,
    pub(crate) request_ops: Ops,
    pub(crate) response_ops: Ops,
    /// Mirror targets with their percentage.
    pub(crate) mirrors: Vec<(Dest, f64)>,
    /// `timeout`, `retries`, `fault`, `cors` as written.
    pub(crate) attributes: BTreeMap<String, Value>,
}

/// The action kind (`TranslateRoute`: redirect, else directResponse, else route).
#[derive(Clone, Debug, Default)]
pub(crate) enum ActionKind {
    /// Destinations that receive traffic (weight-0 ones dropped; a single one has weight 0).
    Route(Vec<WeightedDest>),
    Redirect(Redirect),
    Direct {
        status: u16,
        body: Option<String>,
    },
    /// Nothing to do (cannot happen after validation; kept so `Default` exists).
    #[default]
    None,
}

/// A destination with its weight and its own header operations.
#[derive(Clone, Debug)]
pub(crate) struct WeightedDest {
    pub(crate) dest: Dest,
    pub(crate) weight: u32,
    pub(crate) request_ops: Ops,
    pub(crate) response_ops: Ops,
}

/// A resolved `Destination`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dest {
    /// FQDN (short names resolved in the VirtualService's namespace).
    pub(crate) host: String,
    pub(crate) subset: Option<String>,
    pub(crate) port: Option<u16>,
}

/// `HTTPRedirect`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Redirect {
    pub(crate) uri: Option<String>,
    pub(crate) prefix_rewrite: Option<String>,
    pub(crate) authority: Option<String>,
    pub(crate) scheme: Option<String>,
    pub(crate) port: Option<u16>,
    /// `derivePort: FROM_REQUEST_PORT`.
    pub(crate) from_request_port: bool,
    pub(crate) code: u16,
}

/// Header operations: Envoy applies removals, then set and add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ops {
    pub(crate) set: Vec<(String, String)>,
    pub(crate) add: Vec<(String, String)>,
    pub(crate) remove: Vec<String>,
}

impl Ops {
    /// Applies the operations to a header list (names compared case-insensitively):
    /// removals first, then `set` (overwrite) and `add` (append another value).
    pub(crate) fn apply(&self, headers: &mut Vec<(String, String)>) {
        for name in &self.remove {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        }
        for (name, value) in &self.set {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.clone(), value.clone()));
        }
        for (name, value) in &self.add {
            headers.push((name.clone(), value.clone()));
        }
    }
}

/// A `tls[]` or `tcp[]` rule.
#[derive(Clone, Debug)]
pub(crate) struct L4Rule {
    pub(crate) blocks: Vec<L4Match>,
    pub(crate) dests: Vec<(Dest, u32)>,
}

/// Why a VirtualService is rejected (Istio admission would refuse it).
#[derive(Clone, Debug)]
pub(crate) struct Invalid {
    pub(crate) field: String,
    pub(crate) message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Resolves the names inside a rule relative to the namespace of the
/// VirtualService that wrote it (`ResolveVirtualServiceShortnames`,
/// model/virtualservice.go): destination and mirror hosts, match gateways.
pub(crate) fn resolve_rule(rule: &HttpRule, namespace: &str) -> HttpRule {
    let mut rule = rule.clone();
    let fix = |d: &mut Destination| d.host = resolve_short_name(&d.host, namespace);
    for r in &mut rule.route {
        fix(&mut r.destination);
    }
    if let Some(m) = &mut rule.mirror {
        fix(m);
    }
    for m in &mut rule.mirrors {
        fix(&mut m.destination);
    }
    for m in &mut rule.matches {
        for g in &mut m.gateways {
            *g = resolve_gateway_name(g, namespace);
        }
    }
    rule
}

/// Merges a root rule with the rules of its delegate (`mergeHTTPRoutes`,
/// model/virtualservice.go): each delegate rule replaces the root rule in place,
/// its matches intersected with the root's; a delegate rule whose matches all
/// conflict with the root's is dropped.
pub(crate) fn merge_delegate(root: &HttpRule, delegate: &[HttpRule]) -> Vec<HttpRule> {
    let mut out = Vec::new();
    for leaf in delegate {
        let Some(matches) = merge_matches(&root.matches, &leaf.matches) else {
            continue;
        };
        let mut merged = leaf.clone();
        merged.matches = matches;
        merged.name = match (&root.name, &leaf.name) {
            (Some(r), Some(l)) => Some(format!("{r}-{l}")),
            (r, None) => r.clone(),
            (None, l) => l.clone(),
        };
        // "delegate's value if set, else root's" for every action/policy field.
        macro_rules! inherit {
            ($($f:ident),*) => { $( if merged.$f.is_none() { merged.$f = root.$f.clone(); } )* };
        }
        inherit!(
            rewrite,
            direct_response,
            timeout,
            retries,
            fault,
            mirror,
            mirror_percent,
            mirror_percentage,
            cors_policy,
            headers
        );
        if merged.mirrors.is_empty() {
            merged.mirrors = root.mirrors.clone();
        }
        out.push(merged);
    }
    out
}

/// `mergeHTTPMatchRequests`: `None` when some delegate match conflicts with every root match.
fn merge_matches(
    root: &[HttpMatchRequest],
    leaf: &[HttpMatchRequest],
) -> Option<Vec<HttpMatchRequest>> {
    if root.is_empty() {
        return Some(leaf.to_vec());
    }
    if leaf.is_empty() {
        return Some(root.to_vec());
    }
    let mut out = Vec::new();
    for l in leaf {
        let mut found = false;
        for r in root {
            if has_conflict(r, l) {
                continue;
            }
            out.push(merge_match(r, l));
            found = true;
        }
        if !found {
            return None;
        }
    }
    Some(out)
}

/// `mergeHTTPMatchRequest`: the delegate's fields win, the root fills unset ones,
/// maps are unioned with the delegate overriding keys.
fn merge_match(root: &HttpMatchRequest, leaf: &HttpMatchRequest) -> HttpMatchRequest {
    let mut m = leaf.clone();
    macro_rules! fill {
        ($($f:ident),*) => { $( if m.$f.is_none() { m.$f = root.$f.clone(); } )* };
    }
    fill!(uri, scheme, method, authority, port, source_namespace);
    for (map, root_map) in [
        (&mut m.headers, &root.headers),
        (&mut m.without_headers, &root.without_headers),
        (&mut m.query_params, &root.query_params),
    ] {
        for (k, v) in root_map {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    for (k, v) in &root.source_labels {
        m.source_labels
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    if m.gateways.is_empty() {
        m.gateways = root.gateways.clone();
    }
    m
}

/// `hasConflict` (model/virtualservice.go).
fn has_conflict(root: &HttpMatchRequest, leaf: &HttpMatchRequest) -> bool {
    if root.ignore_uri_case != leaf.ignore_uri_case {
        return true;
    }
    if let (Some(a), Some(b)) = (root.port, leaf.port) {
        if a != b {
            return true;
        }
    }
    if root
        .source_namespace
        .as_ref()
        .is_some_and(|ns| leaf.source_namespace.as_ref() != Some(ns))
    {
        return true;
    }
    let pairs = [
        (&root.uri, &leaf.uri),
        (&root.scheme, &leaf.scheme),
        (&root.method, &leaf.method),
        (&root.authority, &leaf.authority),
    ];
    if pairs
        .iter()
        .any(|(r, l)| matches!((r, l), (Some(r), Some(l)) if string_match_conflict(r, l)))
    {
        return true;
    }
    for (root_map, leaf_map) in [
        (&root.headers, &leaf.headers),
        (&root.without_headers, &leaf.without_headers),
        (&root.query_params, &leaf.query_params),
    ] {
        if leaf_map
            .iter()
            .any(|(k, l)| root_map.get(k).is_some_and(|r| string_match_conflict(r, l)))
        {
            return true;
        }
    }
    if leaf
        .source_labels
        .iter()
        .any(|(k, v)| root.source_labels.get(k).is_some_and(|r| r != v))
    {
        return true;
    }
    // The delegate's gateways must be a subset of the root's.
    leaf.gateways.iter().any(|g| !root.gateways.contains(g))
}

/// `stringMatchConflict`: a regex on either side conflicts with anything; a root
/// exact needs an equal leaf exact; a root prefix needs a leaf prefix/exact inside it.
fn string_match_conflict(root: &StringMatch, leaf: &StringMatch) -> bool {
    if root.regex.is_some() || leaf.regex.is_some() {
        return true;
    }
    if let Some(exact) = &root.exact {
        return leaf.exact.as_ref() != Some(exact);
    }
    if let Some(prefix) = &root.prefix {
        if let Some(p) = &leaf.prefix {
            return !p.starts_with(prefix.as_str());
        }
        if let Some(e) = &leaf.exact {
            return !e.starts_with(prefix.as_str());
        }
    }
    true
}

/// Validates one VirtualService whose rules are already resolved and merged.
pub(crate) fn lower_vs(
    vs: &VirtualService,
    rules: &[HttpRule],
    created: Option<Timestamp>,
    regex_size_limit: usize,
) -> Result<Vs, Invalid> {
    let namespace = vs.metadata.namespace.as_deref().unwrap_or("default");
    let hosts: Vec<String> = vs
        .spec
        .hosts
        .iter()
        .map(|h| resolve_short_name(h, namespace))
        .collect();
    let gateways = if vs.spec.gateways.is_empty() {
        vec!["mesh".to_owned()]
    } else {
        vs.spec
            .gateways
            .iter()
            .map(|g| resolve_gateway_name(g, namespace))
            .collect()
    };
    // ValidateVirtualService (validation.go): `*` is not a valid host for a
    // VirtualService that applies to sidecars, and two hosts of one VirtualService
    // must not overlap.
    if gateways.iter().any(|g| g == "mesh") {
        if let Some(i) = hosts.iter().position(|h| h == "*") {
            return Err(invalid(
                format!("spec.hosts[{i}]"),
                "`*` is not allowed for a VirtualService that applies to mesh (sidecars)",
            ));
        }
    }
    for (i, a) in hosts.iter().enumerate() {
        for (j, b) in hosts.iter().enumerate().skip(i + 1) {
            if super::names::intersect(a, b).is_some() {
                return Err(invalid(
                    format!("spec.hosts[{j}]"),
                    format!("host {b} overlaps host {a} of the same VirtualService"),
                ));
            }
        }
    }
    let mut http = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        http.push(lower_rule(
            rule,
            i,
            &format!("spec.http[{i}]"),
            regex_size_limit,
        )?);
    }
    let l4 = |rules: Vec<(
        &Vec<L4Match>,
        &Vec<crate::resource::istio::RouteDestination>,
    )>| {
        rules
            .into_iter()
            .map(|(matches, route)| {
                let mut blocks = matches.clone();
                for b in &mut blocks {
                    for g in &mut b.gateways {
                        *g = resolve_gateway_name(g, namespace);
                    }
                    for h in &mut b.sni_hosts {
                        *h = h.to_ascii_lowercase();
                    }
                }
                let dests = route
                    .iter()
                    .map(|r| {
                        (
                            dest(&r.destination, namespace),
                            u32::try_from(r.weight.unwrap_or(0)).unwrap_or(0),
                        )
                    })
                    .collect();
                L4Rule { blocks, dests }
            })
            .collect::<Vec<_>>()
    };
    Ok(Vs {
        namespace: namespace.to_owned(),
        name: vs.metadata.name.clone(),
        created,
        hosts,
        gateways,
        export_to: vs.spec.export_to.clone().unwrap_or_default(),
        http,
        tls: l4(vs.spec.tls.iter().map(|r| (&r.matches, &r.route)).collect()),
        tcp: l4(vs.spec.tcp.iter().map(|r| (&r.matches, &r.route)).collect()),
    })
}

fn dest(d: &Destination, namespace: &str) -> Dest {
    Dest {
        host: resolve_short_name(&d.host, namespace),
        subset: d.subset.clone().filter(|s| !s.is_empty()),
        port: d
            .port
            .as_ref()
            .and_then(|p| u16::try_from(p.number).ok())
            .filter(|p| *p != 0),
    }
}

fn lower_rule(rule: &HttpRule, index: usize, field: &str, limit: usize) -> Result<Rule, Invalid> {
    // validateHTTPRouteConflict: one of route, redirect, directResponse, delegate.
    let actions = usize::from(!rule.route.is_empty())
        + usize::from(rule.redirect.is_some())
        + usize::from(rule.direct_response.is_some())
        + usize::from(rule.delegate.is_some());
    if actions > 1 {
        return Err(invalid(
            field,
            "only one of route, redirect, directResponse and delegate may be set",
        ));
    }
    if actions == 0 {
        return Err(invalid(
            field,
            "one of route, redirect or directResponse is required",
        ));
    }
    if rule.rewrite.is_some() && (rule.redirect.is_some() || rule.direct_response.is_some()) {
        return Err(invalid(
            format!("{field}.rewrite"),
            "rewrite cannot be combined with redirect or directResponse",
        ));
    }
    if rule.mirror.is_some() && !rule.mirrors.is_empty() {
        return Err(invalid(
            format!("{field}.mirrors"),
            "mirror and mirrors cannot both be set",
        ));
    }
    let mut blocks = Vec::new();
    for (j, m) in rule.matches.iter().enumerate() {
        blocks.push(lower_block(m, &format!("{field}.match[{j}]"), limit)?);
    }
    let mut action = HttpAction::default();
    // Rule-level headers; `host`/`:authority` set/add become the authority rewrite (§5.2).
    let (request_ops, authority) = ops(rule.headers.as_ref().and_then(|h| h.request.as_ref()));
    action.request_ops = request_ops;
    action.response_ops = ops(rule.headers.as_ref().and_then(|h| h.response.as_ref())).0;
    action.rewrite_authority = authority;
    if let Some(rw) = &rule.rewrite {
        if rw.uri.is_some() && rw.uri_regex_rewrite.is_some() {
            return Err(invalid(
                format!("{field}.rewrite"),
                "uri and uriRegexRewrite are mutually exclusive",
            ));
        }
        action.rewrite_uri = rw.uri.clone();
        if let Some(a) = &rw.authority {
            action.rewrite_authority = Some(a.clone());
        }
        if let Some(rr) = &rw.uri_regex_rewrite {
            let re = Regex::new(&rr.pattern).map_err(|e| {
                invalid(
                    format!("{field}.rewrite.uriRegexRewrite.match"),
                    e.to_string(),
                )
            })?;
            action.rewrite_regex = Some((Arc::new(re), rr.rewrite.clone()));
        }
    }
    action.kind = if let Some(r) = &rule.redirect {
        // ApplyRedirect (route.go): 0/301 → 301; 302, 303, 307, 308; others invalid.
        let code = match r.redirect_code.unwrap_or(0) {
            0 | 301 => 301,
            c @ (302 | 303 | 307 | 308) => c as u16,
            c => {
                return Err(invalid(
                    format!("{field}.redirect.redirectCode"),
                    format!("{c} is not a redirect code (301, 302, 303, 307, 308)"),
                ))
            }
        };
        ActionKind::Redirect(Redirect {
            uri: r.uri.clone(),
            prefix_rewrite: r.prefix_rewrite.clone(),
            authority: r.authority.clone(),
            scheme: r.scheme.clone(),
            port: r.port.and_then(|p| u16::try_from(p).ok()),
            from_request_port: r.derive_port.as_deref() == Some("FROM_REQUEST_PORT"),
            code,
        })
    } else if let Some(d) = &rule.direct_response {
        let status = u16::try_from(d.status)
            .ok()
            .filter(|s| (200..600).contains(s))
            .ok_or_else(|| {
                invalid(
                    format!("{field}.directResponse.status"),
                    format!("{} is not an HTTP status", d.status),
                )
            })?;
        let body = d.body.as_ref().and_then(|b| {
            b.string.clone().or_else(|| {
                use base64::Engine as _;
                b.bytes.as_ref().map(|bytes| {
                    base64::engine::general_purpose::STANDARD
                        .decode(bytes)
                        .map(|v| String::from_utf8_lossy(&v).into_owned())
                        .unwrap_or_default()
                })
            })
        });
        ActionKind::Direct { status, body }
    } else if rule.delegate.is_some() {
        // A delegate that could not be merged (missing, not exported): the rule is dropped
        // by the caller; reaching here means the delegate was not expanded.
        return Err(invalid(
            format!("{field}.delegate"),
            "delegate was not resolved",
        ));
    } else {
        // applyHTTPRouteDestination: one destination takes everything; several drop
        // weight-0 (or unset) ones and split by relative weight.
        let single = rule.route.len() == 1;
        let dests: Vec<WeightedDest> = rule
            .route
            .iter()
            .filter(|r| single || r.weight.unwrap_or(0) > 0)
            .map(|r| {
                let (request_ops, _) = ops(r.headers.as_ref().and_then(|h| h.request.as_ref()));
                WeightedDest {
                    dest: dest(&r.destination, ""),
                    weight: if single {
                        0
                    } else {
                        u32::try_from(r.weight.unwrap_or(0)).unwrap_or(u32::MAX)
                    },
                    request_ops,
                    response_ops: ops(r.headers.as_ref().and_then(|h| h.response.as_ref())).0,
                }
            })
            .collect();
        if dests.is_empty() {
            return Err(invalid(
                format!("{field}.route"),
                "several destinations whose weights sum to 0",
            ));
        }
        ActionKind::Route(dests)
    };
    // Mirrors (§5.6): `mirror` + `mirrorPercentage` (default 100, 0 disables) or `mirrors[]`.
    if let Some(m) = &rule.mirror {
        let percent = rule
            .mirror_percentage
            .as_ref()
            .map(|p| p.value)
            .or(rule.mirror_percent.map(f64::from))
            .unwrap_or(100.0);
        if percent > 0.0 {
            action.mirrors.push((dest(m, ""), percent));
        }
    }
    for m in &rule.mirrors {
        let percent = m.percentage.as_ref().map_or(100.0, |p| p.value);
        if percent > 0.0 {
            action.mirrors.push((dest(&m.destination, ""), percent));
        }
    }
    // Carried-through attributes, as written (§5.7).
    if let Some(t) = &rule.timeout {
        action
            .attributes
            .insert("timeout".into(), Value::String(t.clone()));
    }
    for (key, value) in [
        ("retries", &rule.retries),
        ("fault", &rule.fault),
        ("cors", &rule.cors_policy),
    ] {
        if let Some(v) = value {
            action.attributes.insert(key.into(), v.clone());
        }
    }
    Ok(Rule {
        index,
        name: rule.name.clone(),
        blocks,
        action: Arc::new(action),
    })
}

/// Header operations; the second value is the authority rewrite from a `host` or
/// `:authority` set/add (`translateAppendHeaders`). Other `:`-names are never emitted.
fn ops(o: Option<&HeaderOperations>) -> (Ops, Option<String>) {
    let mut out = Ops::default();
    let mut authority = None;
    let Some(o) = o else {
        return (out, None);
    };
    for (list, source) in [(&mut out.set, &o.set), (&mut out.add, &o.add)] {
        for (k, v) in source {
            let k = k.to_ascii_lowercase();
            if k == "host" || k == ":authority" {
                authority = Some(v.clone());
            } else if !k.starts_with(':') {
                list.push((k, v.clone()));
            }
        }
    }
    out.remove = o
        .remove
        .iter()
        .map(|k| k.to_ascii_lowercase())
        .filter(|k| !k.starts_with(':') && k != "host")
        .collect();
    (out, authority)
}

fn lower_block(m: &HttpMatchRequest, field: &str, limit: usize) -> Result<Block, Invalid> {
    let string = |s: &StringMatch, f: String, allow_empty_prefix: bool| -> Result<Str, Invalid> {
        if let Some(e) = &s.exact {
            Ok(Str::Exact(e.clone()))
        } else if let Some(p) = &s.prefix {
            if p.is_empty() && !allow_empty_prefix {
                return Err(invalid(f, "prefix must not be empty"));
            }
            Ok(Str::Prefix(p.clone()))
        } else if let Some(r) = &s.regex {
            // The translator turns `{regex: "*"}` into a presence check.
            if r == "*" {
                return Ok(Str::Present);
            }
            if r.len() > 1024 {
                return Err(invalid(f, "regex longer than 1024 characters"));
            }
            Pattern::new(r, limit)
                .map(Str::Regex)
                .map_err(|e| invalid(f, e))
        } else {
            Ok(Str::Present)
        }
    };
    let uri = match &m.uri {
        None => None,
        Some(u) => Some(match string(u, format!("{field}.uri"), true)? {
            Str::Exact(value) => Uri::Exact {
                value,
                ignore_case: m.ignore_uri_case,
            },
            Str::Prefix(value) => Uri::Prefix {
                value,
                ignore_case: m.ignore_uri_case,
            },
            Str::Regex(p) => Uri::Regex(p),
            Str::Present => Uri::Prefix {
                value: "/".into(),
                ignore_case: false,
            },
        }),
    };
    let mut conds = Vec::new();
    for (name, value) in [
        (":scheme", &m.scheme),
        (":method", &m.method),
        (":authority", &m.authority),
    ] {
        if let Some(v) = value {
            conds.push(Cond {
                target: Target::Header(name.into()),
                matcher: string(v, format!("{field}.{}", &name[1..]), false)?,
                invert: false,
            });
        }
    }
    for (k, v) in &m.headers {
        conds.push(Cond {
            target: Target::Header(k.to_ascii_lowercase()),
            matcher: string(v, format!("{field}.headers.{k}"), false)?,
            invert: false,
        });
    }
    for (k, v) in &m.without_headers {
        conds.push(Cond {
            target: Target::Header(k.to_ascii_lowercase()),
            matcher: string(v, format!("{field}.withoutHeaders.{k}"), false)?,
            invert: true,
        });
    }
    for (k, v) in &m.query_params {
        conds.push(Cond {
            target: Target::Query(k.clone()),
            matcher: string(v, format!("{field}.queryParams.{k}"), false)?,
            invert: false,
        });
    }
    Ok(Block {
        name: m.name.clone(),
        uri,
        conds,
        port: m.port,
        source_labels: m.source_labels.clone(),
        gateways: m.gateways.clone(),
        source_namespace: m.source_namespace.clone(),
    })
}
