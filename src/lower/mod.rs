//! Lowering: one event into its host's classified state (DESIGN §2, "classify at ingest").
//!
//! Everything stateless is decided here, once per event: is the process in a link lineage,
//! is the path a user path and download-like, is the destination untrusted. What can never
//! matter is dropped (and counted); what may matter is carried as a compact summary for the
//! rules of the engine to evaluate.

use std::net::IpAddr;
use std::sync::Arc;

use clickchain_adapters::{AttrChange, Event, EventKind, FileOp, Origin, ProcKey, SourceRef};

use crate::domain::{host_of_url, DomainError};
use crate::host::dns::DnsEntry;
use crate::host::proctable::{NewProc, Slot};
use crate::host::{
    ClickEntry, DomainSource, EgressEntry, ExecCandidate, Host, Partial, PendingWrite, RemovalCandidate,
};

mod ctx;
mod dest;
pub(crate) mod nod;

pub(crate) use ctx::Ctx;
pub(crate) use dest::DestCache;

/// Two connects of one process to one destination closer than this are one egress.
const EGRESS_COALESCE_MS: i64 = 1_000;
/// Most partial downloads remembered per host.
const MAX_PARTIALS: usize = 10_000;
/// Folders whose flags are cached per host.
const DIR_FLAGS_CACHE: usize = 4096;
/// Most observed clicks carried per link root.
const MAX_CLICKS_PER_ROOT: usize = 256;

/// The first standalone `http(s)://` token of a command line (not an `--opt=URL` value). A
/// headless browser is automation, not a user handling a link (regression:
/// headless_browser_url_is_no_click).
pub(crate) fn url_in_command_line(cmd: &str) -> Option<&str> {
    // Most command lines hold no URL: skip the token walk (it runs for every process start).
    if !cmd.contains("://") {
        return None;
    }
    if cmd.split_ascii_whitespace().any(|t| t.trim_matches('"').starts_with("--headless")) {
        return None;
    }
    let has_prefix = |t: &str, p: &str| t.get(..p.len()).is_some_and(|head| head.eq_ignore_ascii_case(p));
    cmd.split_ascii_whitespace()
        .map(|t| t.trim_matches(|c| c == '"' || c == '\''))
        .find(|t| has_prefix(t, "http://") || has_prefix(t, "https://"))
}

impl Host {
    /// Lowers one event (already accepted and in time order) that happened at `t`, its time in
    /// milliseconds (which the caller has computed already).
    pub(crate) fn ingest(&mut self, ctx: &mut Ctx<'_>, ev: Event, t: i64) {
        let source = ev.source;
        match ev.kind {
            EventKind::ProcessStart { proc, parent, image, command_line, user: _, forked } => {
                // A forked child only carries lineage: its command line is its parent's and
                // nothing new ran, so it is neither a click nor an execution.
                let command_line = if forked { None } else { command_line };
                self.on_start(ctx, t, source, &proc, parent.as_ref(), &image, command_line.as_deref(), !forked)
            }
            EventKind::ProcessEnd { proc } => self.procs.end(&proc, t),
            EventKind::UrlOpen { proc, url } => {
                let slot = self.known(ctx, &proc, t);
                self.add_click(ctx, slot, t, &url, source);
            }
            EventKind::DnsAnswer { proc, query, answers } => {
                self.on_dns(ctx, t, source, proc.as_ref(), &query, answers)
            }
            EventKind::Connect { proc, dst_ip, dst_port, domain } => {
                self.on_connect(ctx, t, source, &proc, dst_ip, dst_port, domain.as_deref())
            }
            EventKind::FileWrite { proc, path, op, origin } => self.on_write(ctx, t, source, &proc, path, op, origin),
            EventKind::FileAttr { proc, path, attr } => self.on_attr(ctx, t, source, &proc, &path, attr),
        }
    }

    /// The process a record names, with a placeholder for one never seen starting.
    fn known(&mut self, ctx: &mut Ctx<'_>, key: &ProcKey, t: i64) -> Slot {
        if let Some(slot) = self.procs.find(key, t) {
            return slot;
        }
        ctx.stats.anomalies.unknown_process += 1;
        // A placeholder may exceed the cap by one rather than lose the event's process.
        self.make_room(ctx);
        self.procs.resolve(key, t)
    }

    /// Room for one more process (sweeping, then evicting idle ones); evictions are counted.
    fn make_room(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let before = self.procs.evicted;
        let room = self.procs.make_room(ctx.limits.max_processes_per_host, ctx.ended_before);
        ctx.stats.dropped.process_evicted += self.procs.evicted - before;
        room
    }

