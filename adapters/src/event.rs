//! The OS-neutral event model every adapter produces (`docs/design.md` "Architecture").
//!
//! Its serde form is the documented "native" NDJSON schema: one flat JSON object per line with a
//! `kind` tag (see [`crate::native`] and the README). Serialisation goes through the same wire
//! struct the native reader parses, so the schema has exactly one definition.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// One observation from an endpoint, already mapped out of its source format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When the activity happened (UTC).
    pub time: DateTime<Utc>,
    /// The host it happened on (empty when the source names none and no default was given).
    pub host: String,
    /// The host's operating system, when the source says (it selects the analytic).
    pub os: Option<Os>,
    /// Where the record came from, so that alerts can point back to it.
    pub source: SourceRef,
    /// What happened.
    pub kind: EventKind,
}

/// An operating system family; each has its own DET0066 analytic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    /// Windows (AN0178).
    Windows,
    /// Linux (AN0179).
    Linux,
    /// macOS (AN0180).
    Macos,
}

impl Os {
    /// All supported systems, in a fixed order.
    pub const ALL: [Os; 3] = [Os::Windows, Os::Linux, Os::Macos];

    /// The lowercase name used in config files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Os::Windows => "windows",
            Os::Linux => "linux",
            Os::Macos => "macos",
        }
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Os {
    /// The OS a name stands for, in any case: `windows`/`win`, `linux`, `macos`/`mac`/`darwin`/`osx`.
    pub fn from_name(name: &str) -> Option<Os> {
        let is = |words: &[&str]| words.iter().any(|w| name.eq_ignore_ascii_case(w));
        if is(&["windows", "win"]) {
            Some(Os::Windows)
        } else if is(&["linux"]) {
            Some(Os::Linux)
        } else if is(&["macos", "mac", "darwin", "osx"]) {
            Some(Os::Macos)
        } else {
            None
        }
    }
}

impl std::str::FromStr for Os {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Os::from_name(s)
            .ok_or_else(|| format!("unknown OS `{}` (expected windows, linux or macos)", s.to_ascii_lowercase()))
    }
}

/// The position of a record inside its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Position {
    /// 1-based line number (text formats).
    Line(u64),
    /// Record id (EVTX and other record-oriented formats).
    Record(u64),
    /// Byte offset.
    Offset(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Record(n) => write!(f, "record {n}"),
            Position::Offset(n) => write!(f, "offset {n}"),
        }
    }
}

/// Where an event came from: the input's name and the record's position in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SourceRef {
    /// The input's name (a path, or `-` for stdin).
    pub input: Arc<str>,
    /// The record's position inside the input.
    pub pos: Position,
}

impl SourceRef {
    /// A reference to line `line` of `input`.
    pub fn line(input: &Arc<str>, line: u64) -> Self {
        SourceRef { input: Arc::clone(input), pos: Position::Line(line) }
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.input, self.pos)
    }
}

/// The stable identity of a process as its source gives it.
///
/// `Id` is a source-unique identity (Sysmon ProcessGuid, ECS `process.entity_id`). `Pid` is a
/// bare process id: the engine's process table resolves it to the process alive on that host at
/// that time, so pid reuse does not join unrelated processes. `IdAndPid` has both: it is looked
/// up by its id, and when that id is unknown by the pid alive at that time, which is how a source
/// with ids (ECS) joins one with only pids (eslogger, auditd) on the same host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcKey {
    /// A unique process identity.
    Id(String),
    /// A process id, unique only among live processes of one host.
    Pid(u32),
    /// A unique identity and the pid the process had.
    IdAndPid(String, u32),
}

impl ProcKey {
    /// The source-unique identity, when the key has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            ProcKey::Id(id) | ProcKey::IdAndPid(id, _) => Some(id),
            ProcKey::Pid(_) => None,
        }
    }

    /// The pid, when the key has one.
    pub fn pid(&self) -> Option<u32> {
        match self {
            ProcKey::Pid(pid) | ProcKey::IdAndPid(_, pid) => Some(*pid),
            ProcKey::Id(_) => None,
        }
    }
}

impl fmt::Display for ProcKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcKey::Id(s) => f.write_str(s),
            ProcKey::Pid(p) => write!(f, "pid:{p}"),
            ProcKey::IdAndPid(s, _) => f.write_str(s),
        }
    }
}

