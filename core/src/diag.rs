//! Diagnostics and status: problems in user configuration are data, not errors.
//!
//! A [`Diagnostic`] names the object and field it is about and carries a stable
//! [`Code`]. Status conditions ([`Condition`]) follow the Kubernetes shape that
//! Gateway API controllers write to `status` (`type`, `status`, `reason`,
//! `message`), so tools can compare them with a cluster's.

use std::fmt;

use serde::Serialize;

/// The Gateway API group.
pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// Identifies a Kubernetes object: group, kind, namespace and name.
///
/// ```
/// let obj = gatewright::ObjectRef::new("gateway.networking.k8s.io", "HTTPRoute", Some("team-a"), "orders");
/// assert_eq!(obj.to_string(), "HTTPRoute team-a/orders");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[non_exhaustive]
pub struct ObjectRef {
    /// API group (empty for the core group).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace (`None` for cluster-scoped objects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjectRef {
    /// Creates a reference.
    pub fn new(group: &str, kind: &str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            group: group.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// Part of the configuration is ignored or degraded (a rule, a ref, a listener).
    Error,
    /// Probably a mistake, but the configuration is used as written.
    Warning,
    /// For information (e.g. an object kind gatewright does not read).
    Info,
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// Stable identifier of a diagnostic. The kebab-case name never changes once released.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// The stable kebab-case name, e.g. `invalid-regex`.
            ///
            /// ```
            /// assert_eq!(gatewright::Code::InvalidRegex.as_str(), "invalid-regex");
            /// ```
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// Every code, for documentation and tools.
            pub fn all() -> &'static [Code] {
                &[$(Code::$variant,)*]
            }
        }
    };
}

