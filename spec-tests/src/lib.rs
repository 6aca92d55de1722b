//! `gatewright-spec`: conformance corpus runner, spec-literal reference matcher and proptest
//! generators for gatewright.
//!
//! The corpus runner is engine-neutral: [`format`](mod@format) reads the corpus, [`engine`]
//! defines the interface an engine adapter implements, [`check`] compares observations with
//! expectations and [`runner`] runs a whole corpus and reports. The adapter for the `gatewright` core lives in
//! `adapter`.

// --- corpus runner (format, engine interface, checks, runner) -------------------------------
pub mod check;
pub mod engine;
pub mod format;
pub mod runner;
// --- end corpus runner -----------------------------------------------------------------------

/// The engine adapter for the `gatewright` core, used by the `gatewright-spec` binary.
pub mod adapter;
pub mod gen;
pub mod gen_istio;
pub mod gen_policy;
/// The Istio corpus runner (its own case format).
pub mod istio;
/// The policy-attachment corpus runner.
pub mod policy;
pub mod reference;
pub mod reference_istio;
pub mod reference_policy;

/// Replay of the shared workload generator's trace (first measurement).
pub mod workload;
