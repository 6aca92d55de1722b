//! Serde mirrors of the Istio networking objects gatewright reads:
//! `networking.istio.io` `Gateway`, `VirtualService` and `DestinationRule`
//! (`v1`, `v1beta1` and `v1alpha3` share one schema: istio/api
//! `networking/v1alpha3/{gateway,virtual_service,destination_rule}.proto`).
//!
//! Like the Gateway API models, these carry no validation; `istio::bind`
//! validates and reports. Carried-through policy (`retries`, `fault`,
//! `corsPolicy`) stays JSON so it reaches the decision exactly as written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::ObjectMeta;

/// The Istio networking API group.
pub const ISTIO_GROUP: &str = "networking.istio.io";

/// `networking.istio.io` Gateway: servers exposed by the workloads its `selector` picks.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct IstioGateway {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: IstioGatewaySpec,
}

/// `Gateway.spec`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IstioGatewaySpec {
    /// Labels of the gateway workload.
    pub selector: BTreeMap<String, String>,
    /// Servers.
    pub servers: Vec<Server>,
}

/// `Gateway.spec.servers[]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Server {
    /// Port.
    pub port: ServerPort,
    /// `[namespace/]host` entries.
    pub hosts: Vec<String>,
    /// TLS settings.
    pub tls: Option<ServerTls>,
    /// Name.
    pub name: Option<String>,
}

/// `Server.port`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ServerPort {
    /// Port number.
    pub number: u32,
    /// `HTTP`, `HTTPS`, `HTTP2`, `GRPC`, `TLS`, `TCP`, `MONGO`.
    pub protocol: String,
    /// Port name.
    pub name: String,
}

/// `Server.tls`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ServerTls {
    /// Redirect plain-text requests to HTTPS.
    pub https_redirect: bool,
    /// `PASSTHROUGH`, `SIMPLE`, `MUTUAL`, `AUTO_PASSTHROUGH`, `ISTIO_MUTUAL`, `OPTIONAL_MUTUAL`.
    pub mode: Option<String>,
    /// Secret name of the server certificate.
    pub credential_name: Option<String>,
}

/// `networking.istio.io` VirtualService.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VirtualService {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: VirtualServiceSpec,
}

/// `VirtualService.spec`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct VirtualServiceSpec {
    /// Hosts (short names, FQDNs, `*.`-wildcards); empty for a delegate.
    pub hosts: Vec<String>,
    /// Gateways (`mesh`, `name`, `ns/name`); empty means `mesh`.
    pub gateways: Vec<String>,
    /// HTTP rules, in first-match order.
    pub http: Vec<HttpRule>,
    /// TLS passthrough rules.
    pub tls: Vec<L4Rule>,
    /// TCP rules.
    pub tcp: Vec<L4Rule>,
    /// Visibility (`.`, `*`, `~`, namespaces); `None` = everywhere.
    pub export_to: Option<Vec<String>>,
}

/// `HTTPRoute` of a VirtualService (not the Gateway API kind).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRule {
    /// Name.
    pub name: Option<String>,
    /// Match blocks (ORed).
    #[serde(rename = "match")]
    pub matches: Vec<HttpMatchRequest>,
    /// Destinations.
    pub route: Vec<HttpRouteDestination>,
    /// Redirect.
    pub redirect: Option<HttpRedirect>,
    /// Direct response.
    pub direct_response: Option<HttpDirectResponse>,
    /// Delegate VirtualService.
    pub delegate: Option<Delegate>,
    /// Rewrite.
    pub rewrite: Option<HttpRewrite>,
    /// Timeout, as written (`5s`).
    pub timeout: Option<String>,
    /// Retry policy.
    pub retries: Option<Value>,
    /// Fault injection.
    pub fault: Option<Value>,
    /// Mirror destination.
    pub mirror: Option<Destination>,
    /// Mirror percentage.
    pub mirror_percentage: Option<Percent>,
    /// Deprecated integer mirror percentage.
    pub mirror_percent: Option<u32>,
    /// Several mirrors.
    pub mirrors: Vec<HttpMirrorPolicy>,
    /// CORS policy.
    pub cors_policy: Option<Value>,
    /// Header manipulation.
    pub headers: Option<Headers>,
}

/// `HTTPMatchRequest`: every present field must hold.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpMatchRequest {
    /// Name.
    pub name: Option<String>,
    /// Path.
    pub uri: Option<StringMatch>,
    /// `:scheme`.
    pub scheme: Option<StringMatch>,
    /// `:method`.
    pub method: Option<StringMatch>,
    /// `:authority` (with any port).
    pub authority: Option<StringMatch>,
    /// Header conditions.
    pub headers: BTreeMap<String, StringMatch>,
    /// Negated header conditions.
    pub without_headers: BTreeMap<String, StringMatch>,
    /// Query parameter conditions.
    pub query_params: BTreeMap<String, StringMatch>,
    /// Case-insensitive `uri` exact/prefix.
    pub ignore_uri_case: bool,
    /// Listener port (build-time filter).
    pub port: Option<u32>,
    /// Client workload labels (build-time filter).
    pub source_labels: BTreeMap<String, String>,
    /// Gateways this block applies to (build-time filter).
    pub gateways: Vec<String>,
    /// Client namespace (build-time filter).
    pub source_namespace: Option<String>,
}

