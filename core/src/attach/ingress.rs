//! Stage 2 for Kubernetes Ingress: IngressClass resolution, the ingress-nginx model
//! of servers and locations (the [`Plan`]), and its lowering into the IR.
//!
//! Sources, cited where each rule is applied:
//!
//! * Kubernetes, "Ingress" (<https://kubernetes.io/docs/concepts/services-networking/ingress/>):
//!   classes, path types and their table of examples, "Multiple matches", hostname
//!   wildcards, default backend, TLS.
//! * ingress-nginx (`kubernetes/ingress-nginx`), for what the Kubernetes text leaves
//!   to the controller, and for its annotations: `internal/ingress/controller/controller.go`
//!   (`createServers`, `getBackendServers`, `mergeAlternativeBackends`),
//!   `location.go` (`updateServerLocations`), `template/template.go` (`buildLocation`,
//!   `buildServerName`, `buildProxyPass`), `store/store.go` (`sortIngressSlice`),
//!   `rootfs/etc/nginx/lua/{balancer,lua_ingress}.lua` (canary, HTTPS redirect).
//!
//! The plan is computed once and has two consumers: [`lower`] (the router's IR) and
//! `convert::ingress` (Gateway API resources). Both read the same servers, locations,
//! redirects and canaries, so the conversion proof compares like with like.
//!
//! # The model
//!
//! Each served IngressClass becomes one IR Gateway, `IngressClass/<class>`
//! ([`INGRESS_CLASS_NAMESPACE`]), with a listener `http` on port 80 and `https` on
//! port 443, neither with a hostname: ingress-nginx listens on both ports for every
//! host and serves hosts without a TLS Secret on 443 with its default (self-signed)
//! certificate (`createServers`: "Using default certificate").
//!
//! Ingresses of a class are taken oldest first (`sortIngressSlice`). Each rule host
//! is a *server* (ingress-nginx `server` block), created by the first Ingress naming
//! it; host-less rules belong to the catch-all server `_`. A request is served by
//! exactly one server: the exact host, else the one-label wildcard of its parent
//! domain (`buildServerName` turns `*.foo.com` into `~^(?<subdomain>[\w-]+)\.foo\.com$`),
//! else the catch-all. There is no fall-through between servers (the IR Gateway has
//! `host_fallthrough: Some(false)`): a host with rules but no matching path gets
//! the server's default location, whose backend is the `defaultBackend` of the
//! Ingress that created the server, or 404 (ingress-nginx's own default backend).
//! The catch-all's default location is the `defaultBackend` of the oldest Ingress
//! that has one and no rules.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::parse_timestamp;
use super::refs::{ns_of, secret_is_tls_pair, RefIndex};
use crate::config::Config;
use crate::diag::{
    Code, Condition, Diagnostic, IngressStatus, ObjectRef, ObjectStatus, Severity, StatusEntry,
};
use crate::ir::{
    normalize_prefix, Attachment, Backend, BackendTarget, Filters, Gateway, HostMatch, Ir,
    Listener, Match, NameValueMatch, PathMatch, PathModifier, Pattern, Protocol, Redirect, Rewrite,
    Route, RouteKind, Rule, RuleAction, Timestamp, ValueMatch, INGRESS_CLASS_NAMESPACE,
};
use crate::precedence::RouteOrder;
use crate::resource::ingress::{
    Ingress, IngressBackend, IngressClass, LEGACY_CLASS_ANNOTATION, NETWORKING_GROUP,
};
use crate::resource::Object;

/// Prefix of ingress-nginx annotations.
pub(crate) const NGINX_PREFIX: &str = "nginx.ingress.kubernetes.io/";

/// The status code of ingress-nginx's HTTPS redirect: ConfigMap `http-redirect-code`,
/// default 308 (`lua_ingress.lua`: `ngx_redirect(uri, config.http_redirect_code)`).
pub(crate) const HTTPS_REDIRECT_STATUS: u16 = 308;

/// ingress-nginx annotations that change which backend, status, redirect or path a
/// request gets, and that gatewright does not implement (a warning each).
const UNSUPPORTED_ROUTING: &[&str] = &[
    "app-root",
    "permanent-redirect",
    "permanent-redirect-code",
    "temporal-redirect",
    "temporal-redirect-code",
    "from-to-www-redirect",
    "server-alias",
    "server-snippet",
    "configuration-snippet",
    "default-backend",
    "custom-http-errors",
    "canary-by-cookie",
    "canary-by-header-pattern",
    "auth-url",
    "auth-type",
    "auth-tls-secret",
    "whitelist-source-range",
    "allowlist-source-range",
    "denylist-source-range",
    "limit-rps",
    "limit-rpm",
    "limit-connections",
    "ssl-passthrough",
    "backend-protocol",
    "upstream-vhost",
    "service-upstream",
    "mirror-target",
    "enable-cors",
    "preserve-trailing-slash",
    "use-port-in-redirects",
    "x-forwarded-prefix",
];

/// Annotations the front end implements.
const SUPPORTED: &[&str] = &[
    "ssl-redirect",
    "force-ssl-redirect",
    "use-regex",
    "rewrite-target",
    "canary",
    "canary-weight",
    "canary-weight-total",
    "canary-by-header",
    "canary-by-header-value",
];

/// Everything the Ingress front end decided.
pub(crate) struct Plan<'r> {
    /// Served IngressClasses (ours), in input order.
    pub(crate) classes: Vec<ClassPlan<'r>>,
    /// Status of every Ingress, in input order.
    pub(crate) statuses: Vec<StatusEntry>,
}

/// One IngressClass and what it serves.
pub(crate) struct ClassPlan<'r> {
    /// The IngressClass name (= the synthesized Gateway's name).
    pub(crate) name: String,
    /// Served Ingresses of the class, oldest first (primaries and canaries).
    pub(crate) ingresses: Vec<Planned<'r>>,
    /// Servers in creation order; index 0 is the catch-all.
    pub(crate) servers: Vec<Server>,
    /// Canary backends that joined a primary.
    pub(crate) canaries: Vec<Canary>,
}

/// A served Ingress with its parsed annotations.
pub(crate) struct Planned<'r> {
    pub(crate) ingress: &'r Ingress,
    pub(crate) object: ObjectRef,
    pub(crate) namespace: String,
    pub(crate) created: Option<Timestamp>,
    pub(crate) anns: Annotations,
}

impl Planned<'_> {
    pub(crate) fn name(&self) -> &str {
        &self.ingress.metadata.name
    }
}

/// The host of a server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ServerHost {
    /// The catch-all server `_` (rules without host).
    CatchAll,
    /// A lower-case host name.
    Exact(String),
    /// `*.foo.com`, stored as `.foo.com`.
    Wildcard(String),
}

impl ServerHost {
    pub(crate) fn host_match(&self) -> HostMatch {
        match self {
            ServerHost::CatchAll => HostMatch::Any,
            ServerHost::Exact(h) => HostMatch::Exact(h.clone()),
            ServerHost::Wildcard(s) => HostMatch::SingleLabel(s.clone()),
        }
    }

    /// The host as written in the Ingress (`""` for the catch-all).
    pub(crate) fn as_written(&self) -> String {
        match self {
            ServerHost::CatchAll => String::new(),
            ServerHost::Exact(h) => h.clone(),
            ServerHost::Wildcard(s) => format!("*{s}"),
        }
    }

    /// Whether a TLS host (`a.foo.com` or `*.foo.com`) covers this server's host.
    fn covered_by(&self, tls_host: &str) -> bool {
        let tls_host = tls_host.to_ascii_lowercase();
        match self {
            ServerHost::CatchAll => false,
            ServerHost::Exact(h) => {
                *h == tls_host
                    || tls_host
                        .strip_prefix('*')
                        .is_some_and(|s| HostMatch::SingleLabel(s.to_owned()).matches(h))
            }
            ServerHost::Wildcard(s) => tls_host.strip_prefix('*') == Some(s.as_str()),
        }
    }
}

