//! Policy attachment (GEP-713): which policies attach where, the effective policy
//! on every path GatewayClass → Gateway → Listener → HTTPRoute → rule → Service →
//! port, field-level provenance, and status per policy and per Gateway ancestor.
//!
//! The rules, their sources and the documented disagreements are in
//! `spec/policy/SEMANTICS.md` (section numbers below refer to it); every
//! disagreement is a [`PolicyOptions`] field whose default follows that document.
//!
//! ```
//! use gatewright::policy::{PolicyOptions, PolicyPath, PolicyRegistry, PolicySet};
//! let yaml = r#"
//! apiVersion: gateway.networking.k8s.io/v1
//! kind: Gateway
//! metadata: {namespace: infra, name: gw}
//! spec: {gatewayClassName: example, listeners: [{name: http, port: 80, protocol: HTTP}]}
//! ---
//! apiVersion: gateway.networking.k8s.io/v1
//! kind: HTTPRoute
//! metadata: {namespace: infra, name: web}
//! spec: {parentRefs: [{name: gw}], rules: [{name: main}]}
//! ---
//! apiVersion: policies.example.com/v1
//! kind: TimeoutPolicy
//! metadata: {namespace: infra, name: base, creationTimestamp: "2025-01-01T00:00:00Z"}
//! spec:
//!   targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
//!   overrides: {timeout: 10s}
//! "#;
//! let resources = gatewright::Resources::from_yaml(yaml)?;
//! let set = PolicySet::resolve(&resources, &PolicyRegistry::default(), &PolicyOptions::default());
//! let path = PolicyPath::gateway("infra", "gw").listener("http").route("infra", "web").rule("main");
//! let effective = set.effective("TimeoutPolicy", &path);
//! assert_eq!(effective.spec["timeout"], "10s");
//! assert_eq!(effective.fields["/timeout"].policy, "infra/base");
//! # Ok::<(), gatewright::ParseError>(())
//! ```

mod graph;
mod merge;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use graph::Level;

/// Who wins between two attachments at the same level (D1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SameLevelPrecedence {
    /// The older policy wins, for defaults and overrides (GEP-2649 tables, Envoy Gateway).
    #[default]
    Oldest,
    /// GEP-713's literal text: for defaults the newer (challenger) wins.
    Gep713Established,
}

/// What two inherited policies on one node do (D2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SameTargetConflicts {
    /// Resolved field by field; the junior stays Accepted (GEP-713, Kuadrant).
    #[default]
    Resolve,
    /// The junior is Conflicted (Envoy Gateway).
    Reject,
}

/// A merge strategy (GEP-713 Atomic / Patch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Strategy {
    /// The whole spec is one unit.
    #[default]
    Atomic,
    /// Field by field (RFC 7386).
    Merge,
}

/// Whose strategy decides how a less specific default joins (D4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StrategyAuthority {
    /// The layer being applied (the established, less specific policy).
    #[default]
    Layer,
    /// The most specific policy that already contributed (Envoy Gateway `mergeType`).
    Child,
}

/// Merge granularity (D5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MergeDepth {
    /// Every nested field.
    #[default]
    Deep,
    /// Top-level keys only.
    TopLevel,
}

/// What a reference to a missing object gives (D7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingTargets {
    /// `TargetNotFound`.
    #[default]
    Report,
    /// Dropped silently (Envoy Gateway).
    Ignore,
}

/// A policy with both `targetRef` and `targetRefs` (D9).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LegacyTargetRef {
    /// Invalid.
    #[default]
    RejectBoth,
    /// Use `targetRef` only (Envoy Gateway).
    PreferSingle,
}