    #[allow(clippy::too_many_arguments)]
    fn on_start(
        &mut self,
        ctx: &mut Ctx<'_>,
        t: i64,
        source: SourceRef,
        proc: &ProcKey,
        parent: Option<&ProcKey>,
        image: &str,
        command_line: Option<&str>,
        executed: bool,
    ) {
        if !self.make_room(ctx) {
            ctx.stats.dropped.process_cap += 1;
            return;
        }
        let paths = &ctx.profile.paths;
        let (_, is_link_source, lolbin) = paths.image_flags(image);
        let new = NewProc {
            key: proc,
            parent,
            image: self.images.intern(image),
            is_link_source,
            lolbin,
            forked: !executed,
            exec_in_place: ctx.profile.exec_in_place,
            time: t,
            source: source.clone(),
        };
        let (slot, outcome) = self.procs.start(new);
        ctx.stats.anomalies.orphan_parent += u64::from(outcome.orphan);
        ctx.stats.anomalies.parent_cycle += u64::from(outcome.cycle);
        ctx.stats.anomalies.duplicate_start += u64::from(outcome.duplicate);
        ctx.stats.classified.joined_starts += u64::from(outcome.joined);
        if outcome.duplicate {
            return;
        }
        if let Some(url) = command_line.and_then(url_in_command_line) {
            // The first record of a joined start may have had no command line (4688 without
            // the command-line audit policy): its URL counts once.
            if !(outcome.joined && self.has_click(slot, url)) {
                self.add_click(ctx, slot, t, url, source.clone());
            }
        }
        if outcome.joined {
            return;
        }
        if executed && !self.exec_watch.is_empty() {
            self.executed_download(ctx, t, image, source);
        }
        if executed && !self.interest.is_empty() {
            self.exec_candidate(ctx, slot, t, image, command_line);
        }
    }

    /// A watched download from a quarantine folder runs: it was an executable after all, so it
    /// goes back for evaluation as a QuarantinePolicy candidate.
    fn executed_download(&mut self, ctx: &mut Ctx<'_>, t: i64, image: &str, source: SourceRef) {
        let norm = ctx.profile.paths.normalize(image);
        let Some(mut w) = self.exec_watch.remove(&norm) else { return };
        w.quarantine_candidate = true;
        w.ready = t.max(w.time + ctx.profile.params.quarantine_grace);
        w.evidence.push(source);
        self.add_interest(&w.norm);
        self.pending.push(w);
    }

    fn exec_candidate(&mut self, ctx: &mut Ctx<'_>, slot: Slot, t: i64, image: &str, cmd: Option<&str>) {
        let paths = &ctx.profile.paths;
        let image_norm = paths.normalize(image);
        let lolbin = self.procs.get(slot).lolbin;
        let mut mentions = Vec::new();
        for token in cmd.unwrap_or("").split_ascii_whitespace() {
            let token = token.trim_matches(|c| c == '"' || c == '\'');
            let base = paths.normalize(crate::paths::basename(token));
            if let Some(files) = self.interest.get(&base) {
                mentions.extend(files.iter().cloned());
            }
        }
        let runs_file = self.interest.get(crate::paths::basename(&image_norm)).is_some_and(|v| v.contains(&image_norm));
        if (runs_file || lolbin) && self.execs.len() >= ctx.limits.max_pending_per_host {
            ctx.stats.dropped.follow_on_cap += 1;
        } else if runs_file || lolbin {
            self.procs.pin(slot);
            self.execs.push(ExecCandidate { proc: slot, time: t, image_norm, mentions, lolbin });
        }
    }

    /// Whether `slot` already clicked `url`.
    fn has_click(&self, slot: Slot, url: &str) -> bool {
        let Some(root) = self.procs.root_of(slot) else { return false };
        self.roots.get(&root).is_some_and(|r| r.clicks.iter().any(|c| c.proc == slot && &*c.url == url))
    }

    fn add_click(&mut self, ctx: &mut Ctx<'_>, slot: Slot, t: i64, url: &str, source: SourceRef) {
        let Some(root) = self.procs.root_of(slot) else { return };
        let clicks = &mut self.roots.entry(root).or_default().clicks;
        if clicks.len() >= MAX_CLICKS_PER_ROOT {
            ctx.stats.dropped.click_cap += 1;
            return;
        }
        ctx.stats.classified.clicks += 1;
        self.procs.pin(slot);
        let url = self.images.intern(url);
        self.roots.entry(root).or_default().clicks.push_back(ClickEntry { time: t, proc: slot, url, source });
    }

