//! What the router decided, and why.

use serde::Serialize;

use crate::ir::{BackendTls, HeaderOps, Retry};

/// The outcome of [`Router::route`](crate::Router::route): what to do, and which rule decided it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Decision {
    /// What the proxy must do.
    pub action: Action,
    /// Which Gateway listener, route, rule and match decided (absent when nothing matched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<Provenance>,
    /// The effective policy of every policy kind attached along the decision's path
    /// (GEP-713: Gateway, listener, route, rule, backend), precomputed at compile time
    /// and shared; `None` when no policy applies. [`Router::policies`](crate::Router::policies)
    /// says, field by field, where each value came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policies: Option<std::sync::Arc<std::collections::BTreeMap<String, serde_json::Value>>>,
}

impl Decision {
    /// The HTTP status the client gets when the gateway answers itself
    /// (redirect, direct response), `None` when the request is forwarded, and
    /// `Some(0)` when the connection is refused.
    ///
    /// ```
    /// # let yaml = include_str!("../../../examples/quickstart.yaml");
    /// let router = gatewright::Router::compile(&gatewright::Resources::from_yaml(yaml)?)?;
    /// let d = router.decide(&gatewright::Request::new("GET", "nowhere.example", "/"));
    /// assert_eq!(d.status(), Some(404));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> Option<u16> {
        match &self.action {
            Action::Forward(_) | Action::Connect(_) => None,
            Action::Redirect(r) => Some(r.status),
            Action::Respond(r) => Some(r.status),
            Action::Reject { .. } => Some(0),
        }
    }

    /// The backend the request is forwarded to, if any.
    pub fn backend(&self) -> Option<&BackendName> {
        match &self.action {
            Action::Forward(f) => Some(&f.backend),
            Action::Connect(c) => Some(&c.backend),
            _ => None,
        }
    }
}

/// What the proxy must do with the request.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Action {
    /// Send the (modified) request to a backend.
    Forward(Box<Forward>),
    /// Open a connection to a backend (TLSRoute, TCPRoute, UDPRoute).
    Connect(Box<Connect>),
    /// Answer with a redirect.
    Redirect(RedirectTo),
    /// Answer directly: 404 no route, 421 misdirected, 500 invalid backend, CORS preflight.
    Respond(Respond),
    /// Refuse the connection (no HTTP response), e.g. a listener whose certificate does not resolve.
    Reject {
        /// Why.
        reason: String,
    },
}

/// Proxy a connection (or datagram) to a backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Connect {
    /// The chosen backend.
    pub backend: BackendName,
    /// Whether the backend receives the client's TLS stream as is (TLS Passthrough);
    /// otherwise it receives plain bytes (TCP, UDP, or TLS terminated at the Gateway).
    pub tls_passthrough: bool,
    /// The SNI the backend sees (passthrough, or the BackendTLSPolicy hostname).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// TLS the Gateway originates towards the backend (BackendTLSPolicy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_tls: Option<BackendTls>,
}

/// A Service port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BackendName {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Port.
    pub port: u16,
    /// Istio DestinationRule subset, when the route names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
    /// Istio: the destination host as resolved (FQDN); set for every Istio decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// One destination of a weighted split, with its configured weight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Weighted {
    /// The destination.
    pub backend: BackendName,
    /// Its weight (relative: the share is `weight / sum`).
    pub weight: u32,
}

