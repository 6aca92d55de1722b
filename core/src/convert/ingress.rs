//! Ingress → Gateway API, from the Ingress front end's plan.
//!
//! The conversion reads the same plan as the router's Ingress front end
//! (`attach::ingress`): servers, locations, default backends, certificates,
//! redirects, rewrites and canaries. What it writes:
//!
//! * One **Gateway** per IngressClass, named after the class, `gatewayClassName` =
//!   the class name (the GatewayClass itself is not generated: it is your Gateway API
//!   implementation's). Its namespace is the one its Ingresses share, else the oldest
//!   Ingress's. Listeners: `http` (port 80, every host) and, for each host with a
//!   certificate Secret, `https-<host>` (port 443, that hostname, `certificateRefs` to
//!   the Secret; a ReferenceGrant when the Secret is in another namespace).
//! * One **HTTPRoute** per host and namespace, `<class>-<host>` (`wildcard.<domain>`
//!   for `*.<domain>`, `any-host` for rules without host): the paths of all Ingresses
//!   of that namespace for that host, oldest Ingress first, then the host's default
//!   backend as a last rule. Merging keeps ingress-nginx's "older Ingress wins" as
//!   rule order. When some paths redirect plain HTTP to HTTPS, the routes split: the
//!   HTTPS listener's route forwards, `<class>-<host>-http` on the `http` listener
//!   redirects. Routes carry the oldest Ingress's `creationTimestamp`.
//! * Paths: `Exact` → `Exact`, `Prefix` (and ImplementationSpecific) → `PathPrefix`;
//!   on a host in ingress-nginx regex mode → `RegularExpression` with the same
//!   case-insensitive pattern the router uses. `rewrite-target` → `URLRewrite`
//!   (`ReplaceFullPath` for a literal target; `ReplacePrefixMatch` for the
//!   `<prefix>(/|$)(.*)` → `<target>/$2` idiom); canaries → a header match rule (and a
//!   `never` rule) plus `backendRefs` weights; `ssl-redirect` → `RequestRedirect`
//!   (`scheme: https`, 308) on the `http` listener.
//!
//! Everything without an exact equivalent is a [`Code::ConversionGap`] diagnostic.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::attach::ingress::{
    self, ClassPlan, Location, Matcher, PlanBackend, Server, ServerHost, HTTPS_REDIRECT_STATUS,
};
use crate::attach::RefIndex;
use crate::config::Config;
use crate::diag::{Code, Diagnostic, Severity, GATEWAY_GROUP};
use crate::error::CompileError;
use crate::ir::{BackendTarget, PathModifier};
use crate::resource::model::{
    AllowedRoutes, Gateway, GatewaySpec, HttpBackendRef, HttpHeaderMatch, HttpPathMatch,
    HttpPathModifier, HttpRequestRedirectFilter, HttpRoute, HttpRouteFilter, HttpRouteMatch,
    HttpRouteRule, HttpRouteSpec, HttpUrlRewriteFilter, Listener, ListenerTls, ObjectMeta,
    ObjectReference, ParentReference, ReferenceGrant, ReferenceGrantFrom, ReferenceGrantSpec,
    ReferenceGrantTo, RouteNamespaces,
};
use crate::resource::{Object, Resources};
use crate::route::{Action, Decision, Request, Router};

/// The Gateway API resources converted from Ingresses, with the diagnostics of the
/// conversion (including the Ingress front end's: unsupported annotations, …).
#[derive(Clone, Debug)]
pub struct Conversion {
    objects: Vec<Object>,
    diagnostics: Vec<Diagnostic>,
    /// Per class: (class, Gateway namespace, Gateway name) and the probes of the proof.
    classes: Vec<ClassProbes>,
}

/// What the proof sends for one class.
#[derive(Clone, Debug)]
struct ClassProbes {
    class: String,
    gateway: (String, String),
    probes: Vec<Probe>,
}

/// One request of the proof.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Probe {
    scheme: &'static str,
    host: String,
    path: String,
    header: Option<(String, String)>,
    entropy: u64,
    /// Why the proof sends it.
    why: String,
}

/// Converts the Ingresses of `resources` into Gateway API resources. Never fails:
/// what cannot be converted is a diagnostic. See the [module docs](super).
pub fn ingress_to_gateway(resources: &Resources) -> Conversion {
    let objects = resources.objects();
    let refs = RefIndex::new(objects);
    let mut diagnostics = Vec::new();
    let plan = ingress::plan(objects, &refs, &Config::new(), &mut diagnostics);
    let mut out = Vec::new();
    let mut classes = Vec::new();
    for class in &plan.classes {
        let mut converter = ClassConverter {
            class,
            diagnostics: &mut diagnostics,
            objects: &mut out,
            probes: Vec::new(),
            seen: HashSet::new(),
            route_names: HashSet::new(),
        };
        let gateway = converter.convert();
        let probes = converter.probes;
        classes.push(ClassProbes {
            class: class.name.clone(),
            gateway,
            probes,
        });
    }
    Conversion {
        objects: out,
        diagnostics,
        classes,
    }
}

