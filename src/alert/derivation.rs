//! How an alert's rule derived it: each atom of the rule that held, with the fact that
//! satisfied it and that fact's record (`docs/alerts.md`, "Derivation"). Built only when
//! `[rules] explain` (`scan --explain`) is on.

use chrono::{DateTime, Utc};
use clickchain_adapters::SourceRef;
use serde::{Deserialize, Serialize};

use super::{wire, ClickInfo, EgressInfo, Strength, WriteInfo};

/// The derivation of one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derivation {
    /// The id of the rule that matched (the alert's `rule`).
    pub rule: String,
    /// The link source: the lineage's root process and its class.
    pub link_source: LinkSource,
    /// The lineage from the link root down to the writing process, root first.
    pub writer_path: Vec<ProcessStep>,
    /// The lineage from the link root down to the egress's process, root first; empty without
    /// an egress.
    #[serde(default)]
    pub egress_path: Vec<ProcessStep>,
    /// The click, observed or inferred; absent for a quarantine finding without a chain.
    pub click: Option<ClickAtom>,
    /// The untrusted egress; absent for a quarantine finding without a chain.
    pub egress: Option<EgressAtom>,
    /// The download-like write.
    pub write: WriteAtom,
    /// The ordering and window test, with its numbers; absent without an egress.
    pub window: Option<WindowTest>,
    /// The link's strength and why; absent without an egress.
    pub strength: Option<StrengthAtom>,
    /// The parameters the rule ran with.
    pub params: ParamsUsed,
    /// For each fact kind the rule reads (its header's `data`), the fact about this chain.
    pub facts: Vec<FactAtom>,
}

/// One process of a lineage path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessStep {
    /// Full image path (`<unknown KEY>` when its start was never seen).
    pub image: String,
    /// The process id, when logged.
    pub pid: Option<u32>,
    /// When it started, when its start was seen.
    #[serde(with = "wire::opt_time")]
    pub start: Option<DateTime<Utc>>,
    /// Its start record, when seen.
    #[serde(with = "wire::opt_source")]
    pub record: Option<SourceRef>,
}

/// The root of the lineage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkSource {
    /// The root process.
    pub process: ProcessStep,
    /// Its link-source class: `browser`, `mail`, `office` or `chat`.
    pub link_class: String,
}

/// Step 1: the click, as the alert's `click`, with its record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClickAtom {
    /// The alert's click.
    #[serde(flatten)]
    pub click: ClickInfo,
    /// The record that showed it, when observed.
    #[serde(with = "wire::opt_source")]
    pub record: Option<SourceRef>,
}

/// Step 2: the untrusted egress, as the alert's `egress`, with the threshold, the reasons in
/// words and its records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EgressAtom {
    /// The alert's egress.
    #[serde(flatten)]
    pub egress: EgressInfo,
    /// The risk threshold it was judged against.
    pub threshold: u8,
    /// Why the destination is untrusted, in words, each signal with its value and threshold.
    pub why: Vec<String>,
    /// The connection record (for an egress from DNS, the answer).
    #[serde(with = "wire::opt_source")]
    pub record: Option<SourceRef>,
    /// The DNS answers that named the destination.
    #[serde(with = "wire::sources", default)]
    pub dns_records: Vec<SourceRef>,
}

/// Step 3: the write, as the alert's `write`, with its origin's domain and record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteAtom {
    /// The alert's write.
    #[serde(flatten)]
    pub write: WriteInfo,
    /// The origin's registrable domain (or address): the URL's, or the referrer's when the URL
    /// names no host.
    pub origin_domain: Option<String>,
    /// The origin is a trusted destination, so the file came from there.
    pub origin_trusted: bool,
    /// The record that gave the file its final name.
    #[serde(with = "wire::opt_source")]
    pub record: Option<SourceRef>,
}