/// A backend as planned: the IR target, what to write in a converted backendRef,
/// and the ingress-nginx upstream it belongs to (canaries join upstreams).
#[derive(Clone, Debug)]
pub(crate) struct PlanBackend {
    pub(crate) target: BackendTarget,
    /// Service name (the Ingress's namespace).
    pub(crate) service: String,
    /// Port number for a converted backendRef (`None`: a port name that does not resolve).
    pub(crate) port: Option<u16>,
    /// `upstreamName`: namespace, service, port as written (number or name).
    upstream: (String, String, String),
}

/// A server's default location.
#[derive(Clone, Debug)]
pub(crate) struct DefaultBackend {
    /// The Ingress whose `defaultBackend` it is.
    pub(crate) ingress: usize,
    pub(crate) backend: PlanBackend,
}

/// The certificate a server presents.
#[derive(Clone, Debug)]
pub(crate) struct ServerTls {
    /// The Ingress whose `spec.tls` decided.
    pub(crate) ingress: usize,
    /// The Secret (in that Ingress's namespace); `None`: ingress-nginx's default certificate.
    pub(crate) secret: Option<String>,
    /// Whether the Secret is in the input and holds a certificate and key.
    pub(crate) resolved: bool,
}

/// One ingress-nginx `server`.
#[derive(Clone, Debug)]
pub(crate) struct Server {
    pub(crate) host: ServerHost,
    /// The Ingress whose rule created it (`None` for the catch-all).
    pub(crate) creator: Option<usize>,
    /// The default location's backend (`None`: 404).
    pub(crate) default: Option<DefaultBackend>,
    pub(crate) tls: Option<ServerTls>,
    /// Regex mode: every location is a case-insensitive regex prefix.
    pub(crate) regex: bool,
    pub(crate) locations: Vec<Location>,
    /// A `Prefix /` path replaced the default location.
    pub(crate) root_replaced: bool,
    /// The default location redirects plain HTTP to HTTPS.
    pub(crate) fallback_redirect: bool,
    /// Canary joined to the default location's upstream.
    pub(crate) fallback_canary: Option<usize>,
}

impl Server {
    /// Whether the server has a default location (it was not replaced, and it
    /// serves a backend or redirects; else requests it would take get 404).
    pub(crate) fn has_fallback(&self) -> bool {
        !self.root_replaced && (self.default.is_some() || self.fallback_redirect)
    }
}

/// How a location matches paths.
#[derive(Clone, Debug)]
pub(crate) enum Matcher {
    /// `Exact`.
    Exact(String),
    /// `Prefix`, normalized (no trailing `/`, except `/` itself).
    Prefix(String),
    /// Regex mode: `~* "^<path>"` locations, as the regex sources passed to
    /// [`regex_source`] (one or two: `updateServerLocations` adds `<path>/`).
    Regex(Vec<(String, Pattern)>),
}

/// One ingress-nginx `location`.
#[derive(Clone, Debug)]
pub(crate) struct Location {
    pub(crate) ingress: usize,
    /// `spec.rules[i].http.paths[j]`.
    pub(crate) field: String,
    /// The path as written (`/` when empty).
    pub(crate) path: String,
    /// `pathType: Exact` (else Prefix; ImplementationSpecific is Prefix).
    pub(crate) exact: bool,
    pub(crate) matcher: Matcher,
    pub(crate) backend: PlanBackend,
    /// `rewrite-target` as written, when it applies to this location.
    pub(crate) rewrite_target: Option<String>,
    /// The rewrite the IR applies.
    pub(crate) rewrite: Option<PathModifier>,
    /// Plain HTTP requests are redirected to HTTPS.
    pub(crate) redirect_http: bool,
    pub(crate) canary: Option<usize>,
    /// `use-regex` or a rewrite on this location (regex mode for its server).
    regex_trigger: bool,
}

/// A canary Ingress's backend joined to a primary upstream.
#[derive(Clone, Debug)]
pub(crate) struct Canary {
    pub(crate) ingress: usize,
    pub(crate) backend: PlanBackend,
    /// `canary-by-header`.
    pub(crate) header: Option<String>,
    /// `canary-by-header-value`.
    pub(crate) value: Option<String>,
    /// `canary-weight` out of [`Canary::total`].
    pub(crate) weight: u32,
    /// `canary-weight-total` (values up to 100 count as 100, as `balancer.lua` does).
    pub(crate) total: u32,
}

/// Parsed ingress-nginx annotations of one Ingress.
#[derive(Clone, Debug, Default)]
pub(crate) struct Annotations {
    pub(crate) ssl_redirect: bool,
    pub(crate) force_ssl_redirect: bool,
    pub(crate) use_regex: bool,
    pub(crate) rewrite_target: Option<String>,
    pub(crate) canary: Option<CanarySpec>,
}

/// `canary-*` annotations.
#[derive(Clone, Debug, Default)]
pub(crate) struct CanarySpec {
    pub(crate) weight: u32,
    pub(crate) total: u32,
    pub(crate) header: Option<String>,
    pub(crate) value: Option<String>,
}

/// Per-Ingress status while planning.
struct StatusDraft {
    object: ObjectRef,
    class: Option<String>,
    served: Result<&'static str, (&'static str, String)>,
    unresolved: Option<String>,
}

