//! The validated, source-independent routing table.
//!
//! Only `attach` creates these values, after validation, so the
//! compiler and the reference matcher can rely on the invariants documented on
//! each type. Nothing here refers to a serde resource type.

use std::fmt;
use std::sync::Arc;

use regex_automata::meta::Regex;
use regex_automata::Input;

/// Index of a route in [`Ir::routes`].
pub type RouteId = usize;

/// Everything the router needs: Gateways with their listeners and the routes attached to them.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Ir {
    /// Accepted Gateways of our GatewayClass, in input order.
    pub gateways: Vec<Gateway>,
    /// Routes accepted by at least one listener or Service.
    pub routes: Vec<Route>,
    /// Services with GAMMA (mesh) routes attached.
    pub services: Vec<MeshService>,
}

/// A Service that routes are attached to (GAMMA mesh routing).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MeshService {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Attached routes.
    pub attachments: Vec<MeshAttachment>,
}

/// A route attached to a Service.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MeshAttachment {
    /// The route.
    pub route: RouteId,
    /// The parentRef's port: only connections to this port, or every port.
    pub port: Option<u16>,
    /// A consumer route (in another namespace than the Service): it applies only
    /// to clients in its own namespace.
    pub consumer: bool,
}

/// A Gateway that the engine serves.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Gateway {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Listeners in spec order (including ones that are not programmed).
    pub listeners: Vec<Listener>,
    /// Overrides [`Config::host_fallthrough`](crate::Config::host_fallthrough) for
    /// this Gateway. `Some(false)` for the Gateways synthesized for IngressClasses:
    /// ingress-nginx selects one `server` block by host name and never consults a
    /// less specific one (see [`INGRESS_CLASS_NAMESPACE`]).
    pub host_fallthrough: Option<bool>,
}

/// The namespace of the Gateway synthesized for each IngressClass: the Gateway of
/// class `nginx` is `IngressClass/nginx`. Kubernetes namespaces are lower-case DNS
/// labels, so this name never collides with a real Gateway's namespace.
///
/// ```
/// use gatewright::{Request, INGRESS_CLASS_NAMESPACE};
/// let req = Request::new("GET", "shop.example.com", "/").ingress_class("nginx");
/// assert_eq!(req.get_gateway(), Some((INGRESS_CLASS_NAMESPACE, "nginx")));
/// ```
pub const INGRESS_CLASS_NAMESPACE: &str = "IngressClass";

/// Listener protocol (only those the engine serves).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS, terminated at the Gateway.
    Https,
    /// TLS routed by SNI (TLSRoute), passed through or terminated (see [`Listener::tls_passthrough`]).
    Tls,
    /// Raw TCP (TCPRoute).
    Tcp,
    /// UDP datagrams (UDPRoute).
    Udp,
}

/// A listener and the routes attached to it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Listener {
    /// Name.
    pub name: String,
    /// Port.
    pub port: u16,
    /// Protocol.
    pub protocol: Protocol,
    /// Lower-case hostname (`*.`-wildcard allowed); `None` matches every host.
    pub hostname: Option<String>,
    /// TLS listeners: `tls.mode: Passthrough` (the backend receives the client's TLS stream).
    pub tls_passthrough: bool,
    /// Whether the data plane serves it: `false` when its certificates do not
    /// resolve or it conflicts with another listener. Requests for it are refused.
    pub programmed: bool,
    /// Routes attached to this listener, each with the hostnames it serves here.
    pub attachments: Vec<Attachment>,
}

/// A route attached to a listener.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Attachment {
    /// The route.
    pub route: RouteId,
    /// The intersection of the route's and the listener's hostnames; never empty.
    pub hostnames: Vec<HostMatch>,
}

/// A hostname a route serves on a listener, after intersection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HostMatch {
    /// A lower-case host name, e.g. `foo.example.com`.
    Exact(String),
    /// A wildcard, stored as its suffix including the leading dot (`*.example.com` → `.example.com`).
    /// It matches any host with at least one more label (never the bare suffix).
    Wildcard(String),
    /// An Ingress wildcard, stored as its suffix like [`HostMatch::Wildcard`]: it
    /// matches hosts with exactly one more label. Kubernetes docs, "Hostname
    /// wildcards": `*.foo.com` matches `bar.foo.com` but not `baz.bar.foo.com` nor
    /// `foo.com` (<https://kubernetes.io/docs/concepts/services-networking/ingress/>).
    SingleLabel(String),
    /// Every host.
    #[default]
    Any,
}

