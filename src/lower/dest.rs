//! Destination classification for egress: PSL parse and risk verdict, cached per OS profile.

use std::net::IpAddr;
use std::sync::Arc;

use super::nod::NodStore;
use crate::domain::Psl;
use crate::domain::{Destination, DomainName, Reason};
use crate::host::Dest;
use crate::profile::Profile;

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
    pub(super) fn classify(
        &mut self,
        profile: &Profile,
        psl: &Psl,
        first_seen: &mut NodStore,
        ip: IpAddr,
        name: Option<&str>,
        t: i64,
    ) -> Arc<Dest> {
        let ip_allowed = profile.risk.is_allowed_ip(ip);
        if let Some(n) = name {
            if let Some(d) = self.get(n, ip_allowed) {
                return d;
            }
        }
        let parsed: Option<DomainName> = name.and_then(|n| psl.parse(n).ok());
        let dest = Destination { ip: Some(ip), name: parsed.as_ref() };
        let verdict = first_seen.with(|seen| profile.risk.assess(dest, seen, t));
        let key: Arc<str> = match &parsed {
            Some(d) => Arc::from(d.registrable.as_deref().unwrap_or(&d.name)),
            None => Arc::from(ip.to_string()),
        };
        let dest = Arc::new(Dest {
            domain: parsed.as_ref().map(|d| d.name.clone()),
            key,
            registrable: parsed.as_ref().and_then(|d| d.registrable.clone()),
            suffix: parsed.as_ref().map(|d| d.suffix.clone()),
            untrusted: verdict.untrusted,
            risk: verdict.score,
            reasons: verdict.reasons.clone(),
        });
        if let Some(n) = name {
            if !verdict.has(Reason::NewlyObserved) {
                self.put(n, ip_allowed, Arc::clone(&dest));
            }
        }
        dest
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
