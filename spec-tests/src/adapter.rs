//! The adapter between the corpus runner and the `gatewright` core: compiles a
//! test's objects into a [`Router`](gatewright::Router) and reports its decisions as [`Observed`](crate::engine::Observed).

use base64::Engine as _;
use gatewright::{Action, Config, Connection, Request, Resources, Router};
use std::collections::BTreeMap;

use serde_json::Value;

use crate::engine::{
    BackendTlsObserved, CaseRequest, Compiled, Engine, Entry, Mirror, Observed, Retry, Timeouts,
    Upstream,
};
use crate::format::MeshEntry;

/// The controller name of the corpus's synthetic GatewayClass.
const CONTROLLER: &str = "gatewright/controller";

/// The Host header a client sends when it has no name for the Gateway: its IP
/// address (TEST-NET-1), which matches no hostname.
const GATEWAY_ADDRESS: &str = "192.0.2.1";

/// The engine the `gatewright-spec` binary runs the corpus against.
pub fn engine() -> impl Engine {
    Gatewright
}

/// Runs the corpus against `gatewright::Router`.
struct Gatewright;

impl Engine for Gatewright {
    fn compile(&self, objects: &[Value]) -> Result<Box<dyn Compiled>, String> {
        let objects: Vec<Value> = objects
            .iter()
            .cloned()
            .map(fill_synthetic_certificate)
            .enumerate()
            .map(|(i, o)| with_creation_time(o, i))
            .collect();
        let text = serde_json::to_string(&objects).map_err(|e| e.to_string())?;
        let resources = Resources::from_json(&text).map_err(|e| e.to_string())?;
        let router = Router::compile_with(&resources, Config::new().controller_name(CONTROLLER))
            .map_err(|e| e.to_string())?;
        let tls = TlsWorld::new(&objects);
        Ok(Box::new(CompiledRouter {
            router,
            tls,
            objects,
        }))
    }
}

/// The corpus describes run-time certificates as Secrets annotated
/// `gatewright.test/synthetic: "true"` with empty data (see its README); give
/// them PEM-shaped data, as the README suggests, so they count as well-formed.
fn fill_synthetic_certificate(mut object: Value) -> Value {
    let synthetic = object
        .pointer("/metadata/annotations/gatewright.test~1synthetic")
        .and_then(Value::as_str)
        == Some("true");
    if synthetic && object.get("kind").and_then(Value::as_str) == Some("Secret") {
        let b64 = |s: &str| Value::String(base64::engine::general_purpose::STANDARD.encode(s));
        if let Some(data) = object.get_mut("data").and_then(Value::as_object_mut) {
            data.insert(
                "tls.crt".into(),
                b64("-----BEGIN CERTIFICATE-----\nc3ludGhldGlj\n-----END CERTIFICATE-----\n"),
            );
            data.insert(
                "tls.key".into(),
                b64("-----BEGIN PRIVATE KEY-----\nc3ludGhldGlj\n-----END PRIVATE KEY-----\n"),
            );
        }
    }
    if synthetic && object.get("kind").and_then(Value::as_str) == Some("ConfigMap") {
        if let Some(data) = object.get_mut("data").and_then(Value::as_object_mut) {
            data.insert(
                "ca.crt".into(),
                Value::String(
                    "-----BEGIN CERTIFICATE-----\nc3ludGhldGlj\n-----END CERTIFICATE-----\n".into(),
                ),
            );
        }
    }
    object
}

/// Which certificate each backend Deployment serves, from the corpus README
/// ("Backend TLS outcomes"): tls-backend and grpc-infra-backend-v1 serve
/// `tls-checks-certificate`, tcp-backend serves `tls-passthrough-checks-certificate`.
const BACKEND_CERTIFICATES: [(&str, &str); 3] = [
    ("tls-backend", "tls-checks-certificate"),
    ("grpc-infra-backend-v1", "tls-checks-certificate"),
    ("tcp-backend", "tls-passthrough-checks-certificate"),
];

