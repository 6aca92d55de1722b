//! The targetable nodes, policy validation and attachment (SEMANTICS §3), and
//! the paths of §4.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{
    LegacyTargetRef, MissingTargets, PolicyClass, PolicyOptions, PolicyPath, PolicyRegistry,
    SameTargetConflicts, Strategy,
};
use crate::attach::parse_timestamp;
use crate::diag::GATEWAY_GROUP;
use crate::ir::Timestamp;
use crate::resource::{Object, Resources};

/// Hierarchy level of a node, least to most specific (SEMANTICS §1 "Level").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[non_exhaustive]
pub enum Level {
    /// A GatewayClass.
    GatewayClass,
    /// A Gateway.
    Gateway,
    /// A listener (Gateway + sectionName).
    Listener,
    /// An HTTPRoute.
    #[serde(rename = "HTTPRoute")]
    HttpRoute,
    /// A route rule (HTTPRoute + sectionName).
    #[serde(rename = "HTTPRouteRule")]
    HttpRouteRule,
    /// A Service.
    Service,
    /// A Service port (Service + sectionName).
    ServicePort,
}

/// A targetable node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum NodeId {
    GatewayClass(String),
    Gateway(String, String),
    Listener(String, String, String),
    Route(String, String),
    /// Rule name, or `#index` for unnamed rules (which no policy can target, G995).
    Rule(String, String, String),
    Service(String, String),
    ServicePort(String, String, String),
}

impl Level {
    /// The name used in status and provenance, e.g. `HTTPRouteRule`.
    ///
    /// ```
    /// assert_eq!(gatewright::policy::Level::HttpRouteRule.as_str(), "HTTPRouteRule");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Level::GatewayClass => "GatewayClass",
            Level::Gateway => "Gateway",
            Level::Listener => "Listener",
            Level::HttpRoute => "HTTPRoute",
            Level::HttpRouteRule => "HTTPRouteRule",
            Level::Service => "Service",
            Level::ServicePort => "ServicePort",
        }
    }
}

impl NodeId {
    pub(crate) fn level(&self) -> Level {
        match self {
            NodeId::GatewayClass(_) => Level::GatewayClass,
            NodeId::Gateway(..) => Level::Gateway,
            NodeId::Listener(..) => Level::Listener,
            NodeId::Route(..) => Level::HttpRoute,
            NodeId::Rule(..) => Level::HttpRouteRule,
            NodeId::Service(..) => Level::Service,
            NodeId::ServicePort(..) => Level::ServicePort,
        }
    }
}

/// The result of one target reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RefResult {
    Attached(NodeId),
    TargetNotFound,
    Invalid(String),
    Conflicted(NodeId, String),
    /// missingTargets=ignore: dropped without a result.
    Ignored,
}

impl RefResult {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            RefResult::Attached(_) => "Attached",
            RefResult::TargetNotFound => "TargetNotFound",
            RefResult::Invalid(_) => "Invalid",
            RefResult::Conflicted(..) => "Conflicted",
            RefResult::Ignored => "Ignored",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Ref {
    pub(crate) label: String,
    pub(crate) result: RefResult,
}

/// One policy, validated.
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    /// `namespace/name`, `/name` when cluster-scoped.
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) created: Timestamp,
    pub(crate) strategy: Strategy,
    /// (stanza, value) layers: `defaults`, `overrides`, or `spec`.
    pub(crate) stanzas: Vec<(&'static str, Value)>,
    pub(crate) refs: Vec<Ref>,
    /// Why the policy is Invalid as a whole.
    pub(crate) invalid: Option<String>,
    /// Every reference was ignored (missingTargets=ignore): no status at all.
    pub(crate) all_ignored: bool,
}

impl Policy {
    pub(crate) fn attached_to(&self, node: &NodeId) -> bool {
        self.refs
            .iter()
            .any(|r| matches!(&r.result, RefResult::Attached(n) if n == node))
    }