/// Resolver options; every field is a documented disagreement (SEMANTICS §2.3, §9).
///
/// ```
/// use gatewright::policy::{PolicyOptions, SameTargetConflicts};
/// let eg_like = PolicyOptions { same_target_conflicts: SameTargetConflicts::Reject, ..PolicyOptions::default() };
/// assert_ne!(eg_like, PolicyOptions::default());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyOptions {
    /// D1.
    pub same_level_precedence: SameLevelPrecedence,
    /// D2.
    pub same_target_conflicts: SameTargetConflicts,
    /// D3: the strategy of a policy that names none.
    pub default_strategy: Strategy,
    /// D4.
    pub strategy_authority: StrategyAuthority,
    /// D5.
    pub merge_depth: MergeDepth,
    /// D7.
    pub missing_targets: MissingTargets,
    /// D9.
    pub legacy_target_ref: LegacyTargetRef,
}

impl PolicyOptions {
    /// Sets an option from its corpus spelling (`sameLevelPrecedence: gep713-established`).
    ///
    /// # Errors
    /// The option or value is unknown.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match (key, value) {
            ("sameLevelPrecedence", "oldest") => {
                self.same_level_precedence = SameLevelPrecedence::Oldest
            }
            ("sameLevelPrecedence", "gep713-established") => {
                self.same_level_precedence = SameLevelPrecedence::Gep713Established
            }
            ("sameTargetConflicts", "resolve") => {
                self.same_target_conflicts = SameTargetConflicts::Resolve
            }
            ("sameTargetConflicts", "reject") => {
                self.same_target_conflicts = SameTargetConflicts::Reject
            }
            ("defaultStrategy", "atomic") => self.default_strategy = Strategy::Atomic,
            ("defaultStrategy", "merge") => self.default_strategy = Strategy::Merge,
            ("strategyAuthority", "layer") => self.strategy_authority = StrategyAuthority::Layer,
            ("strategyAuthority", "child") => self.strategy_authority = StrategyAuthority::Child,
            ("mergeDepth", "deep") => self.merge_depth = MergeDepth::Deep,
            ("mergeDepth", "top-level") => self.merge_depth = MergeDepth::TopLevel,
            ("missingTargets", "report") => self.missing_targets = MissingTargets::Report,
            ("missingTargets", "ignore") => self.missing_targets = MissingTargets::Ignore,
            ("legacyTargetRef", "reject-both") => {
                self.legacy_target_ref = LegacyTargetRef::RejectBoth
            }
            ("legacyTargetRef", "prefer-single") => {
                self.legacy_target_ref = LegacyTargetRef::PreferSingle
            }
            ("crossNamespaceRefs", "reject") => {}
            _ => return Err(format!("unknown policy option {key}: {value}")),
        }
        Ok(())
    }
}

/// How a policy kind is read (SEMANTICS §1 "Policy kind", §2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyClass {
    /// `defaults` / `overrides` / `strategy` stanzas.
    #[default]
    Inherited,
    /// The spec proper (minus target references) is the policy: merge strategy None,
    /// one policy per target (BackendTLSPolicy).
    Direct,
    /// Envoy Gateway kinds: the spec proper is a defaults layer; it replaces a less
    /// specific policy atomically unless it sets `mergeType` (then merge).
    SpecDefaults,
}

/// One policy kind: its class and the kinds it may target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyKind {
    /// Class.
    pub class: PolicyClass,
    /// Kinds it may target (`GatewayClass`, `Gateway`, `HTTPRoute`, `Service`).
    pub target_kinds: Vec<String>,
}