    fn on_dns(
        &mut self,
        ctx: &mut Ctx<'_>,
        t: i64,
        source: SourceRef,
        proc: Option<&ProcKey>,
        query: &str,
        answers: Vec<IpAddr>,
    ) {
        let root =
            proc.and_then(|k| self.procs.lookup(k)).and_then(|s| self.procs.root_of(s)).map(|r| self.procs.tagged(r));
        let name = self.images.intern(query.trim_end_matches('.'));
        for ip in answers {
            let entry = DnsEntry { name: Arc::clone(&name), time: t, root, source: source.clone() };
            ctx.stats.dropped.dns_evicted += self.dns.insert(ip, entry, ctx.limits.max_dns_per_host);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_connect(
        &mut self,
        ctx: &mut Ctx<'_>,
        t: i64,
        source: SourceRef,
        proc: &ProcKey,
        ip: IpAddr,
        port: u16,
        domain: Option<&str>,
    ) {
        let slot = self.known(ctx, proc, t);
        let Some(root) = self.procs.root_of(slot) else {
            ctx.stats.classified.egress_outside_lineage += 1;
            return;
        };
        // Most connects go to trusted destinations: nothing is allocated before the verdict.
        let answer = if domain.is_none() {
            self.dns.lookup(ip, t, ctx.profile.dns_ttl_ms, Some(self.procs.tagged(root)))
        } else {
            None
        };
        let click_host = if domain.is_none() && answer.is_none() { self.click_host(root, t) } else { None };
        let (name, how) = match (domain, answer, click_host.as_deref()) {
            (Some(d), _, _) => (Some(d), DomainSource::Event),
            (None, Some(e), _) => (Some(&*e.name), DomainSource::Dns),
            (None, None, Some(h)) => (Some(h), DomainSource::ClickUrl),
            (None, None, None) => (None, DomainSource::None),
        };
        let dest = ctx.dests.classify(ctx.profile, ctx.psl, ctx.first_seen, ip, name, t);
        if !dest.untrusted {
            ctx.stats.classified.egress_trusted += 1;
            return;
        }
        let mut evidence = vec![source];
        evidence.extend(answer.map(|e| e.source.clone()));
        let source = if dest.domain.is_some() { how } else { DomainSource::None };
        let state = self.roots.entry(root).or_default();
        // A browser opens many sockets to one destination at once: keep the first of a burst.
        if state
            .egress
            .iter()
            .rev()
            .take(8)
            .any(|e| e.proc == slot && e.dest.key == dest.key && t - e.time < EGRESS_COALESCE_MS)
        {
            return;
        }
        if self.egress_len >= ctx.limits.max_egress_per_host {
            ctx.stats.dropped.egress_cap += 1;
            return;
        }
        ctx.stats.classified.egress_untrusted += 1;
        state.egress.push_back(EgressEntry { time: t, proc: slot, ip, port, dest, source, evidence });
        self.egress_len += 1;
        self.procs.pin(slot);
    }

    /// The host part of the latest click URL of `root` at or before `t`.
    fn click_host(&self, root: Slot, t: i64) -> Option<String> {
        let clicks = &self.roots.get(&root)?.clicks;
        let c = clicks.iter().rev().find(|c| c.time <= t)?;
        host_of_url(&c.url).map(str::to_owned)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_write(
        &mut self,
        ctx: &mut Ctx<'_>,
        t: i64,
        source: SourceRef,
        proc: &ProcKey,
        path: String,
        op: FileOp,
        origin: Option<Origin>,
    ) {
        let paths = &ctx.profile.paths;
        let renamed_from = match op {
            FileOp::Modify => {
                ctx.stats.classified.writes_ignored += 1;
                return;
            }
            FileOp::Create => None,
            FileOp::Rename { from } => Some(from),
        };
        let slot = self.known(ctx, proc, t);
        let Some(root) = self.procs.root_of(slot) else {
            ctx.stats.classified.writes_ignored += 1;
            return;
        };
        // Most writes (caches, logs) are ruled out by their folder (cached per folder) and name.
        if let Some((dir, name)) = paths.split_raw(&path) {
            let flags = match self.dir_flags.get(dir) {
                Some(f) => *f,
                None => {
                    if self.dir_flags.len() >= DIR_FLAGS_CACHE {
                        self.dir_flags.clear();
                    }
                    let f = paths.dir_flags(dir);
                    self.dir_flags.insert(dir.into(), f);
                    f
                }
            };
            if !paths.write_may_matter(&flags, name) {
                ctx.stats.classified.writes_ignored += 1;
                return;
            }
        }
        let Some(mut class) = paths.classify_write(&path) else {
            ctx.stats.classified.writes_ignored += 1;
            return;
        };
        let norm = std::mem::take(&mut class.norm);
        if class.partial {
            if class.user_path && !class.excluded {
                if self.partials.len() >= MAX_PARTIALS {
                    self.partials.clear();
                    ctx.stats.dropped.partial_evicted += MAX_PARTIALS as u64;
                }
                ctx.stats.classified.partial_writes += 1;
                self.partials.insert(norm, Partial { time: t, source, origin });
            }
            return;
        }
        if !class.download_like() {
            ctx.stats.classified.writes_ignored += 1;
            return;
        }
        let mut evidence = vec![source];
        let mut origin = origin;
        if let Some(from) = &renamed_from {
            let from_norm = paths.normalize(from);
            if let Some(p) = self.partials.remove(&from_norm) {
                evidence.insert(0, p.source);
                origin = origin.or(p.origin);
            }
            // A quarantine flag set on the partial travels with the rename.
            if let Some(q) = self.quarantined.remove(&from_norm) {
                self.quarantined.insert(norm.clone(), q);
            }
        }
        if self.pending.len() >= ctx.limits.max_pending_per_host {
            ctx.stats.dropped.pending_cap += 1;
            return;
        }
        // Where the file says it came from: its registrable domain (or IP), and whether that is
        // an allowlisted destination.
        let risk = &ctx.profile.risk;
        let (origin_key, origin_trusted) =
            match origin.as_ref().and_then(|o| o.url.as_deref()).and_then(host_of_url).map(|h| ctx.psl.parse(h)) {
                Some(Ok(d)) => {
                    let trusted = risk.is_allowed_cdn(&d);
                    (Some(Arc::from(d.registrable.unwrap_or(d.name))), trusted)
                }
                Some(Err(DomainError::IpLiteral { ip })) => (Some(Arc::from(ip.to_string())), risk.is_allowed_ip(ip)),
                _ => (None, false),
            };
        let quarantine_candidate = ctx.profile.quarantine_enabled && class.quarantine_path && class.executable_ext;
        let ready = if quarantine_candidate { t + ctx.profile.params.quarantine_grace } else { t };
        ctx.stats.classified.anchor_writes += 1;
        self.procs.pin(slot);
        self.add_interest(&norm);
        self.pending.push(PendingWrite {
            time: t,
            ready,
            proc: slot,
            root,
            path,
            norm,
            extension: class.extension,
            high_risk_ext: class.high_risk_ext,
            renamed_from,
            origin,
            origin_key,
            origin_trusted,
            quarantine_path: class.quarantine_path,
            quarantine_candidate,
            evidence,
        });
    }

    fn on_attr(&mut self, ctx: &mut Ctx<'_>, t: i64, source: SourceRef, proc: &ProcKey, path: &str, attr: AttrChange) {
        // The MotW lives in an alternate data stream of the file it marks.
        let file = path.strip_suffix(":Zone.Identifier").unwrap_or(path);
        let norm = ctx.profile.paths.normalize(file);
        match attr {
            AttrChange::QuarantineSet => {
                if self.quarantined.len() < ctx.limits.max_pending_per_host {
                    self.quarantined.insert(norm, t);
                } else {
                    ctx.stats.dropped.quarantine_cap += 1;
                }
            }
            AttrChange::Executable => {
                // Made executable (mode bits): a download in a quarantine folder becomes a
                // QuarantinePolicy candidate even without an executable extension. The flag comes
                // with the write, before the batch that evaluates it closes.
                let grace = ctx.profile.params.quarantine_grace;
                let enabled = ctx.profile.quarantine_enabled;
                for w in self.pending.iter_mut().filter(|w| w.norm == norm && w.quarantine_path && enabled) {
                    w.quarantine_candidate = true;
                    w.ready = w.time + grace;
                }
            }
            AttrChange::QuarantineRemoved | AttrChange::MotwRemoved => {
                let wanted = self.interest.get(crate::paths::basename(&norm)).is_some_and(|v| v.contains(&norm));
                if wanted && self.removals.len() >= ctx.limits.max_pending_per_host {
                    ctx.stats.dropped.follow_on_cap += 1;
                } else if wanted {
                    let slot = self.known(ctx, proc, t);
                    self.procs.pin(slot);
                    self.removals.push(RemovalCandidate { proc: slot, time: t, norm, source });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_in_command_line;

    #[test]
    fn finds_standalone_urls_only() {
        assert_eq!(
            url_in_command_line(r#""C:\msedge.exe" --single-argument https://x.example/a"#),
            Some("https://x.example/a")
        );
        assert_eq!(url_in_command_line(r#"firefox "HTTP://x.example/""#), Some("HTTP://x.example/"));
        assert_eq!(url_in_command_line("crashpad_handler --url=https://clients2.google.com/cr/report"), None);
        assert_eq!(url_in_command_line("chrome.exe --type=renderer"), None);
    }

    #[test]
    fn headless_browser_url_is_no_click() {
        assert_eq!(url_in_command_line("chrome.exe --headless --dump-dom http://10.0.1.14/nas.txt"), None);
        assert_eq!(url_in_command_line("chrome.exe --headless=new https://x.example/"), None);
    }
}