/// The one Deployment in `namespace` whose pods carry every label of `selector`
/// (upstream identifies the serving pod by its name prefix, the Deployment name).
fn serving_deployment(
    objects: &[Value],
    namespace: &str,
    selector: Option<&Value>,
) -> Option<String> {
    let selector = selector?.as_object()?;
    if selector.is_empty() {
        return None;
    }
    let mut found = objects.iter().filter(|o| {
        o.get("kind").and_then(Value::as_str) == Some("Deployment")
            && o.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("default")
                == namespace
            && selector
                .iter()
                .all(|(k, v)| o.pointer(&format!("/spec/template/metadata/labels/{k}")) == Some(v))
    });
    let first = found.next()?;
    found.next().is_none().then(|| {
        first
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    })
}

/// A Deployment in `namespace` whose pod labels include `labels`.
fn deployment_with_labels(
    objects: &[Value],
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Option<String> {
    objects
        .iter()
        .find(|o| {
            o.get("kind").and_then(Value::as_str) == Some("Deployment")
                && o.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
                    == namespace
                && labels.iter().all(|(k, v)| {
                    o.pointer(&format!("/spec/template/metadata/labels/{k}"))
                        .and_then(Value::as_str)
                        == Some(v.as_str())
                })
        })
        .and_then(|o| {
            o.pointer("/metadata/name")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
}

/// The CA that signed those certificates.
const BACKEND_CA: &str = "tls-checks-ca-certificate";

/// What the simulated backends present in a TLS handshake.
#[derive(Default)]
struct TlsWorld {
    /// (namespace, Service) → names in the certificate its pods serve.
    certificates: BTreeMap<(String, String), Vec<String>>,
    /// ConfigMap names (any namespace) holding the CA of those certificates.
    trusted_cas: Vec<String>,
    /// (namespace, Service) → the `app` its selector picks (the serving Deployment).
    pods: BTreeMap<(String, String), String>,
}

impl TlsWorld {
    fn new(objects: &[Value]) -> Self {
        let text = |v: &Value, ptr: &str| {
            v.pointer(ptr)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let mut secret_names: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut world = TlsWorld::default();
        for o in objects {
            let kind = text(o, "/kind");
            let name = text(o, "/metadata/name");
            if kind == "Secret" {
                let names = text(
                    o,
                    "/metadata/annotations/gatewright.test~1certificate-names",
                );
                if !names.is_empty() {
                    secret_names.insert(
                        name.clone(),
                        names.split(',').map(|n| n.trim().to_owned()).collect(),
                    );
                }
            }
            let description = text(o, "/metadata/annotations/gatewright.test~1description");
            if kind == "ConfigMap"
                && (name == BACKEND_CA || description.contains(&format!("ConfigMap {BACKEND_CA}")))
            {
                world.trusted_cas.push(name);
            }
        }
        for o in objects {
            if text(o, "/kind") != "Service" {
                continue;
            }
            let app = text(o, "/spec/selector/app");
            let ns = o
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("default")
                .to_owned();
            if let Some(deployment) = serving_deployment(objects, &ns, o.pointer("/spec/selector"))
            {
                world
                    .pods
                    .insert((ns, text(o, "/metadata/name")), deployment);
            }
            if let Some((_, secret)) = BACKEND_CERTIFICATES
                .iter()
                .find(|(deployment, _)| *deployment == app)
            {
                if let Some(names) = secret_names.get(*secret) {
                    let ns = o
                        .pointer("/metadata/namespace")
                        .and_then(Value::as_str)
                        .unwrap_or("default")
                        .to_owned();
                    world
                        .certificates
                        .insert((ns, text(o, "/metadata/name")), names.clone());
                }
            }
        }
        world
    }

    /// Whether the handshake with `service` succeeds under `tls`: the CA is trusted
    /// and the verified names (subjectAltNames, else the hostname) meet the certificate's.
    fn handshake(&self, service: &(String, String), tls: &gatewright::ir::BackendTls) -> bool {
        let Some(names) = self.certificates.get(service) else {
            return false;
        };
        let trusted = tls
            .ca_certificate_refs
            .iter()
            .any(|(_, ca)| self.trusted_cas.contains(ca));
        let wanted: Vec<&str> = if tls.subject_alt_names.is_empty() {
            vec![tls.hostname.as_str()]
        } else {
            tls.subject_alt_names
                .iter()
                .map(|(_, v)| v.as_str())
                .collect()
        };
        let covers = |cert: &str, want: &str| {
            cert == want
                || cert
                    .strip_prefix('*')
                    .is_some_and(|suffix| want.ends_with(suffix) && want.len() > suffix.len())
        };
        trusted && wanted.iter().any(|w| names.iter().any(|n| covers(n, w)))
    }
}

/// The corpus lists objects in creation order (its README) and upstream applies
/// them in that order, so an object without `creationTimestamp` gets one a second
/// after the previous object: the route age tie-break then behaves as in a cluster.
fn with_creation_time(mut object: Value, index: usize) -> Value {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        if !meta.contains_key("creationTimestamp") {
            let secs = index % 86_400;
            let stamp = format!(
                "2026-01-01T{:02}:{:02}:{:02}Z",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            );
            meta.insert("creationTimestamp".into(), Value::String(stamp));
        }
    }
    object
}

struct CompiledRouter {
    router: Router,
    tls: TlsWorld,
    objects: Vec<Value>,
}

impl Compiled for CompiledRouter {
    fn route(&self, entry: &Entry, request: &CaseRequest, entropy: u64) -> Observed {
        let transport = match request.protocol.as_deref() {
            Some("TLS" | "TCP") => Some(Connection::tcp(entry.port)),
            Some("UDP") => Some(Connection::udp(entry.port)),
            _ => None,
        };
        if let Some(conn) = transport {
            let mut conn = conn.gateway(&entry.namespace, &entry.name);
            if let Some(sni) = &request.sni {
                conn = conn.sni(sni);
            }
            return observe(
                self.router.route_connection(&conn, entropy).action,
                request,
                &self.tls,
            );
        }
        let path_and_query = match &request.query {
            Some(q) => format!("{}?{q}", request.path),
            None => request.path.clone(),
        };
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let authority = request.host.as_deref().unwrap_or(GATEWAY_ADDRESS);
        let mut req = Request::new(&request.method, authority, &path_and_query)
            .scheme(&request.scheme)
            .headers(&headers)
            .gateway(&entry.namespace, &entry.name)
            .port(entry.port);
        if let Some(sni) = &request.sni {
            req = req.sni(sni);
        }
        observe(
            self.router.decide_with(&req, entropy).action,
            request,
            &self.tls,
        )
    }

    fn route_mesh(&self, mesh: &MeshEntry, request: &CaseRequest, entropy: u64) -> Observed {
        let to = &mesh.to;
        if let Some(pod) = &to.pod {
            // A connection to a pod IP: no Service frontend, so no mesh route applies.
            let mut observed = Observed {
                status: 200,
                ..Observed::default()
            };
            observed.backend = deployment_with_labels(&self.objects, &pod.namespace, &pod.labels)
                .map(|d| (pod.namespace.clone(), d));
            observed.upstream = Some(unchanged(request));
            return observed;
        }
        let (Some(service), Some(namespace)) = (&to.service, &to.namespace) else {
            return Observed::default();
        };
        let path_and_query = match &request.query {
            Some(q) => format!("{}?{q}", request.path),
            None => request.path.clone(),
        };
        let path_and_query = if path_and_query.is_empty() {
            "/".to_owned()
        } else {
            path_and_query
        };
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        // Without a Host header the client sends the address it dialled.
        let dialled = format!("10.96.0.1:{}", to.port);
        let authority = request.host.as_deref().unwrap_or(&dialled);
        let method = if request.method.is_empty() {
            "POST"
        } else {
            request.method.as_str()
        };
        let req = Request::new(method, authority, &path_and_query)
            .scheme(if request.scheme.is_empty() {
                "http"
            } else {
                &request.scheme
            })
            .headers(&headers)
            .mesh(&mesh.from.namespace, namespace, service, to.port);
        observe(
            self.router.decide_with(&req, entropy).action,
            request,
            &self.tls,
        )
    }

    fn status(&self) -> Vec<Value> {
        serde_json::to_value(&self.router.status().objects)
            .ok()
            .and_then(|v| match v {
                Value::Array(items) => Some(items),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// What a client and backend would observe for an action.
fn observe(action: Action, request: &CaseRequest, world: &TlsWorld) -> Observed {
    let mut observed = Observed::default();
    let mut backend_tls = None;
    {
        match action {
            Action::Connect(c) => {
                backend_tls.clone_from(&c.backend_tls);
                observed.status = 200;
                observed.backend = Some((c.backend.namespace.clone(), c.backend.name.clone()));
                observed.backend_connection = Some(
                    if c.tls_passthrough {
                        "tls"
                    } else {
                        "plaintext"
                    }
                    .to_owned(),
                );
                observed.backend_sni = c.sni.clone();
                // Passthrough forwards the client's bytes: an HTTP request inside arrives unchanged.
                if !request.method.is_empty() {
                    observed.upstream = Some(unchanged(request));
                }
            }
            Action::Forward(f) => {
                backend_tls.clone_from(&f.backend_tls);
                observed.status = 200;
                observed.backend = Some((f.backend.namespace.clone(), f.backend.name.clone()));
                observed.upstream = Some(Upstream {
                    method: f.upstream.method,
                    host: f.upstream.authority,
                    path: f.upstream.path,
                    query: f.upstream.query,
                    headers: f.upstream.headers,
                });
                let mut response = request.backend_response_headers.clone();
                f.response_headers.apply(&mut response);
                observed.response_headers = response;
                observed.mirrors = f
                    .mirrors
                    .iter()
                    .map(|m| Mirror {
                        namespace: m.backend.namespace.clone(),
                        name: m.backend.name.clone(),
                        percent: m.percent,
                    })
                    .collect();
                observed.timeouts = Timeouts {
                    request_ms: f.request_timeout_ms,
                    backend_request_ms: f.backend_request_timeout_ms,
                };
                observed.retry = f.retry.map(|r| Retry {
                    codes: r.codes,
                    attempts: r.attempts,
                    backoff_ms: r.backoff_ms,
                });
            }
            Action::Redirect(r) => {
                observed.status = r.status;
                observed.redirect_location = Some(r.location);
            }
            Action::Respond(r) => {
                observed.status = r.status;
                observed.response_headers = r.headers;
            }
            _ => observed.status = 0,
        }
    }
    observed.backend_pod = observed
        .backend
        .as_ref()
        .and_then(|b| world.pods.get(b).cloned());
    apply_backend_tls(&mut observed, backend_tls, world);
    observed
}

/// Records the BackendTLSPolicy settings and simulates the handshake: a failed
/// one means the backend never sees the request and the gateway answers 502.
fn apply_backend_tls(
    observed: &mut Observed,
    tls: Option<gatewright::ir::BackendTls>,
    world: &TlsWorld,
) {
    let Some(tls) = tls else { return };
    let (ns, name) = tls.policy.split_once('/').unwrap_or(("", &tls.policy));
    observed.backend_tls = Some(BackendTlsObserved {
        policy: (ns.to_owned(), name.to_owned()),
        hostname: tls.hostname.clone(),
        ca_certificate_refs: tls.ca_certificate_refs.clone(),
        subject_alt_names: tls.subject_alt_names.clone(),
    });
    let Some(service) = observed.backend.clone() else {
        return;
    };
    if world.handshake(&service, &tls) {
        observed.backend_connection = Some("tls".to_owned());
        observed.backend_sni = Some(tls.hostname.clone());
    } else {
        observed.status = if observed.backend_connection.is_some() {
            0
        } else {
            502
        };
        observed.backend = None;
        observed.upstream = None;
        observed.backend_connection = None;
    }
}

/// The case's request as the backend receives it when nothing changes it.
fn unchanged(request: &CaseRequest) -> Upstream {
    Upstream {
        method: request.method.clone(),
        host: request.host.clone().unwrap_or_default(),
        path: request.path.clone(),
        query: request.query.clone(),
        headers: request.headers.clone(),
    }
}
