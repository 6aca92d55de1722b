//! The corpus format: serde types for `<Test>/cases.yaml` and the loader for a test's objects.
//!
//! The format is specified in `conformance/gateway-api/README.md` ("`cases.yaml` format"). Every
//! struct denies unknown fields, so a key the runner does not know is a load error rather than a
//! silently ignored expectation.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::engine::{CaseRequest, Entry};

/// A load error: which test, which file, what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// The test (folder name) being loaded; empty for suite-level errors.
    pub test: String,
    /// The file involved.
    pub file: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl FormatError {
    fn new(test: &str, file: &Path, message: impl Into<String>) -> Self {
        FormatError {
            test: test.to_owned(),
            file: file.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.test.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}: {}: {}",
                self.test,
                self.file.display(),
                self.message
            )
        }
    }
}

impl std::error::Error for FormatError {}

/// One test folder: its `cases.yaml` plus the objects it applies.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// Upstream ShortName; equals the folder name.
    pub test: String,
    /// Upstream description.
    pub description: String,
    /// Upstream files the test was derived from.
    pub source: Source,
    /// Upstream feature names the test requires.
    pub features: Vec<String>,
    /// `core` or `extended`.
    pub support: String,
    /// `standard` or `experimental`.
    pub channel: String,
    /// Upstream marks the test provisional.
    pub provisional: bool,
    /// `routing`, `status`, `routing+status` or `simulated`.
    pub offline: String,
    /// Anything a harness must know for this test.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Request/expectation pairs.
    #[serde(default)]
    pub cases: Vec<Case>,
    /// Status assertions.
    #[serde(default)]
    pub status: Vec<StatusAssertion>,
    /// Base objects followed by the test's own manifests, in file order (filled by
    /// [`load_test`], not part of `cases.yaml`).
    #[serde(skip)]
    pub objects: Vec<Value>,
    /// Path of the `cases.yaml` this was read from (filled by [`load_test`]).
    #[serde(skip)]
    pub cases_path: PathBuf,
}

impl TestFile {
    /// `offline: simulated`: outcomes depend on simulated backend behaviour.
    pub fn is_simulated(&self) -> bool {
        self.offline == "simulated"
    }
}

/// `source:` of a test.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Upstream Go test file.
    pub go: String,
    /// Upstream manifest files.
    #[serde(default)]
    pub manifests: Vec<String>,
}

/// One request case.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawCase")]
pub struct Case {
    /// Case name.
    pub name: String,
    /// Entry point for Gateway cases.
    pub gateway: Option<Entry>,
    /// Entry point for mesh (GAMMA) cases.
    pub mesh: Option<MeshEntry>,
    /// Mutations applied to the test's objects for this case only.
    pub mutations: Vec<Mutation>,
    /// The client's request; `request.backend_response_headers` holds the case's
    /// `backend_response_headers`.
    pub request: CaseRequest,
    /// Simulated backend behaviour (timeouts/retries), if any.
    pub backend_behavior: Option<BackendBehavior>,
    /// The expected outcome.
    pub expect: Expect,
}

/// `cases.yaml` shape of a case, before `backend_response_headers` moves into the request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    #[serde(default)]
    gateway: Option<Entry>,
    #[serde(default)]
    mesh: Option<MeshEntry>,
    #[serde(default)]
    mutations: Vec<Mutation>,
    request: CaseRequest,
    #[serde(default, deserialize_with = "de::header_pairs")]
    backend_response_headers: Vec<(String, String)>,
    #[serde(default)]
    backend_behavior: Option<BackendBehavior>,
    expect: Expect,
}

impl From<RawCase> for Case {
    fn from(raw: RawCase) -> Self {
        let mut request = raw.request;
        request.backend_response_headers = raw.backend_response_headers;
        Case {
            name: raw.name,
            gateway: raw.gateway,
            mesh: raw.mesh,
            mutations: raw.mutations,
            request,
            backend_behavior: raw.backend_behavior,
            expect: raw.expect,
        }
    }
}

/// Entry point of a mesh (GAMMA) case: the client workload and what it dialled.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshEntry {
    /// The client pod (first pod matching `labels` in `namespace`).
    pub from: PodSelector,
    /// What the client connected to.
    pub to: MeshTarget,
}

