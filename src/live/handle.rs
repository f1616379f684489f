//! Commands to a running engine: each is queued on a bounded channel ([`super::COMMANDS`]) and
//! answered on a one-shot channel once the engine loop takes it (between two events).

use std::path::{Path, PathBuf};

use tokio::sync::{mpsc, oneshot};

use crate::checkpoint::{save_file, CheckpointError, CheckpointFileError};
use crate::domain::{FirstSeenFileError, FirstSeenSaved};
use crate::{AnyEngine, Config, EngineError, Record, Stats};

/// Why a command to a live engine got no answer, or a failed one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The engine has stopped (its input ended, it was shut down, or its task was dropped).
    #[error("the live engine has stopped")]
    Stopped,
    /// The new configuration was refused; the engine keeps the one it had.
    #[error("reload refused: {0}")]
    Reload(#[source] EngineError),
    /// The newly-observed-domain store could not be saved.
    #[error(transparent)]
    FirstSeen(#[from] FirstSeenFileError),
    /// The checkpoint could not be taken.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint could not be saved.
    #[error(transparent)]
    CheckpointFile(Box<CheckpointFileError>),
}

/// What a clean shutdown leaves: the final counters, and the records not yet sent on the
/// record channel (those already sent stay there for the caller to read).
#[derive(Debug)]
pub struct Shutdown {
    /// The engine's counters once finished.
    pub stats: Stats,
    /// Records produced by finishing the engine.
    pub records: Vec<Record>,
}

pub(super) enum Command {
    /// Answered by [`serve`].
    Ask(Request),
    /// Answered by the loop itself: it ends the loop.
    Shutdown(oneshot::Sender<Shutdown>),
}

/// A command the engine answers and goes on.
pub(super) enum Request {
    Stats(oneshot::Sender<Stats>),
    Reload(Box<Config>, oneshot::Sender<Result<(), EngineError>>),
    SaveFirstSeen(PathBuf, oneshot::Sender<Result<FirstSeenSaved, FirstSeenFileError>>),
    Checkpoint(oneshot::Sender<Result<Vec<u8>, CheckpointError>>),
}

pub(super) fn serve(engine: &mut AnyEngine, request: Request) {
    // A caller that stopped waiting does not care for the answer.
    match request {
        Request::Stats(reply) => {
            let _ = reply.send(engine.current_stats());
        }
        Request::Reload(config, reply) => {
            let _ = reply.send(engine.reload(*config));
        }
        Request::SaveFirstSeen(path, reply) => {
            let _ = reply.send(engine.with_first_seen(|store| store.save(&path)));
        }
        Request::Checkpoint(reply) => {
            let mut bytes = Vec::new();
            let _ = reply.send(engine.checkpoint(&mut bytes).map(|()| bytes));
        }
    }
}

/// Commands a running engine; cheap to clone. The `async` methods are for tasks; the
/// `blocking_` ones for threads outside any tokio runtime (they panic inside one, as tokio's
/// blocking calls do).
#[derive(Debug, Clone)]
pub struct LiveHandle {
    pub(super) commands: mpsc::Sender<Command>,
}

impl LiveHandle {
    /// The engine's counters so far (of every shard, for a sharded engine).
    pub async fn stats(&self) -> Result<Stats, LiveError> {
        self.ask(|r| Command::Ask(Request::Stats(r))).await
    }

    /// Swaps in a new configuration without losing state (see [`crate::Engine::reload`]).
    pub async fn reload(&self, config: Config) -> Result<(), LiveError> {
        self.ask(|reply| Command::Ask(Request::Reload(Box::new(config), reply))).await?.map_err(LiveError::Reload)
    }

    /// Saves the newly-observed-domain store to `path` (see [`crate::domain::FirstSeen::save`]).
    pub async fn save_first_seen(&self, path: impl Into<PathBuf>) -> Result<FirstSeenSaved, LiveError> {
        let path = path.into();
        Ok(self.ask(|reply| Command::Ask(Request::SaveFirstSeen(path, reply))).await??)
    }

    /// A checkpoint of the engine (see [`crate::checkpoint`]) after the events queued so far:
    /// restore it with [`crate::AnyEngine::restore`] (or `Engine`'s, `ShardedEngine`'s) and
    /// spawn that to go on after a restart. Records already sent are not in it.
    pub async fn checkpoint(&self) -> Result<Vec<u8>, LiveError> {
        Ok(self.ask(|r| Command::Ask(Request::Checkpoint(r))).await??)
    }

    /// [`checkpoint`](Self::checkpoint) written to `path` atomically ([`save_file`]).
    pub async fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<(), LiveError> {
        let bytes = self.checkpoint().await?;
        save_file(path.as_ref(), |w| Ok(w.write_all(&bytes)?)).map_err(|e| LiveError::CheckpointFile(Box::new(e)))
    }

    /// Takes the events already queued, finishes the engine and stops it.
    pub async fn shutdown(&self) -> Result<Shutdown, LiveError> {
        self.ask(Command::Shutdown).await
    }

    /// [`stats`](Self::stats), from a thread.
    pub fn blocking_stats(&self) -> Result<Stats, LiveError> {
        self.blocking_ask(|r| Command::Ask(Request::Stats(r)))
    }

    /// [`reload`](Self::reload), from a thread.
    pub fn blocking_reload(&self, config: Config) -> Result<(), LiveError> {
        self.blocking_ask(|reply| Command::Ask(Request::Reload(Box::new(config), reply)))?.map_err(LiveError::Reload)
    }

    /// [`save_first_seen`](Self::save_first_seen), from a thread.
    pub fn blocking_save_first_seen(&self, path: impl Into<PathBuf>) -> Result<FirstSeenSaved, LiveError> {
        let path = path.into();
        Ok(self.blocking_ask(|reply| Command::Ask(Request::SaveFirstSeen(path, reply)))??)
    }

    /// [`checkpoint`](Self::checkpoint), from a thread.
    pub fn blocking_checkpoint(&self) -> Result<Vec<u8>, LiveError> {
        Ok(self.blocking_ask(|r| Command::Ask(Request::Checkpoint(r)))??)
    }

    /// [`shutdown`](Self::shutdown), from a thread.
    pub fn blocking_shutdown(&self) -> Result<Shutdown, LiveError> {
        self.blocking_ask(Command::Shutdown)
    }

    async fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, LiveError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).await.map_err(|_| LiveError::Stopped)?;
        answer.await.map_err(|_| LiveError::Stopped)
    }

    fn blocking_ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, LiveError> {
        let (reply, answer) = oneshot::channel();
        self.commands.blocking_send(command(reply)).map_err(|_| LiveError::Stopped)?;
        answer.blocking_recv().map_err(|_| LiveError::Stopped)
    }
}
