//! Placeholder adapter: to be replaced by the adapter for the `gatewright` core engine.

use crate::engine::{Compiled, Engine};

/// The engine the `gatewright-spec` binary runs the corpus against.
pub fn engine() -> impl Engine {
    Placeholder
}

/// Refuses every input until the real adapter exists.
struct Placeholder;

impl Engine for Placeholder {
    fn compile(&self, _objects: &[serde_json::Value]) -> Result<Box<dyn Compiled>, String> {
        Err("adapter not written yet".to_owned())
    }
}
