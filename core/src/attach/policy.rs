//! BackendTLSPolicy: which policy governs each Service port, whether it is
//! valid, and its status per ancestor Gateway.
//!
//! Source: `apis/v1/backendtlspolicy_types.go` (Gateway API v1.6). A policy
//! targets Services, optionally one port by name (`sectionName`). A policy for a
//! port beats one for the whole Service; among policies for the same target the
//! oldest wins, then `{namespace}/{name}`, and the others are `Accepted=False`
//! with reason `Conflicted`. A backend whose governing policy is invalid gets no
//! traffic (the corpus README, "Backend TLS outcomes").

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::parse_timestamp;
use super::refs::{ns_of, RefIndex};
use crate::diag::{
    Code, Condition, Diagnostic, ObjectRef, ObjectStatus, PolicyAncestorStatus, PolicyStatus,
    Severity, StatusEntry, StatusParentRef, GATEWAY_GROUP,
};
use crate::ir::BackendTls;
use crate::resource::model::BackendTlsPolicy;
use crate::resource::Object;

/// Why a policy cannot be applied: (ResolvedRefs reason, message).
type Problem = (&'static str, String);

struct Entry<'r> {
    policy: &'r BackendTlsPolicy,
    object: ObjectRef,
    tls: Result<Arc<BackendTls>, Problem>,
    /// The policy that won a conflict with this one.
    conflicted_by: Option<(usize, String)>,
}

/// Every BackendTLSPolicy, indexed by target.
pub(crate) struct BackendTlsPolicies<'r> {
    entries: Vec<Entry<'r>>,
    /// (namespace, Service, port name or None for the whole Service) → winning entry.
    winners: HashMap<(String, String, Option<String>), usize>,
}

impl<'r> BackendTlsPolicies<'r> {
    pub(crate) fn new(
        objects: &'r [Object],
        refs: &RefIndex<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Self {
        let mut entries = Vec::new();
        for object in objects {
            let Object::BackendTlsPolicy(policy) = object else {
                continue;
            };
            let ns = ns_of(policy.metadata.namespace.as_ref());
            let object_ref = ObjectRef::new(
                GATEWAY_GROUP,
                "BackendTLSPolicy",
                Some(ns),
                &policy.metadata.name,
            );
            let tls = validate(policy, ns, refs);
            if let Err((_, message)) = &tls {
                diagnostics.push(Diagnostic::new(
                    Code::InvalidCaCertificateRef,
                    Severity::Error,
                    &object_ref,
                    "spec.validation",
                    message.clone(),
                ));
            }
            entries.push(Entry {
                policy,
                object: object_ref,
                tls,
                conflicted_by: None,
            });
        }
        // Conflicts: oldest first, then namespace/name.
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|&a, &b| {
            let t = |i: usize| {
                entries[i]
                    .policy
                    .metadata
                    .creation_timestamp
                    .as_deref()
                    .and_then(parse_timestamp)
            };
            let age = match (t(a), t(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            age.then_with(|| {
                (&entries[a].object.namespace, &entries[a].object.name)
                    .cmp(&(&entries[b].object.namespace, &entries[b].object.name))
            })
        });
        let mut winners: HashMap<(String, String, Option<String>), usize> = HashMap::new();
        for i in order {
            let ns = entries[i].object.namespace.clone().unwrap_or_default();
            for target in &entries[i].policy.spec.target_refs {
                if !target.group.is_empty() || target.kind != "Service" {
                    continue;
                }
                let key = (ns.clone(), target.name.clone(), target.section_name.clone());
                match winners.get(&key) {
                    Some(&w) if w != i => {
                        let winner = format!("{}/{}", ns, entries[w].object.name);
                        diagnostics.push(Diagnostic::new(
                            Code::PolicyConflict,
                            Severity::Warning,
                            &entries[i].object,
                            "spec.targetRefs",
                            format!("BackendTLSPolicy {winner} already governs Service {}{}; this policy is not applied there", target.name, target.section_name.as_ref().map(|s| format!(" port {s}")).unwrap_or_default()),
                        ));
                        entries[i].conflicted_by = Some((w, winner));
                    }
                    Some(_) => {}
                    None => {
                        winners.insert(key, i);
                    }
                }
            }
        }
        BackendTlsPolicies { entries, winners }
    }

    /// The policy governing a Service port: one for the port by name, else one for the whole Service.
    pub(crate) fn governing(
        &self,
        namespace: &str,
        service: &str,
        port_name: Option<&str>,
    ) -> Option<usize> {
        let key = |section: Option<&str>| {
            (
                namespace.to_owned(),
                service.to_owned(),
                section.map(str::to_owned),
            )
        };
        port_name
            .and_then(|p| self.winners.get(&key(Some(p))))
            .or_else(|| self.winners.get(&key(None)))
            .copied()
    }

    /// The TLS settings of a policy, or why the backend must get no traffic.
    pub(crate) fn tls(&self, index: usize) -> Result<Arc<BackendTls>, String> {
        let entry = &self.entries[index];
        entry.tls.clone().map_err(|(_, message)| {
            format!(
                "BackendTLSPolicy {}/{} is invalid: {message}",
                entry.object.namespace.as_deref().unwrap_or(""),
                entry.object.name
            )
        })
    }

    /// Status of every policy: one ancestor entry per Gateway that routes to a target.
    pub(crate) fn status(
        &self,
        ancestors: &HashMap<usize, BTreeSet<(String, String)>>,
        controller: &str,
    ) -> Vec<StatusEntry> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let conditions = match (&e.conflicted_by, &e.tls) {
                    (Some((_, winner)), _) => vec![Condition::new(
                        "Accepted",
                        false,
                        "Conflicted",
                        format!("BackendTLSPolicy {winner} governs the same target"),
                    )],
                    (None, Ok(_)) => vec![
                        Condition::new("Accepted", true, "Accepted", ""),
                        Condition::new("ResolvedRefs", true, "ResolvedRefs", ""),
                    ],
                    (None, Err((reason, message))) => vec![
                        Condition::new("Accepted", false, "NoValidCACertificate", message.clone()),
                        Condition::new("ResolvedRefs", false, reason, message.clone()),
                    ],
                };
                // A conflicted policy reports on the Gateways its winner serves.
                let source = e.conflicted_by.as_ref().map_or(i, |(w, _)| *w);
                let ancestors = ancestors
                    .get(&source)
                    .into_iter()
                    .flatten()
                    .map(|(ns, name)| PolicyAncestorStatus {
                        ancestor_ref: StatusParentRef {
                            group: GATEWAY_GROUP.into(),
                            kind: "Gateway".into(),
                            namespace: ns.clone(),
                            name: name.clone(),
                            section_name: None,
                            port: None,
                        },
                        controller_name: controller.to_owned(),
                        conditions: conditions.clone(),
                    })
                    .collect();
                StatusEntry {
                    kind: "BackendTLSPolicy".into(),
                    namespace: e.object.namespace.clone(),
                    name: e.object.name.clone(),
                    status: ObjectStatus::Policy(PolicyStatus { ancestors }),
                }
            })
            .collect()
    }
}

