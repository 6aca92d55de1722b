//! The Istio front end: `networking.istio.io` Gateway, VirtualService and
//! DestinationRule, decided the way Istio's pilot translates them for Envoy and
//! Envoy evaluates the result. The rules and their upstream sources are in
//! `spec/istio/SEMANTICS.md` (section numbers below refer to it).
//!
//! Istio's model is Envoy's: per proxy and port, a route table of virtual hosts,
//! each an *ordered* list of routes evaluated first-match, with no fall-back from
//! a more specific virtual host to a less specific one. Which routes a table holds
//! depends on the proxy (gateway name, port, labels, namespace), so:
//! * gateway tables are built once per Istio Gateway at compile time ([`table`]);
//! * sidecar (mesh) decisions depend on the calling workload, so the
//!   VirtualService is chosen per request and its rules are filtered then.
//!
//! Matching and actions are in [`eval`].

mod eval;
mod lower;
mod names;
mod table;

pub(crate) use table::IstioWorld;

/// The calling workload of a sidecar (mesh) request: its namespace and pod labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload<'a> {
    /// Namespace of the client pod.
    pub namespace: &'a str,
    /// Labels of the client pod.
    pub labels: &'a [(&'a str, &'a str)],
}