/// What happened. OS-neutral: adapters map their records onto these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A process started (exec).
    ProcessStart {
        /// The new process.
        proc: ProcKey,
        /// Its parent, when known.
        parent: Option<ProcKey>,
        /// Full path of the executable image.
        image: String,
        /// The command line, when logged.
        command_line: Option<String>,
        /// The user it runs as, when logged.
        user: Option<String>,
        /// The logon session it runs in, when logged: Windows `LogonId` (a LUID), auditd `ses`,
        /// macOS `audit_token.asid`. Only compared within one host.
        session: Option<u64>,
        /// A fork without exec (auditd fork/vfork/clone): the child runs its parent's image with
        /// its parent's command line, so it is lineage only and no new click or execution.
        forked: bool,
        /// Built by the reader, not logged: a process first seen mid-life or a creator first seen
        /// through its child (Windows), so that it can be a link root or source.
        built: bool,
    },
    /// A process ended.
    ProcessEnd {
        /// The process that ended.
        proc: ProcKey,
    },
    /// A process explicitly handled a link (LSQuarantine, `xdg-open URL`, an "open URL" log line).
    UrlOpen {
        /// The process handling the link.
        proc: ProcKey,
        /// The link.
        url: String,
    },
    /// A DNS answer: `query` resolved to `answers`.
    DnsAnswer {
        /// The process that asked, when known.
        proc: Option<ProcKey>,
        /// The name asked for.
        query: String,
        /// The addresses it resolved to (CNAME chains flattened away).
        answers: Vec<IpAddr>,
    },
    /// An outbound network connection (or attempt).
    Connect {
        /// The connecting process.
        proc: ProcKey,
        /// Destination address.
        dst_ip: IpAddr,
        /// Destination port.
        dst_port: u16,
        /// The destination's name, when the source resolved it.
        domain: Option<String>,
    },
    /// A file was created, renamed into place or modified.
    FileWrite {
        /// The writing process.
        proc: ProcKey,
        /// The file's (final) path.
        path: String,
        /// How it was written.
        op: FileOp,
        /// Download provenance recorded with the file (MotW, quarantine, xdg origin); boxed:
        /// most writes have none, and every event is as large as its largest kind.
        origin: Option<Box<Origin>>,
    },
    /// A protection attribute of a file changed.
    FileAttr {
        /// The process that changed it.
        proc: ProcKey,
        /// The file.
        path: String,
        /// What changed.
        attr: AttrChange,
    },
}

impl EventKind {
    /// The `kind` tag of this event in the native schema.
    pub fn tag(&self) -> &'static str {
        match self {
            EventKind::ProcessStart { .. } => "process_start",
            EventKind::ProcessEnd { .. } => "process_end",
            EventKind::UrlOpen { .. } => "url_open",
            EventKind::DnsAnswer { .. } => "dns_answer",
            EventKind::Connect { .. } => "connect",
            EventKind::FileWrite { .. } => "file_write",
            EventKind::FileAttr { .. } => "file_attr",
        }
    }
}

/// How a file came to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    /// Created (or overwritten).
    Create,
    /// Renamed into place from another path (a finished partial download, for example).
    Rename {
        /// The old path.
        from: String,
    },
    /// Modified in place.
    Modify,
}

/// Download provenance stored with a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// Windows MotW zone (3 = Internet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<u8>,
    /// Where the file came from (MotW HostUrl, quarantine data URL, `user.xdg.origin.url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The page that linked to it (MotW ReferrerUrl, quarantine origin URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The downloading agent (quarantine agent name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Whether the file carries a quarantine flag (`com.apple.quarantine`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<bool>,
    /// The file's hash as the source wrote it (Sysmon EID 15 `Hash`, e.g. `SHA256=…`; ECS
    /// `file.hash.sha256`), when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// A change of a file's protection attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrChange {
    /// `com.apple.quarantine` was set.
    QuarantineSet,
    /// `com.apple.quarantine` was removed.
    QuarantineRemoved,
    /// The Mark of the Web (`:Zone.Identifier`) was removed.
    MotwRemoved,
    /// The file was made executable (mode bits, or the source saw an executable format).
    Executable,
}
