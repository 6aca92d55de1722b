//! Effective policies precomputed per rule and backend, so a decision carries its
//! policy without work on the request path (GEP-713 policy attachment, `crate::policy`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use crate::ir::{BackendTarget, Ir, RouteKind};
use crate::policy::{PolicyPath, PolicySet};

/// Effective specs by policy kind.
pub(crate) type Specs = Arc<BTreeMap<String, Value>>;

/// `(gateway, listener, route, rule position, backend position)`; backend `None` for
/// decisions that reach no backend (redirects, errors).
type SiteKey = (usize, usize, usize, usize, Option<usize>);

/// The resolved policies and each rule's effective specs.
#[derive(Debug)]
pub(crate) struct PolicyTable {
    pub(crate) set: PolicySet,
    by_site: HashMap<SiteKey, Specs>,
}

impl PolicyTable {
    /// Computes the effective policy of every kind for every (listener, HTTPRoute rule,
    /// backend) the router can decide.
    pub(crate) fn build(ir: &Ir, set: PolicySet) -> Self {
        let kinds = set.kinds();
        let mut by_site = HashMap::new();
        for (g, gw) in ir.gateways.iter().enumerate() {
            for (l, listener) in gw.listeners.iter().enumerate() {
                for attachment in &listener.attachments {
                    let route = &ir.routes[attachment.route];
                    if route.kind != RouteKind::Http {
                        continue;
                    }
                    for (ri, rule) in route.rules.iter().enumerate() {
                        let rule_key = rule.name.clone().unwrap_or_else(|| rule.index.to_string());
                        let at_rule = PolicyPath::gateway(&gw.namespace, &gw.name)
                            .listener(&listener.name)
                            .route(&route.namespace, &route.name)
                            .rule(&rule_key);
                        let specs = |path: &PolicyPath| -> Option<Specs> {
                            let map: BTreeMap<String, Value> = kinds
                                .iter()
                                .filter_map(|k| {
                                    let e = set.effective(k, path);
                                    let empty = e.spec.as_object().is_none_or(|m| m.is_empty());
                                    (!empty).then(|| (k.clone(), e.spec))
                                })
                                .collect();
                            (!map.is_empty()).then(|| Arc::new(map))
                        };
                        if let Some(s) = specs(&at_rule) {
                            by_site.insert((g, l, attachment.route, ri, None), s);
                        }
                        for (bi, backend) in rule.action.backends.iter().enumerate() {
                            let BackendTarget::Service {
                                namespace,
                                name,
                                port,
                            } = &backend.target
                            else {
                                continue;
                            };
                            let mut path = at_rule.clone().service(namespace, name);
                            if let Some(port_name) = set.port_name(namespace, name, *port) {
                                path = path.port(port_name);
                            }
                            if let Some(s) = specs(&path) {
                                by_site.insert((g, l, attachment.route, ri, Some(bi)), s);
                            }
                        }
                    }
                }
            }
        }
        PolicyTable { set, by_site }
    }

    pub(crate) fn lookup(&self, key: SiteKey) -> Option<Specs> {
        self.by_site.get(&key).cloned()
    }
}