impl HostMatch {
    /// Parses a lower-cased hostname pattern (`None` → [`HostMatch::Any`]).
    pub fn parse(hostname: Option<&str>) -> Self {
        match hostname {
            None | Some("" | "*") => HostMatch::Any,
            Some(h) => match h.strip_prefix('*') {
                Some(suffix) => HostMatch::Wildcard(suffix.to_owned()),
                None => HostMatch::Exact(h.to_owned()),
            },
        }
    }

    /// Whether `host` (lower-case, no port) matches.
    ///
    /// ```
    /// use gatewright::ir::HostMatch;
    /// let w = HostMatch::parse(Some("*.example.com"));
    /// assert!(w.matches("a.b.example.com"));
    /// assert!(!w.matches("example.com"));
    /// // An Ingress wildcard covers one label only.
    /// let one = HostMatch::SingleLabel(".example.com".into());
    /// assert!(one.matches("a.example.com") && !one.matches("a.b.example.com"));
    /// assert_eq!(one.to_string(), "*.example.com");
    /// ```
    pub fn matches(&self, host: &str) -> bool {
        match self {
            HostMatch::Exact(h) => h == host,
            // `Listener.Hostname`: "*.example.com" matches "a.b.example.com" but not "example.com".
            HostMatch::Wildcard(suffix) => {
                host.len() > suffix.len() && host.ends_with(suffix.as_str())
            }
            HostMatch::SingleLabel(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            HostMatch::Any => true,
        }
    }
}

impl fmt::Display for HostMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostMatch::Exact(h) => f.write_str(h),
            // Both wildcard kinds are written `*.suffix`, as in their manifests (a
            // listener never carries both: only Ingress classes use SingleLabel).
            HostMatch::Wildcard(s) | HostMatch::SingleLabel(s) => write!(f, "*{s}"),
            HostMatch::Any => f.write_str("*"),
        }
    }
}

/// Creation time of a route: seconds and nanoseconds since the Unix epoch,
/// parsed from `metadata.creationTimestamp` (input data, never a clock).
pub type Timestamp = (i64, u32);

/// The kind of route a rule came from; it decides the precedence order used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RouteKind {
    /// HTTPRoute.
    Http,
    /// GRPCRoute.
    Grpc,
    /// TLSRoute (routed by SNI).
    Tls,
    /// TCPRoute.
    Tcp,
    /// UDPRoute.
    Udp,
    /// A `networking.k8s.io/v1` Ingress (the rules of one host of one Ingress).
    Ingress,
}

impl RouteKind {
    /// The Kubernetes kind, e.g. `HTTPRoute`.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Http => "HTTPRoute",
            RouteKind::Grpc => "GRPCRoute",
            RouteKind::Tls => "TLSRoute",
            RouteKind::Tcp => "TCPRoute",
            RouteKind::Udp => "UDPRoute",
            RouteKind::Ingress => "Ingress",
        }
    }

    /// The API group of the kind.
    ///
    /// ```
    /// use gatewright::ir::RouteKind;
    /// assert_eq!(RouteKind::Ingress.group(), "networking.k8s.io");
    /// assert_eq!(RouteKind::Http.group(), "gateway.networking.k8s.io");
    /// ```
    pub fn group(self) -> &'static str {
        match self {
            RouteKind::Ingress => crate::resource::ingress::NETWORKING_GROUP,
            _ => crate::diag::GATEWAY_GROUP,
        }
    }

    /// Whether requests are routed per connection (TLS, TCP, UDP) rather than per HTTP request.
    pub fn is_l4(self) -> bool {
        matches!(self, RouteKind::Tls | RouteKind::Tcp | RouteKind::Udp)
    }
}

/// A route: an HTTPRoute, a GRPCRoute, an L4 route, or the rules of one host of
/// an Ingress (one Ingress lowers into several routes: one per host, and one more
/// for the HTTP listener when some of its paths redirect to HTTPS there).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Route {
    /// Kind.
    pub kind: RouteKind,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `metadata.creationTimestamp`, when given.
    pub created: Option<Timestamp>,
    /// Valid rules, in spec order (invalid ones are dropped with a diagnostic).
    pub rules: Vec<Rule>,
}

