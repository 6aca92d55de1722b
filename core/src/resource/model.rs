//! Serde mirrors of the Kubernetes objects gatewright reads.
//!
//! These types are faithful to the upstream schemas (field names in camelCase,
//! unknown fields ignored) and carry no validation: enumerations such as a path
//! match `type` stay strings so that an unknown value becomes a status condition
//! (`UnsupportedValue`) instead of a parse error, as Gateway API requires.
//! Sources: `apis/v1/{gateway,httproute,shared,referencegrant}_types.go` of
//! kubernetes-sigs/gateway-api v1.6.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `metadata` of any object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ObjectMeta {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; `None` means the `default` namespace for namespaced kinds.
    pub namespace: Option<String>,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `metadata.creationTimestamp` (RFC 3339). Data, never read from a clock.
    pub creation_timestamp: Option<String>,
    /// `metadata.generation`.
    pub generation: Option<i64>,
}

/// A reference to another object as Gateway API writes it (`group`, `kind`, `name`, `namespace`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ObjectReference {
    /// API group; empty is the core group.
    pub group: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Name.
    pub name: String,
    /// Namespace; `None` means the referrer's namespace.
    pub namespace: Option<String>,
}

// === GatewayClass ===

/// `gateway.networking.k8s.io/v1` GatewayClass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GatewayClass {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: GatewayClassSpec,
}

/// `GatewayClass.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GatewayClassSpec {
    /// The controller that manages Gateways of this class.
    pub controller_name: String,
}

// === Gateway ===

/// `gateway.networking.k8s.io/v1` Gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Gateway {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: GatewaySpec,
}

/// `Gateway.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GatewaySpec {
    /// Name of the GatewayClass.
    pub gateway_class_name: String,
    /// Listeners.
    pub listeners: Vec<Listener>,
    /// `spec.infrastructure`.
    pub infrastructure: Option<GatewayInfrastructure>,
    /// `spec.tls` (frontend client validation, backend client certificate).
    pub tls: Option<GatewayTls>,
    /// Which ListenerSets may attach.
    pub allowed_listeners: Option<AllowedListeners>,
}

/// `Gateway.spec.infrastructure`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GatewayInfrastructure {
    /// Implementation-specific parameters.
    pub parameters_ref: Option<ObjectReference>,
}

/// `Gateway.spec.tls`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GatewayTls {
    /// TLS towards backends.
    pub backend: Option<GatewayBackendTls>,
    /// Client certificate validation of frontend connections.
    pub frontend: Option<FrontendTls>,
}

/// `Gateway.spec.tls.backend`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GatewayBackendTls {
    /// Client certificate the Gateway presents to backends.
    pub client_certificate_ref: Option<ObjectReference>,
}

/// `Gateway.spec.tls.frontend`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct FrontendTls {
    /// Validation for every HTTPS port without a per-port entry.
    pub default: Option<FrontendTlsConfig>,
    /// Per-port overrides.
    pub per_port: Vec<FrontendTlsPerPort>,
}

/// One entry of `Gateway.spec.tls.frontend.perPort`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct FrontendTlsPerPort {
    /// Port.
    pub port: u16,
    /// Configuration for that port.
    pub tls: FrontendTlsConfig,
}

/// Frontend TLS configuration (client certificate validation).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct FrontendTlsConfig {
    /// Validation settings.
    pub validation: Option<FrontendValidation>,
}

/// Client certificate validation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct FrontendValidation {
    /// CA bundles (ConfigMaps or Secrets).
    pub ca_certificate_refs: Vec<ObjectReference>,
    /// `AllowValidOnly` or `AllowInsecureFallback`.
    pub mode: Option<String>,
}

/// One entry of `Gateway.spec.listeners`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Listener {
    /// Unique name within the Gateway.
    pub name: String,
    /// Hostname (exact or `*.`-wildcard); `None` matches every host.
    pub hostname: Option<String>,
    /// Port.
    pub port: u16,
    /// `HTTP`, `HTTPS`, `TLS`, `TCP`, `UDP` or an implementation-specific value.
    pub protocol: String,
    /// TLS settings.
    pub tls: Option<ListenerTls>,
    /// Which routes may attach.
    pub allowed_routes: Option<AllowedRoutes>,
}

/// `Listener.tls`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ListenerTls {
    /// `Terminate` (default) or `Passthrough`.
    pub mode: Option<String>,
    /// Serving certificates.
    pub certificate_refs: Vec<ObjectReference>,
}

/// `Listener.allowedRoutes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct AllowedRoutes {
    /// Namespaces routes may come from.
    pub namespaces: Option<RouteNamespaces>,
    /// Route kinds.
    pub kinds: Option<Vec<RouteGroupKind>>,
}