struct ClassConverter<'a, 'r> {
    class: &'a ClassPlan<'r>,
    diagnostics: &'a mut Vec<Diagnostic>,
    objects: &'a mut Vec<Object>,
    probes: Vec<Probe>,
    /// Probes already sent (without their reason).
    seen: HashSet<Probe>,
    route_names: HashSet<(String, String)>,
}

/// The host part of a route or listener name.
fn slug(host: &ServerHost) -> String {
    match host {
        ServerHost::CatchAll => "any-host".into(),
        ServerHost::Exact(h) => h.clone(),
        ServerHost::Wildcard(s) => format!("wildcard{s}"),
    }
}

fn meta(name: String, namespace: &str, created: Option<String>) -> ObjectMeta {
    ObjectMeta {
        name,
        namespace: Some(namespace.to_owned()),
        creation_timestamp: created,
        ..ObjectMeta::default()
    }
}

impl ClassConverter<'_, '_> {
    fn gap(&mut self, severity: Severity, k: usize, field: &str, message: String) {
        let object = self.class.ingresses[k].object.clone();
        self.diagnostics.push(Diagnostic::new(
            Code::ConversionGap,
            severity,
            &object,
            field,
            message,
        ));
    }

    /// Writes the class's Gateway, ReferenceGrants and HTTPRoutes; returns the
    /// Gateway's namespace and name.
    fn convert(&mut self) -> (String, String) {
        let class = self.class;
        let primaries: Vec<usize> = (0..class.ingresses.len())
            .filter(|&k| class.ingresses[k].anns.canary.is_none())
            .collect();
        let namespaces: HashSet<&str> = primaries
            .iter()
            .map(|&k| class.ingresses[k].namespace.as_str())
            .collect();
        let gw_ns = match (namespaces.len(), primaries.first()) {
            (_, None) => "default".to_owned(),
            (1, Some(&k)) | (_, Some(&k)) => class.ingresses[k].namespace.clone(),
        };
        let all_namespaces = namespaces.len() > 1;
        let allowed = all_namespaces.then(|| AllowedRoutes {
            namespaces: Some(RouteNamespaces {
                from: Some("All".into()),
                selector: None,
            }),
            kinds: None,
        });
        let mut listeners = vec![Listener {
            name: "http".into(),
            port: 80,
            protocol: "HTTP".into(),
            allowed_routes: allowed.clone(),
            ..Listener::default()
        }];
        // Servers with a certificate Secret: an HTTPS listener each.
        let mut https: Vec<Option<String>> = Vec::new();
        let mut grants: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for server in &class.servers {
            let Some(tls) = &server.tls else {
                https.push(None);
                continue;
            };
            let written = server.host.as_written();
            let Some(secret) = &tls.secret else {
                self.gap(
                    Severity::Warning,
                    tls.ingress,
                    "spec.tls",
                    format!("host {written:?} has no certificate Secret (ingress-nginx serves its default certificate); Gateway API needs one, so no HTTPS listener is written for it"),
                );
                https.push(None);
                continue;
            };
            let secret_ns = class.ingresses[tls.ingress].namespace.clone();
            if !tls.resolved {
                self.gap(
                    Severity::Warning,
                    tls.ingress,
                    "spec.tls",
                    format!("Secret {secret_ns}/{secret} is not in the input: listener https-{} is not programmed until it exists", slug(&server.host)),
                );
            }
            let name = format!("https-{}", slug(&server.host));
            listeners.push(Listener {
                name: name.clone(),
                hostname: Some(written),
                port: 443,
                protocol: "HTTPS".into(),
                tls: Some(ListenerTls {
                    mode: Some("Terminate".into()),
                    certificate_refs: vec![ObjectReference {
                        name: secret.clone(),
                        namespace: (secret_ns != gw_ns).then(|| secret_ns.clone()),
                        ..ObjectReference::default()
                    }],
                }),
                allowed_routes: allowed.clone(),
            });
            if secret_ns != gw_ns {
                grants.entry(secret_ns).or_default().push(secret.clone());
            }
            https.push(Some(name));
        }
        self.objects.push(Object::Gateway(Gateway {
            metadata: meta(class.name.clone(), &gw_ns, None),
            spec: GatewaySpec {
                gateway_class_name: class.name.clone(),
                listeners,
                ..GatewaySpec::default()
            },
        }));
        for (ns, secrets) in grants {
            let mut to: Vec<ReferenceGrantTo> = Vec::new();
            for s in secrets {
                if !to.iter().any(|t| t.name.as_deref() == Some(s.as_str())) {
                    to.push(ReferenceGrantTo {
                        group: String::new(),
                        kind: "Secret".into(),
                        name: Some(s),
                    });
                }
            }
            self.objects.push(Object::ReferenceGrant(ReferenceGrant {
                metadata: meta(format!("{}-gateway-tls", class.name), &ns, None),
                spec: ReferenceGrantSpec {
                    from: vec![ReferenceGrantFrom {
                        group: GATEWAY_GROUP.into(),
                        kind: "Gateway".into(),
                        namespace: gw_ns.clone(),
                    }],
                    to,
                },
            }));
        }
        for (s, server) in class.servers.iter().enumerate() {
            self.convert_server(server, https[s].as_deref(), &gw_ns);
        }
        self.fallthrough_gap();
        (gw_ns, class.name.clone())
    }