/// A rule: matches (ORed) and what to do.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Rule {
    /// Position in `spec.rules`.
    pub index: usize,
    /// `name`, when set.
    pub name: Option<String>,
    /// Matches; never empty (a rule without matches gets `PathPrefix /`).
    pub matches: Vec<Match>,
    /// The action.
    pub action: Arc<RuleAction>,
}

/// One `HTTPRouteMatch`: every condition must hold.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Match {
    /// Position in `matches`.
    pub index: usize,
    /// Path condition.
    pub path: PathMatch,
    /// Upper-case method, if any.
    pub method: Option<String>,
    /// Header conditions: names lower-case, at most one per name (the first entry wins).
    pub headers: Vec<NameValueMatch>,
    /// Query parameter conditions: names exact, at most one per name.
    pub query: Vec<NameValueMatch>,
    /// gRPC service/method condition (GRPCRoute only; `path` is then `PathPrefix /`).
    pub grpc: Option<GrpcMethod>,
}

/// `GRPCMethodMatch`: conditions on the service and method of a gRPC request
/// path `/{service}/{method}`. At least one is set.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GrpcMethod {
    /// Service condition.
    pub service: Option<ValueMatch>,
    /// Method condition.
    pub method: Option<ValueMatch>,
}

impl GrpcMethod {
    /// Whether a request path `/{service}/{method}` satisfies the condition
    /// (see [`split_grpc_path`]).
    pub fn matches_path(&self, path: &str) -> bool {
        let Some((service, method)) = split_grpc_path(path) else {
            return false;
        };
        self.service.as_ref().is_none_or(|s| s.matches(service))
            && self.method.as_ref().is_none_or(|m| m.matches(method))
    }
}

/// Splits a gRPC request path `/{service}/{method}` into its two parts.
///
/// ```
/// use gatewright::ir::split_grpc_path;
/// assert_eq!(split_grpc_path("/pkg.Echo/Ping"), Some(("pkg.Echo", "Ping")));
/// assert_eq!(split_grpc_path("/pkg.Echo/Ping/extra"), None);
/// ```
pub fn split_grpc_path(path: &str) -> Option<(&str, &str)> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    (!service.is_empty() && !method.is_empty() && !method.contains('/'))
        .then_some((service, method))
}

/// A path condition.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum PathMatch {
    /// The whole path, case-sensitive.
    Exact(String),
    /// Element-wise prefix, as written (the trailing `/` is ignored for matching).
    Prefix(String),
    /// A regular expression that must match the whole path.
    Regex(Pattern),
    /// Every path, ranked after every other path condition of its host: the
    /// default location of an ingress-nginx `server` (the Ingress `defaultBackend`
    /// of the host, or of the catch-all server).
    Fallback,
}

impl PathMatch {
    /// Whether `path` (without query) satisfies the condition.
    ///
    /// ```
    /// use gatewright::ir::PathMatch;
    /// let p = PathMatch::Prefix("/foo/".into());
    /// assert!(p.matches("/foo") && p.matches("/foo/bar"));
    /// assert!(!p.matches("/foobar"));
    /// ```
    pub fn matches(&self, path: &str) -> bool {
        match self {
            PathMatch::Exact(p) => p == path,
            PathMatch::Prefix(p) => prefix_matches(p, path),
            PathMatch::Regex(re) => re.is_match(path),
            PathMatch::Fallback => true,
        }
    }
}

/// `PathMatchType` PathPrefix: "matching is done on a path element by element basis
/// ... a trailing slash in the prefix is ignored" (httproute_types.go, PathMatchType).
pub fn prefix_matches(prefix: &str, path: &str) -> bool {
    let prefix = normalize_prefix(prefix);
    if prefix == "/" {
        return path.starts_with('/');
    }
    path.starts_with(prefix) && matches!(path.as_bytes().get(prefix.len()), None | Some(b'/'))
}

/// A prefix without its trailing slashes (`/` stays `/`).
pub fn normalize_prefix(prefix: &str) -> &str {
    let trimmed = prefix.trim_end_matches('/');
    if trimmed.is_empty() {
        "/"
    } else {
        trimmed
    }
}

/// A header or query parameter condition.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct NameValueMatch {
    /// Name (lower-case for headers).
    pub name: String,
    /// Value condition.
    pub value: ValueMatch,
}

/// A value condition.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ValueMatch {
    /// Equal, case-sensitive.
    Exact(String),
    /// Regular expression over the whole value.
    Regex(Pattern),
}