impl Default for PolicyKind {
    fn default() -> Self {
        PolicyKind {
            class: PolicyClass::Inherited,
            target_kinds: ["GatewayClass", "Gateway", "HTTPRoute", "Service"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// Which kinds are policies and how to read them. Kinds not registered are
/// inherited policies that may target every kind.
///
/// ```
/// use gatewright::policy::{PolicyClass, PolicyRegistry};
/// let registry = PolicyRegistry::default();
/// assert_eq!(registry.kind("BackendTLSPolicy").class, PolicyClass::Direct);
/// assert_eq!(registry.kind("BackendTrafficPolicy").class, PolicyClass::SpecDefaults);
/// assert_eq!(registry.kind("AnyOtherPolicy").class, PolicyClass::Inherited);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRegistry {
    kinds: BTreeMap<String, PolicyKind>,
}

impl Default for PolicyRegistry {
    /// Built in: BackendTLSPolicy (direct, Services), and the Envoy Gateway kinds
    /// BackendTrafficPolicy, ClientTrafficPolicy and SecurityPolicy (spec = defaults).
    fn default() -> Self {
        let mut kinds = BTreeMap::new();
        kinds.insert(
            "BackendTLSPolicy".to_owned(),
            PolicyKind {
                class: PolicyClass::Direct,
                target_kinds: vec!["Service".into()],
            },
        );
        for k in ["BackendTrafficPolicy", "SecurityPolicy"] {
            kinds.insert(
                k.to_owned(),
                PolicyKind {
                    class: PolicyClass::SpecDefaults,
                    target_kinds: vec!["Gateway".into(), "HTTPRoute".into()],
                },
            );
        }
        kinds.insert(
            "ClientTrafficPolicy".to_owned(),
            PolicyKind {
                class: PolicyClass::SpecDefaults,
                target_kinds: vec!["Gateway".into()],
            },
        );
        PolicyRegistry { kinds }
    }
}

impl PolicyRegistry {
    /// An empty registry: every kind is inherited.
    pub fn empty() -> Self {
        PolicyRegistry {
            kinds: BTreeMap::new(),
        }
    }

    /// Registers (or replaces) a kind.
    pub fn register(&mut self, kind: impl Into<String>, config: PolicyKind) {
        self.kinds.insert(kind.into(), config);
    }

    /// The configuration of a kind.
    pub fn kind(&self, kind: &str) -> PolicyKind {
        self.kinds.get(kind).cloned().unwrap_or_default()
    }
}

/// Where an effective policy is asked for: from a Gateway down, stopping after any node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyPath {
    /// Gateway `(namespace, name)`.
    pub gateway: (String, String),
    /// Listener name.
    pub listener: Option<String>,
    /// HTTPRoute `(namespace, name)`.
    pub route: Option<(String, String)>,
    /// Rule name, or its 0-based index for unnamed rules.
    pub rule: Option<String>,
    /// Service `(namespace, name)`.
    pub service: Option<(String, String)>,
    /// Service port name.
    pub port: Option<String>,
}

impl PolicyPath {
    /// A path at a Gateway.
    pub fn gateway(namespace: &str, name: &str) -> Self {
        PolicyPath {
            gateway: (namespace.to_owned(), name.to_owned()),
            ..PolicyPath::default()
        }
    }

    /// Down to a listener.
    #[must_use]
    pub fn listener(mut self, name: &str) -> Self {
        self.listener = Some(name.to_owned());
        self
    }

    /// Down to an HTTPRoute.
    #[must_use]
    pub fn route(mut self, namespace: &str, name: &str) -> Self {
        self.route = Some((namespace.to_owned(), name.to_owned()));
        self
    }

    /// Down to a rule (its name, or index for unnamed rules).
    #[must_use]
    pub fn rule(mut self, name: &str) -> Self {
        self.rule = Some(name.to_owned());
        self
    }

    /// Down to a Service.
    #[must_use]
    pub fn service(mut self, namespace: &str, name: &str) -> Self {
        self.service = Some((namespace.to_owned(), name.to_owned()));
        self
    }

    /// Down to a Service port (by name).
    #[must_use]
    pub fn port(mut self, name: &str) -> Self {
        self.port = Some(name.to_owned());
        self
    }
}

/// Where an effective field came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FieldSource {
    /// Policy identity `namespace/name` (`/name` when cluster-scoped).
    pub policy: String,
    /// `defaults`, `overrides` or `spec`.
    pub stanza: String,
    /// Level of the attachment.
    pub level: Level,
    /// The field is a winning `null`: explicitly unset, absent from the spec.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unset: bool,
}

/// A value that did not make it into the effective policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Discarded {
    /// The losing policy.
    pub policy: String,
    /// Its stanza.
    pub stanza: String,
    /// Its level.
    pub level: Level,
    /// Its field (JSON Pointer).
    pub field: String,
    /// `MoreSpecificTarget`, `Override`, `LessSpecificOverride`, `SameLevelTimestamp`, `SameLevelName`.
    pub reason: String,
    /// The policy that displaced it.
    pub by: String,
    /// `field`, `atomic` or `unset`.
    pub mode: String,
}