/// `AllowedRoutes.namespaces`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct RouteNamespaces {
    /// `Same` (default), `All`, `Selector` or `None`.
    pub from: Option<String>,
    /// Used with `from: Selector`.
    pub selector: Option<LabelSelector>,
}

/// A Kubernetes label selector.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct LabelSelector {
    /// Labels that must be equal.
    pub match_labels: BTreeMap<String, String>,
    /// Set-based requirements.
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct LabelSelectorRequirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub operator: String,
    /// Values for `In`/`NotIn`.
    pub values: Vec<String>,
}

/// A route group and kind (`allowedRoutes.kinds[]`, `supportedKinds[]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct RouteGroupKind {
    /// Group; `None` means `gateway.networking.k8s.io`.
    pub group: Option<String>,
    /// Kind.
    pub kind: String,
}

// === HTTPRoute ===

/// `gateway.networking.k8s.io/v1` HTTPRoute.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HttpRoute {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: HttpRouteSpec,
}

/// `HTTPRoute.spec`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRouteSpec {
    /// Parents (Gateways) the route attaches to.
    pub parent_refs: Vec<ParentReference>,
    /// Hostnames matched against the Host header.
    pub hostnames: Vec<String>,
    /// Rules.
    pub rules: Vec<HttpRouteRule>,
}

/// `ParentReference` (`shared_types.go`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ParentReference {
    /// Group; `None` means `gateway.networking.k8s.io`.
    pub group: Option<String>,
    /// Kind; `None` means `Gateway`.
    pub kind: Option<String>,
    /// Namespace; `None` means the route's namespace.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Listener name.
    pub section_name: Option<String>,
    /// Listener port.
    pub port: Option<u16>,
}

/// One `HTTPRoute.spec.rules[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRouteRule {
    /// Optional rule name (v1.4).
    pub name: Option<String>,
    /// Matches (ORed); `None` means `PathPrefix /`.
    pub matches: Option<Vec<HttpRouteMatch>>,
    /// Filters applied to every request of this rule.
    pub filters: Vec<HttpRouteFilter>,
    /// Backends.
    pub backend_refs: Vec<HttpBackendRef>,
    /// Timeouts.
    pub timeouts: Option<HttpRouteTimeouts>,
    /// Retry policy (experimental).
    pub retry: Option<HttpRouteRetry>,
}

/// `HTTPRouteMatch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRouteMatch {
    /// Path match; `None` means `PathPrefix /`.
    pub path: Option<HttpPathMatch>,
    /// Header matches (ANDed).
    pub headers: Vec<HttpHeaderMatch>,
    /// Query parameter matches (ANDed).
    pub query_params: Vec<HttpHeaderMatch>,
    /// Method.
    pub method: Option<String>,
}

/// `HTTPPathMatch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpPathMatch {
    /// `Exact`, `PathPrefix` (default) or `RegularExpression`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Value; `None` means `/`.
    pub value: Option<String>,
}

/// `HTTPHeaderMatch` and `HTTPQueryParamMatch` (same shape).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpHeaderMatch {
    /// `Exact` (default) or `RegularExpression`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// `HTTPRouteFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRouteFilter {
    /// Filter type.
    #[serde(rename = "type")]
    pub kind: String,
    /// `RequestHeaderModifier`.
    pub request_header_modifier: Option<HttpHeaderFilter>,
    /// `ResponseHeaderModifier`.
    pub response_header_modifier: Option<HttpHeaderFilter>,
    /// `RequestRedirect`.
    pub request_redirect: Option<HttpRequestRedirectFilter>,
    /// `URLRewrite`.
    #[serde(rename = "urlRewrite")]
    pub url_rewrite: Option<HttpUrlRewriteFilter>,
    /// `RequestMirror`.
    pub request_mirror: Option<HttpRequestMirrorFilter>,
    /// `CORS`.
    pub cors: Option<HttpCorsFilter>,
    /// `ExtensionRef`.
    pub extension_ref: Option<ObjectReference>,
}

/// `HTTPHeaderFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpHeaderFilter {
    /// Headers to overwrite.
    pub set: Vec<HttpHeader>,
    /// Headers to append.
    pub add: Vec<HttpHeader>,
    /// Header names to delete.
    pub remove: Vec<String>,
}

/// A header name and value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HttpHeader {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// `HTTPRequestRedirectFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRequestRedirectFilter {
    /// Scheme of `Location`.
    pub scheme: Option<String>,
    /// Host of `Location`.
    pub hostname: Option<String>,
    /// Path modifier.
    pub path: Option<HttpPathModifier>,
    /// Port of `Location`.
    pub port: Option<u16>,
    /// 301 (default), 302, 303, 307 or 308.
    pub status_code: Option<u16>,
}

/// `HTTPURLRewriteFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpUrlRewriteFilter {
    /// New Host header.
    pub hostname: Option<String>,
    /// Path modifier.
    pub path: Option<HttpPathModifier>,
}