/// The ordering and window test of a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowTest {
    /// What the window is measured from: `click` (observed), `egress` (inferred click), or
    /// `cradle` (a download cradle's start, held to download_gap: see `docs/alerts.md`).
    pub from: String,
    /// Observed click before (or at) the egress; absent for an inferred click.
    pub click_before_egress: Option<bool>,
    /// The egress before (or at) the write (te ≤ tw).
    pub egress_before_write: bool,
    /// Write time minus egress time (tw − te), in milliseconds.
    pub egress_to_write_ms: i64,
    /// Write time minus the window's start (tw − tc, or tw − te), in milliseconds.
    pub elapsed_ms: i64,
    /// `time_window`, in milliseconds.
    pub time_window_ms: i64,
    /// The test held.
    pub holds: bool,
}

/// What set the link's strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StrengthBasis {
    /// The file's origin is on the egress's registrable domain: strong.
    OriginOnEgressDomain,
    /// The file's origin is on another, trusted domain: weak.
    OriginTrusted,
    /// The egress came within `download_gap` before the write: medium.
    WithinDownloadGap,
    /// The egress came longer than `download_gap` before the write: weak.
    BeyondDownloadGap,
}

/// The strength of a chain's link and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrengthAtom {
    /// The strength.
    pub strength: Strength,
    /// What set it.
    pub basis: StrengthBasis,
    /// The same in words.
    pub why: String,
    /// The minimum it had to reach.
    pub min_strength: Strength,
}

/// The parameters a rule ran with (the host's OS profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamsUsed {
    /// `time_window`, in milliseconds.
    pub time_window_ms: i64,
    /// `download_gap`, in milliseconds.
    pub download_gap_ms: i64,
    /// `min_strength`.
    pub min_strength: Strength,
    /// The QuarantinePolicy's `grace`, in milliseconds (0 when the policy is off).
    pub quarantine_grace_ms: i64,
}

/// The fact about a chain in one fact kind a rule reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactAtom {
    /// The fact kind (`docs/rules.md`, "Facts").
    pub kind: String,
    /// The fact, in words.
    pub fact: String,
    /// Whether it is what the rule needs; null when this kind has no explanation yet.
    pub holds: Option<bool>,
    /// What the rule needs of this kind beyond the base chain, when anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<String>,
    /// The record the fact came from, when one did.
    #[serde(with = "wire::opt_source", default)]
    pub record: Option<SourceRef>,
}

impl FactAtom {
    /// A fact with no record.
    pub fn new(kind: &str, fact: String, holds: Option<bool>) -> FactAtom {
        FactAtom { kind: kind.to_owned(), fact, holds, needs: None, record: None }
    }
}

/// Milliseconds as seconds for people (`8.3 s`).
pub(crate) fn secs(ms: i64) -> String {
    format!("{} s", ms as f64 / 1000.0)
}

impl WindowTest {
    /// The test in words: the order and the elapsed time against `time_window`.
    pub fn to_words(&self) -> String {
        let le = |b: bool| if b { "≤" } else { ">" };
        if self.from == "cradle" {
            return format!(
                "cradle start {} egress; egress − start = {} {} download_gap {}: {}",
                le(self.elapsed_ms >= 0),
                secs(self.elapsed_ms),
                le(self.elapsed_ms <= self.time_window_ms),
                secs(self.time_window_ms),
                if self.holds { "holds" } else { "fails" }
            );
        }
        let order = match self.click_before_egress {
            Some(c) => format!("click {} egress {} write", le(c), le(self.egress_before_write)),
            None => format!("egress {} write (click inferred at the egress)", le(self.egress_before_write)),
        };
        let start = if self.from == "click" { "click" } else { "egress" };
        format!(
            "{order}; write − {start} = {} {} time_window {}: {}",
            secs(self.elapsed_ms),
            le(self.elapsed_ms <= self.time_window_ms),
            secs(self.time_window_ms),
            if self.holds { "holds" } else { "fails" }
        )
    }
}

