//! Unit tests of the whole pipeline on small manifests.
