//! A spec-literal reference resolver for policy attachment: `SEMANTICS.md` (the copy vendored
//! beside the corpus in `conformance/policy/`) sections 3–7, transcribed rule by rule.
//!
//! It works from a corpus case as plain JSON (`manifests`, `options`, `policyKinds`; format in
//! `conformance/policy/README.md`) and answers in the corpus's own shapes, so that its output can
//! be compared both with the corpus expectations and with [`gatewright::policy::PolicySet`]:
//!
//! * [`Reference::policies`]: `expect.policies` (accepted, targets, ancestors; only `accepted`
//!   and a `note` for a policy that is itself Invalid),
//! * [`Reference::effective`]: one `expect.effective` entry (spec, fields, discarded, rejected),
//! * [`Reference::maximal_paths`]: the maximal paths of §4 as corpus `path` objects.
//!
//! Nothing from the engine's resolver is used. The code is deliberately slow and plain: every
//! question re-reads the manifests, the effective policy builds its list of layers, sorts it with
//! the §5.2 comparators, and runs the two passes of §5.3/§5.4 over a `Vec` of
//! (pointer, value, owner) entries, recording each discard as it happens (§6); status enumerates
//! the maximal paths, computes the effective policy of every kind on each, and tallies wins and
//! losses per policy and Gateway (§7.2).
//!
//! Where the text leaves room, the reference reads it as follows:
//!
//! * §1: "leaf" depends on `mergeDepth` everywhere, also in §3.1's "has a leaf" (with
//!   `top-level`, `{timeout: {}}` has the leaf `/timeout`).
//! * §3.2 step 4 with `missingTargets: ignore`: "dropped without a result" means no `targets`
//!   entry; a missing *section* (step 5) is still TargetNotFound.
//! * §6 overrides pass: "its overlapping leaf" is the first leaf of the applied layer, in pointer
//!   order, that overlaps the loser. Pointer order compares unescaped tokens.
//! * §5.5: a `null` leaf creates no parent objects in `spec`.
//! * README `ancestors` "sorted by namespace/name": by the `namespace/name` text, as identities
//!   and `overriddenBy` are compared everywhere else (§5.2).
//!
//! ```
//! use gatewright_spec::reference_policy::Reference;
//! let case: serde_json::Value = serde_norway::from_str(r#"
//! manifests:
//! - {apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: {namespace: infra, name: gw},
//!    spec: {gatewayClassName: example, listeners: [{name: http, port: 80, protocol: HTTP}]}}
//! - apiVersion: policies.example.com/v1
//!   kind: TrafficPolicy
//!   metadata: {namespace: infra, name: base, creationTimestamp: '2025-01-01T00:00:00Z'}
//!   spec:
//!     targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
//!     defaults: {timeout: 10s}
//! "#).unwrap();
//! let reference = Reference::new(&case).unwrap();
//! let path = serde_json::json!({"gateway": "infra/gw", "listener": "http"});
//! let effective = reference.effective("TrafficPolicy", &path).unwrap();
//! assert_eq!(effective["spec"], serde_json::json!({"timeout": "10s"}));
//! assert_eq!(reference.policies()["infra/base"]["accepted"], "Accepted");
//! ```

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

/// The API group of GatewayClass, Gateway and HTTPRoute (§3.2 step 1).
const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// §2.3: every option, its default first, then its alternatives. `crossNamespaceRefs:
/// reference-grant` is reserved (§2.3, D14) and has no rules to transcribe, so only `reject`
/// exists.
const OPTIONS: [(&str, &[&str]); 8] = [
    ("sameLevelPrecedence", &["oldest", "gep713-established"]),
    ("sameTargetConflicts", &["resolve", "reject"]),
    ("defaultStrategy", &["atomic", "merge"]),
    ("strategyAuthority", &["layer", "child"]),
    ("mergeDepth", &["deep", "top-level"]),
    ("missingTargets", &["report", "ignore"]),
    ("legacyTargetRef", &["reject-both", "prefer-single"]),
    ("crossNamespaceRefs", &["reject"]),
];

/// §1 "Level": names, least to most specific; a level is an index into this array.
const LEVELS: [&str; 7] = [
    "GatewayClass",
    "Gateway",
    "Listener",
    "HTTPRoute",
    "HTTPRouteRule",
    "Service",
    "ServicePort",
];

/// The reference resolver for one corpus case.
#[derive(Debug)]
pub struct Reference {
    /// `manifests`, as written.
    manifests: Vec<Value>,
    /// Option name → value, every option present (§2.3 defaults filled in).
    options: Vec<(String, String)>,
    /// `policyKinds`, as written.
    policy_kinds: Map<String, Value>,
    /// Every policy after §3 (validation, reference resolution, same-node conflicts).
    policies: Vec<Policy>,
}

/// §1 "Node": a targetable thing. Strings are namespace, name, section.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    GatewayClass(String),
    Gateway(String, String),
    Listener(String, String, String),
    HttpRoute(String, String),
    /// Only named rules are nodes anyone can target (G995, §3.2 step 5).
    HttpRouteRule(String, String, String),
    Service(String, String),
    ServicePort(String, String, String),
}

impl Node {
    /// §1 "Level".
    fn level(&self) -> usize {
        match self {
            Node::GatewayClass(..) => 0,
            Node::Gateway(..) => 1,
            Node::Listener(..) => 2,
            Node::HttpRoute(..) => 3,
            Node::HttpRouteRule(..) => 4,
            Node::Service(..) => 5,
            Node::ServicePort(..) => 6,
        }
    }
}

/// §7.1: the result of one target reference.
#[derive(Clone, Debug)]
enum RefResult {
    Attached(Node),
    TargetNotFound,
    Invalid,
    /// §3.3: lost the node to policy `by`.
    Conflicted {
        node: Node,
        by: String,
    },
    /// §3.2 step 4 with `missingTargets: ignore`: dropped without a result.
    Ignored,
}