/// A pod chosen by namespace and labels.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodSelector {
    /// Namespace of the pod.
    pub namespace: String,
    /// Labels the pod carries.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// The destination of a mesh case: a Service port, or a pod IP directly.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshTarget {
    /// Service name (Service destinations).
    #[serde(default)]
    pub service: Option<String>,
    /// Service namespace (Service destinations).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Pod destination (no Service frontend intercepts it).
    #[serde(default)]
    pub pod: Option<PodSelector>,
    /// Port dialled.
    pub port: u16,
}

/// `backend_behavior:` of a simulated case; durations in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendBehavior {
    /// The backend waits this long before answering every attempt.
    #[serde(default, deserialize_with = "de::duration_ms")]
    pub delay: Option<u64>,
    /// Failing attempts answer with this status.
    #[serde(default)]
    pub fail_with_status: Option<u16>,
    /// How failing attempts fail when there is no status (`connection-reset`).
    #[serde(default)]
    pub fail_with: Option<String>,
    /// The first N attempts fail, attempt N+1 succeeds.
    #[serde(default)]
    pub succeed_after_failures: Option<u32>,
    /// Each failing attempt waits this long before failing.
    #[serde(default, deserialize_with = "de::duration_ms")]
    pub delay_failed_attempts: Option<u64>,
}

/// `expect:` of a case. Exactly one outcome key (`status`, `status_other_than`, `grpc_status`,
/// `grpc_status_other_than`, `connection`) is given in the corpus.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Acceptable HTTP statuses (`status: 200` or `status: [200, 204]`).
    #[serde(default, deserialize_with = "de::status_codes")]
    pub status: Option<Vec<u16>>,
    /// Any HTTP response except these statuses (a rejected connection does not count).
    #[serde(default)]
    pub status_other_than: Option<Vec<u16>>,
    /// gRPC status name (`OK`, `Unimplemented`).
    #[serde(default)]
    pub grpc_status: Option<String>,
    /// Any gRPC status except these names.
    #[serde(default)]
    pub grpc_status_other_than: Option<Vec<String>>,
    /// `accepted` or `rejected` (TLS/TCP/UDP and handshake outcomes).
    #[serde(default)]
    pub connection: Option<String>,
    /// Which backend must receive the request (absent / `null` / a Service).
    #[serde(default, deserialize_with = "de::backend_expectation")]
    pub backend: BackendExpectation,
    /// The request as the backend must see it.
    #[serde(default)]
    pub request: Option<ExpectedRequest>,
    /// Response headers the client must see.
    #[serde(default)]
    pub response: Option<ExpectedResponse>,
    /// The parsed `Location` of a redirect.
    #[serde(default)]
    pub redirect: Option<ExpectedRedirect>,
    /// Mirror targets.
    #[serde(default)]
    pub mirrored_to: Vec<ExpectedMirror>,
    /// Expected traffic split, checked by sampling.
    #[serde(default)]
    pub weighted_backends: Vec<WeightedBackend>,
    /// Sample count and tolerance for `weighted_backends`.
    #[serde(default)]
    pub distribution_check: Option<DistributionCheck>,
    /// Alternatives: the request may reach any of these backends, with that alternative's
    /// request expectations.
    #[serde(default)]
    pub one_of: Vec<Alternative>,
    /// `tls` or `plaintext`: what the backend receives (TLSRoute/TCPRoute).
    #[serde(default)]
    pub backend_connection: Option<String>,
    /// SNI the backend sees (TLSRoute/BackendTLSPolicy).
    #[serde(default)]
    pub backend_sni: Option<String>,
    /// BackendTLSPolicy expectations, kept as raw data.
    #[serde(default)]
    pub backend_tls: Option<Value>,
    /// Expectation keys upstream never compares (`backend`, `redirect`, `request.headers`,
    /// `request.path`); the checker skips them.
    #[serde(default)]
    pub not_asserted_upstream: Vec<String>,
}

/// `expect.backend`: absent, `null`, or a Service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BackendExpectation {
    /// Key absent: the backend is not checked.
    #[default]
    Unchecked,
    /// `backend: null`: the gateway answers itself; no backend sees the request.
    GatewayAnswers,
    /// This Service must receive the request.
    Service(ExpectedBackend),
}