impl ValueMatch {
    /// Whether `value` satisfies the condition.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            ValueMatch::Exact(v) => v == value,
            ValueMatch::Regex(re) => re.is_match(value),
        }
    }
}

/// A compiled regular expression (RE2 syntax) that must match a whole string.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: Arc<Regex>,
}

impl Pattern {
    /// Compiles `source`, anchored at both ends, within `size_limit` bytes.
    ///
    /// # Errors
    /// The regex parser's message when the pattern is invalid or too large.
    pub fn new(source: &str, size_limit: usize) -> Result<Self, String> {
        let regex = Regex::builder()
            .configure(
                Regex::config()
                    .nfa_size_limit(Some(size_limit))
                    .hybrid_cache_capacity(2 * size_limit),
            )
            .build(&format!("^(?:{source})$"))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            source: source.to_owned(),
            regex: Arc::new(regex),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the whole `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(Input::new(text))
    }

    /// Matches the whole `text` and returns `template` with nginx-style capture
    /// references `$1`–`$9` replaced by the groups' text (`$0` is the whole match;
    /// a group that did not participate is empty). `None` when `text` does not match.
    ///
    /// ```
    /// use gatewright::ir::Pattern;
    /// let re = Pattern::new("(?i)/something(/|$)(.*)", 1 << 20)?;
    /// assert_eq!(re.expand("/something/new", "/$2").as_deref(), Some("/new"));
    /// assert_eq!(re.expand("/SOMETHING", "/$2").as_deref(), Some("/"));
    /// assert_eq!(re.expand("/other", "/$2"), None);
    /// # Ok::<(), String>(())
    /// ```
    pub fn expand(&self, text: &str, template: &str) -> Option<String> {
        let mut caps = self.regex.create_captures();
        self.regex.captures(Input::new(text), &mut caps);
        if !caps.is_match() {
            return None;
        }
        Some(expand_template(template, |group| {
            caps.get_group(group)
                .and_then(|span| text.get(span.range()))
        }))
    }
}

/// `template` with each `$0`–`$9` replaced by `group(n)` (empty when `None`), as
/// nginx expands captures in a `rewrite` replacement. A `$` not followed by a
/// digit is kept.
pub(crate) fn expand_template<'t>(
    template: &str,
    group: impl Fn(usize) -> Option<&'t str>,
) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.bytes().next().filter(u8::is_ascii_digit) {
            Some(d) => {
                out.push_str(group(usize::from(d - b'0')).unwrap_or(""));
                rest = &after[1..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

/// What a rule does with a request it wins.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RuleAction {
    /// Rule-level filters.
    pub filters: Filters,
    /// Backends; may be empty (then the rule answers 500 unless a filter answers).
    pub backends: Vec<Backend>,
    /// `timeouts.request` in milliseconds (`Some(0)` disables).
    pub request_timeout_ms: Option<u64>,
    /// `timeouts.backendRequest` in milliseconds.
    pub backend_request_timeout_ms: Option<u64>,
    /// Retry policy.
    pub retry: Option<Retry>,
    /// When set, the rule cannot be served (e.g. an unsupported filter) and answers 500 with this reason.
    pub invalid: Option<String>,
}

/// `HTTPRouteRetry`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retry {
    /// Retried status codes.
    pub codes: Vec<u16>,
    /// Maximum number of retries.
    pub attempts: u32,
    /// Backoff in milliseconds.
    pub backoff_ms: Option<u64>,
}

/// Filters of a rule or of one backendRef.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Filters {
    /// `RequestHeaderModifier`.
    pub request_headers: HeaderOps,
    /// `ResponseHeaderModifier`.
    pub response_headers: HeaderOps,
    /// `RequestRedirect`.
    pub redirect: Option<Redirect>,
    /// `URLRewrite`.
    pub rewrite: Option<Rewrite>,
    /// `RequestMirror` (several allowed).
    pub mirrors: Vec<Mirror>,
    /// `CORS`.
    pub cors: Option<Cors>,
}

/// Header changes: `set` overwrites, `add` appends, `remove` deletes (names case-insensitive).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct HeaderOps {
    /// Overwrite.
    pub set: Vec<(String, String)>,
    /// Append.
    pub add: Vec<(String, String)>,
    /// Delete.
    pub remove: Vec<String>,
}