    /// The HTTPRoutes of one server (one per namespace, split by listener when needed).
    fn convert_server(&mut self, server: &Server, https: Option<&str>, gw_ns: &str) {
        let class = self.class;
        let fallback_owner = (!server.root_replaced)
            .then(|| {
                server
                    .default
                    .as_ref()
                    .map(|d| d.ingress)
                    .or(server.creator)
            })
            .flatten()
            .filter(|_| server.has_fallback());
        // Namespaces contributing, in the order of their oldest Ingress.
        let mut namespaces: Vec<&str> = Vec::new();
        for l in &server.locations {
            let ns = class.ingresses[l.ingress].namespace.as_str();
            if !namespaces.contains(&ns) {
                namespaces.push(ns);
            }
        }
        if let Some(k) = fallback_owner {
            let ns = class.ingresses[k].namespace.as_str();
            if !namespaces.contains(&ns) {
                namespaces.push(ns);
            }
        }
        let written = server.host.as_written();
        if namespaces.is_empty() && server.host != ServerHost::CatchAll {
            if let Some(c) = server.creator {
                self.gap(
                    Severity::Warning,
                    c,
                    "spec.rules",
                    format!("host {written:?} has no path and no default backend: ingress-nginx answers 404 for it, but Gateway API has no rule that answers 404, so its requests reach the rules without host"),
                );
            }
        }
        if let ServerHost::Wildcard(_) = server.host {
            if let Some(c) = server.creator {
                self.gap(
                    Severity::Warning,
                    c,
                    "spec.rules",
                    format!("host {written:?} matches one DNS label in an Ingress, but any number of labels as a Gateway API hostname (a.b{} matches too)", &written[1..]),
                );
            }
        }
        if server.regex {
            let k = server
                .locations
                .first()
                .map_or(server.creator.unwrap_or(0), |l| l.ingress);
            self.gap(
                Severity::Info,
                k,
                "metadata.annotations",
                format!("host {written:?} is in ingress-nginx regex mode: its paths become RegularExpression matches (Extended support, case-insensitive RE2 `(?i)`; other implementations may read them differently)"),
            );
        }
        for ns in namespaces {
            let mine: Vec<&Location> = server
                .locations
                .iter()
                .filter(|l| class.ingresses[l.ingress].namespace == ns)
                .collect();
            let fallback = fallback_owner.filter(|&k| class.ingresses[k].namespace == ns);
            let contributors: Vec<usize> = mine.iter().map(|l| l.ingress).chain(fallback).collect();
            let oldest = contributors.iter().copied().min().unwrap_or(0);
            let created = class.ingresses[oldest]
                .ingress
                .metadata
                .creation_timestamp
                .clone();
            let secure = self.rules(server, &mine, fallback, false);
            let plain = self.rules(server, &mine, fallback, true);
            let split = plain != secure;
            let base = format!("{}-{}", class.name, slug(&server.host));
            let parent = |section: &str| ParentReference {
                name: class.name.clone(),
                namespace: (ns != gw_ns).then(|| gw_ns.to_owned()),
                section_name: Some(section.to_owned()),
                ..ParentReference::default()
            };
            let hostnames = match &server.host {
                ServerHost::CatchAll => Vec::new(),
                h => vec![h.as_written()],
            };
            let emit = |this: &mut Self, name: String, parents: Vec<ParentReference>, rules| {
                let name = this.unique(ns, name);
                this.objects.push(Object::HttpRoute(HttpRoute {
                    metadata: meta(name, ns, created.clone()),
                    spec: HttpRouteSpec {
                        parent_refs: parents,
                        hostnames: hostnames.clone(),
                        rules,
                    },
                }));
            };
            match (split, https) {
                (false, Some(l)) => emit(self, base, vec![parent("http"), parent(l)], secure),
                (false, None) => emit(self, base, vec![parent("http")], secure),
                (true, Some(l)) => {
                    emit(self, base.clone(), vec![parent(l)], secure);
                    emit(self, format!("{base}-http"), vec![parent("http")], plain);
                }
                (true, None) => emit(self, format!("{base}-http"), vec![parent("http")], plain),
            }
        }
        self.add_probes(server, https.is_some());
    }