/// A backend Service; `name` absent = only the namespace is checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedBackend {
    /// Namespace of the Service.
    pub namespace: String,
    /// Name of the Service, when upstream checked it.
    #[serde(default)]
    pub name: Option<String>,
    /// Deployment whose pods serve the Service (HTTPRouteServiceTypes); informational.
    #[serde(default)]
    pub pods: Option<String>,
}

/// `expect.request`: the request as the backend sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRequest {
    /// Path after filters.
    #[serde(default)]
    pub path: Option<String>,
    /// Query after filters.
    #[serde(default)]
    pub query: Option<String>,
    /// Host header after filters (checked only when given).
    #[serde(default)]
    pub host: Option<String>,
    /// Method after filters.
    #[serde(default)]
    pub method: Option<String>,
    /// Headers that must be present with these (comma-joined) values.
    #[serde(default, deserialize_with = "de::header_pairs")]
    pub headers: Vec<(String, String)>,
    /// Headers that must not be present.
    #[serde(default)]
    pub absent_headers: Vec<String>,
}

/// `expect.response`: response headers the client sees.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedResponse {
    /// Headers that must be present with these values.
    #[serde(default, deserialize_with = "de::header_pairs")]
    pub headers: Vec<(String, String)>,
    /// Headers that must be present with any of the listed values.
    #[serde(default, deserialize_with = "de::header_lists")]
    pub headers_one_of: Vec<(String, Vec<String>)>,
    /// Headers that must not be present.
    #[serde(default)]
    pub absent_headers: Vec<String>,
    /// Compare values with all spaces removed.
    #[serde(default)]
    pub ignore_whitespace_in_header_values: bool,
}

/// `expect.redirect`: the parsed `Location`; see the README for the missing-key rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRedirect {
    /// Scheme; absent = the request's scheme.
    #[serde(default)]
    pub scheme: Option<String>,
    /// Host; absent = not checked.
    #[serde(default)]
    pub host: Option<String>,
    /// Port as a string; absent = no port or the scheme's default port.
    #[serde(default, deserialize_with = "de::opt_scalar")]
    pub port: Option<String>,
    /// Path; absent = the request's path.
    #[serde(default)]
    pub path: Option<String>,
}

/// One `mirrored_to` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedMirror {
    /// Namespace of the mirror Service.
    pub namespace: String,
    /// Name of the mirror Service.
    pub name: String,
    /// Expected mirroring probability in percent; absent = always (100).
    #[serde(default)]
    pub percent: Option<f64>,
}

/// One `weighted_backends` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedBackend {
    /// Namespace of the Service.
    pub namespace: String,
    /// Name of the Service.
    pub name: String,
    /// Expected share of traffic (0.0 = never).
    pub fraction: f64,
}

/// `distribution_check`: how to sample a weighted split.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionCheck {
    /// Number of requests.
    pub samples: u32,
    /// Allowed absolute deviation of each fraction.
    pub tolerance: f64,
}

/// One `one_of` alternative.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    /// The backend of this alternative.
    pub backend: ExpectedBackend,
    /// What that backend must see.
    #[serde(default)]
    pub request: Option<ExpectedRequest>,
}

/// A change to the test's objects for one case or status entry.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Mutation {
    /// Remove the object.
    Delete {
        /// Object kind.
        kind: String,
        /// Object namespace (empty for cluster-scoped objects).
        #[serde(default)]
        namespace: String,
        /// Object name.
        name: String,
    },
    /// Set the dotted `path` of the object to `value`.
    Set {
        /// Object kind.
        kind: String,
        /// Object namespace (empty for cluster-scoped objects).
        #[serde(default)]
        namespace: String,
        /// Object name.
        name: String,
        /// Dotted path, e.g. `spec.listeners`.
        path: String,
        /// New value.
        value: Value,
    },
    /// Append a new object.
    Create {
        /// The object.
        object: Value,
    },
}

