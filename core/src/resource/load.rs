//! Reading Kubernetes objects from YAML streams, JSON, and `kind: List`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ingress::{Ingress, IngressClass, NETWORKING_GROUP};
use super::istio::{DestinationRule, IstioGateway, ServiceEntry, VirtualService, ISTIO_GROUP};
use super::model::{
    BackendTlsPolicy, ConfigMap, Gateway, GatewayClass, GrpcRoute, HttpRoute, L4Route, ListenerSet,
    Namespace, ReferenceGrant, Secret, Service,
};
use crate::diag::{Code, Diagnostic, ObjectRef, Severity, GATEWAY_GROUP};
use crate::error::{ParseError, ParseErrorInner};

/// One object gatewright reads.
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "objects live in one Vec; boxing each would add an allocation per object for no gain"
)]
#[non_exhaustive]
pub enum Object {
    /// `GatewayClass`.
    GatewayClass(GatewayClass),
    /// `Gateway`.
    Gateway(Gateway),
    /// `HTTPRoute`.
    HttpRoute(HttpRoute),
    /// `GRPCRoute`.
    GrpcRoute(GrpcRoute),
    /// `TLSRoute`.
    TlsRoute(L4Route),
    /// `TCPRoute`.
    TcpRoute(L4Route),
    /// `UDPRoute`.
    UdpRoute(L4Route),
    /// `ListenerSet`.
    ListenerSet(ListenerSet),
    /// `BackendTLSPolicy`.
    BackendTlsPolicy(BackendTlsPolicy),
    /// `ReferenceGrant` (v1 or v1beta1).
    ReferenceGrant(ReferenceGrant),
    /// `Namespace`.
    Namespace(Namespace),
    /// `Service`.
    Service(Service),
    /// `Secret`.
    Secret(Secret),
    /// `ConfigMap`.
    ConfigMap(ConfigMap),
    /// Istio `Gateway` (`networking.istio.io`).
    IstioGateway(IstioGateway),
    /// Istio `VirtualService`.
    VirtualService(VirtualService),
    /// Istio `DestinationRule`.
    DestinationRule(DestinationRule),
    /// Istio `ServiceEntry`.
    ServiceEntry(ServiceEntry),
    /// `networking.k8s.io/v1` `Ingress`.
    Ingress(Ingress),
    /// `networking.k8s.io/v1` `IngressClass`.
    IngressClass(IngressClass),
}

/// The objects read from one or more manifests, in input order, plus the
/// diagnostics of reading them (skipped kinds).
///
/// ```
/// let yaml = "
/// apiVersion: gateway.networking.k8s.io/v1
/// kind: HTTPRoute
/// metadata: {name: web, namespace: shop}
/// spec: {hostnames: [shop.example.com]}
/// ---
/// apiVersion: apps/v1
/// kind: Deployment
/// metadata: {name: web}
/// ";
/// let res = gatewright::Resources::from_yaml(yaml)?;
/// assert_eq!(res.len(), 1);
/// assert_eq!(res.diagnostics()[0].code, gatewright::Code::UnsupportedKind);
/// # Ok::<(), gatewright::ParseError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Resources {
    objects: Vec<Object>,
    /// Every object with `spec.targetRefs` or `spec.targetRef` (policy attachment), as
    /// written, whether or not it also has a typed model (e.g. BackendTLSPolicy).
    policies: Vec<PolicyObject>,
    diagnostics: Vec<Diagnostic>,
}

/// An object that targets others through `spec.targetRefs`/`spec.targetRef`: a policy
/// in the sense of GEP-713, kept as written for the [policy resolver](crate::policy).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PolicyObject {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata`.
    pub metadata: super::model::ObjectMeta,
    /// `spec`, as written.
    pub spec: Value,
    /// Position among the policies read, for stable reports.
    pub index: usize,
}

/// Where an object came from, for error messages.
#[derive(Clone, Copy)]
struct Origin<'t> {
    document: usize,
    item: Option<usize>,
    /// The YAML text, to locate type errors by line and column.
    yaml: Option<&'t str>,
}

