//! What to generate: [`Params`], the activity [`Mix`] and the chains' [`Evasions`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::variant::Variant;

/// What to generate. The same `Params` always give the same stream.
#[derive(Debug, Clone)]
pub struct Params {
    /// Number of hosts (at least 1). Host 0 runs Windows, host 1 Linux, host 2 macOS; the
    /// others get an OS by [`Mix::os_shares`].
    pub hosts: usize,
    /// Total number of events (split evenly across hosts). Ignored when `duration` is set.
    pub events: usize,
    /// Length of the stream in event time instead of an event count: the count becomes
    /// `duration × rate × hosts` (rounded). Process ends scheduled later stretch the span a bit.
    pub duration: Option<Duration>,
    /// Events per second per host: with the events per host this sets the time span.
    pub rate: f64,
    /// PRNG seed.
    pub seed: u64,
    /// Injected true chains per million events (rounded to a whole number for the stream).
    pub chains_per_million: f64,
    /// At least this many chains on each analytic's first host (Windows AN0178, Linux AN0179,
    /// macOS AN0180) that exists in the fleet, whatever `chains_per_million` gives.
    pub min_chains_per_analytic: usize,
    /// Process-tree depth: benign admin sessions nest up to `depth` processes below the terminal
    /// (the tool, then its children), and a chain with the [`Evasion::DeepLineage`] evasion
    /// downloads from a process `depth + 6` levels below its link root. At least 1.
    pub depth: usize,
    /// Event time of the start of the stream.
    pub start: DateTime<Utc>,
    /// The activity mix.
    pub mix: Mix,
    /// How often each evasion is applied to an injected chain.
    pub evasions: Evasions,
    /// Rule variants to inject beside the base chains (none: the stream is exactly the one
    /// generated before variants existed).
    pub variants: Vec<Variant>,
    /// Per selected variant and per host whose OS it applies to: this many positives and this
    /// many near misses (fewer when the host's budget has no room).
    pub variant_chains: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            hosts: 10,
            events: 1_000_000,
            duration: None,
            rate: 20.0,
            seed: 1,
            chains_per_million: 50.0,
            min_chains_per_analytic: 1,
            depth: 2,
            start: DateTime::from_timestamp(1_717_401_600, 0).expect("valid"), // 2024-06-03T08:00:00Z
            mix: Mix::default(),
            evasions: Evasions::default(),
            variants: Vec::new(),
            variant_chains: 2,
        }
    }
}

impl Params {
    /// The number of events to generate: `events`, or `duration × rate × hosts`.
    pub fn total_events(&self) -> usize {
        match self.duration {
            Some(d) => (d.as_secs_f64() * self.rate * self.hosts as f64).round() as usize,
            None => self.events,
        }
    }
}

/// The activity mix: relative weights of the background episodes, per-hour rates of the
/// rarer ones, and the fleet's OS shares.
#[derive(Debug, Clone)]
pub struct Mix {
    /// Weight of browsing a popular site (DNS, connects, cache writes, sometimes a new tab).
    pub browse: f64,
    /// Weight of a short-lived system process.
    pub system: f64,
    /// Weight of mail polling (and occasional attachment writes).
    pub mail: f64,
    /// Downloads from allowlisted CDNs into Downloads, per host per hour.
    pub cdn_downloads_per_hour: f64,
    /// Visits to risky domains without any download, per host per hour.
    pub risky_visits_per_hour: f64,
    /// Links to popular sites clicked in the mail app, per host per hour.
    pub benign_clicks_per_hour: f64,
    /// Office document sessions, per host per hour.
    pub office_per_hour: f64,
    /// Updater runs (outside any lineage), per host per hour.
    pub updaters_per_hour: f64,
    /// LOLBIN admin commands (outside any lineage), per host per hour.
    pub admin_per_hour: f64,
    /// A visit to a risky domain followed 3 to 14 minutes later (past the default download gap,
    /// within the window) by a download from an allowlisted CDN, per host per hour.
    pub late_downloads_per_hour: f64,
    /// Probability that an injected chain's payload is executed afterwards (follow-on).
    pub follow_on: f64,
    /// Shares of Windows, Linux and macOS among hosts after the first three (which are one each).
    pub os_shares: [f64; 3],
    /// Pid space of pid-keyed hosts (Linux, and the pid part of macOS keys). Smaller than a
    /// real system's so that pids are reused within bench-length streams.
    pub pid_max: u32,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            browse: 6.0,
            system: 3.0,
            mail: 1.0,
            cdn_downloads_per_hour: 6.0,
            risky_visits_per_hour: 3.0,
            benign_clicks_per_hour: 6.0,
            office_per_hour: 4.0,
            updaters_per_hour: 2.0,
            admin_per_hour: 6.0,
            late_downloads_per_hour: 1.0,
            follow_on: 0.3,
            os_shares: [0.5, 0.25, 0.25],
            pid_max: 4_096,
        }
    }
}

impl Mix {
    /// The names [`Mix::set`] takes.
    pub const KEYS: [&'static str; 11] = [
        "browse",
        "system",
        "mail",
        "cdn_downloads_per_hour",
        "risky_visits_per_hour",
        "benign_clicks_per_hour",
        "office_per_hour",
        "updaters_per_hour",
        "admin_per_hour",
        "late_downloads_per_hour",
        "follow_on",
    ];