/// One status assertion (`status:` entry). The keys present decide what is checked; see the
/// README ("Status assertions").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusAssertion {
    /// Kind of the object whose status is checked.
    pub kind: String,
    /// Namespace of the object.
    pub namespace: String,
    /// Name of the object.
    pub name: String,
    /// Mutations applied for this entry only.
    #[serde(default)]
    pub mutations: Vec<Mutation>,
    /// Route parent: `conditions` apply to this parent's status entry.
    #[serde(default)]
    pub parent: Option<ObjectRef>,
    /// Policy ancestor: `conditions` apply to this ancestor's status entry.
    #[serde(default)]
    pub ancestor: Option<ObjectRef>,
    /// Conditions (of the parent, the ancestor, or else the object itself).
    #[serde(default, deserialize_with = "de::conditions")]
    pub conditions: Option<Vec<ExpectedCondition>>,
    /// No parent accepted the route.
    #[serde(default)]
    pub no_accepted_parents: Option<bool>,
    /// Every listener has these conditions.
    #[serde(default, deserialize_with = "de::conditions")]
    pub all_listeners_conditions: Option<Vec<ExpectedCondition>>,
    /// The named listeners have these conditions.
    #[serde(default)]
    pub listener_conditions: Option<ListenerConditions>,
    /// The exact listener list.
    #[serde(default)]
    pub listeners: Option<Vec<ExpectedListener>>,
    /// No listener status, or exactly one listener with zero attached routes.
    #[serde(default)]
    pub zero_attached_routes: Option<bool>,
    /// `status.attachedListenerSets`.
    #[serde(default, rename = "attachedListenerSets")]
    pub attached_listener_sets: Option<u32>,
}

/// A parent or ancestor reference (group defaults by kind when absent).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    /// API group, when given.
    #[serde(default)]
    pub group: Option<String>,
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// One expected condition: `type: "Status"` or `type: "Status/Reason"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedCondition {
    /// Condition type.
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Reason, when upstream checks it.
    pub reason: Option<String>,
}

/// `listener_conditions:` of a status entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConditions {
    /// Listener names.
    pub listeners: Vec<String>,
    /// Conditions each of them must have.
    #[serde(deserialize_with = "de::conditions_required")]
    pub conditions: Vec<ExpectedCondition>,
}

/// One entry of an exact `listeners:` list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedListener {
    /// Listener name.
    pub name: String,
    /// Kinds (group `gateway.networking.k8s.io`) that must be listed; empty = none listed.
    #[serde(default, rename = "supportedKinds")]
    pub supported_kinds: Option<Vec<String>>,
    /// Conditions the listener must have.
    #[serde(default, deserialize_with = "de::conditions")]
    pub conditions: Option<Vec<ExpectedCondition>>,
    /// Exact `attachedRoutes`.
    #[serde(default, rename = "attachedRoutes")]
    pub attached_routes: Option<u32>,
}

/// The test folders of a corpus: subdirectories containing `cases.yaml`, sorted by name.
pub fn discover_tests(corpus_dir: &Path) -> Result<Vec<String>, FormatError> {
    let entries = fs::read_dir(corpus_dir)
        .map_err(|e| FormatError::new("", corpus_dir, format!("cannot list corpus: {e}")))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| FormatError::new("", corpus_dir, format!("cannot list: {e}")))?;
        if entry.path().join("cases.yaml").is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Load `<corpus_dir>/<test_name>/cases.yaml` and the test's objects: `base/manifests.yaml`,
/// `base/runtime-objects.yaml`, `base/mesh-manifests.yaml` (`Mesh*` tests only) and the test's
/// `manifests.yaml`.
pub fn load_test(corpus_dir: &Path, test_name: &str) -> Result<TestFile, FormatError> {
    let cases_path = corpus_dir.join(test_name).join("cases.yaml");
    let text = read(test_name, &cases_path)?;
    let mut test: TestFile = serde_norway::from_str(&text)
        .map_err(|e| FormatError::new(test_name, &cases_path, e.to_string()))?;
    if test.test != test_name {
        let message = format!("`test: {}` does not match the folder name", test.test);
        return Err(FormatError::new(test_name, &cases_path, message));
    }
    let mut files = vec![
        corpus_dir.join("base").join("manifests.yaml"),
        corpus_dir.join("base").join("runtime-objects.yaml"),
    ];
    if test_name.starts_with("Mesh") {
        files.push(corpus_dir.join("base").join("mesh-manifests.yaml"));
    }
    files.push(corpus_dir.join(test_name).join("manifests.yaml"));
    for file in &files {
        let text = read(test_name, file)?;
        let docs = parse_documents(&text).map_err(|e| FormatError::new(test_name, file, e))?;
        test.objects.extend(docs);
    }
    test.cases_path = cases_path;
    Ok(test)
}