/// A policy conflicted out at a node of the path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Rejected {
    /// The policy.
    pub policy: String,
    /// The node level.
    pub level: Level,
    /// `Conflicted`.
    pub reason: String,
    /// The policy that keeps the node.
    pub by: String,
}

/// The effective policy of one kind on one path, with provenance (SEMANTICS §5, §6).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Effective {
    /// The effective values.
    pub spec: Value,
    /// JSON Pointer of every effective field → its source.
    pub fields: BTreeMap<String, FieldSource>,
    /// Every value of an applicable policy that lost, and why.
    pub discarded: Vec<Discarded>,
    /// Policies conflicted out at nodes of the path.
    pub rejected: Vec<Rejected>,
}

/// Result of one target reference (SEMANTICS §7.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TargetResult {
    /// `Kind/name[#section]`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// `Attached`, `TargetNotFound`, `Invalid` or `Conflicted`.
    pub result: String,
}

/// Status of a policy at one Gateway (SEMANTICS §7.2, GEP-713 PolicyAncestorStatus).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AncestorResult {
    /// Gateway `namespace/name`.
    pub gateway: String,
    /// `Accepted` or `Conflicted`.
    pub accepted: String,
    /// `Programmed`, `PartiallyProgrammed` or `Overridden` (only when Accepted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programmed: Option<String>,
    /// Policies that displaced some of this policy's fields here, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overridden_by: Vec<String>,
}

/// Status of one policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PolicyReport {
    /// Kind.
    pub kind: String,
    /// `Accepted`, `Invalid`, `TargetNotFound` or `Conflicted`.
    pub accepted: String,
    /// Why, when not Accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// One per target reference, in declaration order.
    pub targets: Vec<TargetResult>,
    /// One per Gateway reached, sorted by namespace/name.
    pub ancestors: Vec<AncestorResult>,
}

/// Resolved policies: attachments, statuses, and effective policy on any path.
#[derive(Debug)]
pub struct PolicySet {
    graph: graph::Graph,
    options: PolicyOptions,
    reports: BTreeMap<String, PolicyReport>,
}

impl PolicySet {
    /// Reads the policies of `resources` and resolves their attachments and status.
    pub fn resolve(
        resources: &crate::Resources,
        registry: &PolicyRegistry,
        options: &PolicyOptions,
    ) -> Self {
        let graph = graph::Graph::build(resources, registry, options);
        let mut set = PolicySet {
            graph,
            options: options.clone(),
            reports: BTreeMap::new(),
        };
        set.reports = set.compute_reports();
        set
    }

    /// Whether there is any policy at all.
    pub fn is_empty(&self) -> bool {
        self.graph.policies.is_empty()
    }

    /// Status of every policy (except those with every reference ignored), keyed by identity.
    pub fn reports(&self) -> &BTreeMap<String, PolicyReport> {
        &self.reports
    }

    /// The policy kinds present.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.graph.policies.iter().map(|p| p.kind.clone()).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// The effective policy of `kind` on `path`.
    pub fn effective(&self, kind: &str, path: &PolicyPath) -> Effective {
        let nodes = self.graph.path_nodes(path);
        merge::effective(&self.graph, &self.options, kind, &nodes)
    }

    /// The name of port `number` of Service `namespace/name`, if it has one.
    pub fn port_name(&self, namespace: &str, name: &str, number: u16) -> Option<&str> {
        self.graph
            .services
            .get(&(namespace.to_owned(), name.to_owned()))?
            .iter()
            .find(|(n, p)| *p == number && !n.is_empty())
            .map(|(n, _)| n.as_str())
    }