    /// Sets one weight or rate by its field name (one of [`Mix::KEYS`]); it must be finite and
    /// not negative (`follow_on` at most 1).
    pub fn set(&mut self, key: &str, value: f64) -> Result<(), String> {
        if !value.is_finite() || value < 0.0 || (key == "follow_on" && value > 1.0) {
            return Err(format!("bad value {value} for `{key}`"));
        }
        let field = match key {
            "browse" => &mut self.browse,
            "system" => &mut self.system,
            "mail" => &mut self.mail,
            "cdn_downloads_per_hour" => &mut self.cdn_downloads_per_hour,
            "risky_visits_per_hour" => &mut self.risky_visits_per_hour,
            "benign_clicks_per_hour" => &mut self.benign_clicks_per_hour,
            "office_per_hour" => &mut self.office_per_hour,
            "updaters_per_hour" => &mut self.updaters_per_hour,
            "admin_per_hour" => &mut self.admin_per_hour,
            "late_downloads_per_hour" => &mut self.late_downloads_per_hour,
            "follow_on" => &mut self.follow_on,
            _ => return Err(format!("unknown mix key `{key}` (expected one of: {})", Mix::KEYS.join(", "))),
        };
        *field = value;
        if self.browse + self.system + self.mail <= 0.0 {
            return Err("browse, system and mail cannot all be 0".to_owned());
        }
        Ok(())
    }
}

/// An evasion applied to an injected chain (a chain may have several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Evasion {
    /// The download comes from a process `depth + 6` levels below the link root.
    DeepLineage,
    /// The partial file has a name unrelated to the final one (`Unconfirmed 123456.crdownload`,
    /// `.com.google.Chrome.XXXXXX`, a random `.part`).
    RenamedPartial,
    /// The DNS answer and first connect arrive late, behind newer events (by at most
    /// [`Evasions::max_lateness_ms`]).
    Late,
    /// The download is fast and its events arrive in reverse: the rename into Downloads first,
    /// then the partial, then the download connect (delays at most [`Evasions::max_lateness_ms`]).
    OutOfOrder,
    /// Linux: the browser started by the link reuses the pid of a process that ended just
    /// before, and after it ends its pid is reused by an unrelated process that writes into
    /// Downloads (a [`crate::DecoyKind::PidReuse`] decoy). Not applied on other OSes.
    PidReuse,
    /// The link and the download name a raw public IP: no DNS, no domain on the connects.
    IpOnly,
}

impl Evasion {
    /// Every evasion.
    pub const ALL: [Evasion; 6] = [
        Evasion::DeepLineage,
        Evasion::RenamedPartial,
        Evasion::Late,
        Evasion::OutOfOrder,
        Evasion::PidReuse,
        Evasion::IpOnly,
    ];

    /// The label's tag (`deep_lineage`, `renamed_partial`, `late`, `out_of_order`, `pid_reuse`,
    /// `ip_only`).
    pub fn as_str(self) -> &'static str {
        match self {
            Evasion::DeepLineage => "deep_lineage",
            Evasion::RenamedPartial => "renamed_partial",
            Evasion::Late => "late",
            Evasion::OutOfOrder => "out_of_order",
            Evasion::PidReuse => "pid_reuse",
            Evasion::IpOnly => "ip_only",
        }
    }
}

impl fmt::Display for Evasion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Evasion {
    type Err = String;

    /// A tag, with `-` or `_` (`deep-lineage`, `ip_only`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().replace('-', "_");
        Evasion::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Evasion::ALL.iter().map(|e| e.as_str()).collect();
            format!("unknown evasion `{s}` (expected one of: {})", names.join(", "))
        })
    }
}

/// Probability of each [`Evasion`] per injected chain (drawn independently), and the lateness bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Evasions {
    /// Probability of each evasion, in the order of [`Evasion::ALL`].
    pub probability: [f64; 6],
    /// Bound on how far behind the newest event of the stream a late or out-of-order event
    /// arrives (ms). The default, 4 s, is below clickchain's default `allowed_lateness` (5 s),
    /// so the engine must give the alerts of the sorted stream.
    pub max_lateness_ms: i64,
}

impl Default for Evasions {
    /// Each evasion on one chain in five.
    fn default() -> Self {
        Evasions::all(0.2)
    }
}

impl Evasions {
    /// No evasions.
    pub fn none() -> Evasions {
        Evasions { probability: [0.0; 6], max_lateness_ms: 4_000 }
    }

    /// Every evasion with probability `p`.
    pub fn all(p: f64) -> Evasions {
        Evasions { probability: [p; 6], ..Evasions::none() }
    }

    /// Only `which`, each with probability `p`.
    pub fn only(which: &[Evasion], p: f64) -> Evasions {
        let mut e = Evasions::none();
        for &w in which {
            e.probability[w as usize] = p;
        }
        e
    }

    /// The probability of `e`.
    pub fn get(&self, e: Evasion) -> f64 {
        self.probability[e as usize]
    }
}