impl ParamsUsed {
    /// The parameters in words.
    pub fn to_words(&self) -> String {
        format!(
            "time_window {}, download_gap {}, min_strength {}, quarantine_grace {}",
            secs(self.time_window_ms),
            secs(self.download_gap_ms),
            self.min_strength,
            secs(self.quarantine_grace_ms)
        )
    }
}

impl Derivation {
    /// The derivation for people, as `--output text` prints it under its alert: a heading and
    /// one indented line per atom, every log string made safe for a terminal.
    pub fn to_text(&self) -> String {
        let mut t = String::new();
        self.write_text(&mut t);
        t
    }

    /// [`Derivation::to_text`] into `t`.
    pub(super) fn write_text(&self, t: &mut String) {
        use std::fmt::Write as _;

        use super::text::terminal_safe as s;
        let src = |r: &Option<SourceRef>| r.as_ref().map_or(String::new(), |r| format!(" [{}]", s(&r.to_string())));
        let path = |steps: &[ProcessStep]| {
            steps.iter().map(|p| format!("{}{}", s(&p.image), src(&p.record))).collect::<Vec<_>>().join(" > ")
        };
        let _ = writeln!(t, "  derivation (rule {})", s(&self.rule));
        let root = &self.link_source;
        let _ = writeln!(
            t,
            "    link source  {} ({}){}",
            s(&root.process.image),
            root.link_class,
            src(&root.process.record)
        );
        let _ = writeln!(t, "    writer path  {}", path(&self.writer_path));
        if !self.egress_path.is_empty() {
            let _ = writeln!(t, "    egress path  {}", path(&self.egress_path));
        }
        if let Some(atom) = &self.click {
            let c = &atom.click;
            let what = if c.observed { "observed" } else { "inferred at the first untrusted egress" };
            let url = c.url.as_deref().map(|u| format!(" {}", s(u))).unwrap_or_default();
            let _ = writeln!(t, "    click        {what} {}{url}{}", super::fmt_time(&c.time), src(&atom.record));
        }
        if let Some(atom) = &self.egress {
            let e = &atom.egress;
            let name = e.domain.as_deref().unwrap_or("-");
            let reg = e.registrable_domain.as_deref().unwrap_or("-");
            let _ = writeln!(
                t,
                "    egress       {} {} -> {}:{} {} (registrable {}, {}; risk {}, threshold {}){}",
                super::fmt_time(&e.time),
                s(&e.process),
                e.ip,
                e.port,
                s(name),
                s(reg),
                e.domain_source,
                e.risk,
                atom.threshold,
                src(&atom.record)
            );
            for d in &atom.dns_records {
                let _ = writeln!(t, "                 dns answer [{}]", s(&d.to_string()));
            }
            for why in &atom.why {
                let _ = writeln!(t, "                 {}", s(why));
            }
        }
        let w = &self.write.write;
        let origin = w.origin_url.as_deref().map(|u| format!(", origin {}", s(u))).unwrap_or_default();
        let trusted = if self.write.origin_trusted { " (trusted)" } else { "" };
        let _ = writeln!(
            t,
            "    write        {} {} -> {}{origin}{trusted}{}",
            super::fmt_time(&w.time),
            s(&w.process),
            s(&w.path),
            src(&self.write.record)
        );
        if let Some(win) = &self.window {
            let _ = writeln!(t, "    window       {}", win.to_words());
        }
        if let Some(st) = &self.strength {
            let _ = writeln!(t, "    strength     {} (min_strength {})", s(&st.why), st.min_strength);
        }
        let _ = writeln!(t, "    params       {}", self.params.to_words());
        for f in &self.facts {
            let holds = match f.holds {
                Some(true) => "holds",
                Some(false) => "does not hold",
                None => "not checked",
            };
            let needs = f.needs.as_deref().map(|n| format!("; the rule needs {}", s(n))).unwrap_or_default();
            let _ = writeln!(t, "    fact {:<12} {}{needs}: {holds}{}", f.kind, s(&f.fact), src(&f.record));
        }
    }
}