    /// Every maximal path (SEMANTICS §4), for tools that list effective policies.
    pub fn paths(&self) -> Vec<PolicyPath> {
        self.graph
            .maximal_paths()
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    }

    fn compute_reports(&self) -> BTreeMap<String, PolicyReport> {
        let paths = self.graph.maximal_paths();
        // Per policy, the maximal paths through one of its nodes (in path order).
        let mut paths_of: Vec<Vec<usize>> = vec![Vec::new(); self.graph.policies.len()];
        for (i, (_, nodes)) in paths.iter().enumerate() {
            for n in nodes {
                for &pi in self.graph.by_node.get(n).into_iter().flatten() {
                    if paths_of[pi].last() != Some(&i) {
                        paths_of[pi].push(i);
                    }
                }
            }
        }
        let mut out = BTreeMap::new();
        for (pi, policy) in self.graph.policies.iter().enumerate() {
            if policy.all_ignored {
                continue;
            }
            let targets: Vec<TargetResult> = policy
                .refs
                .iter()
                .map(|r| TargetResult {
                    reference: r.label.clone(),
                    result: r.result.as_str().to_owned(),
                })
                .collect();
            let accepted = policy.accepted();
            let mut ancestors = Vec::new();
            if policy.invalid.is_none() {
                let mine: Vec<&(PolicyPath, Vec<graph::NodeId>)> =
                    paths_of[pi].iter().map(|&i| &paths[i]).collect();
                // Ancestors sorted by their `namespace/name` text (README `expect.policies`;
                // the same byte order as policy identities in §5.2 and `overriddenBy`).
                let mut gateways: Vec<(String, String)> =
                    mine.iter().map(|(p, _)| p.gateway.clone()).collect();
                gateways.sort_by_cached_key(|(ns, name)| format!("{ns}/{name}"));
                gateways.dedup();
                for gw in gateways {
                    let through: Vec<&(PolicyPath, Vec<graph::NodeId>)> = mine
                        .iter()
                        .copied()
                        .filter(|(p, _)| p.gateway == gw)
                        .collect();
                    let attached = through
                        .iter()
                        .filter(|(_, nodes)| nodes.iter().any(|n| policy.attached_to(n)))
                        .collect::<Vec<_>>();
                    let conflicted = through
                        .iter()
                        .any(|(_, nodes)| nodes.iter().any(|n| policy.conflicted_at(n)));
                    if attached.is_empty() {
                        if conflicted {
                            ancestors.push(AncestorResult {
                                gateway: format!("{}/{}", gw.0, gw.1),
                                accepted: "Conflicted".into(),
                                programmed: None,
                                overridden_by: Vec::new(),
                            });
                        }
                        continue;
                    }
                    let mut wins = 0usize;
                    let mut losses = 0usize;
                    let mut by: Vec<String> = Vec::new();
                    for (_, nodes) in attached {
                        let e = merge::effective(&self.graph, &self.options, &policy.kind, nodes);
                        wins += e.fields.values().filter(|f| f.policy == policy.id).count();
                        for d in e
                            .discarded
                            .iter()
                            .filter(|d| d.policy == policy.id && d.by != policy.id)
                        {
                            losses += 1;
                            by.push(d.by.clone());
                        }
                    }
                    by.sort();
                    by.dedup();
                    let programmed = match (wins > 0, losses > 0) {
                        (_, false) => "Programmed",
                        (true, true) => "PartiallyProgrammed",
                        (false, true) => "Overridden",
                    };
                    ancestors.push(AncestorResult {
                        gateway: format!("{}/{}", gw.0, gw.1),
                        accepted: "Accepted".into(),
                        programmed: Some(programmed.into()),
                        overridden_by: by,
                    });
                }
            }
            out.insert(
                policy.id.clone(),
                PolicyReport {
                    kind: policy.kind.clone(),
                    accepted: accepted.to_owned(),
                    message: policy.invalid.clone(),
                    targets,
                    ancestors,
                },
            );
        }
        out
    }
}
