//! Lowering: one event into what its host keeps of it (`docs/design.md`, "Lowering": classify at
//! ingest).
//!
//! Everything stateless is decided here, once per event: is the process in a link lineage,
//! is the path a user path and download-like, is the destination untrusted. What can never
//! matter is dropped (and counted); what may matter comes back as a [`Lowered`] value, a
//! compact summary that the host keeps for the rules of the engine to evaluate. Lowering
//! updates the process table itself: which process an event is about is part of classifying
//! it.

use std::net::IpAddr;

use clickchain_adapters::{Event, EventKind, ProcKey, SourceRef};

use crate::domain::host_of_url;
use crate::host::dns::{DnsCache, DnsEntry};
use crate::host::lowered::{Click, Lowered, RanWatched};
use crate::host::proctable::{NewProc, ProcTable, Slot};
use crate::host::roots::Roots;
use crate::host::{Anchors, DirFlagsCache, DomainSource, EgressEntry, ExecCandidate, FollowOnWatch, Host};
use crate::intern::Interner;

mod cmd_class;
pub(crate) mod container;
mod cradle;
mod ctx;
mod dest;
mod egress_evidence;
mod files;
mod held;
mod late_dns;
pub(crate) mod nod;

pub(crate) use cmd_class::classify as classify_command_line;
pub(crate) use ctx::Ctx;
pub(crate) use dest::DestCache;
pub(crate) use late_dns::LateDns;

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

/// Lowers one event (already accepted and in time order) that happened at `t`, its time in
/// milliseconds (which the caller has computed already), and has `host` keep what was found.
pub(crate) fn ingest(host: &mut Host, ctx: &mut Ctx<'_>, ev: Event, t: i64) {
    let mut view = Lowering {
        host: &host.name,
        procs: &mut host.procs,
        images: &mut host.images,
        dir_flags: &mut host.dir_flags,
        dns: &host.dns,
        roots: &host.roots,
        anchors: &host.anchors,
        follow: &host.follow,
    };
    crate::missing_data::note(&mut ctx.stats.fed, &ev.kind);
    match view.lower(ctx, ev, t) {
        // Most events add nothing to carry.
        Lowered::Nothing => {}
        found => host.apply(found, ctx.limits, ctx.stats),
    }
}

/// How a start came to be: whether it ran a new image (not a fork's copy), whether a reader
/// built it, and the user it names.
#[derive(Clone, Copy)]
struct StartHow<'a> {
    executed: bool,
    built: bool,
    user: Option<&'a str>,
    session: Option<u64>,
}

/// A host as lowering sees it: the process table and caches it updates, and the carried state
/// it reads.
struct Lowering<'h> {
    host: &'h str,
    procs: &'h mut ProcTable,
    images: &'h mut Interner,
    dir_flags: &'h mut DirFlagsCache,
    dns: &'h DnsCache,
    roots: &'h Roots,
    anchors: &'h Anchors,
    follow: &'h FollowOnWatch,
}

