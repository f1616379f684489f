//! placeholder
pub mod domain;