/// `HTTPPathModifier`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpPathModifier {
    /// `ReplaceFullPath` or `ReplacePrefixMatch`.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `ReplaceFullPath`.
    pub replace_full_path: Option<String>,
    /// For `ReplacePrefixMatch`.
    pub replace_prefix_match: Option<String>,
}

/// `HTTPRequestMirrorFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRequestMirrorFilter {
    /// Where to send the copy.
    pub backend_ref: BackendRef,
    /// Percentage of requests mirrored (0–100).
    pub percent: Option<u32>,
    /// Fraction of requests mirrored.
    pub fraction: Option<Fraction>,
}

/// `Fraction`: numerator / denominator (default 100).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Fraction {
    /// Numerator.
    pub numerator: u32,
    /// Denominator; `None` means 100.
    pub denominator: Option<u32>,
}

/// `HTTPCORSFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpCorsFilter {
    /// Allowed origins (`*`, exact, or `scheme://*.host` wildcards).
    pub allow_origins: Vec<String>,
    /// Whether credentials are allowed.
    pub allow_credentials: Option<bool>,
    /// Allowed methods (or `*`).
    pub allow_methods: Vec<String>,
    /// Allowed request headers (or `*`).
    pub allow_headers: Vec<String>,
    /// Response headers exposed to scripts (or `*`).
    pub expose_headers: Vec<String>,
    /// Preflight cache lifetime in seconds.
    pub max_age: Option<u32>,
}

/// `HTTPBackendRef`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpBackendRef {
    /// Group; `None` is the core group.
    pub group: Option<String>,
    /// Kind; `None` means `Service`.
    pub kind: Option<String>,
    /// Name.
    pub name: String,
    /// Namespace; `None` means the route's namespace.
    pub namespace: Option<String>,
    /// Port (required for Services).
    pub port: Option<u16>,
    /// Weight; `None` means 1.
    pub weight: Option<u32>,
    /// Per-backend filters.
    pub filters: Vec<HttpRouteFilter>,
}

impl HttpBackendRef {
    /// The reference without its filters (fields are listed, not flattened, so
    /// that type errors keep their field path).
    pub fn backend(&self) -> BackendRef {
        BackendRef {
            group: self.group.clone(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            port: self.port,
            weight: self.weight,
        }
    }
}

/// `BackendRef` (`shared_types.go`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct BackendRef {
    /// Group; `None` is the core group.
    pub group: Option<String>,
    /// Kind; `None` means `Service`.
    pub kind: Option<String>,
    /// Name.
    pub name: String,
    /// Namespace; `None` means the route's namespace.
    pub namespace: Option<String>,
    /// Port (required for Services).
    pub port: Option<u16>,
    /// Weight; `None` means 1.
    pub weight: Option<u32>,
}

/// `HTTPRouteTimeouts`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRouteTimeouts {
    /// Whole-request timeout (Gateway API duration).
    pub request: Option<String>,
    /// Per backend attempt timeout.
    pub backend_request: Option<String>,
}

/// `HTTPRouteRetry`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRouteRetry {
    /// Status codes that are retried.
    pub codes: Vec<u16>,
    /// Maximum number of retries.
    pub attempts: Option<u32>,
    /// Backoff between attempts (Gateway API duration).
    pub backoff: Option<String>,
}

// === ReferenceGrant ===

/// `gateway.networking.k8s.io/v1` (or `v1beta1`) ReferenceGrant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReferenceGrant {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: ReferenceGrantSpec,
}

/// `ReferenceGrant.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReferenceGrantSpec {
    /// Who may refer (ORed).
    pub from: Vec<ReferenceGrantFrom>,
    /// What may be referred to (ORed).
    pub to: Vec<ReferenceGrantTo>,
}

/// `ReferenceGrantFrom`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReferenceGrantFrom {
    /// Group of the referrer.
    pub group: String,
    /// Kind of the referrer.
    pub kind: String,
    /// Namespace of the referrer.
    pub namespace: String,
}

/// `ReferenceGrantTo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReferenceGrantTo {
    /// Group of the target.
    pub group: String,
    /// Kind of the target.
    pub kind: String,
    /// Name of the target; `None` grants every object of the kind.
    pub name: Option<String>,
}

// === core/v1 kinds ===

/// `v1` Namespace (only labels matter).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Namespace {
    /// Metadata.
    pub metadata: ObjectMeta,
}

/// `v1` Service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Service {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: ServiceSpec,
}