/// One target reference and its result.
#[derive(Clone, Debug)]
struct TargetRef {
    /// `Kind/name[#section]` (README `targets[].ref`).
    label: String,
    result: RefResult,
}

/// A leaf (§1): a JSON Pointer as its unescaped tokens, and the value there.
type Leaf = (Vec<String>, Value);

/// A policy after §3.
#[derive(Clone, Debug)]
struct Policy {
    kind: String,
    /// `{namespace}/{name}`, `/{name}` when cluster-scoped (README; §5.2).
    id: String,
    /// `None` when cluster-scoped (§2.2: absent or empty namespace).
    namespace: Option<String>,
    /// Nanoseconds since the epoch (§3.1: required).
    timestamp: Option<i128>,
    /// §3.1: why the policy itself is Invalid.
    invalid: Option<&'static str>,
    refs: Vec<TargetRef>,
    /// `true` for a direct kind (§1 "Policy kind").
    direct: bool,
    /// Inherited kinds: `strategy`, or the option `defaultStrategy` (§2.2, D3).
    strategy: String,
    /// Inherited kinds: leaves of `defaults` and `overrides`; direct kinds: the spec proper
    /// as the `defaults` entry (§1 "Layer").
    defaults: Vec<Leaf>,
    overrides: Vec<Leaf>,
}

/// §1 "Layer": what one attachment contributes on a path.
#[derive(Clone, Debug)]
struct Layer {
    policy: String,
    /// `defaults`, `overrides` or `spec`.
    stanza: &'static str,
    level: usize,
    strategy: String,
    timestamp: i128,
    leaves: Vec<Leaf>,
}

impl Layer {
    fn is_override(&self) -> bool {
        self.stanza == "overrides"
    }
}

/// One leaf of the result `R` of §5.3/§5.4, with the index of its owning layer.
#[derive(Clone, Debug)]
struct Entry {
    pointer: Vec<String>,
    value: Value,
    owner: usize,
}

/// A maximal path with what §7.2 needs: its Gateway (`namespace/name`), its nodes, and the
/// effective policy of every kind on it.
#[derive(Debug)]
struct PathOutcome {
    gateway: String,
    nodes: Vec<Node>,
    effective: Vec<(String, Value)>,
}

/// A path (§4): a Gateway and then, optionally, each further node; the corpus `path` object.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Path {
    gateway: (String, String),
    listener: Option<String>,
    route: Option<(String, String)>,
    /// The rule's name, or its 0-based index when unnamed (README `path.rule`).
    rule: Option<Result<String, usize>>,
    service: Option<(String, String)>,
    port: Option<String>,
}

impl Path {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        let qualified = |(ns, name): &(String, String)| Value::String(format!("{ns}/{name}"));
        m.insert("gateway".into(), qualified(&self.gateway));
        if let Some(l) = &self.listener {
            m.insert("listener".into(), l.clone().into());
        }
        if let Some(r) = &self.route {
            m.insert("route".into(), qualified(r));
        }
        match &self.rule {
            Some(Ok(name)) => {
                m.insert("rule".into(), name.clone().into());
            }
            Some(Err(index)) => {
                m.insert("rule".into(), (*index).into());
            }
            None => {}
        }
        if let Some(s) = &self.service {
            m.insert("service".into(), qualified(s));
        }
        if let Some(p) = &self.port {
            m.insert("port".into(), p.clone().into());
        }
        Value::Object(m)
    }

    fn from_json(v: &Value) -> Result<Path, String> {
        let s = |k: &str| v.get(k).and_then(Value::as_str);
        let split = |t: &str| -> Result<(String, String), String> {
            t.split_once('/')
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .ok_or_else(|| format!("{t} is not namespace/name"))
        };
        Ok(Path {
            gateway: split(s("gateway").ok_or("path without gateway")?)?,
            listener: s("listener").map(str::to_owned),
            route: s("route").map(split).transpose()?,
            rule: match v.get("rule") {
                None => None,
                Some(Value::String(name)) => Some(Ok(name.clone())),
                Some(other) => Some(Err(other
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .ok_or_else(|| format!("rule {other} is neither a name nor an index"))?)),
            },
            service: s("service").map(split).transpose()?,
            port: s("port").map(str::to_owned),
        })
    }
}

// === helpers: reading manifests ===

/// The value at a path of object keys.
fn at<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |v, k| v.get(k))
}

fn str_at<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    at(v, keys).and_then(Value::as_str)
}

fn array_at<'a>(v: &'a Value, keys: &[&str]) -> &'a [Value] {
    at(v, keys)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The namespace of an object; `None` when absent or empty (§2.2).
fn namespace_of(v: &Value) -> Option<String> {
    str_at(v, &["metadata", "namespace"])
        .filter(|ns| !ns.is_empty())
        .map(str::to_owned)
}

/// README "manifests": these four kinds are routing resources, every other object is a policy.
fn is_routing_kind(kind: &str) -> bool {
    matches!(kind, "GatewayClass" | "Gateway" | "HTTPRoute" | "Service")
}