impl Resources {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a multi-document YAML stream (`---` separated). Each document is one
    /// object, a `kind: List` (as `kubectl get -o yaml` prints), or a sequence of objects.
    ///
    /// # Errors
    /// A [`ParseError`] naming the document, line/column, object and field path
    /// when the text is not YAML or an object of a supported kind has a field of
    /// the wrong type.
    #[cfg(feature = "yaml")]
    pub fn from_yaml(text: &str) -> Result<Self, ParseError> {
        let mut res = Self::new();
        res.add_yaml(text)?;
        Ok(res)
    }

    /// Reads JSON: one object, a `List`, an array of objects, or several of
    /// those one after the other.
    ///
    /// # Errors
    /// As [`Resources::from_yaml`].
    pub fn from_json(text: &str) -> Result<Self, ParseError> {
        let mut res = Self::new();
        res.add_json(text)?;
        Ok(res)
    }

    /// Reads text that is either JSON (first non-blank character `{` or `[`) or YAML.
    ///
    /// # Errors
    /// As [`Resources::from_yaml`].
    pub fn from_text(text: &str) -> Result<Self, ParseError> {
        let mut res = Self::new();
        res.add_text(text)?;
        Ok(res)
    }

    /// Adds the objects of another manifest (JSON or YAML, see [`Resources::from_text`]);
    /// document indexes restart at 0 for each call.
    ///
    /// # Errors
    /// As [`Resources::from_yaml`].
    pub fn add_text(&mut self, text: &str) -> Result<(), ParseError> {
        let first = text.trim_start().chars().next();
        #[cfg(feature = "yaml")]
        if !matches!(first, Some('{' | '[')) {
            return self.add_yaml(text);
        }
        #[cfg(not(feature = "yaml"))]
        let _ = first;
        self.add_json(text)
    }

    /// Adds the objects of a YAML stream.
    ///
    /// # Errors
    /// As [`Resources::from_yaml`].
    #[cfg(feature = "yaml")]
    pub fn add_yaml(&mut self, text: &str) -> Result<(), ParseError> {
        use serde::Deserialize;
        for (document, de) in serde_norway::Deserializer::from_str(text).enumerate() {
            let value = StrictValue::deserialize(de).map(|v| v.0).map_err(|e| {
                let loc = e.location();
                ParseErrorInner {
                    document,
                    item: None,
                    line: loc.as_ref().map(serde_norway::Location::line),
                    column: loc.as_ref().map(serde_norway::Location::column),
                    object: None,
                    field: String::new(),
                    message: e.to_string(),
                }
            })?;
            self.add_value(
                value,
                Origin {
                    document,
                    item: None,
                    yaml: Some(text),
                },
            )?;
        }
        Ok(())
    }

    /// Adds the objects of a JSON text.
    ///
    /// # Errors
    /// As [`Resources::from_yaml`].
    pub fn add_json(&mut self, text: &str) -> Result<(), ParseError> {
        let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        for (document, value) in stream.enumerate() {
            let value = value.map_err(|e| ParseErrorInner {
                document,
                item: None,
                line: Some(e.line()),
                column: Some(e.column()),
                object: None,
                field: String::new(),
                message: e.to_string(),
            })?;
            self.add_value(
                value,
                Origin {
                    document,
                    item: None,
                    yaml: None,
                },
            )?;
        }
        Ok(())
    }

    /// Adds one object that is already deserialized.
    pub fn push(&mut self, object: Object) {
        self.objects.push(object);
    }

    /// The objects, in input order.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// Number of objects read.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether no object was read.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Objects that target others (`spec.targetRefs` / `spec.targetRef`), in input order.
    pub fn policies(&self) -> &[PolicyObject] {
        &self.policies
    }