/// `Service.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ServiceSpec {
    /// Ports.
    pub ports: Vec<ServicePort>,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `Service.spec.ports[]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ServicePort {
    /// Port name.
    pub name: Option<String>,
    /// Port number.
    pub port: u16,
    /// `TCP`, `UDP`, `SCTP`.
    pub protocol: Option<String>,
    /// Application protocol (`kubernetes.io/h2c`, `kubernetes.io/ws`, …).
    pub app_protocol: Option<String>,
}

/// `v1` Secret (certificates are checked for shape only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Secret {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Secret type, e.g. `kubernetes.io/tls`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Base64-encoded data.
    pub data: BTreeMap<String, String>,
}

/// `v1` ConfigMap (CA bundles).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ConfigMap {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Data.
    pub data: BTreeMap<String, String>,
}

// === GRPCRoute ===

/// `gateway.networking.k8s.io/v1` GRPCRoute.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GrpcRoute {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: GrpcRouteSpec,
}

/// `GRPCRoute.spec`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GrpcRouteSpec {
    /// Parents the route attaches to.
    pub parent_refs: Vec<ParentReference>,
    /// Hostnames matched against `:authority`.
    pub hostnames: Vec<String>,
    /// Rules.
    pub rules: Vec<GrpcRouteRule>,
}

/// One `GRPCRoute.spec.rules[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GrpcRouteRule {
    /// Optional rule name.
    pub name: Option<String>,
    /// Matches (ORed); none matches every gRPC request.
    pub matches: Vec<GrpcRouteMatch>,
    /// Filters (RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef).
    pub filters: Vec<HttpRouteFilter>,
    /// Backends.
    pub backend_refs: Vec<HttpBackendRef>,
}

/// `GRPCRouteMatch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GrpcRouteMatch {
    /// Service/method condition.
    pub method: Option<GrpcMethodMatch>,
    /// Header (metadata) conditions, ANDed.
    pub headers: Vec<HttpHeaderMatch>,
}

/// `GRPCMethodMatch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GrpcMethodMatch {
    /// `Exact` (default) or `RegularExpression`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Fully qualified service name, e.g. `pkg.Service`.
    pub service: Option<String>,
    /// Method name.
    pub method: Option<String>,
}

// === TLSRoute, TCPRoute, UDPRoute ===

/// `TLSRoute`, `TCPRoute` or `UDPRoute` (`gateway.networking.k8s.io` v1, v1alpha2,
/// v1alpha3): the same shape, with `hostnames` only on TLSRoute.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct L4Route {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: L4RouteSpec,
}

/// `spec` of an L4 route.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct L4RouteSpec {
    /// Parents the route attaches to.
    pub parent_refs: Vec<ParentReference>,
    /// SNI hostnames (TLSRoute).
    pub hostnames: Vec<String>,
    /// Rules (TLSRoute v1 has exactly one).
    pub rules: Vec<L4RouteRule>,
}

/// One rule of an L4 route.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct L4RouteRule {
    /// Optional rule name.
    pub name: Option<String>,
    /// Backends.
    pub backend_refs: Vec<BackendRef>,
}

// === ListenerSet ===

/// `gateway.networking.k8s.io/v1` ListenerSet: extra listeners for a Gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ListenerSet {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: ListenerSetSpec,
}

/// `ListenerSet.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ListenerSetSpec {
    /// The Gateway the listeners join.
    pub parent_ref: ObjectReference,
    /// Listeners (same shape as a Gateway's).
    pub listeners: Vec<Listener>,
}

/// `Gateway.spec.allowedListeners`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct AllowedListeners {
    /// Namespaces ListenerSets may come from (`from` defaults to `None`).
    pub namespaces: Option<RouteNamespaces>,
}

// === BackendTLSPolicy ===

/// `gateway.networking.k8s.io/v1` BackendTLSPolicy: TLS from the Gateway to a Service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BackendTlsPolicy {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: BackendTlsPolicySpec,
}

/// `BackendTLSPolicy.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct BackendTlsPolicySpec {
    /// Services (and optionally a port by name, `sectionName`).
    pub target_refs: Vec<PolicyTargetReference>,
    /// How the backend certificate is verified.
    pub validation: BackendTlsValidation,
}

/// A policy target (`LocalPolicyTargetReferenceWithSectionName`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct PolicyTargetReference {
    /// Group (empty for Services).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Port name, for Services.
    pub section_name: Option<String>,
}

/// `BackendTLSPolicyValidation`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct BackendTlsValidation {
    /// CA bundles (ConfigMaps).
    pub ca_certificate_refs: Vec<ObjectReference>,
    /// `System` to trust the platform's CAs.
    pub well_known_ca_certificates: Option<String>,
    /// SNI to send and, without `subjectAltNames`, the name to verify.
    pub hostname: String,
    /// Names to verify instead of `hostname`.
    pub subject_alt_names: Vec<SubjectAltName>,
}

/// `SubjectAltName`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct SubjectAltName {
    /// `Hostname` or `URI`.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `Hostname`.
    pub hostname: Option<String>,
    /// For `URI`.
    pub uri: Option<String>,
}