    /// A route name not used yet in `namespace`.
    fn unique(&mut self, namespace: &str, name: String) -> String {
        let mut candidate = name.clone();
        let mut n = 2;
        while !self
            .route_names
            .insert((namespace.to_owned(), candidate.clone()))
        {
            candidate = format!("{name}-{n}");
            n += 1;
        }
        candidate
    }

    /// HTTPRoute rules for some locations of a server (and its default location).
    fn rules(
        &mut self,
        server: &Server,
        locations: &[&Location],
        fallback: Option<usize>,
        plain: bool,
    ) -> Vec<HttpRouteRule> {
        let class = self.class;
        let mut rules = Vec::new();
        for loc in locations {
            if !plain && !matches!(loc.backend.target, BackendTarget::Service { .. }) {
                self.gap(
                    Severity::Info,
                    loc.ingress,
                    &format!("{}.backend", loc.field),
                    "the backend does not resolve: ingress-nginx answers 503, Gateway API 500"
                        .into(),
                );
            }
            let (matches, rewrite) = self.location_matches(loc, plain);
            let canary = loc.canary.map(|c| &class.canaries[c]);
            push_rules(
                &mut rules,
                &matches,
                rewrite,
                plain && loc.redirect_http,
                Some(&loc.backend),
                canary,
            );
        }
        if fallback.is_some() {
            // The default location: after every path of the host. A PathPrefix `/`
            // ranks below every longer prefix and every Exact path; in regex mode the
            // two-character `.*` ranks below every location's regex.
            let path = if server.regex {
                path_match("RegularExpression", ".*")
            } else {
                path_match("PathPrefix", "/")
            };
            let canary = server.fallback_canary.map(|c| &class.canaries[c]);
            push_rules(
                &mut rules,
                &[path],
                None,
                plain && server.fallback_redirect,
                server.default.as_ref().map(|d| &d.backend),
                canary,
            );
        }
        rules
    }

    /// The path matches of a location and its URLRewrite, if any.
    fn location_matches(
        &mut self,
        loc: &Location,
        plain: bool,
    ) -> (Vec<HttpPathMatch>, Option<HttpPathModifier>) {
        let report = !plain;
        match &loc.matcher {
            Matcher::Exact(p) => (vec![path_match("Exact", p)], None),
            Matcher::Prefix(p) => (vec![path_match("PathPrefix", p)], None),
            Matcher::Regex(list) => {
                let regexes: Vec<HttpPathMatch> = list
                    .iter()
                    .map(|(source, _)| path_match("RegularExpression", source))
                    .collect();
                match (&loc.rewrite, &loc.rewrite_target) {
                    (None, _) => (regexes, None),
                    (Some(PathModifier::ReplaceFullPath(t)), _) => (
                        regexes,
                        Some(HttpPathModifier {
                            kind: "ReplaceFullPath".into(),
                            replace_full_path: Some(t.clone()),
                            replace_prefix_match: None,
                        }),
                    ),
                    (Some(_), Some(target)) => match rewrite_idiom(&loc.path, target) {
                        Some((prefix, replacement)) => {
                            if report {
                                self.gap(
                                    Severity::Warning,
                                    loc.ingress,
                                    &format!("{}.path", loc.field),
                                    format!("{:?} with rewrite-target {target:?} becomes PathPrefix {prefix:?} with ReplacePrefixMatch {replacement:?}: matching becomes case-sensitive, ranks as a prefix (before the host's regexes), and {prefix:?} itself is rewritten to {:?}", loc.path, replacement.trim_end_matches('/').to_owned() + if replacement == "/" { "/" } else { "" }),
                                );
                            }
                            (
                                vec![path_match("PathPrefix", &prefix)],
                                Some(HttpPathModifier {
                                    kind: "ReplacePrefixMatch".into(),
                                    replace_full_path: None,
                                    replace_prefix_match: Some(replacement),
                                }),
                            )
                        }
                        None => {
                            if report {
                                self.gap(
                                    Severity::Warning,
                                    loc.ingress,
                                    &format!("{}.path", loc.field),
                                    format!("rewrite-target {target:?} with capture groups of {:?} has no Gateway API equivalent; the converted rule forwards the path unchanged", loc.path),
                                );
                            }
                            (regexes, None)
                        }
                    },
                    (Some(_), None) => (regexes, None),
                }
            }
        }
    }

