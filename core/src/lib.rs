//! # gatewright
//!
//! An embeddable routing engine for the resources Kubernetes platforms already
//! use. It reads Gateway API manifests (GatewayClass, Gateway, HTTPRoute,
//! ReferenceGrant, plus the Namespaces, Services and Secrets they refer to) and
//! Kubernetes Ingresses (each IngressClass served as a Gateway `IngressClass/<name>`,
//! with ingress-nginx semantics), validates and attaches them as a controller would
//! (with Kubernetes-shaped status), and compiles them into an immutable [`Router`]
//! that answers "this request, on this listener: which rule wins, which backend,
//! which filters, and why". [`convert`] turns Ingresses into Gateway API resources
//! and proves that both route alike.
//!
//! The crate does no I/O: inputs are strings and values, outputs are values,
//! and randomness for weighted choices is passed in as a `u64`.
//!
//! ## Data flow
//!
//! ```text
//! YAML / JSON ──resource──▶ Resources ──attach──▶ Ir + status + diagnostics
//!                                                  │ compile
//!                                                  ▼
//!                 Request ──route / explain──▶ Router ──▶ Decision
//! ```
//!
//! * [`resource`]: serde mirrors of the input objects and the multi-document loader.
//! * `attach`: listeners, `allowedRoutes`, parentRefs, hostname intersection,
//!   ReferenceGrants, backend resolution, status conditions; Ingress classes,
//!   servers and locations (ingress-nginx's model).
//! * [`convert`]: Ingress → Gateway API, and the proof that both route alike.
//! * [`ir`]: the validated, source-independent routing table.
//! * [`precedence`]: the one place where Gateway API ordering is encoded.
//! * `compile` and `route`: indexes and lookup.
//!
//! ## Example
//!
//! ```
//! use gatewright::{Request, Resources, Router};
//!
//! let yaml = include_str!("../../examples/quickstart.yaml");
//! let router = Router::compile(&Resources::from_yaml(yaml)?)?;
//! let decision = router.decide(&Request::new("GET", "shop.example.com", "/api/orders"));
//! let backend = decision.backend().expect("forwarded");
//! assert_eq!((backend.namespace.as_str(), backend.name.as_str()), ("shop", "api"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Errors
//!
//! [`ParseError`] when the text cannot be read; [`CompileError`] when no router can
//! be built. Everything else (a bad regex in one rule, an unresolved backend, a
//! route no listener admits) is a [`Diagnostic`] plus status, and the rest of the
//! configuration keeps working, as in a cluster.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_debug_implementations)]

mod attach;
mod compile;
mod config;
pub mod convert;
mod diag;
mod error;
pub mod ir;
mod istio;
mod lint;
pub mod policy;
pub mod precedence;
pub mod resource;
mod route;

pub use attach::parse_duration_ms;
pub use config::{Config, DEFAULT_REGEX_SIZE_LIMIT};
pub use diag::{
    Code, Condition, Diagnostic, GatewayClassStatus, GatewayStatus, GroupKind, IngressStatus,
    ListenerStatus, ObjectRef, ObjectStatus, PolicyAncestorStatus, PolicyStatus, RouteParentStatus,
    RouteStatus, Severity, StatusEntry, StatusParentRef, StatusReport, GATEWAY_GROUP,
};
pub use error::{CompileError, ParseError};
pub use ir::INGRESS_CLASS_NAMESPACE;
pub use istio::Workload;
pub use resource::{Object, Resources};
pub use route::{modify_path, pick, scale};
pub use route::{
    Action, BackendName, BackendRef, Connect, Connection, Considered, Decision, Explanation,
    Forward, MeshEntry, MirrorTo, Provenance, RedirectTo, Request, Respond, RetryPolicy, Routed,
    Router, RuleRef, Transport, Upstream, Weighted,
};

/// The README's examples, run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