impl HeaderOps {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }

    /// Applies the changes to a header list, in the order set, add, remove.
    ///
    /// ```
    /// use gatewright::ir::HeaderOps;
    /// let mut ops = HeaderOps::default();
    /// ops.add.push(("x-a".into(), "2".into()));
    /// let mut headers = vec![("X-A".to_string(), "1".to_string())];
    /// ops.apply(&mut headers);
    /// assert_eq!(headers, [("X-A".to_string(), "1,2".to_string())]);
    /// ```
    pub fn apply(&self, headers: &mut Vec<(String, String)>) {
        for (name, value) in &self.set {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.clone(), value.clone()));
        }
        for (name, value) in &self.add {
            // HTTPHeaderFilter.Add: "my-header: foo" + add "my-header: bar" → "my-header: foo,bar".
            match headers
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                Some((_, v)) => {
                    v.push(',');
                    v.push_str(value);
                }
                None => headers.push((name.clone(), value.clone())),
            }
        }
        for name in &self.remove {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        }
    }
}

/// `HTTPPathModifier`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathModifier {
    /// Replace the whole path.
    ReplaceFullPath(String),
    /// Replace the matched `PathPrefix`.
    ReplacePrefixMatch(String),
    /// Replace the whole path by this template, with `$1`–`$9` taken from the
    /// capture groups of the rule's matched `RegularExpression` path (ingress-nginx
    /// `rewrite-target`: `rewrite "(?i)<path>" <target> break;`). See [`Pattern::expand`].
    RegexSubstitution(String),
}

/// `RequestRedirect`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Redirect {
    /// New scheme.
    pub scheme: Option<String>,
    /// New host.
    pub hostname: Option<String>,
    /// New path.
    pub path: Option<PathModifier>,
    /// New port.
    pub port: Option<u16>,
    /// Status code (default 302).
    pub status: u16,
}

/// `URLRewrite`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rewrite {
    /// New Host header.
    pub hostname: Option<String>,
    /// New path.
    pub path: Option<PathModifier>,
}

/// `RequestMirror`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Mirror {
    /// Where copies go.
    pub backend: BackendTarget,
    /// Share of requests mirrored, as numerator/denominator (100/100 = all).
    pub numerator: u32,
    /// Denominator (> 0).
    pub denominator: u32,
}

/// `CORS` filter, validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cors {
    /// Allowed origins: `*`, exact origins, or `scheme://*.suffix` wildcards.
    pub allow_origins: Vec<String>,
    /// `Access-Control-Allow-Credentials: true`.
    pub allow_credentials: bool,
    /// Allowed methods (`*` allowed).
    pub allow_methods: Vec<String>,
    /// Allowed request headers (`*` allowed).
    pub allow_headers: Vec<String>,
    /// Exposed response headers.
    pub expose_headers: Vec<String>,
    /// `Access-Control-Max-Age` in seconds.
    pub max_age: Option<u32>,
}

/// A weighted backend of a rule.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Backend {
    /// Weight (0 = never chosen).
    pub weight: u32,
    /// Target, or why it is invalid.
    pub target: BackendTarget,
    /// Per-backend filters.
    pub filters: Filters,
    /// TLS towards the backend, from the BackendTLSPolicy that governs its Service port.
    pub tls: Option<Arc<BackendTls>>,
}

/// TLS origination towards a backend, from a BackendTLSPolicy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BackendTls {
    /// The policy, as `namespace/name`.
    pub policy: String,
    /// SNI to send; the name to verify unless `subject_alt_names` is set.
    pub hostname: String,
    /// Trust anchors: `(kind, name)` in the policy's namespace.
    pub ca_certificate_refs: Vec<(String, String)>,
    /// `wellKnownCACertificates` (e.g. `System`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub well_known_ca_certificates: Option<String>,
    /// Names to verify instead of `hostname`: `(type, value)`, type `Hostname` or `URI`.
    pub subject_alt_names: Vec<(String, String)>,
}

/// Where a backendRef points.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendTarget {
    /// A Service port.
    Service {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
        /// Port.
        port: u16,
    },
    /// The ref does not resolve; requests routed here get 500.
    Invalid {
        /// The ResolvedRefs reason (`BackendNotFound`, `InvalidKind`, `RefNotPermitted`, …).
        reason: String,
        /// What was referenced, as `namespace/name`.
        name: String,
    },
}
