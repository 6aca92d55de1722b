//! Stage 1, parse: faithful serde mirrors of the input objects and the loader
//! that reads them from YAML or JSON.

pub mod istio;
pub mod ingress;
mod load;
pub mod model;

pub use load::{Object, PolicyObject, Resources};