codes! {
    /// An object of a kind gatewright does not read was skipped.
    UnsupportedKind = "unsupported-kind",
    /// An object has no name.
    MissingName = "missing-name",
    /// Two objects have the same kind, namespace and name; the later one is ignored.
    DuplicateObject = "duplicate-object",
    /// A field has a value the engine does not support (`UnsupportedValue`).
    UnsupportedValue = "unsupported-value",
    /// A regular expression does not compile or exceeds the size limit.
    InvalidRegex = "invalid-regex",
    /// A Gateway names a GatewayClass that does not exist.
    GatewayClassNotFound = "gateway-class-not-found",
    /// A Gateway's class belongs to another controller; the Gateway is ignored.
    GatewayClassNotOurs = "gateway-class-not-ours",
    /// A Gateway's `infrastructure.parametersRef` cannot be resolved.
    InvalidParameters = "invalid-parameters",
    /// A listener uses a protocol the engine does not support.
    UnsupportedProtocol = "unsupported-protocol",
    /// A listener's `allowedRoutes.kinds` names a kind that cannot attach.
    InvalidRouteKinds = "invalid-route-kinds",
    /// A listener's certificate reference is missing, of the wrong kind, or malformed.
    InvalidCertificateRef = "invalid-certificate-ref",
    /// A CA certificate reference for client validation is missing or of the wrong kind.
    InvalidCaCertificateRef = "invalid-ca-certificate-ref",
    /// A Gateway's backend client certificate reference is invalid.
    InvalidClientCertificateRef = "invalid-client-certificate-ref",
    /// A cross-namespace reference has no ReferenceGrant.
    RefNotPermitted = "ref-not-permitted",
    /// Two listeners on one port conflict.
    ListenerConflict = "listener-conflict",
    /// A parentRef names no existing Gateway or listener.
    NoMatchingParent = "no-matching-parent",
    /// A listener's `allowedRoutes` does not admit the route.
    NotAllowedByListeners = "not-allowed-by-listeners",
    /// No route hostname intersects the listener hostname.
    NoMatchingListenerHostname = "no-matching-listener-hostname",
    /// A backendRef names an object that does not exist (or a port it does not have).
    BackendNotFound = "backend-not-found",
    /// A backendRef names an unsupported group/kind.
    InvalidBackendKind = "invalid-backend-kind",
    /// A backend's `appProtocol` is not supported.
    UnsupportedBackendProtocol = "unsupported-backend-protocol",
    /// A filter type is not supported; the rule answers 500.
    UnsupportedFilter = "unsupported-filter",
    /// A rule combines filters or fields that the spec forbids together.
    IncompatibleFilters = "incompatible-filters",
    /// Two routes (or rules) have identical matches on the same listener and hostname;
    /// the one that loses the tie-break never receives traffic.
    IdenticalMatch = "identical-match",
    /// A rule can never win: a higher-precedence rule matches every request it matches.
    ShadowedRule = "shadowed-rule",
    /// A regular expression can never match (e.g. a path regex that cannot start with `/`).
    UnreachableRegex = "unreachable-regex",
    /// Two policies of one kind target the same object; the older one applies.
    PolicyConflict = "policy-conflict",
    /// An HTTPRoute and a GRPCRoute with intersecting hostnames on one listener; the older one is used.
    RouteConflict = "route-conflict",
    /// An Istio VirtualService fails validation (Istio would reject it); it is ignored.
    InvalidVirtualService = "invalid-virtual-service",
    /// An Istio delegate VirtualService is missing or not exported to its root; the rule is dropped.
    DelegateNotFound = "delegate-not-found",
    /// An Istio rule without `match` (or with a catch-all match) hides the rules after it.
    CatchAllTruncation = "catch-all-truncation",
    /// An Istio destination names a subset no DestinationRule defines (requests get 503).
    UnknownSubset = "unknown-subset",
    /// An Istio VirtualService names a Gateway that does not exist or does not admit its hosts.
    UnboundVirtualService = "unbound-virtual-service",
    /// An Ingress names an IngressClass (`spec.ingressClassName` or the legacy
    /// annotation) that does not exist; the Ingress is not served.
    IngressClassNotFound = "ingress-class-not-found",
    /// An Ingress has no class and there is no default IngressClass (or several);
    /// the Ingress is not served.
    NoIngressClass = "no-ingress-class",
    /// An Ingress's class belongs to another controller (see `Config::controller_name`);
    /// the Ingress is ignored.
    IngressClassNotOurs = "ingress-class-not-ours",
    /// An Ingress path of type `ImplementationSpecific` is treated as `Prefix` (as ingress-nginx does).
    ImplementationSpecificPath = "implementation-specific-path",
    /// Two Ingress paths of one host have the same path and type; the older Ingress
    /// (then the first path) keeps it, the other is not served.
    IngressPathConflict = "ingress-path-conflict",
    /// An Ingress annotation is not implemented: a warning when it changes routing
    /// in ingress-nginx, information otherwise.
    UnsupportedAnnotation = "unsupported-annotation",
    /// An Ingress annotation has a value that cannot be parsed; its default applies.
    InvalidAnnotation = "invalid-annotation",
    /// `use-regex` or `rewrite-target` turns every path of a host into a
    /// case-insensitive regular expression prefix (ingress-nginx semantics).
    IngressRegexHost = "ingress-regex-host",
    /// A canary Ingress has no primary path to join (or another canary already
    /// joined it); it receives no traffic.
    CanaryNotMerged = "canary-not-merged",
    /// `gatewright convert`: something in the Ingress has no exact Gateway API
    /// equivalent; the converted resources behave differently where described.
    ConversionGap = "conversion-gap",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding about the configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// The object it is about.
    pub object: ObjectRef,
    /// Field path inside the object, e.g. `spec.rules[2].matches[0].path.value`.
    pub field: String,
    /// Human-readable explanation.
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn new(
        code: Code,
        severity: Severity,
        object: &ObjectRef,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity,
            object: object.clone(),
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        write!(f, "{sev}[{}]: {}", self.code, self.object)?;
        if !self.field.is_empty() {
            write!(f, " {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A status condition in the Kubernetes shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Condition {
    /// Condition type, e.g. `Accepted`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `"True"`, `"False"` or `"Unknown"`.
    pub status: String,
    /// CamelCase reason, e.g. `NotAllowedByListeners`.
    pub reason: String,
    /// Human-readable message.
    pub message: String,
}

impl Condition {
    pub(crate) fn new(kind: &str, ok: bool, reason: &str, message: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            status: if ok { "True" } else { "False" }.to_owned(),
            reason: reason.to_owned(),
            message: message.into(),
        }
    }

    /// Whether `status` is `"True"`.
    pub fn is_true(&self) -> bool {
        self.status == "True"
    }
}

/// A group and kind, as in `supportedKinds`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GroupKind {
    /// Group.
    pub group: String,
    /// Kind.
    pub kind: String,
}

/// `status.listeners[]` of a Gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ListenerStatus {
    /// Listener name.
    pub name: String,
    /// Route kinds the listener accepts.
    pub supported_kinds: Vec<GroupKind>,
    /// Number of routes accepted by this listener.
    pub attached_routes: u32,
    /// Conditions (Accepted, Programmed, ResolvedRefs, Conflicted).
    pub conditions: Vec<Condition>,
}