/// Computes the plan: classes, served Ingresses, servers, locations, canaries.
pub(crate) fn plan<'r>(
    objects: &'r [Object],
    refs: &RefIndex<'r>,
    config: &Config,
    diagnostics: &mut Vec<Diagnostic>,
) -> Plan<'r> {
    // IngressClasses, first of each name.
    let mut classes: Vec<(&IngressClass, bool)> = Vec::new();
    for object in objects {
        let Object::IngressClass(class) = object else {
            continue;
        };
        let object_ref =
            ObjectRef::new(NETWORKING_GROUP, "IngressClass", None, &class.metadata.name);
        if classes
            .iter()
            .any(|(c, _)| c.metadata.name == class.metadata.name)
        {
            diagnostics.push(Diagnostic::new(
                Code::DuplicateObject,
                Severity::Warning,
                &object_ref,
                "",
                "duplicate IngressClass; the first one is used",
            ));
            continue;
        }
        let ours = config
            .get_controller_name()
            .is_none_or(|c| c == class.spec.controller);
        classes.push((class, ours));
    }
    // Kubernetes: "If more than one IngressClass is marked as the default for your
    // cluster, the admission controller prevents creating new Ingress objects that
    // don't have an ingressClassName specified."
    let defaults: Vec<&str> = classes
        .iter()
        .filter(|(c, _)| c.is_default())
        .map(|(c, _)| c.metadata.name.as_str())
        .collect();

    let mut by_class: Vec<Vec<Planned<'r>>> = classes.iter().map(|_| Vec::new()).collect();
    let mut drafts: Vec<StatusDraft> = Vec::new();
    let mut seen = HashSet::new();
    for object in objects {
        let Object::Ingress(ing) = object else {
            continue;
        };
        let namespace = ns_of(ing.metadata.namespace.as_ref()).to_owned();
        let object_ref = ObjectRef::new(
            NETWORKING_GROUP,
            "Ingress",
            Some(&namespace),
            &ing.metadata.name,
        );
        if !seen.insert((namespace.clone(), ing.metadata.name.clone())) {
            diagnostics.push(Diagnostic::new(
                Code::DuplicateObject,
                Severity::Warning,
                &object_ref,
                "",
                "duplicate Ingress; ignored",
            ));
            continue;
        }
        let mut draft = StatusDraft {
            object: object_ref.clone(),
            class: None,
            served: Ok("Served"),
            unresolved: None,
        };
        match resolve_class(ing, &classes, &defaults, &object_ref, diagnostics) {
            Err((reason, message)) => draft.served = Err((reason, message)),
            Ok(index) => {
                let (class, ours) = classes[index];
                draft.class = Some(class.metadata.name.clone());
                if ours {
                    let anns = parse_annotations(ing, &object_ref, diagnostics);
                    by_class[index].push(Planned {
                        ingress: ing,
                        object: object_ref,
                        namespace,
                        created: ing
                            .metadata
                            .creation_timestamp
                            .as_deref()
                            .and_then(parse_timestamp),
                        anns,
                    });
                } else {
                    let message = format!(
                        "IngressClass {} belongs to controller {:?}",
                        class.metadata.name, class.spec.controller
                    );
                    diagnostics.push(Diagnostic::new(
                        Code::IngressClassNotOurs,
                        Severity::Info,
                        &object_ref,
                        "spec.ingressClassName",
                        format!("{message}; Ingress ignored"),
                    ));
                    draft.served = Err(("IngressClassNotOurs", message));
                }
            }
        }
        drafts.push(draft);
    }

    let mut plans = Vec::new();
    for ((class, ours), mut ingresses) in classes.iter().zip(by_class) {
        if !ours {
            continue;
        }
        // ingress-nginx `sortIngressSlice`: oldest first. On equal timestamps it puts
        // the *greater* `namespace/name` first (`return in > jn`); gatewright breaks
        // ties as Gateway API does (`RouteOrder`: missing timestamps last, then
        // `namespace/name` ascending), so that Ingress and converted HTTPRoute
        // precedence agree. Only exactly equal timestamps are affected.
        ingresses.sort_by(|a, b| {
            RouteOrder {
                created: a.created,
                namespace: &a.namespace,
                name: a.name(),
            }
            .cmp(&RouteOrder {
                created: b.created,
                namespace: &b.namespace,
                name: b.name(),
            })
        });
        let mut builder = ClassBuilder {
            refs,
            regex_size_limit: config.get_regex_size_limit(),
            diagnostics: &mut *diagnostics,
            ingresses,
            servers: Vec::new(),
            canaries: Vec::new(),
            unresolved: HashMap::new(),
            merged: HashSet::new(),
            location_index: HashMap::new(),
        };
        builder.build();
        let index: HashMap<&ObjectRef, usize> = builder
            .ingresses
            .iter()
            .enumerate()
            .map(|(i, p)| (&p.object, i))
            .collect();
        for draft in drafts.iter_mut() {
            if let Some(&i) = index.get(&draft.object) {
                if let Some(msg) = builder.unresolved.get(&i) {
                    draft.unresolved = Some(msg.clone());
                }
                if builder.ingresses[i].anns.canary.is_some() {
                    draft.served = if builder.merged.contains(&i) {
                        Ok("Canary")
                    } else {
                        Err((
                            "CanaryNotMerged",
                            "no primary path of the class takes this canary".to_owned(),
                        ))
                    };
                }
            }
        }
        plans.push(ClassPlan {
            name: class.metadata.name.clone(),
            ingresses: builder.ingresses,
            servers: builder.servers,
            canaries: builder.canaries,
        });
    }

    let statuses = drafts
        .into_iter()
        .map(|d| {
            let mut conditions = vec![match &d.served {
                Ok(reason) => Condition::new("Served", true, reason, ""),
                Err((reason, message)) => Condition::new("Served", false, reason, message.clone()),
            }];
            if d.served.is_ok() {
                conditions.push(match &d.unresolved {
                    None => Condition::new("ResolvedRefs", true, "ResolvedRefs", ""),
                    Some(m) => Condition::new("ResolvedRefs", false, "BackendNotFound", m.clone()),
                });
            }
            StatusEntry {
                kind: "Ingress".into(),
                namespace: d.object.namespace.clone(),
                name: d.object.name.clone(),
                status: ObjectStatus::Ingress(IngressStatus {
                    class: d.class,
                    conditions,
                }),
            }
        })
        .collect();
    Plan {
        classes: plans,
        statuses,
    }
}

/// The IngressClass of an Ingress (index into `classes`), or why there is none.
///
/// Kubernetes, "Ingress class" and "Deprecated annotation": `spec.ingressClassName`,
/// else the `kubernetes.io/ingress.class` annotation, else the IngressClass marked
/// `ingressclass.kubernetes.io/is-default-class: "true"` (when exactly one is).
fn resolve_class(
    ing: &Ingress,
    classes: &[(&IngressClass, bool)],
    defaults: &[&str],
    object: &ObjectRef,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<usize, (&'static str, String)> {
    let annotation = ing.metadata.annotations.get(LEGACY_CLASS_ANNOTATION);
    let (name, field) = match (&ing.spec.ingress_class_name, annotation) {
        (Some(spec), Some(ann)) => {
            if spec != ann {
                diagnostics.push(Diagnostic::new(
                    Code::UnsupportedValue,
                    Severity::Warning,
                    object,
                    format!("metadata.annotations[{LEGACY_CLASS_ANNOTATION}]"),
                    format!("the annotation names class {ann:?} but spec.ingressClassName is {spec:?}; spec.ingressClassName is used (the API server rejects both together)"),
                ));
            }
            (spec.clone(), "spec.ingressClassName".to_owned())
        }
        (Some(spec), None) => (spec.clone(), "spec.ingressClassName".to_owned()),
        (None, Some(ann)) => (
            ann.clone(),
            format!("metadata.annotations[{LEGACY_CLASS_ANNOTATION}]"),
        ),
        (None, None) => match defaults {
            [one] => ((*one).to_owned(), "spec.ingressClassName".to_owned()),
            [] => {
                let message =
                    "no spec.ingressClassName, no kubernetes.io/ingress.class annotation and no default IngressClass"
                        .to_owned();
                diagnostics.push(Diagnostic::new(
                    Code::NoIngressClass,
                    Severity::Warning,
                    object,
                    "spec.ingressClassName",
                    format!("{message}; Ingress not served"),
                ));
                return Err(("NoIngressClass", message));
            }
            several => {
                let message = format!(
                    "no class given and several IngressClasses are marked default ({})",
                    several.join(", ")
                );
                diagnostics.push(Diagnostic::new(
                    Code::NoIngressClass,
                    Severity::Warning,
                    object,
                    "spec.ingressClassName",
                    format!("{message}; Ingress not served"),
                ));
                return Err(("AmbiguousDefaultIngressClass", message));
            }
        },
    };
    match classes.iter().position(|(c, _)| c.metadata.name == name) {
        Some(i) => Ok(i),
        None => {
            let message = format!("IngressClass {name:?} not found");
            diagnostics.push(Diagnostic::new(
                Code::IngressClassNotFound,
                Severity::Warning,
                object,
                field,
                format!("{message}; Ingress not served"),
            ));
            Err(("IngressClassNotFound", message))
        }
    }
}

/// Go's `strconv.ParseBool`, which ingress-nginx's annotation parser uses.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Reads the ingress-nginx annotations gatewright implements, and reports the others.
fn parse_annotations(
    ing: &Ingress,
    object: &ObjectRef,
    diagnostics: &mut Vec<Diagnostic>,
) -> Annotations {
    let anns = &ing.metadata.annotations;
    let field = |key: &str| format!("metadata.annotations[{NGINX_PREFIX}{key}]");
    let invalid = |key: &str, value: &str, default: &str, diagnostics: &mut Vec<Diagnostic>| {
        diagnostics.push(Diagnostic::new(
            Code::InvalidAnnotation,
            Severity::Warning,
            object,
            field(key),
            format!("{value:?} is not a valid value; the default ({default}) applies"),
        ));
    };
    let boolean = |key: &str, default: bool, diagnostics: &mut Vec<Diagnostic>| -> bool {
        match anns.get(&format!("{NGINX_PREFIX}{key}")) {
            None => default,
            Some(v) => parse_bool(v).unwrap_or_else(|| {
                invalid(key, v, &default.to_string(), diagnostics);
                default
            }),
        }
    };
    let get = |key: &str| {
        anns.get(&format!("{NGINX_PREFIX}{key}"))
            .filter(|v| !v.is_empty())
            .cloned()
    };
    // ingress-nginx defaults: `ssl-redirect` true (ConfigMap `ssl-redirect`), the others false.
    let ssl_redirect = boolean("ssl-redirect", true, diagnostics);
    let force_ssl_redirect = boolean("force-ssl-redirect", false, diagnostics);
    let use_regex = boolean("use-regex", false, diagnostics);
    let canary_on = boolean("canary", false, diagnostics);
    let number = |key: &str, default: u32, diagnostics: &mut Vec<Diagnostic>| -> u32 {
        match anns.get(&format!("{NGINX_PREFIX}{key}")) {
            None => default,
            Some(v) => v.trim().parse::<u32>().unwrap_or_else(|_| {
                diagnostics.push(Diagnostic::new(
                    Code::InvalidAnnotation,
                    Severity::Warning,
                    object,
                    field(key),
                    format!("{v:?} is not a non-negative integer; the default ({default}) applies"),
                ));
                default
            }),
        }
    };
    let weight = number("canary-weight", 0, diagnostics);
    let total = number("canary-weight-total", 100, diagnostics);
    let canary = canary_on.then(|| {
        // `balancer.lua`: `weightTotal` counts only above 100.
        let total = total.max(100);
        let weight = if weight > total {
            diagnostics.push(Diagnostic::new(
                Code::InvalidAnnotation,
                Severity::Warning,
                object,
                field("canary-weight"),
                format!("canary-weight {weight} exceeds the total {total}; every request goes to the canary"),
            ));
            total
        } else {
            weight
        };
        CanarySpec {
            weight,
            total,
            header: get("canary-by-header").map(|h| h.to_ascii_lowercase()),
            value: get("canary-by-header-value"),
        }
    });
    for key in anns.keys() {
        let Some(name) = key.strip_prefix(NGINX_PREFIX) else {
            continue;
        };
        if SUPPORTED.contains(&name) {
            if !canary_on && name.starts_with("canary-") {
                diagnostics.push(Diagnostic::new(
                    Code::UnsupportedAnnotation,
                    Severity::Warning,
                    object,
                    format!("metadata.annotations[{key}]"),
                    "has no effect without nginx.ingress.kubernetes.io/canary: \"true\"",
                ));
            }
            continue;
        }
        let routing = UNSUPPORTED_ROUTING.contains(&name);
        diagnostics.push(Diagnostic::new(
            Code::UnsupportedAnnotation,
            if routing {
                Severity::Warning
            } else {
                Severity::Info
            },
            object,
            format!("metadata.annotations[{key}]"),
            if routing {
                "changes routing in ingress-nginx but is not implemented; routing here ignores it"
            } else {
                "not interpreted (it does not change which backend, status, redirect or path gatewright reports)"
            },
        ));
    }
    Annotations {
        ssl_redirect,
        force_ssl_redirect,
        use_regex,
        rewrite_target: get("rewrite-target"),
        canary,
    }
}

/// `*.foo.com` or `foo.com` validated as Kubernetes validates `IngressRule.Host`
/// (a DNS-1123 subdomain, optionally with a `*.` first label, not an IP address).
fn parse_host(host: &str) -> Result<ServerHost, String> {
    let lower = host.to_ascii_lowercase();
    let (wildcard, name) = match lower.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, lower.as_str()),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(format!(
            "host {host:?} must be a DNS name, optionally starting with \"*.\""
        ));
    }
    if !wildcard && name.split('.').count() == 4 && name.split('.').all(|l| l.parse::<u8>().is_ok())
    {
        return Err(format!(
            "host {host:?} must be a DNS name, not an IP address"
        ));
    }
    Ok(if wildcard {
        ServerHost::Wildcard(format!(".{name}"))
    } else {
        ServerHost::Exact(name.to_owned())
    })
}