    pub(crate) fn conflicted_at(&self, node: &NodeId) -> bool {
        self.refs
            .iter()
            .any(|r| matches!(&r.result, RefResult::Conflicted(n, _) if n == node))
    }

    /// SEMANTICS §3.4: Accepted if any reference attached, else the first of Invalid,
    /// Conflicted, TargetNotFound present.
    pub(crate) fn accepted(&self) -> &'static str {
        if self.invalid.is_some() {
            return "Invalid";
        }
        let has = |s: &str| self.refs.iter().any(|r| r.result.as_str() == s);
        ["Attached", "Invalid", "Conflicted", "TargetNotFound"]
            .into_iter()
            .find(|s| has(s))
            .map_or("TargetNotFound", |s| {
                if s == "Attached" {
                    "Accepted"
                } else {
                    s
                }
            })
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Gateway {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) class: String,
    pub(crate) listeners: Vec<String>,
}

/// A backendRef of a rule: (namespace, name, port).
pub(crate) type BackendKey = (String, String, Option<u16>);

#[derive(Clone, Debug)]
pub(crate) struct Route {
    pub(crate) namespace: String,
    pub(crate) name: String,
    /// (gateway namespace, gateway name, sectionName).
    pub(crate) parents: Vec<(String, String, Option<String>)>,
    /// (rule key, backends: (namespace, name, port)).
    pub(crate) rules: Vec<(String, Vec<BackendKey>)>,
}

/// One attached reference competing for a node: (created, policy id, policy index, ref index).
type Claim = (Timestamp, String, usize, usize);

/// The routing objects and policies the resolver works on.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub(crate) classes: Vec<String>,
    pub(crate) gateways: Vec<Gateway>,
    pub(crate) routes: Vec<Route>,
    /// (namespace, name) → ports (name, number).
    pub(crate) services: BTreeMap<(String, String), Vec<(String, u16)>>,
    pub(crate) policies: Vec<Policy>,
    /// (namespace, name) → index in `routes`.
    route_index: std::collections::HashMap<(String, String), usize>,
    /// Node → policies with an Attached or Conflicted reference to it, so the
    /// effective policy of a path only looks at the policies of its nodes.
    pub(crate) by_node: std::collections::HashMap<NodeId, Vec<usize>>,
}

const TARGET_KINDS: [(&str, &str); 4] = [
    (GATEWAY_GROUP, "GatewayClass"),
    (GATEWAY_GROUP, "Gateway"),
    (GATEWAY_GROUP, "HTTPRoute"),
    ("", "Service"),
];

