//! Stage 1, parse: faithful serde mirrors of the input objects and the loader
//! that reads them from YAML or JSON.

pub mod ingress;
pub mod istio;
mod load;
pub mod model;

pub use load::{Object, PolicyObject, Resources};
