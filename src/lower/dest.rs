//! Destination classification for egress: PSL parse and risk verdict, cached per OS profile.

use std::net::IpAddr;
use std::sync::Arc;

use super::nod::NodStore;
use crate::domain::Psl;
use crate::domain::{Destination, DomainName, Reason};
use crate::host::Dest;
use crate::profile::Profile;
use crate::stats::Classified;

/// Destinations classified recently under one OS profile, by name and by whether the IP is
/// allowlisted. Bounded: cleared when full.
pub(crate) struct DestCache {
    map: rustc_hash::FxHashMap<Box<str>, [Option<Arc<Dest>>; 2]>,
    cap: usize,
}

impl DestCache {
    pub fn new(cap: usize) -> Self {
        DestCache { map: rustc_hash::FxHashMap::default(), cap }
    }

    /// Classifies a destination: PSL parse and risk verdict, cached per (name, allowlisted IP).
    ///
    /// A cached verdict equals a fresh one: names and lists do not change, and a name's "newly
    /// observed" reason lapses (its window after the first sighting ends), so such verdicts are not
    /// cached. The newly-observed store is loaded before the first event, never mid-run.
    /// Every call is counted in `stats` by how the destination was judged.
    #[allow(clippy::too_many_arguments)] // the lowering context's parts, borrowed apart
    pub(super) fn classify(
        &mut self,
        profile: &Profile,
        psl: &Psl,
        first_seen: &mut NodStore,
        host: &str,
        ip: IpAddr,
        name: Option<&str>,
        t: i64,
        stats: &mut Classified,
    ) -> Arc<Dest> {
        // Every egress widens its host's span in the store, so that a later run knows how long
        // the store saw this host (`docs/design.md` "Domain risk").
        first_seen.with(|seen| seen.note_host(host, t));
        let dest = 'judged: {
            // An address in `untrusted_cidrs` decides the verdict by itself: not cached by name.
            if profile.risk.is_untrusted_ip(ip) {
                break 'judged Arc::new(dest_of(profile, psl, first_seen, host, ip, name, t).0);
            }
            let ip_allowed = profile.risk.is_allowed_ip(ip);
            if let Some(d) = name.and_then(|n| self.get(n, ip_allowed)) {
                break 'judged d;
            }
            let (dest, lapses) = dest_of(profile, psl, first_seen, host, ip, name, t);
            let dest = Arc::new(dest);
            if let Some(n) = name.filter(|_| !lapses) {
                self.put(n, ip_allowed, Arc::clone(&dest));
            }
            dest
        };
        count(&dest.reasons, dest.untrusted, stats);
        dest
    }

    /// Cached verdicts, for tests.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    pub(super) fn get(&self, name: &str, ip_allowed: bool) -> Option<Arc<Dest>> {
        self.map.get(name)?[usize::from(ip_allowed)].clone()
    }

    pub(super) fn put(&mut self, name: &str, ip_allowed: bool, dest: Arc<Dest>) {
        if self.map.len() >= self.cap {
            self.map.clear();
        }
        self.map.entry(Box::from(name)).or_default()[usize::from(ip_allowed)] = Some(dest);
    }
}

/// The destination as the engine judges it, and whether the verdict lapses (a newly observed
/// reason ends with its window, so such a verdict must not be cached).
fn dest_of(
    profile: &Profile,
    psl: &Psl,
    first_seen: &mut NodStore,
    host: &str,
    ip: IpAddr,
    name: Option<&str>,
    t: i64,
) -> (Dest, bool) {
    let parsed: Option<DomainName> = name.and_then(|n| psl.parse(n).ok());
    let dest = Destination { ip: Some(ip), name: parsed.as_ref() };
    let verdict = first_seen.with(|seen| profile.risk.assess_on(dest, seen, host, t));
    let key: Arc<str> = match &parsed {
        Some(d) => Arc::from(d.registrable.as_deref().unwrap_or(&d.name)),
        None => Arc::from(ip.to_string()),
    };
    let lapses = verdict.has(Reason::NewlyObserved) || verdict.has(Reason::NewlyObservedNoHistory);
    let dest = Dest {
        domain: parsed.as_ref().map(|d| d.name.clone()),
        key,
        registrable: parsed.as_ref().and_then(|d| d.registrable.clone()),
        suffix: parsed.as_ref().map(|d| d.suffix.clone()),
        untrusted: verdict.untrusted,
        risk: verdict.score,
        reasons: verdict.reasons,
    };
    (dest, lapses)
}

/// Counts a lineage egress by how its destination was judged.
fn count(reasons: &[Reason], untrusted: bool, stats: &mut Classified) {
    let has = |r: Reason| reasons.contains(&r);
    if has(Reason::AllowedCdn) || has(Reason::AllowedCidr) {
        stats.egress_allowlisted += 1;
    } else if !untrusted {
        stats.egress_trusted_by_score += 1;
    }
    stats.egress_untrusted_cidr += u64::from(has(Reason::UntrustedCidr));
    stats.egress_lookalike += u64::from(has(Reason::MixedScript) || has(Reason::BrandLookalike));
    stats.nod_without_history += u64::from(has(Reason::NewlyObservedNoHistory));
}

#[cfg(test)]
mod tests;
