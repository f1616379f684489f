//! Why a fleet operation failed.

/// A fleet operation's failure, with what it was doing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// The configuration file's `[fleet]` table (or the rest, the engine's) is invalid.
    #[error("{origin}: {reason}")]
    Settings {
        /// The file.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// The server could not be reached (after the retries asked for).
    #[error("cannot reach the NATS server at {url}: {reason}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// The client's last error.
        reason: String,
    },
    /// A JetStream request failed.
    #[error("{doing}: {reason}")]
    JetStream {
        /// What was asked (`creating stream CLICKCHAIN_EVENTS`, …).
        doing: String,
        /// The server's or client's error.
        reason: String,
    },
    /// The deployment's recorded partition count differs from this process's.
    #[error("the deployment has {recorded} partitions, this process was given {given} (P is fixed per deployment)")]
    Partitions {
        /// P in the lease bucket.
        recorded: u32,
        /// P asked for here.
        given: u32,
    },
    /// An engine could not be built with the configuration.
    #[error(transparent)]
    Engine(#[from] clickchain::EngineError),
}

impl FleetError {
    /// A [`FleetError::JetStream`] for `doing`, from any client error.
    pub fn js(doing: impl Into<String>, e: impl std::fmt::Display) -> FleetError {
        FleetError::JetStream { doing: doing.into(), reason: e.to_string() }
    }
}
