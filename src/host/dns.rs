//! Recent DNS answers per host: which name an IP was resolved from, for egress attribution.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use clickchain_adapters::SourceRef;
use rustc_hash::FxHashMap;

use super::proctable::Tagged;

/// Answers kept per IP (the latest win).
const PER_IP: usize = 4;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct DnsEntry {
    pub name: Arc<str>,
    pub time: i64,
    /// Link root of the asking process, when it is in a lineage (tagged: the answer may
    /// outlive the process, and its slot be reused).
    pub root: Option<Tagged>,
    pub source: SourceRef,
}

/// IP -> recent answers, with FIFO expiry and a cap on the total.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct DnsCache {
    by_ip: FxHashMap<IpAddr, VecDeque<DnsEntry>>,
    order: VecDeque<(i64, IpAddr)>,
    len: usize,
}

impl DnsCache {
    pub fn insert(&mut self, ip: IpAddr, entry: DnsEntry, cap: usize) -> u64 {
        let mut evicted = 0;
        // Most IPs get one answer: room for one, grown only when a second comes.
        let q = self.by_ip.entry(ip).or_insert_with(|| VecDeque::with_capacity(1));
        // A repeated answer (same name, same link root) replaces its older copy: lookups come in
        // time order, so the newer copy answers every lookup the older one would, and repeats
        // do not push other names out.
        if let Some(i) = q.iter().position(|e| e.root == entry.root && e.name == entry.name) {
            q.remove(i);
            self.len -= 1;
        }
        if q.len() >= PER_IP {
            q.pop_front();
            self.len -= 1;
        }
        self.order.push_back((entry.time, ip));
        q.push_back(entry);
        self.len += 1;
        while self.len > cap && self.pop_oldest(i64::MAX) {
            evicted += 1;
        }
        if self.order.len() > 2 * cap + 64 {
            self.rebuild_order();
        }
        evicted
    }

    /// Drops the oldest answer if it is older than `before` (whether one was dropped). Entries
    /// of the expiry queue whose answer already left (replaced, or pushed out of its IP's
    /// list) are skipped, and never make a newer answer go in their place (regression:
    /// expiry_keeps_answers_newer_than_the_horizon).
    fn pop_oldest(&mut self, before: i64) -> bool {
        while let Some(&(t, ip)) = self.order.front() {
            if t >= before {
                return false;
            }
            self.order.pop_front();
            if let Some(q) = self.by_ip.get_mut(&ip) {
                if q.front().is_some_and(|e| e.time == t) {
                    q.pop_front();
                    self.len -= 1;
                    if q.is_empty() {
                        self.by_ip.remove(&ip);
                    }
                    return true;
                }
            }
        }
        false
    }

    /// Rebuilds the expiry queue from the live entries (drops stale ones left by per-IP eviction).
    fn rebuild_order(&mut self) {
        let mut order: Vec<(i64, IpAddr)> =
            self.by_ip.iter().flat_map(|(ip, q)| q.iter().map(move |e| (e.time, *ip))).collect();
        order.sort_unstable();
        self.order = order.into();
    }

    /// Drops answers older than `horizon`.
    pub fn expire(&mut self, horizon: i64) {
        while self.pop_oldest(horizon) {}
        if self.order.capacity() > 4 * self.order.len() + 64 {
            self.order.shrink_to_fit();
        }
    }

    /// The latest answer (and its address) to `root`'s lineage logged within `since..=until`
    /// whose name `wanted` accepts. A scan of the cache: it runs only for downloads whose
    /// origin names an untrusted domain that no carried connection reached.
    pub fn latest_of_root(
        &self,
        root: Tagged,
        since: i64,
        until: i64,
        mut wanted: impl FnMut(&str) -> bool,
    ) -> Option<(IpAddr, &DnsEntry)> {
        let fits = |e: &&DnsEntry| e.root == Some(root) && e.time >= since && e.time <= until;
        self.by_ip
            .iter()
            .flat_map(|(ip, q)| q.iter().filter(fits).map(move |e| (*ip, e)))
            .filter(|(_, e)| wanted(&e.name))
            .max_by_key(|(ip, e)| (e.time, *ip))
    }

