//! The interface between the corpus runner and a routing engine.
//!
//! The runner is engine-neutral: it only talks to an [`Engine`] (compile a set of Kubernetes
//! objects) and the [`Compiled`] result (route one request, report status). An adapter for a
//! concrete engine (the `gatewright` core crate lives in `adapter.rs`) implements both traits and
//! translates its own output into the plain-data [`Observed`] value defined here.

use serde::Deserialize;

/// A routing engine under test.
pub trait Engine {
    /// Compile the test's objects. Err = the engine refused the whole input (message).
    fn compile(&self, objects: &[serde_json::Value]) -> Result<Box<dyn Compiled>, String>;
}

/// The result of [`Engine::compile`]: a routing table plus the status the engine computed.
pub trait Compiled {
    /// Route one case's request entering at `entry` (gateway namespace/name/port), using `entropy`
    /// for weighted choices (backend pick and mirror percentages).
    fn route(&self, entry: &Entry, request: &CaseRequest, entropy: u64) -> Observed;

    /// Status of every object the engine reports on, each as
    /// `{"kind","namespace","name","status": <Kubernetes status object>}`.
    ///
    /// Gateway status shape: `{"conditions":[{"type","status","reason","message"}],
    /// "listeners":[{"name","supportedKinds":[{"group","kind"}],"conditions":[...],"attachedRoutes":N}]}`.
    ///
    /// HTTPRoute status shape: `{"parents":[{"parentRef":{"group","kind","namespace","name",
    /// "sectionName"?,"port"?},"controllerName","conditions":[...]}]}`.
    fn status(&self) -> Vec<serde_json::Value>;

    /// Route a mesh (GAMMA) case: a client workload calling a Service port or a pod.
    /// Engines without mesh support keep the default (no response).
    fn route_mesh(
        &self,
        mesh: &crate::format::MeshEntry,
        request: &CaseRequest,
        entropy: u64,
    ) -> Observed {
        let _ = (mesh, request, entropy);
        Observed::default()
    }
}

/// Where a request enters: the Gateway the client connected to and the port it used
/// (`gateway:` of a case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Namespace of the Gateway.
    pub namespace: String,
    /// Name of the Gateway.
    pub name: String,
    /// Port the client connected to.
    pub port: u16,
}

/// The client's request of one case (`request:` of a case, plus the case-level
/// `backend_response_headers`).
///
/// HTTP cases always carry `method`, `scheme` and `path`; TLS/TCP/UDP cases carry only
/// `protocol` (and `sni`), so those three are empty strings there.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseRequest {
    /// HTTP method (`GET`, `OPTIONS`, ...); empty for non-HTTP cases.
    #[serde(default)]
    pub method: String,
    /// `http` or `https`; empty for non-HTTP cases.
    #[serde(default)]
    pub scheme: String,
    /// Host header / `:authority`, possibly with a port. `None` = the client sent the Gateway's
    /// IP address, which matches no hostname.
    #[serde(default)]
    pub host: Option<String>,
    /// Request path without the query; empty for non-HTTP cases.
    #[serde(default)]
    pub path: String,
    /// Raw query string (without `?`), when the request has one.
    #[serde(default)]
    pub query: Option<String>,
    /// Request headers in file order, names and values exactly as written.
    #[serde(default, deserialize_with = "crate::format::de::header_pairs")]
    pub headers: Vec<(String, String)>,
    /// TLS ClientHello SNI (https and TLS cases).
    #[serde(default)]
    pub sni: Option<String>,
    /// Forced protocol: `HTTP/2`, `grpc`, `TLS`, `TCP` or `UDP`.
    #[serde(default)]
    pub protocol: Option<String>,
    /// gRPC service (gRPC cases only).
    #[serde(default)]
    pub grpc_service: Option<String>,
    /// gRPC method (gRPC cases only).
    #[serde(default)]
    pub grpc_method: Option<String>,
    /// DNS query carried by a UDP datagram (`{name, type}`), kept as raw data.
    #[serde(default)]
    pub dns_query: Option<serde_json::Value>,
    /// Headers the backend adds to its response (the case's `backend_response_headers`); the
    /// engine applies its response modifiers to these and reports the result in
    /// [`Observed::response_headers`].
    #[serde(skip)]
    pub backend_response_headers: Vec<(String, String)>,
}

/// What the engine decided for one request. Plain owned data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// HTTP status the client sees; 0 = connection rejected / no HTTP response at all.
    pub status: u16,
    /// The Deployment whose pods serve `backend` (the Service's `app` selector), when known.
    pub backend_pod: Option<String>,
    /// The Service `(namespace, name)` that receives the request; `None` when the gateway answers
    /// itself (redirect, CORS preflight, 404, ...).
    pub backend: Option<(String, String)>,
    /// The request as the backend receives it, when one does.
    pub upstream: Option<Upstream>,
    /// Response headers the client sees: the case's backend response headers after the
    /// response modifiers, plus any header the gateway adds or sets itself.
    pub response_headers: Vec<(String, String)>,
    /// `Location` header of a redirect.
    pub redirect_location: Option<String>,
    /// Backends that receive a mirrored copy of the request.
    pub mirrors: Vec<Mirror>,
    /// Timeouts that apply to the request.
    pub timeouts: Timeouts,
    /// Retry policy that applies to the request, if any.
    pub retry: Option<Retry>,
    /// For proxied connections: `"tls"` when the backend receives a TLS stream
    /// (passthrough or re-encrypted), `"plaintext"` otherwise.
    pub backend_connection: Option<String>,
    /// The SNI the backend sees, when it receives TLS.
    pub backend_sni: Option<String>,
    /// TLS the gateway originates towards the backend (BackendTLSPolicy), whether or
    /// not the handshake succeeded.
    pub backend_tls: Option<BackendTlsObserved>,
}

/// The BackendTLSPolicy settings applied towards a backend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendTlsObserved {
    /// Policy `(namespace, name)`.
    pub policy: (String, String),
    /// Validation hostname (the SNI sent).
    pub hostname: String,
    /// Trust anchors `(kind, name)`.
    pub ca_certificate_refs: Vec<(String, String)>,
    /// Subject alternative names `(type, value)`.
    pub subject_alt_names: Vec<(String, String)>,
}

/// The request as a backend receives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upstream {
    /// HTTP method.
    pub method: String,
    /// Host header.
    pub host: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string (without `?`).
    pub query: Option<String>,
    /// Headers; a header with several values may appear several times or comma-joined.
    pub headers: Vec<(String, String)>,
}

/// One request-mirror target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mirror {
    /// Namespace of the mirror Service.
    pub namespace: String,
    /// Name of the mirror Service.
    pub name: String,
    /// Probability (0..=100) that a request is mirrored.
    pub percent: f64,
}

/// Timeouts in milliseconds; `None` (or `Some(0)`) = no timeout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// `timeouts.request`: the whole request including retries.
    pub request_ms: Option<u64>,
    /// `timeouts.backendRequest`: each attempt to the backend.
    pub backend_request_ms: Option<u64>,
}

/// A retry policy (`HTTPRouteRule.retry`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retry {
    /// Status codes that are retried; connection errors and per-attempt timeouts are always
    /// retried.
    pub codes: Vec<u16>,
    /// Maximum number of retries (so at most `attempts + 1` tries).
    pub attempts: u32,
    /// Wait between attempts in milliseconds.
    pub backoff_ms: Option<u64>,
}