impl Lowering<'_> {
    fn lower(&mut self, ctx: &mut Ctx<'_>, ev: Event, t: i64) -> Lowered {
        let source = ev.source;
        match ev.kind {
            EventKind::ProcessStart { proc, parent, image, command_line, user, session, forked, built } => {
                // A reader that cannot tell whether it built a start before (ECS) builds one
                // with each record naming a parent: only the first adds anything. (The Windows
                // reader's built starts name no parent, and join a 4688 of their pid.)
                let known = |procs: &ProcTable| procs.lookup(&proc).is_some_and(|s| procs.get(s).start.is_some());
                if built && parent.is_some() && known(self.procs) {
                    return Lowered::Nothing;
                }
                ctx.stats.classified.built_starts += u64::from(built);
                // A forked child only carries lineage: its command line is its parent's and
                // nothing new ran, so it is neither a click nor an execution.
                let command_line = if forked { None } else { command_line };
                let how = StartHow { executed: !forked, built, user: user.as_deref(), session };
                self.on_start(ctx, t, source, &proc, parent.as_ref(), &image, command_line.as_deref(), how)
            }
            EventKind::ProcessEnd { proc } => {
                self.procs.end(&proc, t);
                Lowered::Nothing
            }
            EventKind::UrlOpen { proc, url } => {
                let slot = self.known(ctx, &proc, t);
                self.click(slot, t, &url, source).map_or(Lowered::Nothing, Lowered::Click)
            }
            EventKind::DnsAnswer { proc, query, answers } => self.on_dns(t, source, proc.as_ref(), &query, answers),
            EventKind::Connect { proc, dst_ip, dst_port, domain } => {
                self.on_connect(ctx, t, source, &proc, dst_ip, dst_port, domain.as_deref())
            }
            EventKind::FileWrite { proc, path, op, origin } => {
                self.on_write(ctx, t, source, &proc, path, op, origin.map(|o| *o))
            }
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
        how: StartHow<'_>,
    ) -> Lowered {
        let StartHow { executed, built, user, session } = how;
        if !self.make_room(ctx) {
            ctx.stats.dropped.process_cap += 1;
            return Lowered::Nothing;
        }
        let paths = &ctx.profile.paths;
        let (_, is_link_source, lolbin) = paths.image_flags(image);
        // A browser process whose start was not logged (a Chromium child a Sysmon configuration
        // leaves out, or one started before the log) belongs to the live root of its image,
        // user and logon session, if there is exactly one (`docs/design.md` "Detection semantics").
        let adopt = (built && parent.is_none() && is_link_source)
            .then(|| self.procs.live_root_like(image, user, session, self.procs.lookup(proc), t))
            .flatten();
        // Interned once: the table keeps it for lineage matching and alerts.
        let user = user.map(|u| self.images.intern(u));
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
            user: user.clone(),
            built,
            adopt,
        };
        let (slot, outcome) = self.procs.start(new);
        ctx.stats.classified.inferred_links += u64::from(outcome.inferred);
        ctx.stats.anomalies.orphan_parent += u64::from(outcome.orphan);
        ctx.stats.anomalies.parent_cycle += u64::from(outcome.cycle);
        ctx.stats.anomalies.duplicate_start += u64::from(outcome.duplicate);
        ctx.stats.classified.joined_starts += u64::from(outcome.joined);
        if outcome.duplicate {
            return Lowered::Nothing;
        }
        // A second record of a joined start anchors only if the first had no command line.
        let had_command_line = self.procs.get(slot).details.as_ref().is_some_and(|d| d.command_line.is_some());
        // Kept for alerts (which show each lineage process's command line and user).
        ctx.stats.dropped.command_line_truncated += u64::from(self.procs.keep_details(slot, command_line, user));
        self.procs.keep_session(slot, session);
        let mut click = None;
        if let Some(url) = command_line.and_then(url_in_command_line) {
            // The first record of a joined start may have had no command line (4688 without
            // the command-line audit policy): its URL counts once.
            if !(outcome.joined && self.has_click(slot, url)) {
                click = self.click(slot, t, url, source.clone());
            }
        }
        ctx.stats.fed.command_lines += u64::from(command_line.is_some());
        let cradle = if executed && !had_command_line {
            self.cradle_anchor(ctx, slot, t, image, command_line, &source)
        } else {
            None
        };
        // Most starts concern no download: the image's path is not even normalised for them.
        if outcome.joined || !executed || !(self.anchors.watching() || self.follow.interested()) {
            return Lowered::Start { click, ran_watched: None, exec: None, held: Vec::new(), cradle };
        }
        let image_norm = ctx.profile.paths.normalize(image);
        let held = self.held_by_start(ctx, slot, t, &image_norm, command_line);
        // A watched download from a quarantine folder runs: it was an executable after all,
        // so it goes back for evaluation as a QuarantinePolicy candidate (and is of interest
        // to follow-on matching from now on).
        let ran_watched = (self.anchors.watching() && self.anchors.is_watched(&image_norm)).then(|| {
            Box::new(RanWatched {
                norm: image_norm.clone(),
                time: t,
                grace: ctx.profile.params.quarantine_grace,
                source,
            })
        });
        let newly_wanted = ran_watched.as_ref().map(|r| r.norm.as_str());
        let exec = if self.follow.interested() || newly_wanted.is_some() {
            self.exec_candidate(ctx, slot, t, &image_norm, command_line, newly_wanted)
        } else {
            None
        };
        Lowered::Start { click, ran_watched, exec, held, cradle }
    }

    /// A start that may be follow-on activity: it runs a file of interest (or `newly_wanted`,
    /// a file that becomes one with this start), or it is a lolbin, with the files of interest
    /// its command line mentions.
    fn exec_candidate(
        &mut self,
        ctx: &mut Ctx<'_>,
        slot: Slot,
        t: i64,
        image_norm: &str,
        cmd: Option<&str>,
        newly_wanted: Option<&str>,
    ) -> Option<Box<ExecCandidate>> {
        let paths = &ctx.profile.paths;
        let lolbin = self.procs.get(slot).lolbin;
        let named = |base: &str| {
            let mut files: Vec<String> = self.follow.named(base).cloned().unwrap_or_default();
            if let Some(n) = newly_wanted.filter(|n| crate::paths::basename(n) == base) {
                if !files.iter().any(|f| f == n) {
                    files.push(n.to_owned());
                }
            }
            files
        };
        let mut mentions = Vec::new();
        for token in cmd.unwrap_or("").split_ascii_whitespace() {
            let token = token.trim_matches(|c| c == '"' || c == '\'');
            let base = paths.normalize(crate::paths::basename(token));
            mentions.extend(named(&base));
        }
        let runs_file = newly_wanted == Some(image_norm) || self.follow.wants(image_norm);
        (runs_file || lolbin).then(|| {
            Box::new(ExecCandidate { proc: slot, time: t, image_norm: image_norm.to_owned(), mentions, lolbin })
        })
    }

    /// Whether `slot` already clicked `url`.
    fn has_click(&self, slot: Slot, url: &str) -> bool {
        self.procs.root_of(slot).is_some_and(|root| self.roots.has_click(root, slot, url))
    }

    /// A click by `slot`, if it is in a link lineage.
    fn click(&self, slot: Slot, t: i64, url: &str, source: SourceRef) -> Option<Click> {
        let root = self.procs.root_of(slot)?;
        Some(Click { root, proc: slot, time: t, url: url.to_owned(), source })
    }

    fn on_dns(
        &mut self,
        t: i64,
        source: SourceRef,
        proc: Option<&ProcKey>,
        query: &str,
        answers: Vec<IpAddr>,
    ) -> Lowered {
        let root =
            proc.and_then(|k| self.procs.lookup(k)).and_then(|s| self.procs.root_of(s)).map(|r| self.procs.tagged(r));
        let name = self.images.intern(query.trim_end_matches('.'));
        Lowered::Dns { answers, entry: DnsEntry { name, time: t, root, source } }
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
    ) -> Lowered {
        let slot = self.known(ctx, proc, t);
        let Some(root) = self.procs.root_of(slot) else {
            ctx.stats.classified.egress_outside_lineage += 1;
            return Lowered::Nothing;
        };
        // Most connects go to trusted destinations: nothing is allocated before the verdict.
        let before = if domain.is_none() {
            self.dns.lookup(ip, t, ctx.profile.dns_ttl_ms, Some(self.procs.tagged(root))).map(|e| (&*e.name, &e.source))
        } else {
            None
        };
        let late_used = domain.is_none() && before.is_none();
        let answer = if late_used { self.late_answer(ctx, ip, t, root) } else { before };
        let click_host = if domain.is_none() && answer.is_none() { self.click_host(root, t) } else { None };
        let (name, how) = match (domain, answer, click_host.as_deref()) {
            (Some(d), _, _) => (Some(d), DomainSource::Event),
            (None, Some((n, _)), _) => (Some(n), DomainSource::Dns),
            (None, None, Some(h)) => (Some(h), DomainSource::ClickUrl),
            (None, None, None) => (None, DomainSource::None),
        };
        let dest =
            ctx.dests.classify(ctx.profile, ctx.psl, ctx.first_seen, self.host, ip, name, t, &mut ctx.stats.classified);
        if !dest.untrusted {
            ctx.stats.classified.egress_trusted += 1;
            crate::decision::egress_trusted(self.host, ip, port, dest.domain.as_deref(), dest.risk, &dest.reasons);
            return Lowered::Nothing;
        }
        let mut evidence = vec![source];
        evidence.extend(answer.map(|(_, s)| s.clone()));
        let source = if dest.domain.is_some() { how } else { DomainSource::None };
        let dns_late = answer.is_some() && late_used;
        let egress = EgressEntry { time: t, proc: slot, ip, port, dest, source, evidence, from_dns: false, dns_late };
        Lowered::Egress { root, egress }
    }

    /// An answer for `ip` logged within `dns_grace` after a connection at `t` by `root`'s
    /// lineage: the same lineage's first, else the first (counted as `dns_after_connect`).
    fn late_answer<'c>(&self, ctx: &mut Ctx<'c>, ip: IpAddr, t: i64, root: Slot) -> Option<(&'c str, &'c SourceRef)> {
        let late = ctx.late_dns;
        if late.grace() == 0 {
            return None;
        }
        let same_root = |a: &&late_dns::EarlyAnswer| {
            a.proc.as_ref().and_then(|k| self.procs.lookup(k)).and_then(|s| self.procs.root_of(s)) == Some(root)
        };
        let answers = late.after(self.host, ip, t);
        let found = answers.iter().copied().find(same_root).or_else(|| answers.first().copied())?;
        ctx.stats.classified.dns_after_connect += 1;
        Some((&*found.name, &found.source))
    }

    /// The host part of the latest click URL of `root` at or before `t`.
    fn click_host(&self, root: Slot, t: i64) -> Option<String> {
        let c = self.roots.latest_click(root, t)?;
        host_of_url(&c.url).map(str::to_owned)
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
