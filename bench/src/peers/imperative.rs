//! A hand-written imperative correlator for the same chain: the practical
//! speed limit for this logic, with no Datalog, no reorder buffer and no micro-batches.
//!
//! It consumes the same [`Event`]s as the engine, in order, and keeps per-host hash maps:
//! process → link root (and the root's image), per root the recent untrusted egress and
//! observed clicks, partial downloads waiting for their rename, DNS answers by address, and
//! the (root, file) pairs already alerted. A chain is checked once, when a download-like file
//! lands, against the root's recent egress. Classification uses clickchain's public API:
//! [`PathClassifier`] (user paths, download-like, partial names, browsers), [`Psl`],
//! [`RiskPolicy::assess`] with a [`FirstSeen`] store (untrusted destinations) and
//! [`host_of_url`]; the parameters come from the same default [`Config`].
//!
//! Differences in semantics from the engine (also in `docs/performance.md` "Peers"):
//!
//! - the input must be in time order (no reorder buffer, no AllowedLateness);
//! - a process's link root is fixed at its start (the engine walks the lineage at use, so a
//!   parent whose start is seen late still counts); a process never seen starting has none;
//!   pid keys are not resolved by time and a pid's exec is not kept as the parent (a new start
//!   under a pid replaces the previous holder);
//! - an egress names its destination from the event, else from the host's latest DNS answer
//!   for the address within `dns_ttl` (any process: the engine prefers the same lineage), else
//!   from the root's latest click URL;
//! - no AN0180 QuarantinePolicy findings (`quarantine_missing`), no follow-on records, no
//!   evidence or score in the alert;
//! - tables are bounded only by the window (egress, clicks, alerted pairs) and by process ends
//!   (processes that never end stay); DNS answers and partials are cleared when full.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use clickchain::config::{duration_ms, Config, OsProfile};
use clickchain::domain::{host_of_url, Destination, FirstSeen, Psl, Reason, RiskPolicy};
use clickchain::paths::{os_hint, DirFlags, PathClassifier};
use clickchain_adapters::{Event, EventKind, FileOp, Origin, Os, ProcKey};
use clickchain_logic::Strength;
use rustc_hash::{FxHashMap, FxHashSet};

/// Most DNS answers and partial downloads kept per host (cleared when full).
const MAX_DNS: usize = 65_536;
const MAX_PARTIALS: usize = 10_000;
/// Folders whose flags are cached per host (cleared when full).
const MAX_DIR_FLAGS: usize = 4_096;
/// Most cached destination verdicts per OS (cleared when full).
const MAX_DEST_CACHE: usize = 65_536;
/// Two egress of one root to one destination closer than this are one.
const COALESCE_MS: i64 = 1_000;
/// How often (event time) expired roots and alerted pairs are dropped.
const SWEEP_MS: i64 = 60_000;

/// One alert of the correlator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Host name.
    pub host: String,
    /// Image of the link root.
    pub root_image: String,
    /// The written file, as in the event.
    pub path: String,
    /// Write time (ms).
    pub time: i64,
    /// Link strength (at least the profile's `min_strength`).
    pub strength: Strength,
    /// Registrable domain (else name, else IP) of the egress that linked it.
    pub egress_domain: String,
    /// Time (ms) of that egress.
    pub egress_time: i64,
    /// The click was observed (not inferred at the egress).
    pub observed_click: bool,
}

impl Alert {
    /// An NDJSON record with the fields `clickchain_bench::score::Observed` reads (the engine's
    /// alert shape, reduced).
    pub fn to_json(&self) -> String {
        let time = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339();
        serde_json::json!({
            "type": "alert",
            "finding": "chain",
            "host": self.host,
            "time": time(self.time),
            "strength": self.strength.as_str(),
            "click": {"observed": self.observed_click},
            // As the engine: an egress reached by address alone has an `ip` and no domain.
            "egress": match self.egress_domain.parse::<IpAddr>() {
                Ok(ip) => serde_json::json!({"time": time(self.egress_time), "ip": ip.to_string(), "registrable_domain": null}),
                Err(_) => serde_json::json!({"time": time(self.egress_time), "registrable_domain": self.egress_domain}),
            },
            "write": {"time": time(self.time), "path": self.path},
            "lineage": [self.root_image],
        })
        .to_string()
    }
}

/// A cached destination verdict: untrusted, and the key (registrable domain, name or IP).
type DestVerdict = (bool, Arc<str>);

/// One OS profile, compiled.
struct Profile {
    paths: PathClassifier,
    risk: RiskPolicy,
    window: i64,
    gap: i64,
    min: Strength,
    /// Destination name -> (untrusted, key), by whether the IP is allowlisted.
    dests: FxHashMap<Box<str>, [Option<DestVerdict>; 2]>,
    /// Address -> allowlisted (`allowed_cidrs`), cached.
    ips: FxHashMap<IpAddr, bool>,
}