/// The regex of a location in regex mode: ingress-nginx writes `location ~* "^<path>"`
/// (`buildLocation`), a case-insensitive match at the start of the URI. The IR
/// matches whole paths, so the source is `(?i)(?:<path>).*`; every location gets the
/// same wrapper, so comparing source lengths compares path lengths, which is how
/// ingress-nginx orders locations (`getBackendServers`: longest path first).
pub(crate) fn regex_source(path: &str) -> String {
    format!("(?i)(?:{path}).*")
}

struct ClassBuilder<'a, 'r> {
    refs: &'a RefIndex<'r>,
    regex_size_limit: usize,
    diagnostics: &'a mut Vec<Diagnostic>,
    ingresses: Vec<Planned<'r>>,
    servers: Vec<Server>,
    canaries: Vec<Canary>,
    /// First unresolved backend per Ingress.
    unresolved: HashMap<usize, String>,
    /// Canary Ingresses that joined a primary.
    merged: HashSet<usize>,
    /// Locations by (server, Exact?, path) while they are added.
    location_index: HashMap<(usize, (bool, String)), usize>,
}

impl ClassBuilder<'_, '_> {
    fn build(&mut self) {
        self.servers
            .push(Server::new(ServerHost::CatchAll, None, None));
        let hosts = self.create_servers();
        self.configure_tls(&hosts);
        self.add_locations(&hosts);
        self.regex_mode();
        self.merge_canaries(&hosts);
        self.redirects();
    }

    fn diag(&mut self, code: Code, severity: Severity, k: usize, field: String, message: String) {
        let object = self.ingresses[k].object.clone();
        self.diagnostics
            .push(Diagnostic::new(code, severity, &object, field, message));
    }

    fn is_canary(&self, k: usize) -> bool {
        self.ingresses[k].anns.canary.is_some()
    }

    /// The server of each rule, per Ingress (`None`: invalid host).
    ///
    /// ingress-nginx `createServers`: the catch-all `_` exists first; each rule host
    /// of a non-canary Ingress creates a server unless one exists, with the Ingress's
    /// `defaultBackend` as the default location ("Using its backend as default
    /// upstream for all its rules"); an Ingress with a `defaultBackend` and no rules
    /// configures the catch-all's default location, the first one only.
    fn create_servers(&mut self) -> Vec<Vec<Option<usize>>> {
        let mut by_host: HashMap<ServerHost, usize> = HashMap::new();
        by_host.insert(ServerHost::CatchAll, 0);
        let mut hosts: Vec<Vec<Option<ServerHost>>> = Vec::new();
        for k in 0..self.ingresses.len() {
            let ing = self.ingresses[k].ingress;
            let canary = self.is_canary(k);
            let default = match &ing.spec.default_backend {
                Some(b) if !canary => self.backend(k, b, "spec.defaultBackend"),
                _ => None,
            };
            if !canary && ing.spec.rules.is_empty() {
                if let Some(backend) = default.clone() {
                    if self.servers[0].default.is_none() {
                        self.servers[0].default = Some(DefaultBackend {
                            ingress: k,
                            backend,
                        });
                    } else {
                        let owner = self.servers[0].default.as_ref().map_or(0, |d| d.ingress);
                        let owner = self.ingresses[owner].object.to_string();
                        self.diag(
                            Code::IngressPathConflict,
                            Severity::Warning,
                            k,
                            "spec.defaultBackend".into(),
                            format!("the catch-all default backend is already {owner}'s (older); this one is not used"),
                        );
                    }
                }
            }
            let mut rule_hosts: Vec<Option<ServerHost>> = Vec::new();
            for (i, rule) in ing.spec.rules.iter().enumerate() {
                let host = match rule.host.as_deref().filter(|h| !h.is_empty()) {
                    None => Ok(ServerHost::CatchAll),
                    Some(h) => parse_host(h),
                };
                let host = match host {
                    Ok(h) => h,
                    Err(message) => {
                        self.diag(
                            Code::UnsupportedValue,
                            Severity::Error,
                            k,
                            format!("spec.rules[{i}].host"),
                            format!("{message}; the rule is not served"),
                        );
                        rule_hosts.push(None);
                        continue;
                    }
                };
                if canary {
                    // Canary Ingresses create no server; their hosts are looked up
                    // once every server exists (below).
                    rule_hosts.push(Some(host));
                    continue;
                }
                let index = match by_host.get(&host) {
                    Some(&s) => s,
                    None => {
                        let d = default.clone().map(|backend| DefaultBackend {
                            ingress: k,
                            backend,
                        });
                        self.servers.push(Server::new(host.clone(), Some(k), d));
                        by_host.insert(host.clone(), self.servers.len() - 1);
                        self.servers.len() - 1
                    }
                };
                rule_hosts.push(Some(host));
                debug_assert!(index < self.servers.len());
            }
            hosts.push(rule_hosts);
        }
        hosts
            .into_iter()
            .map(|list| {
                list.into_iter()
                    .map(|h| h.and_then(|h| by_host.get(&h).copied()))
                    .collect()
            })
            .collect()
    }

