//! Ground truth: the injected [`Chain`]s, the benign [`Decoy`]s, and `labels.json`.

use chrono::{DateTime, SecondsFormat, Utc};
use clickchain_adapters::{Os, ProcKey};
use serde_json::{json, Value};

use crate::params::Evasion;
use crate::variant::{Anchor, Variant};
use crate::Stream;

/// How an injected chain's link was clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainVia {
    /// In the mail app: a new browser process starts with the URL (via xdg-open on Linux).
    /// The link root is the mail app.
    MailLink,
    /// A URL-open record on the running browser. The link root is the browser.
    UrlOpen,
    /// A URL on the command line of a process the link root started (an Office app's LOLBIN).
    CommandLine,
}

impl ChainVia {
    /// `mail_link` or `url_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainVia::MailLink => "mail_link",
            ChainVia::UrlOpen => "url_open",
            ChainVia::CommandLine => "command_line",
        }
    }
}

/// The DET0066 analytic of an OS: AN0178 (Windows), AN0179 (Linux), AN0180 (macOS).
pub fn analytic(os: Os) -> &'static str {
    match os {
        Os::Windows => "AN0178",
        Os::Linux => "AN0179",
        Os::Macos => "AN0180",
    }
}

/// Ground truth of one injected chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// Host name.
    pub host: String,
    /// Host OS.
    pub os: Os,
    /// How the link was clicked.
    pub via: ChainVia,
    /// The link root (top-most link-source ancestor) of the chain.
    pub root: ProcKey,
    /// Image of the link root.
    pub root_image: String,
    /// The clicked URL.
    pub url: String,
    /// The untrusted registrable domain (the IP, for [`Evasion::IpOnly`]).
    pub domain: String,
    /// Path of the partial file renamed into the final one.
    pub partial_path: String,
    /// Final path of the downloaded file.
    pub final_path: String,
    /// Event time (ms) of the click.
    pub click_ms: i64,
    /// Event time (ms) of the first untrusted connect.
    pub egress_ms: i64,
    /// Event time (ms) of the rename into Downloads.
    pub write_ms: i64,
    /// The payload was executed afterwards.
    pub executed: bool,
    /// The file carries a quarantine flag (always true off macOS).
    pub quarantined: bool,
    /// Levels from the link root down to the process that wrote the file.
    pub lineage_depth: usize,
    /// The evasions applied, in the order of [`Evasion::ALL`].
    pub evasions: Vec<Evasion>,
    /// Indices into [`Stream::events`] of the click, DNS answer (none for
    /// [`Evasion::IpOnly`]), first connect, partial write and rename, in causal order (for a
    /// variant, the events of its shape).
    pub events: Vec<usize>,
    /// The variant shape injected, if any (`None`: a base chain, or a variant's near miss that
    /// is still a base chain).
    pub variant: Option<Variant>,
    /// What `final_path` names: the file written, or the anchor process's image.
    pub anchor: Anchor,
    /// The rules that must alert on it in native form, sorted ([`Chain::rules_in`] per form).
    pub rules: Vec<&'static str>,
}

impl Chain {
    /// The analytic expected to alert.
    pub fn analytic(&self) -> &'static str {
        analytic(self.os)
    }

    /// Whether the chain is expected to alert from a stream written in `form` (`native`,
    /// `sysmon`, `ecs`): Sysmon JSON carries only Windows events; native and ECS carry every
    /// chain (ECS has no URL-open events, so a chain clicked that way has an inferred click).
    pub fn expected_in(&self, form: &str) -> bool {
        match form {
            "sysmon" => self.os == Os::Windows,
            _ => true,
        }
    }

    /// Whether the click is observed (not inferred) in `form`: URL-open records exist only in
    /// the native form.
    pub fn click_observed_in(&self, form: &str) -> bool {
        self.via != ChainVia::UrlOpen || form == "native"
    }

    /// The rules that must alert on it from a stream written in `form`: none where the chain is
    /// not expected; ECS carries no attribute change, so no `motw-removed-run` there.
    pub fn rules_in(&self, form: &str) -> Vec<&'static str> {
        if !self.expected_in(form) {
            return Vec::new();
        }
        let lost = |r: &&str| form == "ecs" && *r == Variant::MotwRemovedRun.as_str();
        self.rules.iter().copied().filter(|r| !lost(r)).collect()
    }
}