    /// Diagnostics of reading (skipped kinds).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    fn add_value(&mut self, value: Value, origin: Origin<'_>) -> Result<(), ParseError> {
        match value {
            Value::Null => Ok(()),
            Value::Array(items) => self.add_items(items, origin),
            Value::Object(ref map)
                if map
                    .get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.ends_with("List"))
                    && map.contains_key("items") =>
            {
                let Value::Object(mut map) = value else {
                    unreachable!()
                };
                match map.remove("items") {
                    Some(Value::Array(items)) => self.add_items(items, origin),
                    Some(Value::Null) | None => Ok(()),
                    Some(_) => Err(ParseError::from(ParseErrorInner {
                        document: origin.document,
                        item: None,
                        line: None,
                        column: None,
                        object: None,
                        field: "items".into(),
                        message: "expected a sequence of objects".into(),
                    })),
                }
            }
            Value::Object(_) => self.add_object(value, origin),
            other => Err(ParseError::from(ParseErrorInner {
                document: origin.document,
                item: origin.item,
                line: None,
                column: None,
                object: None,
                field: String::new(),
                message: format!(
                    "expected a Kubernetes object (a mapping), found {}",
                    type_name(&other)
                ),
            })),
        }
    }

    fn add_items(&mut self, items: Vec<Value>, origin: Origin<'_>) -> Result<(), ParseError> {
        for (i, item) in items.into_iter().enumerate() {
            // Inside a list, line/column would point at the list; the item index says more.
            self.add_value(
                item,
                Origin {
                    item: Some(i),
                    yaml: None,
                    ..origin
                },
            )?;
        }
        Ok(())
    }

    fn add_object(&mut self, value: Value, origin: Origin<'_>) -> Result<(), ParseError> {
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let group = api_version
            .rsplit_once('/')
            .map_or("", |(g, _)| g)
            .to_owned();
        let meta = value.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str);
        let object_ref = ObjectRef::new(&group, &kind, Some(namespace.unwrap_or("default")), name);
        let described = object_ref.to_string();
        let err = |field: String, message: String, line, column| -> ParseError {
            ParseErrorInner {
                document: origin.document,
                item: origin.item,
                line,
                column,
                object: Some(described.clone()),
                field,
                message,
            }
            .into()
        };
        if kind.is_empty() {
            return Err(err(
                "kind".into(),
                "missing field `kind`".into(),
                None,
                None,
            ));
        }
        let known = matches!(
            group.as_str(),
            GATEWAY_GROUP | ISTIO_GROUP | NETWORKING_GROUP | ""
        ) && !matches!(kind.as_str(), "List");
        let name_missing = match meta.and_then(|m| m.get("name")) {
            None | Some(Value::Null) => true,
            Some(Value::String(n)) => n.is_empty(),
            Some(_) => false, // a wrong type is a located ParseError below
        };
        if name_missing && known {
            // Every Kubernetes object has a name; an unnamed one cannot be referred to.
            self.diagnostics.push(Diagnostic::new(
                Code::MissingName,
                Severity::Error,
                &object_ref,
                "metadata.name",
                format!("{kind} has no metadata.name; skipped"),
            ));
            return Ok(());
        }
        let spec = value.get("spec");
        let is_policy =
            spec.is_some_and(|s| s.get("targetRefs").is_some() || s.get("targetRef").is_some());
        if is_policy {
            let metadata: super::model::ObjectMeta = match meta {
                Some(m) => typed_field(m, "metadata", origin, &err)?,
                None => super::model::ObjectMeta::default(),
            };
            if metadata.name.is_empty() {
                self.diagnostics.push(Diagnostic::new(
                    Code::MissingName,
                    Severity::Error,
                    &object_ref,
                    "metadata.name",
                    format!("{kind} has no metadata.name; skipped"),
                ));
                return Ok(());
            }
            self.policies.push(PolicyObject {
                api_version: api_version.to_owned(),
                kind: kind.clone(),
                metadata,
                spec: spec.cloned().unwrap_or(Value::Null),
                index: self.policies.len(),
            });
            if !known {
                return Ok(());
            }
        }
        let object = match (group.as_str(), kind.as_str()) {
            (GATEWAY_GROUP, "GatewayClass") => Object::GatewayClass(typed(&value, origin, &err)?),
            (GATEWAY_GROUP, "Gateway") => Object::Gateway(typed(&value, origin, &err)?),
            (GATEWAY_GROUP, "HTTPRoute") => Object::HttpRoute(typed(&value, origin, &err)?),
            (GATEWAY_GROUP, "GRPCRoute") => Object::GrpcRoute(typed(&value, origin, &err)?),
            (GATEWAY_GROUP, "TLSRoute") => Object::TlsRoute(typed(&value, origin, &err)?),
            (GATEWAY_GROUP, "TCPRoute") => Object::TcpRoute(typed(&value, origin, &err)?),
            (GATEWAY_GROUP, "UDPRoute") => Object::UdpRoute(typed(&value, origin, &err)?),
            (GATEWAY_GROUP, "BackendTLSPolicy") => {
                Object::BackendTlsPolicy(typed(&value, origin, &err)?)
            }
            (GATEWAY_GROUP, "ListenerSet" | "XListenerSet") => {
                Object::ListenerSet(typed(&value, origin, &err)?)
            }
            (GATEWAY_GROUP, "ReferenceGrant") => {
                Object::ReferenceGrant(typed(&value, origin, &err)?)
            }
            ("", "Namespace") => Object::Namespace(typed(&value, origin, &err)?),
            ("", "Service") => Object::Service(typed(&value, origin, &err)?),
            ("", "Secret") => Object::Secret(typed(&value, origin, &err)?),
            ("", "ConfigMap") => Object::ConfigMap(typed(&value, origin, &err)?),
            (ISTIO_GROUP, "Gateway") => Object::IstioGateway(typed(&value, origin, &err)?),
            (ISTIO_GROUP, "VirtualService") => Object::VirtualService(typed(&value, origin, &err)?),
            (ISTIO_GROUP, "DestinationRule") => {
                Object::DestinationRule(typed(&value, origin, &err)?)
            }
            (ISTIO_GROUP, "ServiceEntry") => Object::ServiceEntry(typed(&value, origin, &err)?),
            // Only v1: v1beta1 (removed in Kubernetes 1.22) has another backend shape.
            (NETWORKING_GROUP, "Ingress") if api_version.ends_with("/v1") => {
                Object::Ingress(typed(&value, origin, &err)?)
            }
            (NETWORKING_GROUP, "IngressClass") if api_version.ends_with("/v1") => {
                Object::IngressClass(typed(&value, origin, &err)?)
            }
            _ => {
                let mut object_ref = object_ref;
                if namespace.is_none() {
                    object_ref.namespace = None;
                }
                let hint = if group == NETWORKING_GROUP && kind.starts_with("Ingress") {
                    " (only networking.k8s.io/v1 is read)"
                } else {
                    ""
                };
                self.diagnostics.push(Diagnostic::new(
                    Code::UnsupportedKind,
                    Severity::Info,
                    &object_ref,
                    "",
                    format!("{api_version} {kind} is not read by gatewright; skipped{hint}"),
                ));
                return Ok(());
            }
        };
        self.objects.push(object);
        Ok(())
    }
}

