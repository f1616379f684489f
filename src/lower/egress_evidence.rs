//! What a download's own origin says of the lineage's egress (`docs/design.md` "Detection
//! semantics"): a DNS answer on the origin's registrable domain stands for a connection the
//! log did not keep, and an address-only connection just before a download from a trusted
//! host was that host.

use super::{Ctx, Lowering};
use crate::host::lowered::EgressFix;
use crate::host::proctable::Slot;
use crate::host::{DomainSource, EgressEntry};

impl Lowering<'_> {
    /// The change to `root`'s carried egress that a download at `t` from `origin_key` (its
    /// registrable domain, trusted or not) implies, if any.
    pub(super) fn egress_fix(
        &self,
        ctx: &mut Ctx<'_>,
        t: i64,
        root: Slot,
        origin_key: &str,
        origin_trusted: bool,
    ) -> Option<Box<EgressFix>> {
        let carried = self.roots.get(root).map(|s| s.egress());
        if origin_trusted {
            // Address-only egress within `download_gap` before a download from a trusted host
            // fetched it: it is named after that host, and so is no untrusted egress.
            let since = t - ctx.profile.params.download_gap;
            let nameless = carried?.iter().any(|e| e.dest.domain.is_none() && e.time >= since && e.time <= t);
            return nameless.then(|| Box::new(EgressFix::NamedByOrigin { root, since, until: t }));
        }
        // A connection to the origin's domain is carried already: nothing to add.
        if carried.is_some_and(|eg| eg.iter().any(|e| e.dest.registrable.as_deref() == Some(origin_key))) {
            return None;
        }
        // Sysmon configured without browser connections: the lineage's answer for a name on
        // the origin's registrable domain, within the window, is the evidence of the egress.
        let tagged = self.procs.tagged(root);
        let since = t - ctx.profile.params.window;
        let psl = ctx.psl;
        let on_origin = |name: &str| {
            name.ends_with(origin_key)
                && psl.parse(name).ok().and_then(|d| d.registrable).is_some_and(|r| r == origin_key)
        };
        let (ip, entry) = self.dns.latest_of_root(tagged, since, t, on_origin)?;
        // Not a logged connection: the destination counters stay those of connections.
        let mut uncounted = crate::stats::Classified::default();
        let dest = ctx.dests.classify(
            ctx.profile,
            ctx.psl,
            ctx.first_seen,
            self.host,
            ip,
            Some(&entry.name),
            entry.time,
            &mut uncounted,
        );
        if !dest.untrusted {
            return None;
        }
        let egress = EgressEntry {
            time: entry.time,
            proc: root,
            ip,
            port: 0,
            dest,
            source: DomainSource::Dns,
            evidence: vec![entry.source.clone()],
            from_dns: true,
            dns_late: false,
        };
        Some(Box::new(EgressFix::FromDns { root, egress }))
    }
}