impl Profile {
    fn new(os: Os, p: &OsProfile) -> anyhow::Result<Profile> {
        let risk = RiskPolicy::new(p.risk_settings())?;
        Ok(Profile {
            paths: PathClassifier::new(os, p)?,
            risk,
            window: duration_ms(p.time_window),
            gap: duration_ms(p.download_gap),
            min: p.min_strength,
            dests: FxHashMap::default(),
            ips: FxHashMap::default(),
        })
    }
}

struct Proc {
    /// Index into the host's roots, when in a link lineage.
    root: Option<u64>,
}

struct Egress {
    time: i64,
    key: Arc<str>,
}

struct Root {
    image: String,
    /// Observed clicks: time and URL, in time order.
    clicks: VecDeque<(i64, Arc<str>)>,
    egress: VecDeque<Egress>,
    /// Last event time that touched it.
    last: i64,
}

struct Partial {
    time: i64,
    origin: Option<Origin>,
}

struct Host {
    os: Os,
    procs: FxHashMap<ProcKey, Proc>,
    roots: FxHashMap<u64, Root>,
    dns: FxHashMap<IpAddr, (Arc<str>, i64)>,
    partials: FxHashMap<String, Partial>,
    /// (root, normalised path) -> write time.
    alerted: FxHashMap<(u64, String), i64>,
    /// Folder flags by folder as written in events.
    dir_flags: FxHashMap<Box<str>, DirFlags>,
    last_sweep: i64,
}

/// The correlator. Feed it events in time order with [`Correlator::push`], then take the alerts.
pub struct Correlator {
    profiles: [Profile; 3],
    psl: &'static Psl,
    first_seen: FirstSeen,
    dns_ttl: i64,
    hosts: FxHashMap<String, Host>,
    next_root: u64,
    alerts: Vec<Alert>,
}

fn os_index(os: Os) -> usize {
    match os {
        Os::Windows => 0,
        Os::Linux => 1,
        Os::Macos => 2,
    }
}

/// The first standalone `http(s)://` argument of a command line (none for headless browsers).
fn url_in_command_line(cmd: &str) -> Option<&str> {
    let mut found = None;
    for t in cmd.split_ascii_whitespace() {
        if t.trim_matches('"').starts_with("--headless") {
            return None;
        }
        let t = t.trim_matches(|c| c == '"' || c == '\'');
        let head = t.get(..8).unwrap_or(t);
        if found.is_none()
            && (head.len() >= 7 && head[..7].eq_ignore_ascii_case("http://")
                || head.len() >= 8 && head.eq_ignore_ascii_case("https://"))
        {
            found = Some(t);
        }
    }
    found
}

impl Correlator {
    /// A correlator with `config`'s per-OS lists and parameters and the vendored PSL.
    pub fn new(config: &Config) -> anyhow::Result<Correlator> {
        Ok(Correlator {
            profiles: [
                Profile::new(Os::Windows, &config.windows)?,
                Profile::new(Os::Linux, &config.linux)?,
                Profile::new(Os::Macos, &config.macos)?,
            ],
            psl: Psl::vendored(),
            first_seen: FirstSeen::new(config.engine.nod_warmup_ms(), config.engine.nod_capacity)
                .window(config.engine.nod_window_ms()),
            dns_ttl: config.engine.dns_ttl_ms(),
            hosts: FxHashMap::default(),
            next_root: 0,
            alerts: Vec::new(),
        })
    }