    /// Reports that host-less rules may serve other hosts under implementations
    /// that consult less specific hostnames.
    fn fallthrough_gap(&mut self) {
        let class = self.class;
        let catch_all = &class.servers[0];
        let Some(k) = catch_all.locations.first().map(|l| l.ingress) else {
            return;
        };
        let without_fallback: Vec<String> = class.servers[1..]
            .iter()
            .filter(|s| !s.root_replaced && s.default.is_none())
            .map(|s| s.host.as_written())
            .collect();
        if !without_fallback.is_empty() {
            self.gap(
                Severity::Info,
                k,
                "spec.rules",
                format!("ingress-nginx never serves hosts {} with the rules without host; Gateway API implementations that merge hostnames (the spec's precedence text, gatewright's default host fall-through) may, for their unmatched paths. The proof routes with fall-through off, as Envoy-based implementations do", without_fallback.join(", ")),
            );
        }
    }

    /// The proof's requests for a server: every path, a child, a sibling, the
    /// exact path, the root and an unmatched path; http, and https when the host has
    /// a certificate Secret; canary header variants and entropies; one label and a
    /// deeper name for wildcard hosts; upper case on regex hosts.
    fn add_probes(&mut self, server: &Server, has_https: bool) {
        let class = self.class;
        let (hosts, tls_hosts): (Vec<(String, String)>, usize) = match &server.host {
            ServerHost::CatchAll => (
                vec![("unknown-host.invalid".into(), "a host without rules".into())],
                0,
            ),
            ServerHost::Exact(h) => (vec![(h.clone(), format!("host {h}"))], 1),
            ServerHost::Wildcard(s) => (
                vec![
                    (format!("one{s}"), format!("one label under *{s}")),
                    (
                        format!("two.one{s}"),
                        format!("a deeper name under *{s} (Gateway API wildcards match it)"),
                    ),
                ],
                1,
            ),
        };
        let mut paths: Vec<(String, String)> = vec![
            ("/".into(), "the root".into()),
            ("/zz-unmatched".into(), "an unmatched path".into()),
        ];
        for loc in &server.locations {
            let base = literal_part(&loc.path);
            let trimmed = base.trim_end_matches('/');
            let what = |w: &str| {
                format!(
                    "{w} of {} {:?}",
                    if loc.exact { "Exact" } else { "Prefix" },
                    loc.path
                )
            };
            paths.push((base.clone(), what("the path")));
            paths.push((format!("{trimmed}/x"), what("a child")));
            if !trimmed.is_empty() {
                paths.push((format!("{trimmed}x"), what("a sibling")));
                paths.push((format!("{trimmed}/x?q=1"), what("a child with a query")));
            }
            if base.ends_with('/') && !trimmed.is_empty() {
                paths.push((trimmed.to_owned(), what("the path without its trailing /")));
            } else if !loc.exact {
                paths.push((format!("{trimmed}/"), what("the path with a trailing /")));
            }
            if server.regex {
                paths.push((
                    format!("{}/x", trimmed.to_ascii_uppercase()),
                    what("upper case (regex mode is case-insensitive)"),
                ));
            }
        }
        let canaries: Vec<&ingress::Canary> = server
            .locations
            .iter()
            .filter_map(|l| l.canary)
            .chain(server.fallback_canary)
            .map(|c| &class.canaries[c])
            .collect();
        let mut headers: Vec<Option<(String, String)>> = vec![None];
        for c in &canaries {
            if let Some(h) = &c.header {
                for v in [c.value.as_deref().unwrap_or("always"), "never", "other"] {
                    let pair = Some((h.clone(), v.to_owned()));
                    if !headers.contains(&pair) {
                        headers.push(pair);
                    }
                }
            }
        }
        let entropies: &[u64] = if canaries.iter().any(|c| c.weight > 0) {
            &[0, u64::MAX / 2, u64::MAX]
        } else {
            &[0]
        };
        for (h, (host, host_why)) in hosts.iter().enumerate() {
            let schemes: &[&'static str] =
                if has_https && h < tls_hosts && server.tls.as_ref().is_some_and(|t| t.resolved) {
                    &["http", "https"]
                } else {
                    &["http"]
                };
            for scheme in schemes {
                for (path, path_why) in &paths {
                    for header in &headers {
                        for &entropy in entropies {
                            let probe = Probe {
                                scheme,
                                host: host.clone(),
                                path: path.clone(),
                                header: header.clone(),
                                entropy,
                                why: format!("{host_why}, {path_why}"),
                            };
                            let key = Probe {
                                why: String::new(),
                                ..probe.clone()
                            };
                            if self.seen.insert(key) {
                                self.probes.push(probe);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The literal start of a path (before any regex metacharacter), `/` at least.
fn literal_part(path: &str) -> String {
    let end = path
        .find(|c: char| ".^$*+?()[]{}|\\".contains(c))
        .unwrap_or(path.len());
    let lit = &path[..end];
    if lit.is_empty() {
        "/".into()
    } else {
        lit.to_owned()
    }
}

/// The ingress-nginx documentation's rewrite idiom: path `<prefix>(/|$)(.*)` with
/// target `<replacement>$2`, where `<prefix>` is literal and `<replacement>` ends
/// with `/`: `ReplacePrefixMatch` of `PathPrefix <prefix>` does the same (except
/// for case, and `<prefix>` itself, which loses the trailing `/` of a longer
/// replacement).
fn rewrite_idiom(path: &str, target: &str) -> Option<(String, String)> {
    let prefix = path.strip_suffix("(/|$)(.*)")?;
    let replacement = target.strip_suffix("$2")?;
    let literal = |s: &str| !s.contains(|c: char| "$.^*+?()[]{}|\\".contains(c));
    (prefix.starts_with('/')
        && prefix.len() > 1
        && literal(prefix)
        && replacement.ends_with('/')
        && literal(replacement))
    .then(|| (prefix.to_owned(), replacement.to_owned()))
}

fn path_match(kind: &str, value: &str) -> HttpPathMatch {
    HttpPathMatch {
        kind: Some(kind.into()),
        value: Some(value.into()),
    }
}

fn backend_ref(b: &PlanBackend, weight: Option<u32>) -> HttpBackendRef {
    HttpBackendRef {
        name: b.service.clone(),
        port: b.port,
        weight,
        ..HttpBackendRef::default()
    }
}

/// The rules of one location: a redirect, or the canary header rules and the
/// weighted split (the same shape as the IR lowering).
fn push_rules(
    rules: &mut Vec<HttpRouteRule>,
    paths: &[HttpPathMatch],
    rewrite: Option<HttpPathModifier>,
    redirect: bool,
    primary: Option<&PlanBackend>,
    canary: Option<&ingress::Canary>,
) {
    let matches = |header: Option<(&str, &str)>| -> Option<Vec<HttpRouteMatch>> {
        // `PathPrefix /` alone is what a rule without matches means (`HTTPRouteRule.Matches`
        // default): written that way, as for a default backend.
        let root = paths.len() == 1
            && paths[0].kind.as_deref() == Some("PathPrefix")
            && paths[0].value.as_deref() == Some("/");
        if root && header.is_none() {
            return None;
        }
        Some(
            paths
                .iter()
                .map(|p| HttpRouteMatch {
                    path: Some(p.clone()),
                    headers: header
                        .map(|(name, value)| HttpHeaderMatch {
                            kind: None,
                            name: name.to_owned(),
                            value: value.to_owned(),
                        })
                        .into_iter()
                        .collect(),
                    ..HttpRouteMatch::default()
                })
                .collect(),
        )
    };
    if redirect {
        rules.push(HttpRouteRule {
            matches: matches(None),
            filters: vec![HttpRouteFilter {
                kind: "RequestRedirect".into(),
                request_redirect: Some(HttpRequestRedirectFilter {
                    scheme: Some("https".into()),
                    status_code: Some(HTTPS_REDIRECT_STATUS),
                    ..HttpRequestRedirectFilter::default()
                }),
                ..HttpRouteFilter::default()
            }],
            ..HttpRouteRule::default()
        });
        return;
    }
    let Some(primary) = primary else { return };
    let filters: Vec<HttpRouteFilter> = rewrite
        .into_iter()
        .map(|path| HttpRouteFilter {
            kind: "URLRewrite".into(),
            url_rewrite: Some(HttpUrlRewriteFilter {
                hostname: None,
                path: Some(path),
            }),
            ..HttpRouteFilter::default()
        })
        .collect();
    let rule = |matches, backend_refs| HttpRouteRule {
        matches,
        filters: filters.clone(),
        backend_refs,
        ..HttpRouteRule::default()
    };
    let Some(c) = canary else {
        rules.push(rule(matches(None), vec![backend_ref(primary, None)]));
        return;
    };
    if let Some(header) = &c.header {
        let value = c.value.as_deref().unwrap_or("always");
        rules.push(rule(
            matches(Some((header, value))),
            vec![backend_ref(&c.backend, None)],
        ));
        if c.value.is_none() {
            rules.push(rule(
                matches(Some((header, "never"))),
                vec![backend_ref(primary, None)],
            ));
        }
    }
    let refs = if c.weight == 0 {
        vec![backend_ref(primary, None)]
    } else {
        vec![
            backend_ref(primary, Some(c.total - c.weight)),
            backend_ref(&c.backend, Some(c.weight)),
        ]
    };
    rules.push(rule(matches(None), refs));
}

// === output ===

/// The apiVersion and kind of an output object.
fn type_of(object: &Object) -> (&'static str, &'static str) {
    match object {
        Object::Gateway(_) => ("gateway.networking.k8s.io/v1", "Gateway"),
        Object::HttpRoute(_) => ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        Object::ReferenceGrant(_) => ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"),
        _ => ("v1", "Unknown"),
    }
}

/// Drops nulls and empty lists and maps from mappings (never list elements).
fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                prune(v);
            }
            map.retain(|_, v| match v {
                Value::Null => false,
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => !o.is_empty(),
                _ => true,
            });
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

fn to_value(object: &Object) -> Value {
    let (api_version, kind) = type_of(object);
    let body = match object {
        Object::Gateway(g) => serde_json::to_value(g),
        Object::HttpRoute(r) => serde_json::to_value(r),
        Object::ReferenceGrant(g) => serde_json::to_value(g),
        _ => Ok(Value::Null),
    };
    let mut value = body.unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("apiVersion".into(), Value::String(api_version.into()));
        map.insert("kind".into(), Value::String(kind.into()));
    }
    prune(&mut value);
    value
}

impl Conversion {
    /// The converted objects: Gateways, ReferenceGrants and HTTPRoutes.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// Diagnostics of the conversion ([`Code::ConversionGap`]) and of reading the
    /// Ingresses (unsupported annotations, unresolved backends, …).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The Gateway written for an IngressClass, as `(namespace, name)`: named after
    /// the class, in the namespace its Ingresses share (else the oldest one's).
    ///
    /// ```
    /// let yaml = include_str!("../../../examples/ingress/15-classes.yaml");
    /// let conversion = gatewright::convert::ingress_to_gateway(&gatewright::Resources::from_yaml(yaml)?);
    /// assert_eq!(conversion.gateway_of("internal"), Some(("corp", "internal")));
    /// assert_eq!(conversion.gateway_of("missing"), None);
    /// # Ok::<(), gatewright::ParseError>(())
    /// ```
    pub fn gateway_of(&self, class: &str) -> Option<(&str, &str)> {
        self.classes
            .iter()
            .find(|c| c.class == class)
            .map(|c| (c.gateway.0.as_str(), c.gateway.1.as_str()))
    }

    /// The objects as a multi-document YAML stream.
    #[cfg(feature = "yaml")]
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        for (i, object) in self.objects.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&serde_norway::to_string(&to_value(object)).unwrap_or_default());
        }
        out
    }

    /// The objects as a pretty-printed JSON `List`.
    pub fn to_json(&self) -> String {
        let list = serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": self.objects.iter().map(to_value).collect::<Vec<_>>(),
        });
        serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
    }

    /// Compiles `original` (the Ingress front end) and the converted resources
    /// (serialized, read back, with `original`'s Services, Secrets, Namespaces and
    /// ConfigMaps), routes the proof's requests through both, and reports every
    /// decision that differs: status, backend, redirect location, rewritten path.
    ///
    /// The Gateway API side is compiled with host fall-through off: the most
    /// specific matching hostname decides alone, as ingress-nginx's `server` blocks
    /// and Envoy's virtual hosts do.
    ///
    /// # Errors
    /// A [`CompileError`] when either side cannot be compiled at all (a global
    /// limit), or the converted text does not read back (which would be a bug).
    pub fn prove(&self, original: &Resources) -> Result<Proof, CompileError> {
        let ingress_side = Router::compile(original)?;
        #[cfg(feature = "yaml")]
        let reread = Resources::from_yaml(&self.to_yaml());
        #[cfg(not(feature = "yaml"))]
        let reread = Resources::from_json(&self.to_json());
        let mut converted = reread.map_err(|e| CompileError {
            message: format!("the converted resources do not read back: {e}"),
        })?;
        for object in original.objects() {
            if matches!(
                object,
                Object::Service(_)
                    | Object::Secret(_)
                    | Object::Namespace(_)
                    | Object::ConfigMap(_)
            ) {
                converted.push(object.clone());
            }
        }
        let gateway_side = Router::compile_with(&converted, Config::new().host_fallthrough(false))?;
        let mut proof = Proof::default();
        for class in &self.classes {
            for probe in &class.probes {
                let headers: Vec<(&str, &str)> = probe
                    .header
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                let request = Request::new("GET", &probe.host, &probe.path)
                    .scheme(probe.scheme)
                    .headers(&headers);
                let ingress = Outcome::of(
                    &ingress_side.decide_with(&request.ingress_class(&class.class), probe.entropy),
                );
                let gateway = Outcome::of(&gateway_side.decide_with(
                    &request.gateway(&class.gateway.0, &class.gateway.1),
                    probe.entropy,
                ));
                proof.requests += 1;
                if ingress != gateway {
                    let mut text = format!("GET {}://{}{}", probe.scheme, probe.host, probe.path);
                    if let Some((n, v)) = &probe.header {
                        text.push_str(&format!(" [{n}: {v}]"));
                    }
                    if probe.entropy != 0 {
                        text.push_str(&format!(" entropy={:#x}", probe.entropy));
                    }
                    proof.differences.push(Difference {
                        class: class.class.clone(),
                        request: text,
                        probe: probe.why.clone(),
                        ingress,
                        gateway,
                    });
                }
            }
        }
        Ok(proof)
    }
}

/// The result of [`Conversion::prove`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Proof {
    requests: usize,
    differences: Vec<Difference>,
}

impl Proof {
    /// Requests routed through both sides.
    pub fn requests(&self) -> usize {
        self.requests
    }

