//! Peers of the engine, measured on the same synthetic stream in the same
//! run:
//!
//! - the naive design, crepe re-run over the whole window each batch, is the engine itself in
//!   its hidden evaluation mode (`Engine::set_naive_evaluation`, `src/engine/naive.rs`): phase
//!   `naive`;
//! - [`imperative`]: a hand-written correlator with per-host hash maps, the practical speed
//!   limit for this logic: phase `imperative`;
//! - [`external`]: Endgame EQL and DuckDB SQL over the ECS form of the stream (Python, from
//!   `bench/peers/`), skipped with a message when not installed.

pub mod external;
pub mod imperative;