    /// The alerts so far.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    /// Takes the alerts so far.
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.alerts)
    }

    /// Processes held, all hosts.
    pub fn live_processes(&self) -> usize {
        self.hosts.values().map(|h| h.procs.len()).sum()
    }

    /// One event (events must come in time order).
    pub fn push(&mut self, ev: Event) {
        let t = ev.time.timestamp_millis();
        if !self.hosts.contains_key(ev.host.as_str()) {
            let os = ev.os.or_else(|| os_hint(&ev)).unwrap_or(Os::Linux);
            let host = Host {
                os,
                procs: FxHashMap::default(),
                roots: FxHashMap::default(),
                dns: FxHashMap::default(),
                partials: FxHashMap::default(),
                alerted: FxHashMap::default(),
                dir_flags: FxHashMap::default(),
                last_sweep: t,
            };
            self.hosts.insert(ev.host.clone(), host);
        }
        let h = self.hosts.get_mut(ev.host.as_str()).expect("inserted");
        let profile = &mut self.profiles[os_index(h.os)];
        if t - h.last_sweep >= SWEEP_MS {
            h.sweep(t, profile.window);
        }
        match ev.kind {
            EventKind::ProcessStart { proc, parent, image, command_line, forked, .. } => {
                let link_source = profile.paths.is_browser(&image);
                let parent_root = parent.as_ref().and_then(|p| h.procs.get(p)).and_then(|p| p.root);
                let root = match parent_root {
                    Some(r) => Some(r),
                    None if link_source => {
                        let id = self.next_root;
                        self.next_root += 1;
                        let root = Root { image, clicks: VecDeque::new(), egress: VecDeque::new(), last: t };
                        h.roots.insert(id, root);
                        Some(id)
                    }
                    None => None,
                };
                if let (Some(r), Some(url), false) =
                    (root, command_line.as_deref().and_then(url_in_command_line), forked)
                {
                    h.click(r, t, url);
                }
                h.procs.insert(proc, Proc { root });
            }
            EventKind::ProcessEnd { proc } => {
                h.procs.remove(&proc);
            }
            EventKind::UrlOpen { proc, url } => {
                if let Some(r) = h.procs.get(&proc).and_then(|p| p.root) {
                    h.click(r, t, &url);
                }
            }
            EventKind::DnsAnswer { query, answers, .. } => {
                if h.dns.len() + answers.len() > MAX_DNS {
                    h.dns.clear();
                }
                let name: Arc<str> = Arc::from(query.trim_end_matches('.'));
                for ip in answers {
                    h.dns.insert(ip, (Arc::clone(&name), t));
                }
            }
            EventKind::Connect { proc, dst_ip, domain, .. } => {
                let Some(r) = h.procs.get(&proc).and_then(|p| p.root) else { return };
                let name: Option<Arc<str>> = match domain {
                    Some(d) => Some(Arc::from(d)),
                    None => match h.dns.get(&dst_ip).filter(|(_, at)| t - at <= self.dns_ttl) {
                        Some((n, _)) => Some(Arc::clone(n)),
                        None => h.roots[&r]
                            .clicks
                            .iter()
                            .rev()
                            .find(|c| c.0 <= t)
                            .and_then(|c| host_of_url(&c.1))
                            .map(Arc::from),
                    },
                };
                let (untrusted, key) = classify(profile, self.psl, &mut self.first_seen, dst_ip, name.as_deref(), t);
                if !untrusted {
                    return;
                }
                let root = h.roots.get_mut(&r).expect("root of a live process");
                root.last = t;
                if root.egress.back().is_some_and(|e| e.key == key && t - e.time < COALESCE_MS) {
                    return;
                }
                while root.egress.front().is_some_and(|e| t - e.time > profile.window) {
                    root.egress.pop_front();
                }
                root.egress.push_back(Egress { time: t, key });
            }
            EventKind::FileWrite { proc, path, op, origin } => {
                let origin = origin.map(|o| *o);
                let from = match op {
                    FileOp::Modify => return,
                    FileOp::Create => None,
                    FileOp::Rename { from } => Some(from),
                };
                let Some(r) = h.procs.get(&proc).and_then(|p| p.root) else { return };
                // Most writes (caches, logs) are ruled out by their folder (flags cached per
                // folder) and name, as in the engine.
                if let Some((dir, name)) = profile.paths.split_raw(&path) {
                    let flags = match h.dir_flags.get(dir) {
                        Some(f) => *f,
                        None => {
                            if h.dir_flags.len() >= MAX_DIR_FLAGS {
                                h.dir_flags.clear();
                            }
                            let f = profile.paths.dir_flags(dir);
                            h.dir_flags.insert(dir.into(), f);
                            f
                        }
                    };
                    if !PathClassifier::may_matter(&flags, &profile.paths.name_flags(name)) {
                        return;
                    }
                }
                let Some(class) = profile.paths.classify_write(&path) else { return };
                if class.partial {
                    if class.user_path && !class.excluded {
                        if h.partials.len() >= MAX_PARTIALS {
                            h.partials.clear();
                        }
                        h.partials.insert(class.norm, Partial { time: t, origin });
                    }
                    return;
                }
                if !class.download_like() {
                    return;
                }
                let mut origin = origin;
                if let Some(from) = from {
                    if let Some(p) = h.partials.remove(&profile.paths.normalize(&from)) {
                        origin = origin.or(p.origin);
                    }
                }
                let host_name = ev.host;
                h.on_download(profile, self.psl, r, t, &host_name, path, class.norm, origin, &mut self.alerts);
            }
            EventKind::FileAttr { .. } => {}
        }
    }
}