/// The objects to compile for one case or status entry: the test's objects with `mutations`
/// applied in order.
pub fn objects_for(test: &TestFile, mutations: &[Mutation]) -> Result<Vec<Value>, FormatError> {
    let mut objects = test.objects.clone();
    for mutation in mutations {
        apply_mutation(&mut objects, mutation)
            .map_err(|e| FormatError::new(&test.test, &test.cases_path, e))?;
    }
    Ok(objects)
}

/// Parse a multi-document YAML stream into JSON values, skipping empty documents.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (index, document) in serde_norway::Deserializer::from_str(text).enumerate() {
        let value =
            Value::deserialize(document).map_err(|e| format!("YAML document {index}: {e}"))?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

/// Apply one mutation to an object list.
pub fn apply_mutation(objects: &mut Vec<Value>, mutation: &Mutation) -> Result<(), String> {
    match mutation {
        Mutation::Delete {
            kind,
            namespace,
            name,
        } => {
            let index = find_object(objects, kind, namespace, name)?;
            objects.remove(index);
        }
        Mutation::Set {
            kind,
            namespace,
            name,
            path,
            value,
        } => {
            let index = find_object(objects, kind, namespace, name)?;
            set_path(&mut objects[index], path, value.clone())
                .map_err(|e| format!("set {kind} {namespace}/{name} {path}: {e}"))?;
        }
        Mutation::Create { object } => {
            if !object.is_object() {
                return Err("create: `object` is not a mapping".to_owned());
            }
            objects.push(object.clone());
        }
    }
    Ok(())
}

/// Index of the object with this kind, namespace (empty = none) and name.
fn find_object(
    objects: &[Value],
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<usize, String> {
    objects
        .iter()
        .position(|o| {
            let meta = &o["metadata"];
            o["kind"].as_str() == Some(kind)
                && meta["name"].as_str() == Some(name)
                && meta["namespace"].as_str().unwrap_or("") == namespace
        })
        .ok_or_else(|| format!("mutation target {kind} {namespace}/{name} not found"))
}

/// Set a dotted path (`spec.validation.caCertificateRefs`), creating missing mappings.
fn set_path(object: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut keys: Vec<&str> = path.split('.').collect();
    let last = keys.pop().filter(|k| !k.is_empty()).ok_or("empty path")?;
    let mut cursor = object;
    for key in keys {
        let map = cursor
            .as_object_mut()
            .ok_or_else(|| format!("`{key}`: parent is not a mapping"))?;
        cursor = map
            .entry(key)
            .or_insert_with(|| Value::Object(Default::default()));
    }
    let map = cursor
        .as_object_mut()
        .ok_or_else(|| format!("`{last}`: parent is not a mapping"))?;
    map.insert(last.to_owned(), value);
    Ok(())
}

fn read(test: &str, path: &Path) -> Result<String, FormatError> {
    fs::read_to_string(path).map_err(|e| FormatError::new(test, path, format!("cannot read: {e}")))
}

/// Parse a Gateway API duration (`1s`, `300ms`, `1h2m`, `0s`) into milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let err = || format!("invalid duration `{text}`");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(err());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
        let number: u64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "h" => 3_600_000,
            "m" => 60_000,
            "s" => 1_000,
            "ms" => 1,
            _ => return Err(err()),
        };
        total = number
            .checked_mul(factor)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(err)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// Parse a condition value `"True"` or `"False/Reason"`.
pub fn parse_condition(type_: &str, value: &str) -> ExpectedCondition {
    let (status, reason) = match value.split_once('/') {
        Some((status, reason)) => (status, Some(reason.to_owned())),
        None => (value, None),
    };
    ExpectedCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason,
    }
}

/// Deserialization helpers for the shapes `cases.yaml` uses.
pub(crate) mod de {
    use std::fmt;

    use serde::de::{Deserializer, Error, MapAccess, Visitor};
    use serde::Deserialize;

    use super::{
        parse_condition, parse_duration_ms, BackendExpectation, ExpectedBackend, ExpectedCondition,
    };