/// Kinds of benign download-like writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecoyKind {
    /// A download from an allowlisted CDN into Downloads by the browser root.
    CdnDownload,
    /// A download from an allowlisted CDN 3 to 14 minutes after a visit to a risky domain.
    DownloadAfterRiskyVisit,
    /// A write into Downloads by an unrelated process that reuses the pid of a chain's browser.
    PidReuse,
    /// A benign look-alike of a variant's shape, which that variant's rule must not alert on
    /// (it may still be a base chain, labelled as such).
    NearMiss(Variant),
}

impl DecoyKind {
    /// A short name for reports and labels.
    pub fn as_str(self) -> &'static str {
        match self {
            DecoyKind::CdnDownload => "cdn_download",
            DecoyKind::DownloadAfterRiskyVisit => "download_after_risky_visit",
            DecoyKind::PidReuse => "pid_reuse",
            DecoyKind::NearMiss(_) => "near_miss",
        }
    }
}

/// A benign download-like write (not a chain).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoy {
    /// Host name.
    pub host: String,
    /// Final path.
    pub path: String,
    /// What it is.
    pub kind: DecoyKind,
    /// Event time (ms) of the final write.
    pub time_ms: i64,
}

fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).expect("in range").to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The host part of a URL.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#', ':']).next().unwrap_or(rest)
}

impl Stream {
    /// The ground truth as a JSON value (the content of `labels.json`; see `bench/README.md`).
    pub fn labels(&self) -> Value {
        let chains: Vec<Value> = self
            .chains
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let forms: Vec<&str> = ["native", "sysmon", "ecs"].into_iter().filter(|f| c.expected_in(f)).collect();
                let observed: Vec<&str> =
                    ["native", "sysmon", "ecs"].into_iter().filter(|f| c.click_observed_in(f)).collect();
                json!({
                    "id": format!("chain-{:04}", i + 1),
                    "analytic": c.analytic(),
                    "host": c.host,
                    "os": c.os.as_str(),
                    "via": c.via.as_str(),
                    "root": {"proc": c.root.to_string(), "image": c.root_image},
                    "url": c.url,
                    "click_domain": url_host(&c.url),
                    "egress_domain": c.domain,
                    "partial_path": c.partial_path,
                    "final_path": c.final_path,
                    "click_time": time(c.click_ms),
                    "egress_time": time(c.egress_ms),
                    "write_time": time(c.write_ms),
                    "executed": c.executed,
                    "quarantined": c.quarantined,
                    "lineage_depth": c.lineage_depth,
                    "evasions": c.evasions.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
                    "expected_in": forms,
                    "click_observed_in": observed,
                    "records": c.events.iter().map(|&i| i + 1).collect::<Vec<_>>(),
                    "variant": c.variant.map(Variant::as_str),
                    "anchor": c.anchor.as_str(),
                    "rules": c.rules,
                    "rules_in": forms.iter().map(|&f| (f.to_owned(), json!(c.rules_in(f)))).collect::<serde_json::Map<_, _>>(),
                })
            })
            .collect();
        let decoys: Vec<Value> = self
            .decoys
            .iter()
            .map(|d| {
                let mut v =
                    json!({"host": d.host, "path": d.path, "category": d.kind.as_str(), "time": time(d.time_ms)});
                if let DecoyKind::NearMiss(variant) = d.kind {
                    v["near_miss_of"] = json!(variant.as_str());
                }
                v
            })
            .collect();
        let hosts: Vec<Value> = self.hosts.iter().map(|(h, os)| json!({"name": h, "os": os.as_str()})).collect();
        json!({"events": self.events.len(), "hosts": hosts, "chains": chains, "decoys": decoys})
    }
}