impl Graph {
    pub(crate) fn build(
        resources: &Resources,
        registry: &PolicyRegistry,
        options: &PolicyOptions,
    ) -> Self {
        let mut g = Graph::default();
        for object in resources.objects() {
            match object {
                Object::GatewayClass(c) => g.classes.push(c.metadata.name.clone()),
                Object::Gateway(gw) => g.gateways.push(Gateway {
                    namespace: ns(gw.metadata.namespace.as_deref()),
                    name: gw.metadata.name.clone(),
                    class: gw.spec.gateway_class_name.clone(),
                    listeners: gw.spec.listeners.iter().map(|l| l.name.clone()).collect(),
                }),
                Object::HttpRoute(r) => {
                    let route_ns = ns(r.metadata.namespace.as_deref());
                    let parents = r
                        .spec
                        .parent_refs
                        .iter()
                        .filter(|p| p.kind.as_deref().unwrap_or("Gateway") == "Gateway")
                        .map(|p| {
                            (
                                p.namespace.clone().unwrap_or_else(|| route_ns.clone()),
                                p.name.clone(),
                                p.section_name.clone(),
                            )
                        })
                        .collect();
                    let rules = r
                        .spec
                        .rules
                        .iter()
                        .enumerate()
                        .map(|(i, rule)| {
                            let key = rule.name.clone().unwrap_or_else(|| format!("#{i}"));
                            let backends = rule
                                .backend_refs
                                .iter()
                                .filter(|b| {
                                    b.kind.as_deref().unwrap_or("Service") == "Service"
                                        && b.group.as_deref().unwrap_or("").is_empty()
                                })
                                .map(|b| {
                                    (
                                        b.namespace.clone().unwrap_or_else(|| route_ns.clone()),
                                        b.name.clone(),
                                        b.port,
                                    )
                                })
                                .collect();
                            (key, backends)
                        })
                        .collect();
                    g.routes.push(Route {
                        namespace: route_ns,
                        name: r.metadata.name.clone(),
                        parents,
                        rules,
                    });
                }
                Object::Service(s) => {
                    g.services.insert(
                        (ns(s.metadata.namespace.as_deref()), s.metadata.name.clone()),
                        s.spec
                            .ports
                            .iter()
                            .map(|p| (p.name.clone().unwrap_or_default(), p.port))
                            .collect(),
                    );
                }
                _ => {}
            }
        }
        g.route_index = g
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.namespace.clone(), r.name.clone()), i))
            .collect();
        for p in resources.policies() {
            let policy = g.policy(p, registry, options);
            g.policies.push(policy);
        }
        g.resolve_conflicts(registry, options);
        for (pi, p) in g.policies.iter().enumerate() {
            for r in &p.refs {
                if let RefResult::Attached(n) | RefResult::Conflicted(n, _) = &r.result {
                    let list = g.by_node.entry(n.clone()).or_default();
                    if list.last() != Some(&pi) {
                        list.push(pi);
                    }
                }
            }
        }
        g
    }

    /// SEMANTICS §3.1 and §3.2 for one policy.
    fn policy(
        &self,
        p: &crate::resource::PolicyObject,
        registry: &PolicyRegistry,
        options: &PolicyOptions,
    ) -> Policy {
        let kind_config = registry.kind(&p.kind);
        let namespace = p.metadata.namespace.clone().filter(|n| !n.is_empty());
        let id = format!("{}/{}", namespace.as_deref().unwrap_or(""), p.metadata.name);
        let mut policy = Policy {
            id,
            kind: p.kind.clone(),
            created: (0, 0),
            strategy: options.default_strategy,
            stanzas: Vec::new(),
            refs: Vec::new(),
            invalid: None,
            all_ignored: false,
        };
        let spec = p.spec.as_object().cloned().unwrap_or_default();
        let invalid = |policy: &mut Policy, why: &str| policy.invalid = Some(why.to_owned());
        match p
            .metadata
            .creation_timestamp
            .as_deref()
            .and_then(parse_timestamp)
        {
            Some(t) => policy.created = t,
            None => {
                invalid(
                    &mut policy,
                    "missing or unparsable metadata.creationTimestamp",
                );
                return policy;
            }
        }
        let single = spec.get("targetRef").filter(|v| !v.is_null());
        let list = spec.get("targetRefs").filter(|v| !v.is_null());
        let refs: Vec<Value> = match (single, list) {
            (Some(_), Some(_)) if options.legacy_target_ref == LegacyTargetRef::RejectBoth => {
                invalid(
                    &mut policy,
                    "targetRef and targetRefs are mutually exclusive",
                );
                return policy;
            }
            (Some(s), _) => vec![s.clone()],
            (None, Some(Value::Array(l))) => l.clone(),
            _ => Vec::new(),
        };
        if refs.is_empty() {
            invalid(&mut policy, "no target reference");
            return policy;
        }
        if refs.len() > 16 {
            invalid(&mut policy, "more than 16 target references");
            return policy;
        }
        let key = |r: &Value| {
            ["group", "kind", "name", "sectionName"]
                .map(|k| r.get(k).and_then(Value::as_str).unwrap_or("").to_owned())
        };
        for (i, a) in refs.iter().enumerate() {
            if refs[..i].iter().any(|b| key(a) == key(b)) {
                invalid(&mut policy, "duplicate target references");
                return policy;
            }
        }
        // The layers.
        match kind_config.class {
            PolicyClass::Inherited => {
                match spec.get("strategy") {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if s == "atomic" => policy.strategy = Strategy::Atomic,
                    Some(Value::String(s)) if s == "merge" => policy.strategy = Strategy::Merge,
                    _ => {
                        invalid(&mut policy, "strategy must be atomic or merge");
                        return policy;
                    }
                }
                for stanza in ["defaults", "overrides"] {
                    if let Some(v) = spec
                        .get(stanza)
                        .filter(|v| has_leaf(v, options.merge_depth))
                    {
                        policy.stanzas.push((stanza, v.clone()));
                    }
                }
                if policy.stanzas.is_empty() {
                    invalid(&mut policy, "neither defaults nor overrides has a value");
                    return policy;
                }
            }
            PolicyClass::Direct | PolicyClass::SpecDefaults => {
                if kind_config.class == PolicyClass::Direct
                    && ["defaults", "overrides", "strategy"]
                        .iter()
                        .any(|k| spec.contains_key(*k))
                {
                    invalid(
                        &mut policy,
                        "a direct policy has no defaults, overrides or strategy",
                    );
                    return policy;
                }
                let mut proper = spec.clone();
                proper.remove("targetRef");
                proper.remove("targetRefs");
                if kind_config.class == PolicyClass::SpecDefaults {
                    // Envoy Gateway: a policy that sets mergeType is merged into its parent.
                    if proper.remove("mergeType").is_some() {
                        policy.strategy = Strategy::Merge;
                    }
                } else {
                    policy.strategy = Strategy::Atomic;
                }
                let proper = Value::Object(proper);
                if !has_leaf(&proper, options.merge_depth) {
                    invalid(&mut policy, "empty spec");
                    return policy;
                }
                policy.stanzas.push(("spec", proper));
            }
        }
        for r in &refs {
            let result =
                self.resolve_ref(r, namespace.as_deref(), &kind_config.target_kinds, options);
            policy.refs.push(Ref {
                label: label(r),
                result,
            });
        }
        policy.all_ignored = policy.refs.iter().all(|r| r.result == RefResult::Ignored);
        policy.refs.retain(|r| r.result != RefResult::Ignored);
        policy
    }

    /// SEMANTICS §3.2, steps 1–6.
    fn resolve_ref(
        &self,
        r: &Value,
        policy_ns: Option<&str>,
        target_kinds: &[String],
        options: &PolicyOptions,
    ) -> RefResult {
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
        let (group, kind, name, section) = (
            s("group"),
            s("kind"),
            s("name"),
            r.get("sectionName").and_then(Value::as_str),
        );
        if !TARGET_KINDS.contains(&(group, kind)) || !target_kinds.iter().any(|k| k == kind) {
            return RefResult::Invalid(format!("{group}/{kind} cannot be targeted"));
        }
        let cluster_scoped = policy_ns.is_none();
        if (kind == "GatewayClass") != cluster_scoped {
            return RefResult::Invalid(
                "only cluster-scoped policies target GatewayClasses, and they target nothing else"
                    .into(),
            );
        }
        if kind == "GatewayClass" && section.is_some() {
            return RefResult::Invalid("sectionName is meaningless on a GatewayClass".into());
        }
        if let Some(target_ns) = r.get("namespace").and_then(Value::as_str) {
            if Some(target_ns) != policy_ns {
                return RefResult::Invalid("targets must be in the policy's namespace".into());
            }
        }
        let ns = policy_ns.unwrap_or("").to_owned();
        let missing = || match options.missing_targets {
            MissingTargets::Report => RefResult::TargetNotFound,
            MissingTargets::Ignore => RefResult::Ignored,
        };
        let node = match kind {
            "GatewayClass" => {
                if !self.classes.iter().any(|c| c == name) {
                    return missing();
                }
                NodeId::GatewayClass(name.to_owned())
            }
            "Gateway" => {
                let Some(gw) = self
                    .gateways
                    .iter()
                    .find(|g| g.namespace == ns && g.name == name)
                else {
                    return missing();
                };
                match section {
                    None => NodeId::Gateway(ns, name.to_owned()),
                    Some(l) if gw.listeners.iter().any(|x| x == l) => {
                        NodeId::Listener(ns, name.to_owned(), l.to_owned())
                    }
                    Some(_) => return RefResult::TargetNotFound,
                }
            }
            "HTTPRoute" => {
                let Some(route) = self
                    .route_index
                    .get(&(ns.clone(), name.to_owned()))
                    .map(|&i| &self.routes[i])
                else {
                    return missing();
                };
                match section {
                    None => NodeId::Route(ns, name.to_owned()),
                    Some(rule)
                        if !rule.starts_with('#') && route.rules.iter().any(|(k, _)| k == rule) =>
                    {
                        NodeId::Rule(ns, name.to_owned(), rule.to_owned())
                    }
                    Some(_) => return RefResult::TargetNotFound,
                }
            }
            _ => {
                let Some(ports) = self.services.get(&(ns.clone(), name.to_owned())) else {
                    return missing();
                };
                match section {
                    None => NodeId::Service(ns, name.to_owned()),
                    Some(p) if ports.iter().any(|(n, _)| n == p) => {
                        NodeId::ServicePort(ns, name.to_owned(), p.to_owned())
                    }
                    Some(_) => return RefResult::TargetNotFound,
                }
            }
        };
        RefResult::Attached(node)
    }

    /// SEMANTICS §3.3: direct kinds (and inherited ones with sameTargetConflicts=reject):
    /// per node, the senior attachment keeps it, the others are Conflicted.
    fn resolve_conflicts(&mut self, registry: &PolicyRegistry, options: &PolicyOptions) {
        let mut by_node: BTreeMap<(String, NodeId), Vec<Claim>> = BTreeMap::new();
        for (pi, p) in self.policies.iter().enumerate() {
            let rejects = registry.kind(&p.kind).class == PolicyClass::Direct
                || options.same_target_conflicts == SameTargetConflicts::Reject;
            if !rejects || p.invalid.is_some() {
                continue;
            }
            for (ri, r) in p.refs.iter().enumerate() {
                if let RefResult::Attached(n) = &r.result {
                    by_node
                        .entry((p.kind.clone(), n.clone()))
                        .or_default()
                        .push((p.created, p.id.clone(), pi, ri));
                }
            }
        }
        for ((_, node), mut list) in by_node {
            list.sort();
            let winner = list[0].1.clone();
            for (_, _, pi, ri) in list.into_iter().skip(1) {
                self.policies[pi].refs[ri].result =
                    RefResult::Conflicted(node.clone(), winner.clone());
            }
        }
    }

    /// The nodes of a queried path (GatewayClass implied when it exists).
    pub(crate) fn path_nodes(&self, path: &PolicyPath) -> Vec<NodeId> {
        let (gns, gname) = &path.gateway;
        let mut nodes = Vec::new();
        if let Some(gw) = self
            .gateways
            .iter()
            .find(|g| &g.namespace == gns && &g.name == gname)
        {
            if self.classes.contains(&gw.class) {
                nodes.push(NodeId::GatewayClass(gw.class.clone()));
            }
        }
        nodes.push(NodeId::Gateway(gns.clone(), gname.clone()));
        if let Some(l) = &path.listener {
            nodes.push(NodeId::Listener(gns.clone(), gname.clone(), l.clone()));
        }
        if let Some((rns, rname)) = &path.route {
            nodes.push(NodeId::Route(rns.clone(), rname.clone()));
            if let Some(rule) = &path.rule {
                // An unnamed rule is written as its index.
                let key = self
                    .route_index
                    .get(&(rns.clone(), rname.clone()))
                    .map(|&i| &self.routes[i])
                    .and_then(|r| {
                        rule.parse::<usize>()
                            .ok()
                            .and_then(|i| r.rules.get(i))
                            .filter(|(k, _)| k.starts_with('#'))
                            .map(|(k, _)| k.clone())
                    })
                    .unwrap_or_else(|| rule.clone());
                nodes.push(NodeId::Rule(rns.clone(), rname.clone(), key));
            }
        }
        if let Some((sns, sname)) = &path.service {
            nodes.push(NodeId::Service(sns.clone(), sname.clone()));
            if let Some(p) = &path.port {
                nodes.push(NodeId::ServicePort(sns.clone(), sname.clone(), p.clone()));
            }
        }
        nodes
    }

    /// SEMANTICS §4: every maximal path, with its nodes.
    pub(crate) fn maximal_paths(&self) -> Vec<(PolicyPath, Vec<NodeId>)> {
        let mut out = Vec::new();
        for gw in &self.gateways {
            let base = PolicyPath::gateway(&gw.namespace, &gw.name);
            for l in &gw.listeners {
                let at_listener = base.clone().listener(l);
                let routes: Vec<&Route> = self
                    .routes
                    .iter()
                    .filter(|r| {
                        r.parents.iter().any(|(ns, name, section)| {
                            *ns == gw.namespace
                                && *name == gw.name
                                && section.as_ref().is_none_or(|s| s == l)
                        })
                    })
                    .collect();
                if routes.is_empty() {
                    out.push(at_listener.clone());
                }
                for r in routes {
                    let at_route = at_listener.clone().route(&r.namespace, &r.name);
                    if r.rules.is_empty() {
                        out.push(at_route.clone());
                    }
                    for (i, (key, backends)) in r.rules.iter().enumerate() {
                        let rule_label = if key.starts_with('#') {
                            i.to_string()
                        } else {
                            key.clone()
                        };
                        let at_rule = at_route.clone().rule(&rule_label);
                        let mut any = false;
                        for (sns, sname, port) in backends {
                            let Some(ports) = self.services.get(&(sns.clone(), sname.clone()))
                            else {
                                continue;
                            };
                            any = true;
                            let at_service = at_rule.clone().service(sns, sname);
                            match ports
                                .iter()
                                .find(|(n, p)| Some(*p) == *port && !n.is_empty())
                            {
                                Some((n, _)) => out.push(at_service.port(n)),
                                None => out.push(at_service),
                            }
                        }
                        if !any {
                            out.push(at_rule);
                        }
                    }
                }
            }
        }
        out.into_iter()
            .map(|p| {
                let nodes = self.path_nodes(&p);
                (p, nodes)
            })
            .collect()
    }
}

fn ns(namespace: Option<&str>) -> String {
    namespace.unwrap_or("default").to_owned()
}

/// `Kind/name[#section]`.
fn label(r: &Value) -> String {
    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
    match r.get("sectionName").and_then(Value::as_str) {
        Some(sec) => format!("{}/{}#{sec}", s("kind"), s("name")),
        None => format!("{}/{}", s("kind"), s("name")),
    }
}

/// Whether a value has at least one leaf (SEMANTICS §1 "Leaf": empty objects contribute
/// nothing; with `mergeDepth: top-level` every top-level key is one leaf whatever its value).
pub(crate) fn has_leaf(v: &Value, depth: super::MergeDepth) -> bool {
    match (v, depth) {
        (Value::Object(m), super::MergeDepth::TopLevel) => !m.is_empty(),
        (Value::Object(m), super::MergeDepth::Deep) => m
            .values()
            .any(|x| !matches!(x, Value::Object(_)) || has_leaf(x, depth)),
        _ => true,
    }
}