    /// A YAML scalar read as text (`8080`, `true` and `one` all become strings).
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Unsigned(u64),
        Signed(i64),
        Float(f64),
        Bool(bool),
    }

    impl Scalar {
        fn into_string(self) -> String {
            match self {
                Scalar::Text(s) => s,
                Scalar::Unsigned(n) => n.to_string(),
                Scalar::Signed(n) => n.to_string(),
                Scalar::Float(n) => n.to_string(),
                Scalar::Bool(true) => "True".to_owned(),
                Scalar::Bool(false) => "False".to_owned(),
            }
        }
    }

    /// An optional scalar as text.
    pub(crate) fn opt_scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Scalar>::deserialize(d)?.map(Scalar::into_string))
    }

    /// A mapping read as ordered `(key, value)` pairs.
    fn ordered_map<'de, D, V>(d: D) -> Result<Vec<(String, V)>, D::Error>
    where
        D: Deserializer<'de>,
        V: Deserialize<'de>,
    {
        struct PairVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for PairVisitor<V> {
            type Value = Vec<(String, V)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((key, value)) = map.next_entry::<Scalar, V>()? {
                    out.push((key.into_string(), value));
                }
                Ok(out)
            }
        }
        d.deserialize_any(PairVisitor(std::marker::PhantomData))
    }

    /// `{Name: value, ...}` as ordered pairs with text values.
    pub(crate) fn header_pairs<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, String)>, D::Error> {
        let pairs: Vec<(String, Scalar)> = ordered_map(d)?;
        Ok(pairs
            .into_iter()
            .map(|(k, v)| (k, v.into_string()))
            .collect())
    }

    /// `{Name: [v1, v2], ...}` as ordered pairs.
    pub(crate) fn header_lists<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, Vec<String>)>, D::Error> {
        let pairs: Vec<(String, Vec<Scalar>)> = ordered_map(d)?;
        Ok(pairs
            .into_iter()
            .map(|(k, vs)| (k, vs.into_iter().map(Scalar::into_string).collect()))
            .collect())
    }

    /// `{Type: "Status[/Reason]", ...}`.
    pub(crate) fn conditions_required<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<ExpectedCondition>, D::Error> {
        let pairs: Vec<(String, Scalar)> = ordered_map(d)?;
        Ok(pairs
            .into_iter()
            .map(|(type_, value)| parse_condition(&type_, &value.into_string()))
            .collect())
    }

    /// Optional `{Type: "Status[/Reason]", ...}`.
    pub(crate) fn conditions<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<ExpectedCondition>>, D::Error> {
        conditions_required(d).map(Some)
    }

    /// `200` or `[200, 204]`.
    pub(crate) fn status_codes<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u16>>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(u16),
            Many(Vec<u16>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(code) => Some(vec![code]),
            OneOrMany::Many(codes) => Some(codes),
        })
    }

    /// A Gateway API duration string in milliseconds.
    pub(crate) fn duration_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration_ms(&text).map(Some).map_err(D::Error::custom)
    }

    /// `backend:` present: `null` = the gateway answers, a mapping = a Service.
    pub(crate) fn backend_expectation<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BackendExpectation, D::Error> {
        Ok(match Option::<ExpectedBackend>::deserialize(d)? {
            None => BackendExpectation::GatewayAnswers,
            Some(backend) => BackendExpectation::Service(backend),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::format::Mutation;
    use crate::runner::load_skips;

    fn corpus() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/gateway-api")
    }

    fn find<'a>(
        objects: &'a [Value],
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<&'a Value> {
        find_object(objects, kind, namespace, name)
            .ok()
            .map(|i| &objects[i])
    }

    /// Check that a mutation list did what it says on the loaded objects.
    fn assert_applied(test: &TestFile, mutations: &[Mutation]) {
        let objects = objects_for(test, mutations).unwrap_or_else(|e| panic!("{e}"));
        for mutation in mutations {
            match mutation {
                Mutation::Delete {
                    kind,
                    namespace,
                    name,
                } => {
                    assert!(
                        find(&objects, kind, namespace, name).is_none(),
                        "{}: {kind} {name} not deleted",
                        test.test
                    );
                }
                Mutation::Set {
                    kind,
                    namespace,
                    name,
                    path,
                    value,
                } => {
                    let object = find(&objects, kind, namespace, name).unwrap();
                    let pointer = format!("/{}", path.replace('.', "/"));
                    assert_eq!(
                        object.pointer(&pointer),
                        Some(value),
                        "{}: {path} not set",
                        test.test
                    );
                }
                Mutation::Create { object } => {
                    assert!(objects.contains(object), "{}: not created", test.test)
                }
            }
        }
    }

    #[test]
    fn every_corpus_test_loads() {
        let names = discover_tests(&corpus()).unwrap();
        assert_eq!(names.len(), 149);
        let (mut cases, mut status, mut mutated) = (0, 0, 0);
        for name in &names {
            let test = load_test(&corpus(), name).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                test.objects.len() > 40,
                "{name}: only {} objects",
                test.objects.len()
            );
            assert!(
                test.objects.iter().all(|o| o["kind"].is_string()),
                "{name}: object without kind"
            );
            cases += test.cases.len();
            status += test.status.len();
            for mutations in test
                .cases
                .iter()
                .map(|c| &c.mutations)
                .chain(test.status.iter().map(|s| &s.mutations))
            {
                mutated += usize::from(!mutations.is_empty());
                assert_applied(&test, mutations);
            }
            for case in &test.cases {
                let e = &case.expect;
                let outcomes = [
                    e.status.is_some(),
                    e.status_other_than.is_some(),
                    e.grpc_status.is_some(),
                    e.grpc_status_other_than.is_some(),
                    e.connection.is_some(),
                ];
                assert_eq!(
                    outcomes.iter().filter(|o| **o).count(),
                    1,
                    "{name}: {}",
                    case.name
                );
                assert!(
                    case.gateway.is_some() != case.mesh.is_some(),
                    "{name}: {}",
                    case.name
                );
            }
        }
        assert_eq!((cases, status), (540, 413));
        assert_eq!(mutated, 9);
    }

    #[test]
    fn mesh_tests_load_mesh_base() {
        let mesh = load_test(&corpus(), "MeshBasic").unwrap();
        let plain = load_test(&corpus(), "HTTPRouteMatching").unwrap();
        assert!(find(&mesh.objects, "Service", "gateway-conformance-mesh", "echo").is_some());
        assert!(find(
            &plain.objects,
            "Service",
            "gateway-conformance-mesh",
            "echo"
        )
        .is_none());
    }

    #[test]
    fn backend_response_headers_reach_the_request() {
        let test = load_test(&corpus(), "HTTPRouteResponseHeaderModifier").unwrap();
        assert!(test
            .cases
            .iter()
            .any(|c| !c.request.backend_response_headers.is_empty()));
    }

    #[test]
    fn mutation_errors_name_the_test_and_file() {
        let test = load_test(&corpus(), "HTTPRouteReferenceGrant").unwrap();
        let bad = Mutation::Delete {
            kind: "Gateway".into(),
            namespace: "x".into(),
            name: "y".into(),
        };
        let err = objects_for(&test, &[bad]).unwrap_err();
        assert_eq!(err.test, "HTTPRouteReferenceGrant");
        assert!(
            err.to_string()
                .contains("cases.yaml: mutation target Gateway x/y not found"),
            "{err}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("1s"), Ok(1000));
        assert_eq!(parse_duration_ms("300ms"), Ok(300));
        assert_eq!(parse_duration_ms("1h2m3s4ms"), Ok(3_723_004));
        assert_eq!(parse_duration_ms("0s"), Ok(0));
        assert!(parse_duration_ms("1.5s").is_err());
        assert!(parse_duration_ms("10").is_err());
    }

    #[test]
    fn skip_file_never_skips_core_http_tests() {
        let skips = load_skips(&corpus().with_extension("skips.toml")).unwrap();
        let names = discover_tests(&corpus()).unwrap();
        // Issue #2's acceptance: every HTTPRoute* and Gateway* test runs.
        for name in skips.keys() {
            assert!(names.contains(name), "skip list names unknown test {name}");
            assert!(
                !name.starts_with("HTTPRoute") && !name.starts_with("Gateway"),
                "{name} must not be skipped"
            );
        }
        assert!(
            skips.values().all(|r| !r.trim().is_empty()),
            "every skip needs a reason"
        );
    }
}