/// Deserializes `value` into `T`, reporting the field path and, for YAML input,
/// the line and column of the offending node.
fn typed<T: DeserializeOwned>(
    value: &Value,
    origin: Origin<'_>,
    err: &dyn Fn(String, String, Option<usize>, Option<usize>) -> ParseError,
) -> Result<T, ParseError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        let (line, column) = locate::<T>(origin).unzip();
        err(field, e.into_inner().to_string(), line, column)
    })
}

/// Deserializes one field of an object (e.g. `metadata`), reporting its path.
fn typed_field<T: DeserializeOwned>(
    value: &Value,
    field: &str,
    _origin: Origin<'_>,
    err: &dyn Fn(String, String, Option<usize>, Option<usize>) -> ParseError,
) -> Result<T, ParseError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            field.to_owned()
        } else {
            format!("{field}.{inner}")
        };
        err(path, e.into_inner().to_string(), None, None)
    })
}

/// Re-reads document `origin.document` of the YAML text straight into `T` to learn
/// where the type error is (the `Value` pass above has no positions).
#[cfg(feature = "yaml")]
fn locate<T: DeserializeOwned>(origin: Origin<'_>) -> Option<(usize, usize)> {
    let text = origin.yaml?;
    let de = serde_norway::Deserializer::from_str(text).nth(origin.document)?;
    let e = T::deserialize(de).err()?;
    let loc = e.location()?;
    Some((loc.line(), loc.column()))
}

#[cfg(not(feature = "yaml"))]
fn locate<T: DeserializeOwned>(_origin: Origin<'_>) -> Option<(usize, usize)> {
    None
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

/// A `serde_json::Value` read from YAML that refuses duplicate mapping keys, as
/// the Kubernetes API server's YAML decoder does. Without this, two documents
/// concatenated without `---` would silently merge, the second overwriting the first.
struct StrictValue(Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<StrictValue>()? {
            let key = match key.0 {
                Value::String(s) => s,
                other => other.to_string(),
            };
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate mapping key {key:?}"
                )));
            }
            let StrictValue(value) = map.next_value()?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}