    /// The name `ip` was last resolved from at or before `time` (not older than `ttl`),
    /// preferring answers to the same link root.
    pub fn lookup(&self, ip: IpAddr, time: i64, ttl: i64, root: Option<Tagged>) -> Option<&DnsEntry> {
        let q = self.by_ip.get(&ip)?;
        let fresh = || q.iter().rev().filter(|e| e.time <= time && time - e.time <= ttl);
        fresh().find(|e| root.is_some() && e.root == root).or_else(|| fresh().next())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use clickchain_adapters::{Position, SourceRef};

    use super::*;

    fn entry(name: &str, time: i64, root: Option<u32>) -> DnsEntry {
        let root = root.map(|s| (s, u64::from(s)));
        DnsEntry {
            name: Arc::from(name),
            time,
            root,
            source: SourceRef { input: Arc::from("t"), pos: Position::Line(1) },
        }
    }

    #[test]
    fn lookup_prefers_the_same_root_and_respects_time_and_ttl() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let mut c = DnsCache::default();
        c.insert(ip, entry("a.example", 100, Some(1)), 100);
        c.insert(ip, entry("b.example", 200, Some(2)), 100);
        assert_eq!(&*c.lookup(ip, 300, 1_000, Some((1, 1))).unwrap().name, "a.example");
        assert_eq!(&*c.lookup(ip, 300, 1_000, None).unwrap().name, "b.example", "else the latest");
        assert_eq!(&*c.lookup(ip, 150, 1_000, Some((2, 2))).unwrap().name, "a.example", "not answers from the future");
        assert_eq!(c.lookup(ip, 1_200, 1_000, Some((2, 2))).map(|e| e.time), Some(200), "exactly the ttl old");
        assert!(c.lookup(ip, 1_201, 1_000, Some((2, 2))).is_none(), "1 ms older than the ttl");
        assert!(c.lookup(ip, 2_000, 1_000, None).is_none(), "older than the ttl");
    }

    #[test]
    fn an_answer_is_not_preferred_for_a_new_process_in_its_old_slot() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let mut c = DnsCache::default();
        c.insert(ip, entry("a.example", 100, Some(1)), 100);
        c.insert(ip, entry("b.example", 200, Some(2)), 100);
        assert_eq!(&*c.lookup(ip, 300, 1_000, Some((1, 1))).unwrap().name, "a.example");
        assert_eq!(&*c.lookup(ip, 300, 1_000, Some((1, 9))).unwrap().name, "b.example", "slot 1 reused");
    }

    #[test]
    fn expiry_keeps_answers_newer_than_the_horizon() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let mut c = DnsCache::default();
        for t in 1..=PER_IP as i64 + 1 {
            c.insert(ip, entry(&format!("n{t}.example"), t, None), 100);
        }
        assert_eq!(c.len, PER_IP, "the first answer was pushed out of the IP's list");
        c.expire(2);
        assert_eq!(c.len, PER_IP, "nothing is older than the horizon");
        c.expire(3);
        assert_eq!(c.len, PER_IP - 1);
    }

    #[test]
    fn repeated_answers_do_not_push_other_names_out() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let mut c = DnsCache::default();
        c.insert(ip, entry("a.example", 100, Some(1)), 100);
        for t in 0..2 * PER_IP as i64 {
            c.insert(ip, entry("b.example", 200 + t, Some(2)), 100);
        }
        assert_eq!(c.len, 2);
        assert_eq!(&*c.lookup(ip, 300, 1_000, Some((1, 1))).unwrap().name, "a.example");
        assert_eq!(
            c.lookup(ip, 300, 1_000, Some((2, 2))).map(|e| e.time),
            Some(200 + 2 * PER_IP as i64 - 1),
            "the newest copy"
        );
        c.expire(201);
        assert_eq!(c.len, 1, "the replaced copies left nothing behind");
        assert_eq!(&*c.lookup(ip, 300, 1_000, None).unwrap().name, "b.example");
    }

    #[test]
    fn cap_and_expiry_bound_the_cache() {
        let mut c = DnsCache::default();
        let mut evicted = 0;
        for i in 0..1_000u32 {
            let ip = IpAddr::from([10, 0, (i >> 8) as u8, i as u8]);
            evicted += c.insert(ip, entry("x", i64::from(i), None), 100);
        }
        assert_eq!((c.len, evicted), (100, 900));
        assert!(c.order.len() <= 2 * 100 + 64);
        c.expire(950);
        assert_eq!(c.len, 50);
    }

    #[test]
    fn latest_of_root_takes_the_newest_wanted_answer_of_that_root_in_the_span() {
        let mut c = DnsCache::default();
        let ip = |n: u8| IpAddr::from([203, 0, 113, n]);
        c.insert(ip(1), entry("a.evil.top", 100, Some(1)), 100);
        c.insert(ip(2), entry("b.evil.top", 200, Some(1)), 100);
        c.insert(ip(3), entry("c.evil.top", 300, Some(2)), 100);
        c.insert(ip(4), entry("other.example", 250, Some(1)), 100);
        let evil = |n: &str| n.ends_with("evil.top");
        let found = c.latest_of_root((1, 1), 0, 1_000, evil).map(|(ip, e)| (ip, e.time));
        assert_eq!(found, Some((ip(2), 200)), "the newest of root 1 (root 2's is not its)");
        assert_eq!(c.latest_of_root((1, 1), 0, 150, evil).map(|(_, e)| e.time), Some(100), "none after the span");
        assert!(c.latest_of_root((1, 1), 201, 1_000, evil).is_none(), "none before it");
        assert!(c.latest_of_root((1, 9), 0, 1_000, evil).is_none(), "slot 1 reused");
    }
}