    /// ingress-nginx `createServers`, "configure default location, alias, and SSL":
    /// the first non-canary Ingress (oldest first) that has a rule for the host and
    /// a `spec.tls` section gives the server its certificate: the Secret of the TLS
    /// entry listing the host (`extractTLSSecretName`; a wildcard TLS host stands
    /// for the certificate's names), else ingress-nginx's default certificate.
    /// Either way the host then has a certificate, which is what the HTTPS redirect
    /// checks (`lua_ingress.lua`, `certificate_configured_for_current_request`).
    fn configure_tls(&mut self, hosts: &[Vec<Option<usize>>]) {
        for (k, rule_hosts) in hosts.iter().enumerate() {
            if self.is_canary(k) {
                continue;
            }
            let ing = self.ingresses[k].ingress;
            for (i, s) in rule_hosts.iter().enumerate() {
                let Some(s) = *s else { continue };
                if s == 0 || self.servers[s].tls.is_some() || ing.spec.tls.is_empty() {
                    continue;
                }
                let host = self.servers[s].host.clone();
                let exact = ing.spec.tls.iter().find(|t| {
                    t.hosts
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(&host.as_written()))
                });
                let covering = || {
                    ing.spec.tls.iter().find(|t| {
                        t.secret_name.as_deref().is_some_and(|n| !n.is_empty())
                            && t.hosts.iter().any(|h| host.covered_by(h))
                    })
                };
                let entry = exact.or_else(covering);
                let secret = entry
                    .and_then(|t| t.secret_name.clone())
                    .filter(|n| !n.is_empty());
                let namespace = self.ingresses[k].namespace.clone();
                let resolved = secret.as_deref().is_some_and(|name| {
                    self.refs
                        .secret(&namespace, name)
                        .is_some_and(secret_is_tls_pair)
                });
                let written = host.as_written();
                match (&secret, resolved) {
                    (None, _) => self.diag(
                        Code::InvalidCertificateRef,
                        Severity::Warning,
                        k,
                        "spec.tls".into(),
                        format!("no TLS entry with a secretName lists host {written:?} (rule {i}); ingress-nginx serves it with its default certificate and still redirects HTTP to HTTPS"),
                    ),
                    (Some(name), false) => self.diag(
                        Code::InvalidCertificateRef,
                        Severity::Warning,
                        k,
                        "spec.tls".into(),
                        format!("Secret {namespace}/{name} for host {written:?} is not in the input or holds no certificate and key; ingress-nginx serves its default certificate and still redirects HTTP to HTTPS"),
                    ),
                    (Some(_), true) => {}
                }
                self.servers[s].tls = Some(ServerTls {
                    ingress: k,
                    secret,
                    resolved,
                });
            }
        }
    }

    /// ingress-nginx `getBackendServers`: every path of a non-canary Ingress adds a
    /// location to its server unless one with the same path and type exists ("Location
    /// already configured"): the older Ingress (then the earlier path) keeps it. A
    /// `Prefix /` path replaces the server's default location.
    fn add_locations(&mut self, hosts: &[Vec<Option<usize>>]) {
        for (k, rule_hosts) in hosts.iter().enumerate() {
            if self.is_canary(k) {
                continue;
            }
            let ing = self.ingresses[k].ingress;
            for (i, rule) in ing.spec.rules.iter().enumerate() {
                let Some(s) = rule_hosts[i] else { continue };
                let Some(http) = &rule.http else { continue };
                for (j, p) in http.paths.iter().enumerate() {
                    let field = format!("spec.rules[{i}].http.paths[{j}]");
                    let Some((path, exact)) = self.path_of(k, p, &field) else {
                        continue;
                    };
                    let Some(backend) = self.backend(k, &p.backend, &format!("{field}.backend"))
                    else {
                        continue;
                    };
                    let key = (s, location_key(&path, exact));
                    if let Some(other) = self
                        .location_index
                        .get(&key)
                        .map(|&l| &self.servers[s].locations[l])
                    {
                        let owner = if other.ingress == k {
                            format!("{} ({})", self.ingresses[k].object, other.field)
                        } else {
                            format!("{} (older)", self.ingresses[other.ingress].object)
                        };
                        let host = self.servers[s].host.as_written();
                        self.diag(
                            Code::IngressPathConflict,
                            Severity::Warning,
                            k,
                            field,
                            format!("{} {path:?} on host {host:?} is already served by {owner}; this path is not served", if exact { "Exact" } else { "Prefix" }),
                        );
                        continue;
                    }
                    if !exact && path == "/" {
                        self.servers[s].root_replaced = true;
                    }
                    let anns = &self.ingresses[k].anns;
                    // `needsRewrite`: a target that differs from the path.
                    let rewrite_target = anns.rewrite_target.clone().filter(|t| *t != path);
                    let regex_trigger = anns.use_regex || rewrite_target.is_some();
                    self.location_index
                        .insert(key, self.servers[s].locations.len());
                    self.servers[s].locations.push(Location {
                        ingress: k,
                        field,
                        path,
                        exact,
                        matcher: Matcher::Exact(String::new()),
                        backend,
                        rewrite_target,
                        rewrite: None,
                        redirect_http: false,
                        canary: None,
                        regex_trigger,
                    });
                }
            }
        }
    }

    /// The path and whether it is `Exact`, validated as the API server validates
    /// `HTTPIngressPath` (absolute; no `//`, `/./`, `/../`, `%2f`; no `/.` or `/..`
    /// at the end for Exact and Prefix).
    fn path_of(
        &mut self,
        k: usize,
        p: &crate::resource::ingress::HttpIngressPath,
        field: &str,
    ) -> Option<(String, bool)> {
        let path = p
            .path
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".to_owned());
        let exact = match p.path_type.as_deref() {
            Some("Exact") => true,
            Some("Prefix") => false,
            Some("ImplementationSpecific") => {
                // ingress-nginx `SetDefaultNGINXPathType`: ImplementationSpecific → Prefix.
                self.diag(
                    Code::ImplementationSpecificPath,
                    Severity::Info,
                    k,
                    format!("{field}.pathType"),
                    format!("ImplementationSpecific path {path:?} is treated as Prefix (as ingress-nginx does)"),
                );
                false
            }
            None => {
                self.diag(
                    Code::UnsupportedValue,
                    Severity::Warning,
                    k,
                    format!("{field}.pathType"),
                    "pathType is required in networking.k8s.io/v1; treated as Prefix (as ingress-nginx does)".into(),
                );
                false
            }
            Some(other) => {
                self.diag(
                    Code::UnsupportedValue,
                    Severity::Error,
                    k,
                    format!("{field}.pathType"),
                    format!("unknown pathType {other:?}; the path is not served"),
                );
                return None;
            }
        };
        let checked = matches!(p.path_type.as_deref(), Some("Exact" | "Prefix"));
        let bad = if !path.starts_with('/') {
            Some("must be an absolute path".to_owned())
        } else if checked {
            ["//", "/./", "/../", "%2f", "%2F"]
                .iter()
                .find(|seq| path.contains(**seq))
                .map(|seq| format!("must not contain {seq:?}"))
                .or_else(|| {
                    ["/..", "/."]
                        .iter()
                        .find(|suffix| path.ends_with(**suffix))
                        .map(|suffix| format!("cannot end with {suffix:?}"))
                })
        } else {
            None
        };
        if let Some(why) = bad {
            self.diag(
                Code::UnsupportedValue,
                Severity::Error,
                k,
                format!("{field}.path"),
                format!("path {path:?} {why}; the path is not served"),
            );
            return None;
        }
        Some((path, exact))
    }

    /// Resolves a backend: a Service port by number or by name. An unresolvable
    /// one stays, as an invalid target (ingress-nginx answers 503: the upstream has
    /// no endpoints); a `resource` backend is not routable (`None`).
    fn backend(&mut self, k: usize, b: &IngressBackend, field: &str) -> Option<PlanBackend> {
        let namespace = self.ingresses[k].namespace.clone();
        let Some(svc) = &b.service else {
            let message = match &b.resource {
                Some(r) => format!(
                    "resource backend {}/{} {} cannot be routed to; ingress-nginx skips it (requests fall to the default backend)",
                    r.api_group.as_deref().unwrap_or(""),
                    r.kind,
                    r.name
                ),
                None => "a backend needs a service (or a resource)".to_owned(),
            };
            let severity = if b.resource.is_some() {
                Severity::Warning
            } else {
                Severity::Error
            };
            self.diag(
                Code::InvalidBackendKind,
                severity,
                k,
                field.to_owned(),
                message,
            );
            return None;
        };
        let port_spec = match (&svc.port.number, &svc.port.name) {
            (Some(n), None) => n.to_string(),
            (None, Some(name)) => name.clone(),
            _ => {
                self.diag(
                    Code::UnsupportedValue,
                    Severity::Error,
                    k,
                    format!("{field}.service.port"),
                    "exactly one of port.number and port.name must be set; the path is not served"
                        .into(),
                );
                return None;
            }
        };
        let display = format!("{namespace}/{}", svc.name);
        let service = self.refs.service(&namespace, &svc.name);
        let port = match (&svc.port.number, &svc.port.name, service) {
            (_, _, None) => Err(format!("Service {display} not found")),
            (Some(n), _, Some(s)) => {
                if s.spec.ports.iter().any(|p| p.port == *n) {
                    Ok(*n)
                } else {
                    Err(format!("Service {display} has no port {n}"))
                }
            }
            (None, Some(name), Some(s)) => s
                .spec
                .ports
                .iter()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.port)
                .ok_or_else(|| format!("Service {display} has no port named {name:?}")),
            (None, None, Some(_)) => Err(format!("Service {display}: no port given")),
        };
        let target = match &port {
            Ok(p) => BackendTarget::Service {
                namespace: namespace.clone(),
                name: svc.name.clone(),
                port: *p,
            },
            Err(message) => {
                self.diag(
                    Code::BackendNotFound,
                    Severity::Error,
                    k,
                    format!("{field}.service"),
                    format!("{message}; ingress-nginx answers 503 here"),
                );
                self.unresolved.entry(k).or_insert_with(|| message.clone());
                BackendTarget::Invalid {
                    reason: "BackendNotFound".into(),
                    name: display,
                }
            }
        };
        Some(PlanBackend {
            target,
            service: svc.name.clone(),
            port: port.ok().or(svc.port.number),
            upstream: (namespace, svc.name.clone(), port_spec),
        })
    }

    /// ingress-nginx `enforceRegexModifier`: when one location of a server uses
    /// `use-regex` or needs a rewrite, every location of the server is written
    /// `location ~* "^<path>"` (`buildLocation`): a case-insensitive regular
    /// expression matched at the start of the URI, Exact paths included, tried
    /// longest path first. Prefix paths of other locations were first split by
    /// `updateServerLocations` into `<path>/` and an exact `<path>` (unless an Exact
    /// location has that path), and both become regexes.
    fn regex_mode(&mut self) {
        for s in 0..self.servers.len() {
            let server = &self.servers[s];
            // The default location carries the creator's annotations (`createServers`).
            let root_trigger = !server.root_replaced
                && server.creator.is_some_and(|c| {
                    let anns = &self.ingresses[c].anns;
                    anns.use_regex || anns.rewrite_target.as_deref().is_some_and(|t| t != "/")
                });
            let trigger = server
                .locations
                .iter()
                .find(|l| l.regex_trigger)
                .map(|l| (l.ingress, l.field.clone()))
                .or_else(|| root_trigger.then(|| (server.creator.unwrap_or(0), String::new())));
            let regex = trigger.is_some();
            self.servers[s].regex = regex;
            if let Some((k, field)) = trigger {
                let host = self.servers[s].host.as_written();
                self.diag(
                    Code::IngressRegexHost,
                    Severity::Info,
                    k,
                    if field.is_empty() { "metadata.annotations".into() } else { field },
                    format!("use-regex or rewrite-target: every path of host {host:?} is a case-insensitive regular expression matched at the start of the path, longest first (ingress-nginx)"),
                );
            }
            let exact_paths: HashSet<String> = self.servers[s]
                .locations
                .iter()
                .filter(|l| l.exact)
                .map(|l| l.path.clone())
                .collect();
            let locations = std::mem::take(&mut self.servers[s].locations);
            let mut kept = Vec::new();
            for mut loc in locations {
                if !regex {
                    loc.matcher = if loc.exact {
                        Matcher::Exact(loc.path.clone())
                    } else {
                        // Kubernetes: Prefix "/aaa/bbb/" matches "/aaa/bbb" ("ignores
                        // trailing slash"): the IR keeps the normalized prefix, so the
                        // prefix length ranked is the matched length.
                        Matcher::Prefix(normalize_prefix(&loc.path).to_owned())
                    };
                    kept.push(loc);
                    continue;
                }
                if loc.exact && loc.path == "/" {
                    // `~* "^/"` sorts after the default location's identical `^/`
                    // (stable sort, default first), so it never serves anything.
                    self.diag(
                        Code::IngressPathConflict,
                        Severity::Warning,
                        loc.ingress,
                        loc.field.clone(),
                        "in regex mode Exact \"/\" becomes the same regex as the host's default location, which comes first; this path is not served".into(),
                    );
                    continue;
                }
                let mut paths = vec![loc.path.clone()];
                if !loc.exact && !loc.regex_trigger && loc.path != "/" {
                    let normalized = if loc.path.ends_with('/') {
                        loc.path.clone()
                    } else {
                        format!("{}/", loc.path)
                    };
                    paths = if exact_paths.contains(&loc.path) {
                        vec![normalized]
                    } else {
                        vec![normalized, loc.path.clone()]
                    };
                    paths.dedup();
                }
                let mut patterns = Vec::new();
                let mut failed = None;
                for p in paths {
                    let source = regex_source(&p);
                    match Pattern::new(&source, self.regex_size_limit) {
                        Ok(re) => patterns.push((source, re)),
                        Err(e) => failed = Some(e),
                    }
                }
                if let Some(e) = failed {
                    self.diag(
                        Code::InvalidRegex,
                        Severity::Error,
                        loc.ingress,
                        format!("{}.path", loc.field),
                        format!("path {:?} is not a valid regular expression in regex mode ({e}); the path is not served", loc.path),
                    );
                    continue;
                }
                loc.matcher = Matcher::Regex(patterns);
                kept.push(loc);
            }
            self.servers[s].locations = kept;
            // Rewrites (regex mode only: a rewrite turns it on).
            for l in 0..self.servers[s].locations.len() {
                let Some(target) = self.servers[s].locations[l].rewrite_target.clone() else {
                    continue;
                };
                let k = self.servers[s].locations[l].ingress;
                let rewrite = self.rewrite_of(k, &target);
                self.servers[s].locations[l].rewrite = rewrite;
            }
        }
    }

    /// `rewrite "(?i)<path>" <target> break;` (`buildProxyPass`): the whole path
    /// becomes the target, `$1`–`$9` taken from the path regex's groups.
    fn rewrite_of(&mut self, k: usize, target: &str) -> Option<PathModifier> {
        let unsupported = if target.starts_with("http://") || target.starts_with("https://") {
            Some("a target with a scheme makes nginx answer a redirect")
        } else if target.contains('?') {
            Some("a target with a query string replaces the request's arguments")
        } else if target
            .match_indices('$')
            .any(|(i, _)| !target[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
        {
            Some("nginx variables other than $1-$9")
        } else {
            None
        };
        if let Some(why) = unsupported {
            let field = format!("metadata.annotations[{NGINX_PREFIX}rewrite-target]");
            self.diag(
                Code::UnsupportedAnnotation,
                Severity::Warning,
                k,
                field,
                format!("rewrite-target {target:?}: {why} is not implemented; the path is forwarded unchanged"),
            );
            return None;
        }
        Some(if target.contains('$') {
            PathModifier::RegexSubstitution(target.to_owned())
        } else {
            PathModifier::ReplaceFullPath(target.to_owned())
        })
    }

    /// ingress-nginx `mergeAlternativeBackends`: each path of a canary Ingress looks
    /// for locations of its host with the same path and type and joins their
    /// *upstream* (Service and port) as its alternative backend; every location
    /// using that upstream then splits traffic (`balancer.lua`, only the first
    /// alternative of an upstream is used). A canary `defaultBackend` joins the
    /// upstreams of the catch-all server's locations. A canary whose own Service
    /// has no endpoints, or a primary without endpoints, takes no traffic
    /// (`balancer.lua`: no balancer → primary / 503).
    fn merge_canaries(&mut self, hosts: &[Vec<Option<usize>>]) {
        /// (server, path and whether Exact, or `None` for `defaultBackend`; backend; field)
        type CanaryPath = (usize, Option<(String, bool)>, PlanBackend, String);
        type Upstream = (String, String, String);
        let mut alternatives: Vec<(Upstream, usize)> = Vec::new();
        for (k, rule_hosts) in hosts.iter().enumerate() {
            let Some(spec) = self.ingresses[k].anns.canary.clone() else {
                continue;
            };
            let ing = self.ingresses[k].ingress;
            // (server, path or None for the default backend, exact, backend, field)
            let mut wanted: Vec<CanaryPath> = Vec::new();
            if let Some(b) = &ing.spec.default_backend {
                if let Some(backend) = self.backend(k, b, "spec.defaultBackend") {
                    wanted.push((0, None, backend, "spec.defaultBackend".into()));
                }
            }
            for (i, rule) in ing.spec.rules.iter().enumerate() {
                let Some(http) = &rule.http else { continue };
                let Some(s) = rule_hosts.get(i).copied().flatten() else {
                    if rule_hosts.get(i).is_some_and(Option::is_none)
                        && rule.host.as_deref().is_some_and(|h| parse_host(h).is_ok())
                    {
                        self.diag(
                            Code::CanaryNotMerged,
                            Severity::Warning,
                            k,
                            format!("spec.rules[{i}].host"),
                            "no Ingress of the class serves this host; the canary rule is not used"
                                .into(),
                        );
                    }
                    continue;
                };
                for (j, p) in http.paths.iter().enumerate() {
                    let field = format!("spec.rules[{i}].http.paths[{j}]");
                    let Some((path, exact)) = self.path_of(k, p, &field) else {
                        continue;
                    };
                    if let Some(backend) = self.backend(k, &p.backend, &format!("{field}.backend"))
                    {
                        wanted.push((s, Some((path, exact)), backend, field));
                    }
                }
            }
            let mut merged_any = false;
            for (s, path, backend, field) in wanted {
                if matches!(backend.target, BackendTarget::Invalid { .. }) {
                    self.diag(
                        Code::CanaryNotMerged,
                        Severity::Warning,
                        k,
                        field,
                        "the canary backend does not resolve; ingress-nginx sends its share to the primary".into(),
                    );
                    continue;
                }
                let server = &self.servers[s];
                // The default location first (it is created with the server), then
                // the locations in the order they were added.
                let mut candidates: Vec<(Option<Upstream>, String, bool)> = Vec::new();
                if !server.root_replaced {
                    candidates.push((
                        server.default.as_ref().map(|d| d.backend.upstream.clone()),
                        "/".into(),
                        false,
                    ));
                }
                for l in &server.locations {
                    candidates.push((Some(l.backend.upstream.clone()), l.path.clone(), l.exact));
                }
                let mut joined = false;
                let mut taken = None;
                for (primary, loc_path, loc_exact) in candidates {
                    // `canMergeBackend`: not the controller's default upstream.
                    let Some(primary) = primary else { continue };
                    if primary == backend.upstream {
                        // "alternative upstream ... is primary upstream in Other Ingress"
                        break;
                    }
                    let path_ok = match &path {
                        None => true,
                        Some((p, e)) => *p == loc_path && *e == loc_exact,
                    };
                    if !path_ok {
                        continue;
                    }
                    if let Some((_, c)) = alternatives.iter().find(|(u, _)| *u == primary) {
                        taken = Some(self.canaries[*c].ingress);
                        continue;
                    }
                    joined = true;
                    self.canaries.push(Canary {
                        ingress: k,
                        backend: backend.clone(),
                        header: spec.header.clone(),
                        value: spec.value.clone(),
                        weight: spec.weight,
                        total: spec.total,
                    });
                    alternatives.push((primary, self.canaries.len() - 1));
                }
                if joined {
                    merged_any = true;
                } else if let Some(other) = taken {
                    let other = self.ingresses[other].object.to_string();
                    self.diag(
                        Code::CanaryNotMerged,
                        Severity::Warning,
                        k,
                        field,
                        format!("canary {other} (older) already splits this primary backend; ingress-nginx uses only the first canary"),
                    );
                } else {
                    self.diag(
                        Code::CanaryNotMerged,
                        Severity::Warning,
                        k,
                        field,
                        "no location of the host has this path and pathType (with another Service); the canary path is not used".into(),
                    );
                }
            }
            if merged_any {
                self.merged.insert(k);
            }
        }
        // Every location (and default location) whose upstream has an alternative.
        let primary_ok = |b: &PlanBackend| matches!(b.target, BackendTarget::Service { .. });
        for server in &mut self.servers {
            for loc in &mut server.locations {
                loc.canary = alternatives
                    .iter()
                    .find(|(u, _)| *u == loc.backend.upstream)
                    .filter(|_| primary_ok(&loc.backend))
                    .map(|(_, c)| *c);
            }
            server.fallback_canary = server.default.as_ref().and_then(|d| {
                alternatives
                    .iter()
                    .find(|(u, _)| *u == d.backend.upstream)
                    .filter(|_| primary_ok(&d.backend))
                    .map(|(_, c)| *c)
            });
        }
    }

    /// `lua_ingress.lua`, `redirect_to_https`: a plain HTTP request is redirected
    /// when the location has `force-ssl-redirect`, or `ssl-redirect` (default true)
    /// and the host has a certificate. The default location of a host carries the
    /// annotations of the Ingress that created the server; the catch-all's never
    /// redirects (`createServers` keeps its original redirect and rewrite settings).
    fn redirects(&mut self) {
        for s in 0..self.servers.len() {
            let has_tls = self.servers[s].tls.is_some();
            for l in 0..self.servers[s].locations.len() {
                let anns = &self.ingresses[self.servers[s].locations[l].ingress].anns;
                self.servers[s].locations[l].redirect_http =
                    anns.force_ssl_redirect || (anns.ssl_redirect && has_tls);
            }
            self.servers[s].fallback_redirect = match self.servers[s].creator {
                Some(c) if s != 0 => {
                    let anns = &self.ingresses[c].anns;
                    anns.force_ssl_redirect || (anns.ssl_redirect && has_tls)
                }
                _ => false,
            };
        }
    }
}

/// Two paths are the same location when type and (for Prefix, normalized) path agree.
fn location_key(path: &str, exact: bool) -> (bool, String) {
    if exact {
        (true, path.to_owned())
    } else {
        (false, normalize_prefix(path).to_owned())
    }
}

impl Server {
    fn new(host: ServerHost, creator: Option<usize>, default: Option<DefaultBackend>) -> Self {
        Server {
            host,
            creator,
            default,
            tls: None,
            regex: false,
            locations: Vec::new(),
            root_replaced: false,
            fallback_redirect: false,
            fallback_canary: None,
        }
    }
}

// === lowering into the IR ===

/// Adds one Gateway per served IngressClass to the IR, with the routes of its Ingresses.
pub(crate) fn lower(plan: &Plan<'_>, ir: &mut Ir) {
    for class in &plan.classes {
        let mut http = Listener {
            name: "http".into(),
            port: 80,
            protocol: Protocol::Http,
            hostname: None,
            tls_passthrough: false,
            programmed: true,
            attachments: Vec::new(),
        };
        let mut https = Listener {
            name: "https".into(),
            port: 443,
            protocol: Protocol::Https,
            ..http.clone()
        };
        for server in &class.servers {
            // Ingresses with a route on this server: those with locations, the
            // default backend's, and the creator, whose route claims the host even
            // without rules (so that a request for it never reaches another server).
            let mut owners: Vec<usize> = server.locations.iter().map(|l| l.ingress).collect();
            owners.extend(server.default.as_ref().map(|d| d.ingress));
            owners.extend(server.creator);
            owners.sort_unstable();
            owners.dedup();
            for k in owners {
                let planned = &class.ingresses[k];
                let owns_fallback = server.default.as_ref().is_some_and(|d| d.ingress == k)
                    || (server.default.is_none() && server.creator == Some(k));
                let secure = route_rules(class, server, k, owns_fallback, false);
                let plain = route_rules(class, server, k, owns_fallback, true);
                let route = |rules: Vec<Rule>| Route {
                    kind: RouteKind::Ingress,
                    namespace: planned.namespace.clone(),
                    name: planned.name().to_owned(),
                    created: planned.created,
                    rules,
                };
                let attach = |listener: &mut Listener, id: usize| {
                    listener.attachments.push(Attachment {
                        route: id,
                        hostnames: vec![server.host.host_match()],
                    });
                };
                let differs = plain.len() != secure.len()
                    || plain.iter().any(|r| r.action.filters.redirect.is_some());
                if differs {
                    ir.routes.push(route(secure));
                    attach(&mut https, ir.routes.len() - 1);
                    ir.routes.push(route(plain));
                    attach(&mut http, ir.routes.len() - 1);
                } else {
                    ir.routes.push(route(secure));
                    attach(&mut https, ir.routes.len() - 1);
                    attach(&mut http, ir.routes.len() - 1);
                }
            }
        }
        ir.gateways.push(Gateway {
            namespace: INGRESS_CLASS_NAMESPACE.into(),
            name: class.name.clone(),
            listeners: vec![http, https],
            host_fallthrough: Some(false),
        });
    }
}

/// The IR rules of Ingress `k` on a server, for the HTTP listener (`plain`) or HTTPS.
fn route_rules(
    class: &ClassPlan<'_>,
    server: &Server,
    k: usize,
    owns_fallback: bool,
    plain: bool,
) -> Vec<Rule> {
    let mut rules = Vec::new();
    for loc in server.locations.iter().filter(|l| l.ingress == k) {
        let paths: Vec<PathMatch> = match &loc.matcher {
            Matcher::Exact(p) => vec![PathMatch::Exact(p.clone())],
            Matcher::Prefix(p) => vec![PathMatch::Prefix(p.clone())],
            Matcher::Regex(list) => list
                .iter()
                .map(|(_, re)| PathMatch::Regex(re.clone()))
                .collect(),
        };
        let filters = Filters {
            rewrite: loc.rewrite.clone().map(|path| Rewrite {
                hostname: None,
                path: Some(path),
            }),
            ..Filters::default()
        };
        let redirect = plain && loc.redirect_http;
        let canary = loc.canary.map(|c| &class.canaries[c]);
        push_rules(
            &mut rules,
            &paths,
            &loc.field,
            redirect,
            filters,
            Some(&loc.backend),
            canary,
        );
    }
    if owns_fallback && !server.root_replaced {
        let redirect = plain && server.fallback_redirect;
        let backend = server.default.as_ref().map(|d| &d.backend);
        if redirect || backend.is_some() {
            let field = if server.host == ServerHost::CatchAll || server.default.is_some() {
                "spec.defaultBackend"
            } else {
                "default backend (404)"
            };
            let canary = server.fallback_canary.map(|c| &class.canaries[c]);
            push_rules(
                &mut rules,
                &[PathMatch::Fallback],
                field,
                redirect,
                Filters::default(),
                backend,
                canary,
            );
        }
    }
    rules
}

/// The rules of one location: a redirect, or the canary header rules (to the
/// canary; `never` to the primary) followed by the weighted split.
fn push_rules(
    rules: &mut Vec<Rule>,
    paths: &[PathMatch],
    field: &str,
    redirect: bool,
    filters: Filters,
    primary: Option<&PlanBackend>,
    canary: Option<&Canary>,
) {
    let matches = |header: Option<(&str, &str)>| -> Vec<Match> {
        paths
            .iter()
            .enumerate()
            .map(|(index, path)| Match {
                index,
                path: path.clone(),
                method: None,
                headers: header
                    .map(|(name, value)| NameValueMatch {
                        name: name.to_owned(),
                        value: ValueMatch::Exact(value.to_owned()),
                    })
                    .into_iter()
                    .collect(),
                query: Vec::new(),
                grpc: None,
            })
            .collect()
    };
    let backend = |b: &PlanBackend, weight: u32| Backend {
        weight,
        target: b.target.clone(),
        filters: Filters::default(),
        tls: None,
    };
    let mut push = |name: String, matches: Vec<Match>, action: RuleAction| {
        rules.push(Rule {
            index: rules.len(),
            name: Some(name),
            matches,
            action: Arc::new(action),
        });
    };
    if redirect {
        push(
            field.to_owned(),
            matches(None),
            RuleAction {
                filters: Filters {
                    redirect: Some(Redirect {
                        scheme: Some("https".into()),
                        hostname: None,
                        path: None,
                        port: None,
                        status: HTTPS_REDIRECT_STATUS,
                    }),
                    ..Filters::default()
                },
                ..RuleAction::default()
            },
        );
        return;
    }
    let Some(primary) = primary else { return };
    let action = |backends: Vec<Backend>| RuleAction {
        filters: filters.clone(),
        backends,
        ..RuleAction::default()
    };
    let Some(c) = canary else {
        push(
            field.to_owned(),
            matches(None),
            action(vec![backend(primary, 1)]),
        );
        return;
    };
    // `balancer.lua`, `route_to_alternative_balancer`: with `canary-by-header-value`
    // the header must equal it; without, `always` routes to the canary and `never`
    // to the primary; any other value (or no header) falls to the weight.
    if let Some(header) = &c.header {
        let value = c.value.as_deref().unwrap_or("always");
        push(
            format!("{field} (canary header {header}: {value})"),
            matches(Some((header, value))),
            action(vec![backend(&c.backend, 1)]),
        );
        if c.value.is_none() {
            push(
                format!("{field} (canary header {header}: never)"),
                matches(Some((header, "never"))),
                action(vec![backend(primary, 1)]),
            );
        }
    }
    // `math.random(weightTotal) <= weight`: the canary takes weight/total.
    let backends = if c.weight == 0 {
        vec![backend(primary, 1)]
    } else {
        vec![
            backend(primary, c.total - c.weight),
            backend(&c.backend, c.weight),
        ]
    };
    push(field.to_owned(), matches(None), action(backends));
}