/// Forward to a backend.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Forward {
    /// The chosen backend.
    pub backend: BackendName,
    /// Istio: every destination of the weighted split the backend was picked from
    /// (empty when the rule has a single destination).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub split: Vec<Weighted>,
    /// Istio: data-plane policy carried through as written in the VirtualService
    /// (`timeout`, `retries`, `fault`, `cors`); the router does not act on it.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub attributes: std::collections::BTreeMap<String, serde_json::Value>,
    /// The request as the backend must receive it (filters applied).
    pub upstream: Upstream,
    /// Changes to apply to the backend's response headers (ResponseHeaderModifier, CORS).
    pub response_headers: HeaderOps,
    /// Mirrors; `selected` says whether this request is copied (from the entropy).
    pub mirrors: Vec<MirrorTo>,
    /// `timeouts.request` in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<u64>,
    /// `timeouts.backendRequest` in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_request_timeout_ms: Option<u64>,
    /// Retry policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    /// TLS the Gateway originates towards the backend (BackendTLSPolicy); the
    /// SNI sent is its `hostname`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_tls: Option<BackendTls>,
}

/// `HTTPRouteRetry` as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retried status codes.
    pub codes: Vec<u16>,
    /// Maximum number of retries.
    pub attempts: u32,
    /// Backoff in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_ms: Option<u64>,
}

impl From<&Retry> for RetryPolicy {
    fn from(r: &Retry) -> Self {
        RetryPolicy {
            codes: r.codes.clone(),
            attempts: r.attempts,
            backoff_ms: r.backoff_ms,
        }
    }
}

/// The request as forwarded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Upstream {
    /// Method.
    pub method: String,
    /// Host header (with the original port unless rewritten).
    pub authority: String,
    /// Path.
    pub path: String,
    /// Query string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// All headers after modification (the Host header is `authority`).
    pub headers: Vec<(String, String)>,
}

impl Upstream {
    /// The request exactly as received (no filter applied).
    pub fn unchanged(request: &super::Request<'_>) -> Self {
        Upstream {
            method: request.method().to_owned(),
            authority: request.authority().to_owned(),
            path: request.path().to_owned(),
            query: request.query().map(str::to_owned),
            headers: request
                .get_headers()
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }
}

/// A mirror target.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MirrorTo {
    /// Where the copy goes.
    pub backend: BackendName,
    /// Probability of mirroring a request, in percent.
    pub percent: f64,
    /// Whether this request is mirrored.
    pub selected: bool,
}

/// A redirect answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RedirectTo {
    /// 301, 302, 303, 307 or 308.
    pub status: u16,
    /// The `Location` header.
    pub location: String,
    /// Other response headers (Istio route-level `headers.response`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
}

/// A direct answer from the gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Respond {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Why the gateway answers (for people, not for the client).
    pub reason: String,
    /// Body (Istio `directResponse.body`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The upstream that was chosen but does not exist (Istio 503: no such cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<BackendName>,
}

/// Which configuration decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Provenance {
    /// Gateway `namespace/name`.
    pub gateway: String,
    /// Listener name.
    pub listener: String,
    /// The route hostname that matched (`*` for catch-all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Route kind (`HTTPRoute`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Route namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Route name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Rule index in `spec.rules`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// Rule name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    /// Match index in the rule's `matches`.
    #[serde(skip_serializing_if = "Option::is_none", rename = "match")]
    pub matched: Option<usize>,
}

/// One candidate considered by [`Router::explain`](crate::Router::explain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Considered {
    /// Route `namespace/name`.
    pub route: String,
    /// Rule index.
    pub rule: usize,
    /// Match index.
    #[serde(rename = "match")]
    pub matched: usize,
    /// The route hostname it was considered under.
    pub hostname: String,
    /// The match, in short form (e.g. `PathPrefix /api, method GET, 1 header`).
    pub summary: String,
    /// `won`, or why it lost.
    pub verdict: String,
}

/// A decision with the candidates considered.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Explanation {
    /// The decision (the same as [`Router::route_with`](crate::Router::route_with) returns).
    pub decision: Decision,
    /// How the listener was chosen.
    pub listener: String,
    /// Every candidate of the chosen listener whose hostname matches, in precedence order.
    pub considered: Vec<Considered>,
    /// For each policy kind on the decision's path: the effective policy with the
    /// source of every field and every value that lost (GEP-713 provenance).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub policies: std::collections::BTreeMap<String, crate::policy::Effective>,
}
