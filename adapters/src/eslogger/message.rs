//! The eslogger JSON message (Endpoint Security, macOS 13+) as far as clickchain reads it.
//!
//! Every field is optional: fields come and go with the ES message `version`, and a missing
//! one is reported by the mapping only where the event cannot be built without it.

use serde::Deserialize;

/// One line of `eslogger ... --format json`.
#[derive(Debug, Deserialize)]
pub(crate) struct Message {
    pub time: Option<String>,
    pub event_type: Option<u32>,
    pub seq_num: Option<u64>,
    pub process: Option<EsProcess>,
    /// Exactly one key: the event's name (`exec`, `fork`, ...) and its payload.
    pub event: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `(pid, pidversion)`: the process identity; pidversion grows with each exec.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub(crate) struct AuditToken {
    pub pid: Option<u32>,
    pub pidversion: Option<u32>,
    /// The audit session id (the login session; 0 or negative: none).
    #[serde(default)]
    pub asid: Option<i64>,
}

/// An ES process object.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EsProcess {
    pub audit_token: Option<AuditToken>,
    pub ppid: Option<u32>,
    pub executable: Option<EsFile>,
    /// The app responsible for the process (the browser for its helpers), version >= 4.
    pub responsible_audit_token: Option<AuditToken>,
}

/// An ES file reference.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EsFile {
    pub path: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Exec {
    pub target: Option<EsProcess>,
    #[serde(default)]
    pub args: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Fork {
    pub child: Option<EsProcess>,
}

/// `destination` of create and rename: an existing file, or a new path (dir + filename).
#[derive(Debug, Deserialize)]
pub(crate) struct Destination {
    pub existing_file: Option<EsFile>,
    pub new_path: Option<NewPath>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewPath {
    pub dir: Option<EsFile>,
    pub filename: Option<String>,
    /// The new file's mode bits.
    pub mode: Option<u32>,
}

impl Destination {
    /// The destination's full path.
    /// Whether a new file is created with any execute bit.
    pub fn executable(&self) -> bool {
        self.new_path.as_ref().and_then(|n| n.mode).is_some_and(|m| m & 0o111 != 0)
    }

    pub fn path(&self) -> Option<String> {
        if let Some(p) = self.existing_file.as_ref().and_then(|f| f.path.clone()) {
            return Some(p);
        }
        let np = self.new_path.as_ref()?;
        let dir = np.dir.as_ref()?.path.as_deref()?;
        let name = np.filename.as_deref()?;
        Some(format!("{}/{name}", dir.trim_end_matches('/')))
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Create {
    pub destination: Option<Destination>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Rename {
    pub source: Option<EsFile>,
    pub destination: Option<Destination>,
}

/// `close` (and `write`, which has only the target).
#[derive(Debug, Deserialize)]
pub(crate) struct Close {
    #[serde(default)]
    pub modified: bool,
    pub target: Option<EsFile>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExtAttr {
    pub target: Option<EsFile>,
    pub extattr: Option<String>,
}