/// `StringMatch`: one of `exact`, `prefix`, `regex` (none = presence).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StringMatch {
    /// Equal.
    pub exact: Option<String>,
    /// Starts with.
    pub prefix: Option<String>,
    /// RE2, whole value.
    pub regex: Option<String>,
}

/// `HTTPRouteDestination`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRouteDestination {
    /// Destination.
    pub destination: Destination,
    /// Relative weight.
    pub weight: Option<i64>,
    /// Destination-level header manipulation.
    pub headers: Option<Headers>,
}

/// `Destination`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Destination {
    /// Host (short name or FQDN).
    pub host: String,
    /// DestinationRule subset.
    pub subset: Option<String>,
    /// Port.
    pub port: Option<PortSelector>,
}

/// `PortSelector`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PortSelector {
    /// Port number.
    pub number: u32,
}

/// `Percent`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Percent {
    /// 0–100.
    pub value: f64,
}

/// `HTTPMirrorPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HttpMirrorPolicy {
    /// Destination.
    pub destination: Destination,
    /// Percentage (default 100).
    pub percentage: Option<Percent>,
}

/// `Headers`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Headers {
    /// Request header operations.
    pub request: Option<HeaderOperations>,
    /// Response header operations.
    pub response: Option<HeaderOperations>,
}

/// `HeaderOperations`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HeaderOperations {
    /// Overwrite.
    pub set: BTreeMap<String, String>,
    /// Append.
    pub add: BTreeMap<String, String>,
    /// Delete.
    pub remove: Vec<String>,
}

/// `HTTPRedirect`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRedirect {
    /// Whole new path.
    pub uri: Option<String>,
    /// New host.
    pub authority: Option<String>,
    /// New port.
    pub port: Option<u32>,
    /// `FROM_PROTOCOL_DEFAULT` or `FROM_REQUEST_PORT`.
    pub derive_port: Option<String>,
    /// New scheme.
    pub scheme: Option<String>,
    /// 301 (default), 302, 303, 307, 308.
    pub redirect_code: Option<u32>,
    /// Replacement of the matched prefix.
    pub prefix_rewrite: Option<String>,
}

/// `HTTPDirectResponse`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HttpDirectResponse {
    /// Status code.
    pub status: u32,
    /// Body.
    pub body: Option<HttpBody>,
}

/// `HTTPBody`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HttpBody {
    /// Text body.
    pub string: Option<String>,
    /// Base64 body.
    pub bytes: Option<String>,
}

/// `Delegate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Delegate {
    /// Name of the delegate VirtualService.
    pub name: String,
    /// Its namespace (default: the root's).
    pub namespace: Option<String>,
}

/// `HTTPRewrite`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpRewrite {
    /// Replacement of the matched prefix.
    pub uri: Option<String>,
    /// New `:authority`.
    pub authority: Option<String>,
    /// Regex rewrite of the path.
    pub uri_regex_rewrite: Option<RegexRewrite>,
}

/// `RegexRewrite`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RegexRewrite {
    /// RE2 pattern (unanchored).
    #[serde(rename = "match")]
    pub pattern: String,
    /// Replacement with `\1`… group references.
    pub rewrite: String,
}

/// A `tls[]` (`TLSRoute`) or `tcp[]` (`TCPRoute`) rule of a VirtualService: the two
/// share one shape (`sniHosts` only matters for TLS).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct L4Rule {
    /// Match blocks.
    #[serde(rename = "match")]
    pub matches: Vec<L4Match>,
    /// Destinations.
    pub route: Vec<RouteDestination>,
}

/// `TLSMatchAttributes` / `L4MatchAttributes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct L4Match {
    /// SNI names (TLS only).
    pub sni_hosts: Vec<String>,
    /// Destination CIDRs.
    pub destination_subnets: Vec<String>,
    /// Port.
    pub port: Option<u32>,
    /// Client labels.
    pub source_labels: BTreeMap<String, String>,
    /// Gateways.
    pub gateways: Vec<String>,
    /// Client namespace.
    pub source_namespace: Option<String>,
}

/// `RouteDestination` (TLS/TCP).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RouteDestination {
    /// Destination.
    pub destination: Destination,
    /// Weight.
    pub weight: Option<i64>,
}

/// `networking.istio.io` DestinationRule (only what routing needs: subsets).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DestinationRule {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: DestinationRuleSpec,
}

/// `DestinationRule.spec`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct DestinationRuleSpec {
    /// Host (short name resolved in the rule's namespace).
    pub host: String,
    /// Subsets.
    pub subsets: Vec<Subset>,
    /// Visibility.
    pub export_to: Option<Vec<String>>,
}

/// `Subset`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Subset {
    /// Name.
    pub name: String,
    /// Pod labels.
    pub labels: BTreeMap<String, String>,
}

/// `networking.istio.io` ServiceEntry: hosts outside the Kubernetes registry (only
/// what routing needs: hosts and ports, so VirtualService destinations to them exist).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ServiceEntry {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: ServiceEntrySpec,
}

/// `ServiceEntry.spec`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ServiceEntrySpec {
    /// Hosts (DNS names, or a `*.`-wildcard).
    pub hosts: Vec<String>,
    /// Ports.
    pub ports: Vec<ServerPort>,
    /// Visibility.
    pub export_to: Option<Vec<String>>,
}
