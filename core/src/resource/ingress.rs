//! Serde mirrors of `networking.k8s.io/v1` Ingress and IngressClass.
//!
//! Like [`model`](super::model), these types are faithful to the upstream schema
//! (`k8s.io/api/networking/v1/types.go`): field names in camelCase, unknown fields
//! ignored, enumerations (`pathType`) kept as strings so that an unknown value
//! becomes a diagnostic instead of a parse error. A field of the wrong type (a port
//! number written as `eighty`) is a located [`ParseError`](crate::ParseError).
//!
//! Semantics: <https://kubernetes.io/docs/concepts/services-networking/ingress/>.
//!
//! ```
//! let yaml = "
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: web, namespace: shop}
//! spec:
//!   ingressClassName: nginx
//!   rules:
//!   - host: shop.example.com
//!     http:
//!       paths:
//!       - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
//! ";
//! let res = gatewright::Resources::from_yaml(yaml)?;
//! let gatewright::Object::Ingress(ing) = &res.objects()[0] else { unreachable!() };
//! assert_eq!(ing.spec.ingress_class_name.as_deref(), Some("nginx"));
//! let path = &ing.spec.rules[0].http.as_ref().unwrap().paths[0];
//! assert_eq!(path.backend.service.as_ref().unwrap().port.number, Some(8080));
//! # Ok::<(), gatewright::ParseError>(())
//! ```

use serde::{Deserialize, Serialize};

use super::model::ObjectMeta;

/// The API group of Ingress and IngressClass.
pub const NETWORKING_GROUP: &str = "networking.k8s.io";

/// The annotation that names the class of an Ingress before `spec.ingressClassName`
/// existed (deprecated, still honoured by controllers).
pub const LEGACY_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// The IngressClass annotation that marks the cluster's default class.
pub const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

// === Ingress ===

/// `networking.k8s.io/v1` Ingress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Ingress {
    /// Metadata (annotations carry controller-specific settings).
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: IngressSpec,
}

/// `Ingress.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IngressSpec {
    /// Name of the IngressClass; `None` falls back to the legacy annotation, then
    /// to the default IngressClass.
    pub ingress_class_name: Option<String>,
    /// The backend for requests that match no rule.
    pub default_backend: Option<IngressBackend>,
    /// TLS: hosts and the Secret holding their certificate.
    pub tls: Vec<IngressTls>,
    /// Host rules.
    pub rules: Vec<IngressRule>,
}

/// One `spec.tls[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IngressTls {
    /// Hosts the certificate is for (exact or `*.`-wildcard).
    pub hosts: Vec<String>,
    /// Secret in the Ingress's namespace with `tls.crt` and `tls.key`.
    pub secret_name: Option<String>,
}

/// One `spec.rules[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IngressRule {
    /// Host (exact or `*.`-wildcard of one label); `None` matches every host.
    pub host: Option<String>,
    /// The paths of the host.
    pub http: Option<HttpIngressRuleValue>,
}

/// `IngressRule.http`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpIngressRuleValue {
    /// Paths, each with a backend.
    pub paths: Vec<HttpIngressPath>,
}

/// One `http.paths[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct HttpIngressPath {
    /// The path (`None` or empty: `/`).
    pub path: Option<String>,
    /// `Exact`, `Prefix` or `ImplementationSpecific` (required in v1).
    pub path_type: Option<String>,
    /// Where matching requests go.
    pub backend: IngressBackend,
}

/// `IngressBackend`: a Service port or (exclusively) a typed object reference.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IngressBackend {
    /// A Service in the Ingress's namespace.
    pub service: Option<IngressServiceBackend>,
    /// Another kind of object (e.g. a storage bucket); not routable by gatewright.
    pub resource: Option<TypedLocalObjectReference>,
}

/// `IngressServiceBackend`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IngressServiceBackend {
    /// Service name.
    pub name: String,
    /// Service port, by number or by name.
    pub port: ServiceBackendPort,
}

/// `ServiceBackendPort`: `number` or `name` (mutually exclusive).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ServiceBackendPort {
    /// The Service port's name.
    pub name: Option<String>,
    /// The Service port's number.
    pub number: Option<u16>,
}

/// `TypedLocalObjectReference`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct TypedLocalObjectReference {
    /// API group (empty: core).
    pub api_group: Option<String>,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
}

// === IngressClass ===

/// `networking.k8s.io/v1` IngressClass (cluster-scoped).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct IngressClass {
    /// Metadata (the default-class annotation lives here).
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: IngressClassSpec,
}

/// `IngressClass.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IngressClassSpec {
    /// The controller that implements the class, e.g. `k8s.io/ingress-nginx`.
    pub controller: String,
    /// Controller-specific parameters (not interpreted).
    pub parameters: Option<IngressClassParametersReference>,
}

/// `IngressClassParametersReference`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IngressClassParametersReference {
    /// API group.
    pub api_group: Option<String>,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (with `scope: Namespace`).
    pub namespace: Option<String>,
    /// `Cluster` or `Namespace`.
    pub scope: Option<String>,
}

impl IngressClass {
    /// Whether the class carries `ingressclass.kubernetes.io/is-default-class: "true"`.
    ///
    /// ```
    /// use gatewright::resource::ingress::{IngressClass, DEFAULT_CLASS_ANNOTATION};
    /// let mut class = IngressClass::default();
    /// assert!(!class.is_default());
    /// class.metadata.annotations.insert(DEFAULT_CLASS_ANNOTATION.into(), "true".into());
    /// assert!(class.is_default());
    /// ```
    pub fn is_default(&self) -> bool {
        self.metadata
            .annotations
            .get(DEFAULT_CLASS_ANNOTATION)
            .is_some_and(|v| v == "true")
    }
}