/// (untrusted, key) of a destination: key = registrable domain, else the name, else the IP.
fn classify(
    profile: &mut Profile,
    psl: &Psl,
    first_seen: &mut FirstSeen,
    ip: IpAddr,
    name: Option<&str>,
    t: i64,
) -> (bool, Arc<str>) {
    let ip_allowed = match profile.ips.get(&ip) {
        Some(&a) => a,
        None => {
            if profile.ips.len() >= MAX_DEST_CACHE {
                profile.ips.clear();
            }
            let a = profile.risk.is_allowed_ip(ip);
            profile.ips.insert(ip, a);
            a
        }
    };
    if let Some(n) = name {
        if let Some((u, k)) = profile.dests.get(n).and_then(|d| d[usize::from(ip_allowed)].as_ref()) {
            return (*u, Arc::clone(k));
        }
    }
    let parsed = name.and_then(|n| psl.parse(n).ok());
    let verdict = profile.risk.assess(Destination { ip: Some(ip), name: parsed.as_ref() }, first_seen, t);
    let key: Arc<str> = match &parsed {
        Some(d) => Arc::from(d.registrable.as_deref().unwrap_or(&d.name)),
        None => Arc::from(ip.to_string()),
    };
    if let Some(n) = name {
        if !verdict.has(Reason::NewlyObserved) {
            if profile.dests.len() >= MAX_DEST_CACHE {
                profile.dests.clear();
            }
            profile.dests.entry(Box::from(n)).or_default()[usize::from(ip_allowed)] =
                Some((verdict.untrusted, Arc::clone(&key)));
        }
    }
    (verdict.untrusted, key)
}

impl Host {
    fn click(&mut self, r: u64, t: i64, url: &str) {
        if let Some(root) = self.roots.get_mut(&r) {
            root.last = t;
            root.clicks.push_back((t, Arc::from(url)));
        }
    }

    fn sweep(&mut self, t: i64, window: i64) {
        self.last_sweep = t;
        let horizon = t - window;
        let live: FxHashSet<u64> = self.procs.values().filter_map(|p| p.root).collect();
        self.roots.retain(|id, r| {
            while r.egress.front().is_some_and(|e| e.time < horizon) {
                r.egress.pop_front();
            }
            while r.clicks.front().is_some_and(|c| c.0 < horizon) {
                r.clicks.pop_front();
            }
            live.contains(id) || r.last >= horizon
        });
        self.alerted.retain(|_, at| *at >= horizon);
        self.partials.retain(|_, p| p.time >= horizon);
    }

    /// A download-like file landed in the lineage of root `r`: check the chain.
    #[allow(clippy::too_many_arguments)]
    fn on_download(
        &mut self,
        profile: &Profile,
        psl: &Psl,
        r: u64,
        tw: i64,
        host: &str,
        path: String,
        norm: String,
        origin: Option<Origin>,
        out: &mut Vec<Alert>,
    ) {
        let Some(root) = self.roots.get(&r) else { return };
        if root.egress.is_empty() || self.alerted.contains_key(&(r, norm.clone())) {
            return;
        }
        let window = profile.window;
        // Where the file says it came from, and whether that is an allowlisted destination.
        let (origin_key, origin_trusted): (Option<String>, bool) =
            match origin.as_ref().and_then(|o| o.url.as_deref()).and_then(host_of_url).map(|h| psl.parse(h)) {
                Some(Ok(d)) => {
                    let trusted = profile.risk.is_allowed_cdn(&d);
                    (Some(d.registrable.unwrap_or(d.name)), trusted)
                }
                Some(Err(clickchain::domain::DomainError::IpLiteral { ip })) => {
                    (Some(ip.to_string()), profile.risk.is_allowed_ip(ip))
                }
                _ => (None, false),
            };
        // The best egress: strongest link, then an observed click, then the latest egress.
        let mut best: Option<(Strength, bool, i64, &Egress)> = None;
        for e in root.egress.iter().rev() {
            if e.time > tw {
                continue;
            }
            if tw - e.time > window {
                break;
            }
            // The latest observed click at or before the egress, within the window of it.
            let click = root.clicks.iter().rev().find(|c| c.0 <= e.time).filter(|c| e.time - c.0 <= window);
            let observed = match click {
                Some(c) if tw - c.0 <= window => true,
                // The egress belongs to a click whose window the write misses.
                Some(_) => continue,
                None => false,
            };
            let strength = match &origin_key {
                Some(o) if **o == *e.key => Strength::Strong,
                Some(_) if origin_trusted => Strength::Weak,
                _ if tw - e.time <= profile.gap => Strength::Medium,
                _ => Strength::Weak,
            };
            if strength < profile.min {
                continue;
            }
            let cand = (strength, observed, e.time, e);
            if best.as_ref().is_none_or(|b| (cand.0, cand.1, cand.2) > (b.0, b.1, b.2)) {
                best = Some(cand);
            }
        }
        let Some((strength, observed, te, e)) = best else { return };
        let alert = Alert {
            host: host.to_owned(),
            root_image: root.image.clone(),
            path,
            time: tw,
            strength,
            egress_domain: e.key.to_string(),
            egress_time: te,
            observed_click: observed,
        };
        out.push(alert);
        self.alerted.insert((r, norm), tw);
    }
}