/// RFC 6901 pointer text for unescaped tokens.
fn pointer_text(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// §1 "Overlap": one pointer equals, or is a whole-token prefix of, the other.
fn overlaps(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// §6 "Pointer order": token sequences compared lexicographically, byte order per token, a
/// prefix first. (`Vec<String>`'s `Ord` is exactly that.)
fn pointer_order(a: &[String], b: &[String]) -> Ordering {
    a.cmp(b)
}

/// §1 "Leaf / field": non-empty objects are descended into; scalars, arrays and `null` are
/// leaves; empty objects contribute nothing. With `mergeDepth: top-level` every top-level key is
/// one leaf whatever its value. Returned in pointer order.
fn leaves(value: &Value, top_level: bool) -> Vec<Leaf> {
    fn descend(prefix: &mut Vec<String>, value: &Value, out: &mut Vec<Leaf>) {
        match value {
            Value::Object(m) => {
                for (k, v) in m {
                    prefix.push(k.clone());
                    descend(prefix, v, out);
                    prefix.pop();
                }
            }
            leaf => out.push((prefix.clone(), leaf.clone())),
        }
    }
    let mut out = Vec::new();
    if let Value::Object(m) = value {
        for (k, v) in m {
            if top_level {
                out.push((vec![k.clone()], v.clone()));
            } else {
                descend(&mut vec![k.clone()], v, &mut out);
            }
        }
    }
    out.sort_by(|a, b| pointer_order(&a.0, &b.0));
    out
}

/// RFC 3339 `date-time` → nanoseconds since the epoch (§3.1 "missing or unparsable").
fn parse_timestamp(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i128> {
        let digits = b.get(from..from + len)?;
        digits.iter().all(u8::is_ascii_digit).then(|| {
            digits
                .iter()
                .fold(0i128, |n, d| n * 10 + i128::from(d - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't'))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day < 1
        || day > month_days[usize::try_from(month - 1).ok()?]
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i128;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let frac = &s[start..i.min(start + 9)];
        nanos = frac.parse::<i128>().ok()? * 10i128.pow(9 - u32::try_from(frac.len()).ok()?);
    }
    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') if b.len() == i + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
            let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' {
                h * 60 + m
            } else {
                -(h * 60 + m)
            }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000_000_000 + nanos)
}

// === impl Reference ===

impl Reference {
    /// Reads a case (`manifests`, `options`, `policyKinds`) and resolves every policy's
    /// references (§3).
    ///
    /// # Errors
    /// An unknown option or option value, or an unknown policy class.
    pub fn new(case: &Value) -> Result<Reference, String> {
        let mut options: Vec<(String, String)> = OPTIONS
            .iter()
            .map(|(k, values)| ((*k).to_owned(), values[0].to_owned()))
            .collect();
        if let Some(map) = case.get("options").and_then(Value::as_object) {
            for (k, v) in map {
                let value = v.as_str().unwrap_or("");
                let known = OPTIONS
                    .iter()
                    .any(|(name, values)| name == k && values.contains(&value));
                if !known {
                    return Err(format!("unknown policy option {k}: {value}"));
                }
                for (name, current) in &mut options {
                    if name == k {
                        value.clone_into(current);
                    }
                }
            }
        }
        let policy_kinds = case
            .get("policyKinds")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (kind, config) in &policy_kinds {
            match config.get("class").and_then(Value::as_str) {
                None | Some("inherited" | "direct") => {}
                Some(other) => return Err(format!("{kind}: unknown policy class {other}")),
            }
        }
        let mut reference = Reference {
            manifests: case
                .get("manifests")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            options,
            policy_kinds,
            policies: Vec::new(),
        };
        reference.policies = reference
            .manifests
            .iter()
            .filter(|m| !is_routing_kind(str_at(m, &["kind"]).unwrap_or("")))
            .map(|m| reference.read_policy(m))
            .collect();
        reference.same_node_conflicts();
        Ok(reference)
    }

    fn option(&self, key: &str) -> &str {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// README "policyKinds": `class` (default inherited) …
    fn is_direct(&self, kind: &str) -> bool {
        self.policy_kinds
            .get(kind)
            .and_then(|c| c.get("class"))
            .and_then(Value::as_str)
            == Some("direct")
    }

    /// … and `targetKinds` (default: GatewayClass, Gateway, HTTPRoute, Service) (§2.2).
    fn target_kinds(&self, kind: &str) -> Vec<String> {
        match self
            .policy_kinds
            .get(kind)
            .and_then(|c| c.get("targetKinds"))
            .and_then(Value::as_array)
        {
            Some(kinds) => kinds
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            None => ["GatewayClass", "Gateway", "HTTPRoute", "Service"]
                .map(str::to_owned)
                .to_vec(),
        }
    }

    /// The routing object of `kind` named `name` in `namespace` (`None` for GatewayClass).
    fn find(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Value> {
        self.manifests.iter().find(|m| {
            str_at(m, &["kind"]) == Some(kind)
                && str_at(m, &["metadata", "name"]) == Some(name)
                && (kind == "GatewayClass"
                    || str_at(m, &["metadata", "namespace"]).unwrap_or("")
                        == namespace.unwrap_or(""))
        })
    }

    fn top_level(&self) -> bool {
        self.option("mergeDepth") == "top-level"
    }

    /// §3.1 policy-level validation, then §3.2 per reference.
    fn read_policy(&self, m: &Value) -> Policy {
        let kind = str_at(m, &["kind"]).unwrap_or("").to_owned();
        let namespace = namespace_of(m);
        let name = str_at(m, &["metadata", "name"]).unwrap_or("");
        let direct = self.is_direct(&kind);
        let spec = m.get("spec").cloned().unwrap_or(Value::Null);
        let top_level = self.top_level();
        let mut policy = Policy {
            id: format!("{}/{name}", namespace.as_deref().unwrap_or("")),
            kind,
            namespace,
            timestamp: str_at(m, &["metadata", "creationTimestamp"]).and_then(parse_timestamp),
            invalid: None,
            refs: Vec::new(),
            direct,
            strategy: spec
                .get("strategy")
                .and_then(Value::as_str)
                .unwrap_or(self.option("defaultStrategy"))
                .to_owned(),
            defaults: Vec::new(),
            overrides: Vec::new(),
        };
        if direct {
            // §2.2 "Direct kinds carry their spec proper": everything but the target references.
            let mut proper = spec.as_object().cloned().unwrap_or_default();
            proper.remove("targetRef");
            proper.remove("targetRefs");
            policy.defaults = leaves(&Value::Object(proper), top_level);
        } else {
            policy.defaults = spec
                .get("defaults")
                .map(|d| leaves(d, top_level))
                .unwrap_or_default();
            policy.overrides = spec
                .get("overrides")
                .map(|o| leaves(o, top_level))
                .unwrap_or_default();
        }

        // §3.1: which references; `targetRef` and `targetRefs` both set is Invalid unless
        // legacyTargetRef=prefer-single, which uses `targetRef` only.
        let single = spec.get("targetRef");
        let multiple = spec.get("targetRefs");
        let mut both_set = false;
        let refs: Vec<Value> = match (single, multiple) {
            (Some(one), Some(_)) => {
                both_set = self.option("legacyTargetRef") != "prefer-single";
                if both_set {
                    Vec::new()
                } else {
                    vec![one.clone()]
                }
            }
            (Some(one), None) => vec![one.clone()],
            (None, Some(many)) => many.as_array().cloned().unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        // §3.1, the remaining policy-level rules (any one makes the policy Invalid).
        let ref_key = |r: &Value| {
            (
                str_at(r, &["group"]).unwrap_or("").to_owned(),
                str_at(r, &["kind"]).unwrap_or("").to_owned(),
                str_at(r, &["name"]).unwrap_or("").to_owned(),
                str_at(r, &["sectionName"]).map(str::to_owned),
            )
        };
        let duplicate =
            (0..refs.len()).any(|i| (0..i).any(|j| ref_key(&refs[i]) == ref_key(&refs[j])));
        let checks: [(bool, &'static str); 9] = [
            (
                policy.timestamp.is_none(),
                "missing or unparsable creationTimestamp",
            ),
            (both_set, "targetRef and targetRefs are both set"),
            (!both_set && refs.is_empty(), "no target reference"),
            (refs.len() > 16, "more than 16 target references"),
            (duplicate, "two identical target references"),
            (
                !direct
                    && spec.get("strategy").is_some()
                    && !matches!(
                        spec.get("strategy").and_then(Value::as_str),
                        Some("atomic" | "merge")
                    ),
                "strategy is neither atomic nor merge",
            ),
            (
                !direct && policy.defaults.is_empty() && policy.overrides.is_empty(),
                "neither defaults nor overrides has a leaf",
            ),
            (
                direct
                    && (spec.get("defaults").is_some()
                        || spec.get("overrides").is_some()
                        || spec.get("strategy").is_some()),
                "a direct policy with defaults, overrides or strategy",
            ),
            (
                direct && policy.defaults.is_empty(),
                "a direct policy with an empty spec",
            ),
        ];
        if let Some((_, why)) = checks.iter().find(|(bad, _)| *bad) {
            policy.invalid = Some(why);
            return policy;
        }
        policy.refs = refs.iter().map(|r| self.resolve_ref(&policy, r)).collect();
        policy
    }

    /// §3.2: one reference, steps 1–6 in order.
    fn resolve_ref(&self, policy: &Policy, r: &Value) -> TargetRef {
        let group = str_at(r, &["group"]).unwrap_or("");
        let kind = str_at(r, &["kind"]).unwrap_or("");
        let name = str_at(r, &["name"]).unwrap_or("").to_owned();
        let section = str_at(r, &["sectionName"]).map(str::to_owned);
        let label = format!(
            "{kind}/{name}{}",
            section
                .as_ref()
                .map(|s| format!("#{s}"))
                .unwrap_or_default()
        );
        let done = |result| TargetRef {
            label: label.clone(),
            result,
        };
        // Step 1: group/kind, exact group, and the kind's targetKinds.
        let known = (group == GATEWAY_GROUP
            && matches!(kind, "GatewayClass" | "Gateway" | "HTTPRoute"))
            || (group.is_empty() && kind == "Service");
        if !known || !self.target_kinds(&policy.kind).iter().any(|k| k == kind) {
            return done(RefResult::Invalid);
        }
        // Step 2: scope. GatewayClass only from cluster-scoped policies, cluster-scoped policies
        // only to a GatewayClass, no sectionName on a GatewayClass.
        let cluster_scoped = policy.namespace.is_none();
        if (kind == "GatewayClass") != cluster_scoped
            || (kind == "GatewayClass" && section.is_some())
        {
            return done(RefResult::Invalid);
        }
        // Step 3: a `namespace` field other than the policy's own is Invalid.
        if let Some(ns) = str_at(r, &["namespace"]) {
            if ns != policy.namespace.as_deref().unwrap_or("") {
                return done(RefResult::Invalid);
            }
        }
        // Step 4: existence, in the policy's own namespace.
        let ns = policy.namespace.clone().unwrap_or_default();
        let Some(object) = self.find(kind, policy.namespace.as_deref(), &name) else {
            return done(if self.option("missingTargets") == "ignore" {
                RefResult::Ignored
            } else {
                RefResult::TargetNotFound
            });
        };
        // Step 5: the section must exist (unnamed rules cannot be targeted, G995).
        let Some(section) = section else {
            // Step 6.
            return done(RefResult::Attached(match kind {
                "GatewayClass" => Node::GatewayClass(name),
                "Gateway" => Node::Gateway(ns, name),
                "HTTPRoute" => Node::HttpRoute(ns, name),
                _ => Node::Service(ns, name),
            }));
        };
        // A listener, a named rule, a named port.
        let sections = match kind {
            "Gateway" => array_at(object, &["spec", "listeners"]),
            "HTTPRoute" => array_at(object, &["spec", "rules"]),
            _ => array_at(object, &["spec", "ports"]),
        };
        if !sections
            .iter()
            .any(|s| str_at(s, &["name"]) == Some(section.as_str()))
        {
            return done(RefResult::TargetNotFound);
        }
        // Step 6.
        done(RefResult::Attached(match kind {
            "Gateway" => Node::Listener(ns, name, section),
            "HTTPRoute" => Node::HttpRouteRule(ns, name, section),
            _ => Node::ServicePort(ns, name, section),
        }))
    }

    /// §5.2 "Seniority at one level": the earlier timestamp, then the byte-wise smaller
    /// `{namespace}/{name}`. `Less` means `a` is senior.
    fn seniority(a: (i128, &str), b: (i128, &str)) -> Ordering {
        a.0.cmp(&b.0)
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    }

    /// §3.3: direct kinds, and inherited kinds with sameTargetConflicts=reject: among the
    /// attached references of one kind at one node, the senior keeps it; the others are
    /// Conflicted.
    fn same_node_conflicts(&mut self) {
        let reject_inherited = self.option("sameTargetConflicts") == "reject";
        // Every (policy, reference) attached somewhere, then grouped by (kind, node) literally.
        let mut attached: Vec<(usize, usize, Node)> = Vec::new();
        for (pi, p) in self.policies.iter().enumerate() {
            for (ri, r) in p.refs.iter().enumerate() {
                if let RefResult::Attached(node) = &r.result {
                    attached.push((pi, ri, node.clone()));
                }
            }
        }
        let mut conflicted: Vec<(usize, usize, Node, String)> = Vec::new();
        for (pi, _, node) in &attached {
            let kind = &self.policies[*pi].kind;
            if !(self.policies[*pi].direct || reject_inherited) {
                continue;
            }
            let mut at_node: Vec<&(usize, usize, Node)> = attached
                .iter()
                .filter(|(qi, _, n)| n == node && &self.policies[*qi].kind == kind)
                .collect();
            at_node.sort_by(|a, b| {
                let (pa, pb) = (&self.policies[a.0], &self.policies[b.0]);
                Self::seniority(
                    (pa.timestamp.unwrap_or_default(), &pa.id),
                    (pb.timestamp.unwrap_or_default(), &pb.id),
                )
            });
            let winner = &self.policies[at_node[0].0].id;
            for (qi, ri, n) in &at_node[1..] {
                if !conflicted.iter().any(|(a, b, ..)| a == qi && b == ri) {
                    conflicted.push((*qi, *ri, n.clone(), winner.clone()));
                }
            }
        }
        for (pi, ri, node, by) in conflicted {
            self.policies[pi].refs[ri].result = RefResult::Conflicted { node, by };
        }
    }

    /// The policy kinds present: every kind in `policyKinds` and every policy's kind, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self
            .policy_kinds
            .keys()
            .cloned()
            .chain(self.policies.iter().map(|p| p.kind.clone()))
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// §7: the `expect.policies` map: status of every policy, keyed by identity. A policy whose
    /// every reference was ignored (missingTargets=ignore) has no status (§3.4).
    pub fn policies(&self) -> Map<String, Value> {
        // The maximal paths (§4), each with its nodes and, per kind, its effective policy (§5),
        // computed once and shared by every policy's §7.2 tally.
        let paths: Vec<PathOutcome> = self
            .maximal_path_list()
            .into_iter()
            .map(|path| {
                let nodes = self.nodes(&path);
                let effective = self
                    .kinds()
                    .into_iter()
                    .map(|kind| {
                        let e = self.effective_on(&kind, &nodes);
                        (kind, e)
                    })
                    .collect();
                PathOutcome {
                    gateway: format!("{}/{}", path.gateway.0, path.gateway.1),
                    nodes,
                    effective,
                }
            })
            .collect();
        let mut out = Map::new();
        for p in &self.policies {
            if let Some(why) = p.invalid {
                // README: for a policy that is itself Invalid only `accepted` (and a note).
                out.insert(p.id.clone(), json!({"accepted": "Invalid", "note": why}));
                continue;
            }
            let results: Vec<&TargetRef> = p
                .refs
                .iter()
                .filter(|r| !matches!(r.result, RefResult::Ignored))
                .collect();
            if results.is_empty() {
                continue;
            }
            // §3.4: Accepted if any reference is Attached, else the first reason present among
            // Invalid, Conflicted, TargetNotFound.
            let has = |f: fn(&RefResult) -> bool| results.iter().any(|r| f(&r.result));
            let accepted = if has(|r| matches!(r, RefResult::Attached(_))) {
                "Accepted"
            } else if has(|r| matches!(r, RefResult::Invalid)) {
                "Invalid"
            } else if has(|r| matches!(r, RefResult::Conflicted { .. })) {
                "Conflicted"
            } else {
                "TargetNotFound"
            };
            // §7.1: one result per reference, in declaration order.
            let targets: Vec<Value> = results
                .iter()
                .map(|r| {
                    let result = match r.result {
                        RefResult::Attached(_) => "Attached",
                        RefResult::TargetNotFound => "TargetNotFound",
                        RefResult::Invalid => "Invalid",
                        RefResult::Conflicted { .. } => "Conflicted",
                        RefResult::Ignored => unreachable!("filtered out above"),
                    };
                    json!({"ref": r.label, "result": result})
                })
                .collect();
            out.insert(
                p.id.clone(),
                json!({"accepted": accepted, "targets": targets, "ancestors": Self::ancestors(p, &paths)}),
            );
        }
        out
    }

    /// §7.2: one entry per Gateway ancestor, sorted by `namespace/name`, at most 16.
    fn ancestors(p: &Policy, paths: &[PathOutcome]) -> Vec<Value> {
        let attached_at = |n: &Node| {
            p.refs
                .iter()
                .any(|r| matches!(&r.result, RefResult::Attached(a) if a == n))
        };
        let conflicted_at = |n: &Node| {
            p.refs
                .iter()
                .any(|r| matches!(&r.result, RefResult::Conflicted { node, .. } if node == n))
        };
        let mut gateways: Vec<&str> = paths.iter().map(|path| path.gateway.as_str()).collect();
        gateways.sort_unstable();
        gateways.dedup();
        let mut out = Vec::new();
        for gw in gateways {
            let through: Vec<&PathOutcome> =
                paths.iter().filter(|path| path.gateway == gw).collect();
            // The maximal paths through this Gateway that contain one of the policy's
            // attachments.
            let with_attachment: Vec<&PathOutcome> = through
                .iter()
                .copied()
                .filter(|path| path.nodes.iter().any(attached_at))
                .collect();
            if with_attachment.is_empty() {
                // Conflicted, when no attached reference reaches this Gateway.
                if through
                    .iter()
                    .any(|path| path.nodes.iter().any(conflicted_at))
                {
                    out.push(json!({"gateway": gw, "accepted": "Conflicted"}));
                }
                continue;
            }
            // wins = fields owned by the policy; losses = its discarded leaves displaced by
            // another policy (self-displacement is not a loss).
            let (mut wins, mut losses) = (0usize, 0usize);
            let mut by: Vec<String> = Vec::new();
            for path in with_attachment {
                let e = path
                    .effective
                    .iter()
                    .find(|(kind, _)| *kind == p.kind)
                    .map(|(_, e)| e)
                    .expect("every kind's effective policy is computed");
                wins += e["fields"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, f)| f["policy"] == p.id.as_str())
                    .count();
                for d in e["discarded"].as_array().into_iter().flatten() {
                    if d["policy"] == p.id.as_str() && d["by"] != p.id.as_str() {
                        losses += 1;
                        by.push(d["by"].as_str().unwrap_or("").to_owned());
                    }
                }
            }
            by.sort();
            by.dedup();
            // Programmed if no losses; PartiallyProgrammed if wins and losses; Overridden if
            // losses only.
            let programmed = if losses == 0 {
                "Programmed"
            } else if wins > 0 {
                "PartiallyProgrammed"
            } else {
                "Overridden"
            };
            let mut entry =
                json!({"gateway": gw, "accepted": "Accepted", "programmed": programmed});
            if !by.is_empty() {
                entry["overriddenBy"] = json!(by);
            }
            out.push(entry);
        }
        // GAPI: PolicyAncestorStatus lists at most 16 ancestors.
        out.truncate(16);
        out
    }

    /// §4: every maximal path, as corpus `path` objects.
    pub fn maximal_paths(&self) -> Vec<Value> {
        self.maximal_path_list().iter().map(Path::to_json).collect()
    }

    /// §4: for each Gateway, each listener, each route attached to it, each rule, each
    /// backendRef naming an existing Service (with the port node when its number matches a
    /// named port). A rule without a resolvable backend ends at the rule, a route without rules
    /// at the route, a listener without routes at the listener. Duplicates are removed.
    fn maximal_path_list(&self) -> Vec<Path> {
        let mut out: Vec<Path> = Vec::new();
        let mut push = |p: Path| {
            if !out.contains(&p) {
                out.push(p);
            }
        };
        for gw in self.objects("Gateway") {
            let gateway = (
                str_at(gw, &["metadata", "namespace"])
                    .unwrap_or("")
                    .to_owned(),
                str_at(gw, &["metadata", "name"]).unwrap_or("").to_owned(),
            );
            for listener in array_at(gw, &["spec", "listeners"]) {
                let listener = str_at(listener, &["name"]).unwrap_or("").to_owned();
                let at_listener = Path {
                    gateway: gateway.clone(),
                    listener: Some(listener.clone()),
                    route: None,
                    rule: None,
                    service: None,
                    port: None,
                };
                let routes: Vec<&Value> = self
                    .objects("HTTPRoute")
                    .filter(|r| self.attaches(r, &gateway, &listener))
                    .collect();
                if routes.is_empty() {
                    push(at_listener.clone());
                }
                for route in routes {
                    let route_ns = str_at(route, &["metadata", "namespace"])
                        .unwrap_or("")
                        .to_owned();
                    let at_route = Path {
                        route: Some((
                            route_ns.clone(),
                            str_at(route, &["metadata", "name"])
                                .unwrap_or("")
                                .to_owned(),
                        )),
                        ..at_listener.clone()
                    };
                    let rules = array_at(route, &["spec", "rules"]);
                    if rules.is_empty() {
                        push(at_route.clone());
                    }
                    for (index, rule) in rules.iter().enumerate() {
                        let at_rule = Path {
                            rule: Some(str_at(rule, &["name"]).map(str::to_owned).ok_or(index)),
                            ..at_route.clone()
                        };
                        let mut resolved = false;
                        for backend in array_at(rule, &["backendRefs"]) {
                            let is_service = str_at(backend, &["kind"]).unwrap_or("Service")
                                == "Service"
                                && str_at(backend, &["group"]).unwrap_or("").is_empty();
                            let ns = str_at(backend, &["namespace"]).unwrap_or(&route_ns);
                            let name = str_at(backend, &["name"]).unwrap_or("");
                            let Some(service) =
                                self.find("Service", Some(ns), name).filter(|_| is_service)
                            else {
                                continue;
                            };
                            resolved = true;
                            let number = backend.get("port").and_then(Value::as_i64);
                            let port = array_at(service, &["spec", "ports"])
                                .iter()
                                .find(|p| {
                                    number.is_some()
                                        && p.get("port").and_then(Value::as_i64) == number
                                        && str_at(p, &["name"]).is_some_and(|n| !n.is_empty())
                                })
                                .and_then(|p| str_at(p, &["name"]))
                                .map(str::to_owned);
                            push(Path {
                                service: Some((ns.to_owned(), name.to_owned())),
                                port,
                                ..at_rule.clone()
                            });
                        }
                        if !resolved {
                            push(at_rule);
                        }
                    }
                }
            }
        }
        out
    }

    fn objects<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.manifests
            .iter()
            .filter(move |m| str_at(m, &["kind"]) == Some(kind))
    }

    /// §2.1 (vectors): a parentRef attaches the route to every listener of the named Gateway
    /// whose name equals its sectionName (all listeners when absent); the namespace defaults to
    /// the route's.
    fn attaches(&self, route: &Value, gateway: &(String, String), listener: &str) -> bool {
        let route_ns = str_at(route, &["metadata", "namespace"]).unwrap_or("");
        array_at(route, &["spec", "parentRefs"])
            .iter()
            .any(|parent| {
                str_at(parent, &["namespace"]).unwrap_or(route_ns) == gateway.0
                    && str_at(parent, &["name"]) == Some(gateway.1.as_str())
                    && str_at(parent, &["sectionName"]).is_none_or(|s| s == listener)
            })
    }

    /// The nodes of a path: the Gateway's GatewayClass when that object exists (§4), then one
    /// node per named level. An unnamed rule is no node anyone can attach to (G995).
    fn nodes(&self, path: &Path) -> Vec<Node> {
        let (gns, gname) = &path.gateway;
        let mut nodes = Vec::new();
        if let Some(gw) = self.find("Gateway", Some(gns), gname) {
            let class = str_at(gw, &["spec", "gatewayClassName"]).unwrap_or("");
            if self.find("GatewayClass", None, class).is_some() {
                nodes.push(Node::GatewayClass(class.to_owned()));
            }
        }
        nodes.push(Node::Gateway(gns.clone(), gname.clone()));
        if let Some(l) = &path.listener {
            nodes.push(Node::Listener(gns.clone(), gname.clone(), l.clone()));
        }
        if let Some((rns, rname)) = &path.route {
            nodes.push(Node::HttpRoute(rns.clone(), rname.clone()));
            if let Some(Ok(rule)) = &path.rule {
                nodes.push(Node::HttpRouteRule(
                    rns.clone(),
                    rname.clone(),
                    rule.clone(),
                ));
            }
        }
        if let Some((sns, sname)) = &path.service {
            nodes.push(Node::Service(sns.clone(), sname.clone()));
            if let Some(port) = &path.port {
                nodes.push(Node::ServicePort(sns.clone(), sname.clone(), port.clone()));
            }
        }
        nodes
    }

    /// §5/§6: the effective policy of `kind` on `path` (a corpus `path` object), as an
    /// `expect.effective` entry without `kind` and `path`: `spec`, `fields`, `discarded`,
    /// `rejected`.
    ///
    /// # Errors
    /// The path object is malformed.
    pub fn effective(&self, kind: &str, path: &Value) -> Result<Value, String> {
        let path = Path::from_json(path)?;
        Ok(self.effective_on(kind, &self.nodes(&path)))
    }

    fn effective_on(&self, kind: &str, nodes: &[Node]) -> Value {
        // §5.1: the layers of every Attached reference of the kind whose node is on the path.
        let mut layers: Vec<Layer> = Vec::new();
        let mut rejected: Vec<Value> = Vec::new();
        for p in self.policies.iter().filter(|p| p.kind == kind) {
            for r in &p.refs {
                match &r.result {
                    RefResult::Attached(node) if nodes.contains(node) => {
                        let stanzas: Vec<(&'static str, &Vec<Leaf>, String)> = if p.direct {
                            // §1 "Layer": a direct kind's spec proper is one defaults layer,
                            // strategy atomic, stanza `spec`.
                            vec![("spec", &p.defaults, "atomic".to_owned())]
                        } else {
                            vec![
                                ("defaults", &p.defaults, p.strategy.clone()),
                                ("overrides", &p.overrides, p.strategy.clone()),
                            ]
                        };
                        for (stanza, leaves, strategy) in stanzas {
                            if !leaves.is_empty() {
                                layers.push(Layer {
                                    policy: p.id.clone(),
                                    stanza,
                                    level: node.level(),
                                    strategy,
                                    timestamp: p.timestamp.unwrap_or_default(),
                                    leaves: leaves.clone(),
                                });
                            }
                        }
                    }
                    // §6 `rejected`: references to a node of this path that are Conflicted.
                    RefResult::Conflicted { node, by } if nodes.contains(node) => {
                        rejected.push(json!({
                            "policy": p.id,
                            "level": LEVELS[node.level()],
                            "reason": "Conflicted",
                            "by": by,
                        }));
                    }
                    _ => {}
                }
            }
        }

        // §5.2: order. Defaults: deeper level first; within a level the senior first (oldest)
        // or the junior first (gep713-established). Overrides: shallower level first; within a
        // level the senior first under both options.
        let established = self.option("sameLevelPrecedence") == "gep713-established";
        let senior = |a: &Layer, b: &Layer| {
            Self::seniority((a.timestamp, &a.policy), (b.timestamp, &b.policy))
        };
        let mut defaults: Vec<usize> = (0..layers.len())
            .filter(|&i| !layers[i].is_override())
            .collect();
        defaults.sort_by(|&a, &b| {
            let (a, b) = (&layers[a], &layers[b]);
            b.level.cmp(&a.level).then_with(|| {
                if established {
                    senior(b, a)
                } else {
                    senior(a, b)
                }
            })
        });
        let mut overrides: Vec<usize> = (0..layers.len())
            .filter(|&i| layers[i].is_override())
            .collect();
        overrides.sort_by(|&a, &b| {
            let (a, b) = (&layers[a], &layers[b]);
            a.level.cmp(&b.level).then_with(|| senior(a, b))
        });

        // §6 `reason`, from the loser X and the displacer Y.
        let reason = |x: &Layer, y: &Layer| -> &'static str {
            match (x.is_override(), y.is_override()) {
                (false, true) => "Override",
                (true, true) if y.level < x.level => "LessSpecificOverride",
                (false, false) if y.level > x.level => "MoreSpecificTarget",
                _ if y.level == x.level && x.timestamp != y.timestamp => "SameLevelTimestamp",
                _ if y.level == x.level => "SameLevelName",
                _ => "UNEXPECTED-displacement-order",
            }
        };
        let mut discarded: Vec<Value> = Vec::new();
        let mut discard = |x: usize, pointer: &[String], y: usize, mode: &str| {
            let (xl, yl) = (&layers[x], &layers[y]);
            discarded.push(json!({
                "policy": xl.policy,
                "stanza": xl.stanza,
                "level": LEVELS[xl.level],
                "field": pointer_text(pointer),
                "reason": reason(xl, yl),
                "by": yl.policy,
                "mode": mode,
            }));
        };

        // §5.3 defaults pass (fill-in), highest precedence first.
        let child_authority = self.option("strategyAuthority") == "child";
        let mut r: Vec<Entry> = Vec::new();
        let mut first_contributor: Option<usize> = None;
        for &li in &defaults {
            let layer = &layers[li];
            let strategy = match first_contributor {
                Some(first) if child_authority && !r.is_empty() => layers[first].strategy.as_str(),
                _ => layer.strategy.as_str(),
            };
            // §6 `by`/`mode` in the defaults pass: the owner of the first overlapping leaf of R
            // in pointer order (`unset` if that leaf is null); else, for an atomic layer, the
            // first layer that contributed to R (`atomic`).
            let displacer = |r: &[Entry], pointer: &[String]| -> (usize, &'static str) {
                let first = r
                    .iter()
                    .filter(|e| overlaps(&e.pointer, pointer))
                    .min_by(|a, b| pointer_order(&a.pointer, &b.pointer));
                match first {
                    Some(e) if e.value.is_null() => (e.owner, "unset"),
                    Some(e) => (e.owner, "field"),
                    None => (first_contributor.unwrap_or(li), "atomic"),
                }
            };
            let mut contributed = false;
            if strategy == "atomic" {
                // Atomic: all of L's leaves if R is empty, otherwise none of them.
                if r.is_empty() {
                    for (pointer, value) in &layer.leaves {
                        r.push(Entry {
                            pointer: pointer.clone(),
                            value: value.clone(),
                            owner: li,
                        });
                        contributed = true;
                    }
                } else {
                    for (pointer, _) in &layer.leaves {
                        let (by, mode) = displacer(&r, pointer);
                        discard(li, pointer, by, mode);
                    }
                }
            } else {
                // Merge: each leaf that overlaps no leaf already in R.
                for (pointer, value) in &layer.leaves {
                    if r.iter().any(|e| overlaps(&e.pointer, pointer)) {
                        let (by, mode) = displacer(&r, pointer);
                        discard(li, pointer, by, mode);
                    } else {
                        r.push(Entry {
                            pointer: pointer.clone(),
                            value: value.clone(),
                            owner: li,
                        });
                        contributed = true;
                    }
                }
            }
            if contributed && first_contributor.is_none() {
                first_contributor = Some(li);
            }
        }

        // §5.4 overrides pass (overwrite), lowest precedence first. §6: `by` is the layer being
        // applied; `mode` is `unset` if its (first, in pointer order) leaf overlapping the loser
        // is null, `field` if one overlaps, else `atomic`.
        for &li in overrides.iter().rev() {
            let layer = &layers[li];
            let mode_for = |pointer: &[String]| -> &'static str {
                match layer
                    .leaves
                    .iter()
                    .filter(|(p, _)| overlaps(p, pointer))
                    .min_by(|a, b| pointer_order(&a.0, &b.0))
                {
                    Some((_, v)) if v.is_null() => "unset",
                    Some(_) => "field",
                    None => "atomic",
                }
            };
            if layer.strategy == "atomic" {
                // Atomic: every leaf in R is discarded; R becomes L's leaves.
                for e in &r {
                    discard(e.owner, &e.pointer, li, mode_for(&e.pointer));
                }
                r = layer
                    .leaves
                    .iter()
                    .map(|(pointer, value)| Entry {
                        pointer: pointer.clone(),
                        value: value.clone(),
                        owner: li,
                    })
                    .collect();
            } else {
                // Merge: for each leaf of L, discard the leaves of R it overlaps, then add it.
                for (pointer, value) in &layer.leaves {
                    let (lost, kept): (Vec<Entry>, Vec<Entry>) =
                        r.into_iter().partition(|e| overlaps(&e.pointer, pointer));
                    for e in &lost {
                        discard(e.owner, &e.pointer, li, mode_for(&e.pointer));
                    }
                    r = kept;
                    r.push(Entry {
                        pointer: pointer.clone(),
                        value: value.clone(),
                        owner: li,
                    });
                }
            }
        }

        // §5.5: R rebuilt as nested objects without its null leaves; §6 `fields` for every leaf
        // of R, surviving nulls marked `unset: true`.
        let mut spec = Value::Object(Map::new());
        let mut fields = Map::new();
        r.sort_by(|a, b| pointer_order(&a.pointer, &b.pointer));
        for e in &r {
            let owner = &layers[e.owner];
            let mut source = json!({
                "policy": owner.policy,
                "stanza": owner.stanza,
                "level": LEVELS[owner.level],
            });
            if e.value.is_null() {
                source["unset"] = json!(true);
            } else {
                let mut at = &mut spec;
                for token in &e.pointer {
                    at = at
                        .as_object_mut()
                        .expect("R never holds a leaf below another leaf")
                        .entry(token.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
                *at = e.value.clone();
            }
            fields.insert(pointer_text(&e.pointer), source);
        }
        json!({
            "spec": spec,
            "fields": fields,
            "discarded": discarded,
            "rejected": rejected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let z = parse_timestamp("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_timestamp("2024-01-01T01:00:00+01:00"), Some(z));
        assert_eq!(parse_timestamp("2023-12-31T23:00:00-01:00"), Some(z));
        assert_eq!(
            parse_timestamp("1970-01-01T00:00:01.5Z"),
            Some(1_500_000_000)
        );
        assert!(parse_timestamp("2024-01-01T00:00:00Z").unwrap() > 0);
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-01-01",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn pointers() {
        let t = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(pointer_text(&t(&["a/b", "c~d"])), "/a~1b/c~0d");
        assert!(overlaps(&t(&["a"]), &t(&["a", "b"])));
        assert!(!overlaps(&t(&["a"]), &t(&["ab"])));
        // Token order, not text order: "/b/c" before "/b-c" although '-' < '/'.
        assert_eq!(pointer_order(&t(&["b", "c"]), &t(&["b-c"])), Ordering::Less);
        let deep = leaves(&json!({"b-c": 1, "b": {"c": 2, "e": {}}, "n": null}), false);
        let pointers: Vec<String> = deep.iter().map(|(p, _)| pointer_text(p)).collect();
        assert_eq!(pointers, ["/b/c", "/b-c", "/n"]);
        assert_eq!(leaves(&json!({"b": {"c": 2}, "e": {}}), true).len(), 2);
    }
}
