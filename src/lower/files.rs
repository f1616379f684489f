//! Lowering file events: download-like writes (the anchors), partial downloads, quarantine
//! flags, executable bits and protection removals.

use std::sync::Arc;

use clickchain_adapters::{AttrChange, FileOp, Origin, ProcKey, SourceRef};

use super::{Ctx, Lowering};
use crate::decision;
use crate::domain::{host_of_url, origin_host, DomainError};
use crate::host::lowered::Lowered;
use crate::host::{Held, Partial, PendingWrite, RemovalCandidate};

impl Lowering<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_write(
        &mut self,
        ctx: &mut Ctx<'_>,
        t: i64,
        source: SourceRef,
        proc: &ProcKey,
        path: String,
        op: FileOp,
        origin: Option<Origin>,
    ) -> Lowered {
        let paths = &ctx.profile.paths;
        let renamed_from = match op {
            FileOp::Modify => {
                ctx.stats.classified.writes_ignored += 1;
                decision::write_ignored(self.host, &path, "a modification, not a new file");
                return Lowered::Nothing;
            }
            FileOp::Create => None,
            FileOp::Rename { from } => Some(from),
        };
        let slot = self.known(ctx, proc, t);
        let Some(root) = self.procs.root_of(slot) else {
            ctx.stats.classified.writes_ignored += 1;
            decision::write_ignored(self.host, &path, decision::NO_LINK_SOURCE);
            return Lowered::Nothing;
        };
        // Most writes (caches, logs) are ruled out by their folder (cached per folder) and name.
        if let Some((dir, name)) = paths.split_raw(&path) {
            let flags = self.dir_flags.get(dir, |d| paths.dir_flags(d));
            if !paths.write_may_matter(&flags, name) {
                ctx.stats.classified.writes_ignored += 1;
                decision::write_ignored(
                    self.host,
                    &path,
                    "not in a user folder, or excluded, or a name that never matters",
                );
                return Lowered::Nothing;
            }
        }
        let Some(mut class) = paths.classify_write(&path) else {
            ctx.stats.classified.writes_ignored += 1;
            decision::write_ignored(self.host, &path, "a path that cannot be classified");
            return Lowered::Nothing;
        };
        let norm = std::mem::take(&mut class.norm);
        if class.partial {
            if class.user_path && !class.excluded {
                return Lowered::Partial { norm, partial: Box::new(Partial { time: t, source, origin }) };
            }
            return Lowered::Nothing;
        }
        if !class.download_like() {
            ctx.stats.classified.writes_ignored += 1;
            decision::write_ignored(self.host, &path, "not download-like (outside Downloads, no high-risk extension)");
            return Lowered::Nothing;
        }
        let mut evidence = vec![source];
        let mut origin = origin;
        let from_norm = renamed_from.as_deref().map(|from| paths.normalize(from));
        if let Some(p) = from_norm.as_deref().and_then(|f| self.anchors.partial(f)) {
            evidence.insert(0, p.source.clone());
            origin = origin.or_else(|| p.origin.clone());
        }
        // Where the file says it came from: its registrable domain (or IP), and whether that is
        // a trusted destination (allowlisted, or no risk of its own).
        let risk = &ctx.profile.risk;
        let origin_host = origin.as_ref().and_then(|o| origin_host(o.url.as_deref(), o.referrer.as_deref()));
        let from_referrer = origin.as_ref().is_some_and(|o| {
            o.url.as_deref().and_then(host_of_url).is_none()
                && origin_host.is_some()
                && origin_host == o.referrer.as_deref().and_then(host_of_url)
        });
        let (origin_key, origin_trusted) = match origin_host.map(|h| ctx.psl.parse(h)) {
            Some(Ok(d)) => {
                let trusted = !risk.assess_name(&d).untrusted;
                (Some(Arc::from(d.registrable.unwrap_or(d.name))), trusted)
            }
            Some(Err(DomainError::IpLiteral { ip })) => {
                (Some(Arc::from(ip.to_string())), risk.is_allowed_ip(ip) && !risk.is_untrusted_ip(ip))
            }
            _ => (None, false),
        };
        ctx.stats.classified.origin_trusted += u64::from(origin_trusted);
        let write_origin_key = origin_key.clone();
        ctx.stats.classified.origin_from_referrer += u64::from(from_referrer);
        let egress_fix = write_origin_key.as_deref().and_then(|k| self.egress_fix(ctx, t, root, k, origin_trusted));
        let quarantine_candidate = ctx.profile.quarantine_enabled && class.quarantine_path && class.executable_ext;
        let ready = if quarantine_candidate { t + ctx.profile.params.quarantine_grace } else { t };
        // Rules that look at what follows the write wait for it (`docs/rules.md`, "Hold").
        let ready = ready.max(t + ctx.profile.hold);
        let held = Held { referrer_key: super::held::referrer_key(ctx, origin.as_ref()), facts: Vec::new() };
        let write = Box::new(PendingWrite {
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
            held,
            anchor: crate::alert::Anchor::Write,
        });
        Lowered::Anchor { write, renamed_from: from_norm, egress_fix }
    }

    pub(super) fn on_attr(
        &mut self,
        ctx: &mut Ctx<'_>,
        t: i64,
        source: SourceRef,
        proc: &ProcKey,
        path: &str,
        attr: AttrChange,
    ) -> Lowered {
        // The MotW lives in an alternate data stream of the file it marks.
        let file = path.strip_suffix(":Zone.Identifier").unwrap_or(path);
        let norm = ctx.profile.paths.normalize(file);
        match attr {
            AttrChange::QuarantineSet => Lowered::Quarantined { norm, time: t },
            // Made executable (mode bits): a download in a quarantine folder becomes a
            // QuarantinePolicy candidate even without an executable extension. The flag comes
            // with the write, before the batch that evaluates it closes.
            AttrChange::Executable if ctx.profile.quarantine_enabled => {
                Lowered::MadeExecutable { norm, grace: ctx.profile.params.quarantine_grace }
            }
            AttrChange::Executable => Lowered::Nothing,
            AttrChange::QuarantineRemoved | AttrChange::MotwRemoved => {
                if !self.follow.wants(&norm) {
                    if attr == AttrChange::QuarantineRemoved {
                        Lowered::QuarantineVisible
                    } else {
                        Lowered::Nothing
                    }
                } else if self.follow.removals().len() >= ctx.limits.max_pending_per_host && !ctx.profile.wants_held {
                    // Full: the process is not even looked up (unless a held rule reads the
                    // removal: the host keeps it on the pending write and counts the cap).
                    ctx.stats.dropped.follow_on_cap += 1;
                    Lowered::Nothing
                } else {
                    let slot = self.known(ctx, proc, t);
                    let quarantine = attr == AttrChange::QuarantineRemoved;
                    let hold = ctx.profile.wants_held.then_some(ctx.profile.hold);
                    Lowered::Removal(RemovalCandidate { proc: slot, time: t, norm, source, quarantine }, hold)
                }
            }
        }
    }
}