/// `status` of a Gateway (and of a ListenerSet, which has the same shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GatewayStatus {
    /// Gateway conditions (Accepted, Programmed, ResolvedRefs when relevant).
    pub conditions: Vec<Condition>,
    /// Per-listener status.
    pub listeners: Vec<ListenerStatus>,
    /// Number of ListenerSets attached (Gateways that accept ListenerSets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attached_listener_sets: Option<u32>,
}

/// `status` of a GatewayClass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
#[non_exhaustive]
pub struct GatewayClassStatus {
    /// Conditions (Accepted).
    pub conditions: Vec<Condition>,
}

/// The parentRef a route status entry is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StatusParentRef {
    /// Group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Listener name, when the parentRef has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    /// Port, when the parentRef has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// `status.parents[]` of a route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RouteParentStatus {
    /// The parentRef.
    pub parent_ref: StatusParentRef,
    /// The controller writing this entry.
    pub controller_name: String,
    /// Conditions (Accepted, ResolvedRefs, PartiallyInvalid).
    pub conditions: Vec<Condition>,
}

/// `status` of a route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
#[non_exhaustive]
pub struct RouteStatus {
    /// One entry per parentRef that names a Gateway of ours.
    pub parents: Vec<RouteParentStatus>,
}

/// `status.ancestors[]` of a policy (GEP-713 `PolicyAncestorStatus`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PolicyAncestorStatus {
    /// The ancestor (a Gateway).
    pub ancestor_ref: StatusParentRef,
    /// The controller writing this entry.
    pub controller_name: String,
    /// Conditions (Accepted, ResolvedRefs).
    pub conditions: Vec<Condition>,
}

/// `status` of a policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
#[non_exhaustive]
pub struct PolicyStatus {
    /// One entry per ancestor.
    pub ancestors: Vec<PolicyAncestorStatus>,
}

/// The status of one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ObjectStatus {
    /// A GatewayClass.
    GatewayClass(GatewayClassStatus),
    /// A Gateway.
    Gateway(GatewayStatus),
    /// A route.
    Route(RouteStatus),
    /// A policy.
    Policy(PolicyStatus),
    /// An Ingress.
    Ingress(IngressStatus),
}

/// What gatewright decided about an Ingress. Kubernetes' Ingress status has no
/// conditions (only load-balancer addresses), so these are gatewright's own:
/// `Served` (True when an IngressClass of ours serves it, with the reason
/// otherwise) and `ResolvedRefs` (False when a backend does not resolve).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
#[non_exhaustive]
pub struct IngressStatus {
    /// The IngressClass that serves it, when resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Conditions (`Served`, `ResolvedRefs`).
    pub conditions: Vec<Condition>,
}

/// Status of every object the engine reports on, in input order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
#[non_exhaustive]
pub struct StatusReport {
    /// One entry per object.
    pub objects: Vec<StatusEntry>,
}

/// One object's status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatusEntry {
    /// Kind.
    pub kind: String,
    /// Namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Status.
    pub status: ObjectStatus,
}

impl StatusReport {
    /// The status entry of one object.
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&ObjectStatus> {
        self.objects
            .iter()
            .find(|e| e.kind == kind && e.namespace.as_deref() == namespace && e.name == name)
            .map(|e| &e.status)
    }
}