/// `BackendTLSPolicyValidation`: CA refs must be ConfigMaps in the policy's
/// namespace holding a PEM `ca.crt` (reasons `InvalidKind`, `InvalidCACertificateRef`).
fn validate(
    policy: &BackendTlsPolicy,
    namespace: &str,
    refs: &RefIndex<'_>,
) -> Result<Arc<BackendTls>, Problem> {
    let v = &policy.spec.validation;
    let mut ca_refs = Vec::new();
    for r in &v.ca_certificate_refs {
        let group = r.group.as_deref().unwrap_or("");
        let kind = r.kind.as_deref().unwrap_or("ConfigMap");
        if !group.is_empty() || kind != "ConfigMap" {
            return Err((
                "InvalidKind",
                format!("caCertificateRefs names {group}/{kind}; only ConfigMaps are supported"),
            ));
        }
        let Some(cm) = refs.config_map(namespace, &r.name) else {
            return Err((
                "InvalidCACertificateRef",
                format!("ConfigMap {namespace}/{} not found", r.name),
            ));
        };
        if !cm
            .data
            .get("ca.crt")
            .is_some_and(|pem| pem.contains("-----BEGIN CERTIFICATE-----"))
        {
            return Err((
                "InvalidCACertificateRef",
                format!(
                    "ConfigMap {namespace}/{} has no PEM certificate in ca.crt",
                    r.name
                ),
            ));
        }
        ca_refs.push((kind.to_owned(), r.name.clone()));
    }
    if ca_refs.is_empty() && v.well_known_ca_certificates.is_none() {
        return Err((
            "InvalidCACertificateRef",
            "neither caCertificateRefs nor wellKnownCACertificates is set".into(),
        ));
    }
    Ok(Arc::new(BackendTls {
        policy: format!("{namespace}/{}", policy.metadata.name),
        hostname: v.hostname.clone(),
        ca_certificate_refs: ca_refs,
        well_known_ca_certificates: v.well_known_ca_certificates.clone(),
        subject_alt_names: v
            .subject_alt_names
            .iter()
            .filter_map(|san| match san.kind.as_str() {
                "Hostname" => Some(("Hostname".to_owned(), san.hostname.clone()?)),
                "URI" => Some(("URI".to_owned(), san.uri.clone()?)),
                _ => None,
            })
            .collect(),
    }))
}