    /// The requests whose decisions differ.
    pub fn differences(&self) -> &[Difference] {
        &self.differences
    }
}

impl fmt::Display for Proof {
    /// `proof: N requests, M differ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "proof: {} requests, {} differ",
            self.requests,
            self.differences.len()
        )
    }
}

/// One request routed differently by the Ingress front end and by the converted resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Difference {
    /// The IngressClass.
    pub class: String,
    /// The request, e.g. `GET http://a.example.com/x [x-canary: always]`.
    pub request: String,
    /// Why the proof sent it (which host and path it probes).
    pub probe: String,
    /// What the Ingress front end decided.
    pub ingress: Outcome,
    /// What the converted Gateway API resources decided.
    pub gateway: Outcome,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): Ingress {}; Gateway API {}",
            self.request, self.probe, self.ingress, self.gateway
        )
    }
}

/// The parts of a decision the proof compares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    /// The status the gateway answers with; `None` when forwarded, `Some(0)` refused.
    pub status: Option<u16>,
    /// `namespace/name:port` of the backend, when forwarded.
    pub backend: Option<String>,
    /// The redirect's `Location`.
    pub location: Option<String>,
    /// The path the backend receives.
    pub path: Option<String>,
}

impl Outcome {
    /// The comparable parts of a decision.
    ///
    /// ```
    /// # let yaml = include_str!("../../../examples/quickstart.yaml");
    /// let router = gatewright::Router::compile(&gatewright::Resources::from_yaml(yaml)?)?;
    /// let d = router.decide(&gatewright::Request::new("GET", "shop.example.com", "/api/x"));
    /// let outcome = gatewright::convert::Outcome::of(&d);
    /// assert_eq!(outcome.to_string(), "forward shop/api:8080 path /api/x");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(decision: &Decision) -> Self {
        let mut outcome = Outcome {
            status: decision.status(),
            backend: decision
                .backend()
                .map(|b| format!("{}/{}:{}", b.namespace, b.name, b.port)),
            location: None,
            path: None,
        };
        match &decision.action {
            Action::Forward(f) => outcome.path = Some(f.upstream.path.clone()),
            Action::Redirect(r) => outcome.location = Some(r.location.clone()),
            _ => {}
        }
        outcome
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.backend, &self.location, self.status) {
            (Some(b), _, _) => write!(f, "forward {b} path {}", self.path.as_deref().unwrap_or("")),
            (_, Some(l), Some(s)) => write!(f, "redirect {s} {l}"),
            (_, _, Some(0)) => f.write_str("refuse"),
            (_, _, Some(s)) => write!(f, "respond {s}"),
            _ => f.write_str("forward"),
        }
    }
}
