//! Looking up referenced objects: Services, Secrets, ConfigMaps, Namespaces and
//! the ReferenceGrants that permit cross-namespace references.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;

use crate::resource::model::{
    ConfigMap, LabelSelector, Namespace, ReferenceGrant, Secret, Service,
};
use crate::resource::Object;

/// Label every Namespace carries in a real cluster (set by the API server).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Objects other resources refer to, by namespace and name.
#[derive(Default)]
pub(crate) struct RefIndex<'r> {
    namespaces: HashMap<&'r str, &'r Namespace>,
    services: HashMap<(&'r str, &'r str), &'r Service>,
    secrets: HashMap<(&'r str, &'r str), &'r Secret>,
    config_maps: HashMap<(&'r str, &'r str), &'r ConfigMap>,
    grants: Vec<(&'r str, &'r ReferenceGrant)>,
}

pub(crate) fn ns_of(namespace: Option<&String>) -> &str {
    namespace.map_or("default", String::as_str)
}

impl<'r> RefIndex<'r> {
    pub(crate) fn new(objects: &'r [Object]) -> Self {
        let mut idx = RefIndex::default();
        for object in objects {
            match object {
                Object::Namespace(n) => {
                    idx.namespaces.entry(&n.metadata.name).or_insert(n);
                }
                Object::Service(s) => {
                    idx.services
                        .entry((ns_of(s.metadata.namespace.as_ref()), &s.metadata.name))
                        .or_insert(s);
                }
                Object::Secret(s) => {
                    idx.secrets
                        .entry((ns_of(s.metadata.namespace.as_ref()), &s.metadata.name))
                        .or_insert(s);
                }
                Object::ConfigMap(c) => {
                    idx.config_maps
                        .entry((ns_of(c.metadata.namespace.as_ref()), &c.metadata.name))
                        .or_insert(c);
                }
                Object::ReferenceGrant(g) => {
                    idx.grants.push((ns_of(g.metadata.namespace.as_ref()), g))
                }
                _ => {}
            }
        }
        idx
    }

    pub(crate) fn service(&self, namespace: &str, name: &str) -> Option<&'r Service> {
        self.services.get(&(namespace, name)).copied()
    }

    pub(crate) fn secret(&self, namespace: &str, name: &str) -> Option<&'r Secret> {
        self.secrets.get(&(namespace, name)).copied()
    }

    pub(crate) fn config_map(&self, namespace: &str, name: &str) -> Option<&'r ConfigMap> {
        self.config_maps.get(&(namespace, name)).copied()
    }

    /// Whether a ReferenceGrant in `to_namespace` permits `from_kind` objects in
    /// `from_namespace` to refer to `to_kind` `to_name`. `ReferenceGrantSpec`:
    /// entries of `from` and of `to` are ORed; `to.name` empty grants every name
    /// (referencegrant_types.go 25–40).
    pub(crate) fn granted(&self, from: (&str, &str, &str), to: (&str, &str, &str, &str)) -> bool {
        let (from_group, from_kind, from_namespace) = from;
        let (to_group, to_kind, to_namespace, to_name) = to;
        self.grants
            .iter()
            .filter(|(ns, _)| *ns == to_namespace)
            .any(|(_, g)| {
                g.spec.from.iter().any(|f| {
                    f.group == from_group && f.kind == from_kind && f.namespace == from_namespace
                }) && g.spec.to.iter().any(|t| {
                    t.group == to_group
                        && t.kind == to_kind
                        && t.name
                            .as_deref()
                            .is_none_or(|n| n.is_empty() || n == to_name)
                })
            })
    }

    /// Whether the Namespace's labels satisfy `selector`. A namespace missing from
    /// the input still has the `kubernetes.io/metadata.name` label.
    pub(crate) fn namespace_selected(&self, namespace: &str, selector: &LabelSelector) -> bool {
        let mut labels: BTreeMap<&str, &str> = BTreeMap::new();
        labels.insert(NAMESPACE_NAME_LABEL, namespace);
        if let Some(ns) = self.namespaces.get(namespace) {
            for (k, v) in &ns.metadata.labels {
                labels.insert(k, v);
            }
        }
        selector_matches(selector, &labels)
    }
}

/// Kubernetes label selector semantics: `matchLabels` and `matchExpressions` are ANDed.
pub(crate) fn selector_matches(selector: &LabelSelector, labels: &BTreeMap<&str, &str>) -> bool {
    selector
        .match_labels
        .iter()
        .all(|(k, v)| labels.get(k.as_str()) == Some(&v.as_str()))
        && selector.match_expressions.iter().all(|req| {
            let value = labels.get(req.key.as_str());
            match req.operator.as_str() {
                "In" => value.is_some_and(|v| req.values.iter().any(|x| x == v)),
                "NotIn" => value.is_none_or(|v| !req.values.iter().any(|x| x == v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                // An unknown operator selects nothing (the API server would reject it).
                _ => false,
            }
        })
}

/// Whether a Secret holds a usable TLS certificate and key: base64 data whose
/// text is PEM (`-----BEGIN CERTIFICATE-----` and a `PRIVATE KEY` block). The
/// certificate is not parsed further; that is the data plane's job.
pub(crate) fn secret_is_tls_pair(secret: &Secret) -> bool {
    let pem = |key: &str| {
        secret
            .data
            .get(key)
            .and_then(|b64| {
                base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .ok()
            })
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let (Some(cert), Some(key)) = (pem("tls.crt"), pem("tls.key")) else {
        return false;
    };
    cert.contains("-----BEGIN CERTIFICATE-----")
        && key.contains("-----BEGIN ")
        && key.contains("PRIVATE KEY-----")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::model::LabelSelectorRequirement;

    #[test]
    fn selector_expressions() {
        let mut sel = LabelSelector::default();
        sel.match_expressions.push(LabelSelectorRequirement {
            key: "team".into(),
            operator: "In".into(),
            values: vec!["a".into(), "b".into()],
        });
        let mut labels = BTreeMap::new();
        assert!(!selector_matches(&sel, &labels));
        labels.insert("team", "b");
        assert!(selector_matches(&sel, &labels));
        sel.match_labels.insert("env".into(), "prod".into());
        assert!(!selector_matches(&sel, &labels));
    }
}
