//! DNS answers that are logged after the connection that used them.
//!
//! Sysmon often writes the EID 22 of a lookup a few milliseconds after the EID 3 that used its
//! address. Lowering classifies a connection when it is released from the reorder buffer, and
//! the host's DNS cache only holds answers released before it. So the engine also notes every
//! answer as it arrives (before reordering): a connection without a name may take one from an
//! answer for its address that is at most `dns_grace` younger. The grace is never longer than
//! AllowedLateness: an answer that young has always arrived by the time the connection leaves
//! the buffer (when input arrives in time order).

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use clickchain_adapters::{ProcKey, SourceRef};
use rustc_hash::FxHashMap;

/// An answer noted on arrival, for one of its addresses.
#[derive(Debug)]
pub(crate) struct EarlyAnswer {
    /// The host, as an index into [`LateDns::hosts`].
    host: u32,
    pub name: Arc<str>,
    pub time: i64,
    pub proc: Option<ProcKey>,
    pub source: SourceRef,
    ip: IpAddr,
    /// The sequence number of the previous answer noted for the same address, if any.
    prev: Option<u64>,
}

/// Answers that arrived but may not be released yet; only kept when a grace is set.
///
/// One ring in arrival order (nearly time order), each answer linked to the previous one for
/// its address, and each address to its latest answer: noting and expiring allocate nothing
/// per address, which a map of per-address lists did for nearly every answer.
#[derive(Default)]
pub(crate) struct LateDns {
    grace: i64,
    ring: VecDeque<EarlyAnswer>,
    /// The sequence number of the ring's front.
    front: u64,
    /// Each address's latest answer (a sequence number).
    latest: FxHashMap<IpAddr, u64>,
    /// Host names of the answers in the ring, interned (cleared when the ring empties).
    hosts: FxHashMap<Box<str>, u32>,
}

impl LateDns {
    /// Notes answers for up to `grace` ms after a connection (0: never).
    pub fn new(grace: i64) -> LateDns {
        LateDns { grace: grace.max(0), ..LateDns::default() }
    }

    /// Changes the grace (a configuration reload); answers already noted stay.
    pub fn set_grace(&mut self, grace: i64) {
        self.grace = grace.max(0);
    }

    /// The grace in ms.
    pub fn grace(&self) -> i64 {
        self.grace
    }

    fn host_id(&mut self, host: &str) -> u32 {
        if let Some(&id) = self.hosts.get(host) {
            return id;
        }
        let id = self.hosts.len() as u32;
        self.hosts.insert(host.into(), id);
        id
    }

    /// Notes an answer that arrived (whether or not it will be released).
    pub fn note(
        &mut self,
        host: &str,
        query: &str,
        answers: &[IpAddr],
        time: i64,
        proc: Option<&ProcKey>,
        source: &SourceRef,
    ) {
        if self.grace == 0 || answers.is_empty() {
            return;
        }
        let host = self.host_id(host);
        let name: Arc<str> = Arc::from(query.trim_end_matches('.'));
        for &ip in answers {
            let seq = self.front + self.ring.len() as u64;
            let prev = self.latest.insert(ip, seq);
            self.ring.push_back(EarlyAnswer {
                host,
                name: Arc::clone(&name),
                time,
                proc: proc.cloned(),
                source: source.clone(),
                ip,
                prev,
            });
        }
    }

    /// Forgets answers at or before `released`, the time of the latest released event: the
    /// host's DNS cache has them (or they were late), and no connection released later is
    /// older than they are.
    pub fn expire(&mut self, released: i64) {
        // Arrival order is nearly time order; an answer that arrived out of order may wait
        // behind a younger one a little longer, which costs memory only.
        while self.ring.front().is_some_and(|a| a.time <= released) {
            let gone = self.ring.pop_front().expect("a front");
            if self.latest.get(&gone.ip) == Some(&self.front) {
                self.latest.remove(&gone.ip);
            }
            self.front += 1;
        }
        if self.ring.is_empty() {
            self.hosts.clear();
        }
    }

    /// Answers for `ip` on `host` logged within the grace after `time`, earliest first.
    pub fn after(&self, host: &str, ip: IpAddr, time: i64) -> Vec<&EarlyAnswer> {
        let Some(&host) = self.hosts.get(host) else { return Vec::new() };
        let mut found = Vec::new();
        let mut next = self.latest.get(&ip).copied();
        // Links older than the front lead to answers already expired.
        while let Some(a) = next.and_then(|seq| seq.checked_sub(self.front)).and_then(|i| self.ring.get(i as usize)) {
            if a.host == host && a.time > time && a.time - time <= self.grace {
                found.push(a);
            }
            next = a.prev;
        }
        // Earliest first; answers of one time in arrival order, as they were noted.
        found.reverse();
        found.sort_by_key(|a| a.time);
        found
    }
}

#[cfg(test)]
mod tests {
    use clickchain_adapters::Position;

    use super::*;

    fn src() -> SourceRef {
        SourceRef { input: Arc::from("t"), pos: Position::Line(1) }
    }

    #[test]
    fn names_only_connections_within_the_grace_before_the_answer() {
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        let mut l = LateDns::new(2_000);
        l.note("WS-1", "www.microsoft.com.", &[ip], 10_050, None, &src());
        let names =
            |l: &LateDns, host, t| l.after(host, ip, t).into_iter().map(|a| a.name.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&l, "WS-1", 10_000), ["www.microsoft.com"]);
        assert_eq!(names(&l, "WS-1", 8_050), ["www.microsoft.com"], "exactly the grace");
        assert!(names(&l, "WS-1", 8_049).is_empty(), "1 ms more than the grace");
        assert!(names(&l, "WS-1", 10_050).is_empty(), "the same time: the cache has it");
        assert!(names(&l, "WS-2", 10_000).is_empty(), "another host");
        l.expire(10_049);
        assert_eq!(names(&l, "WS-1", 10_000).len(), 1, "not released yet");
        l.expire(10_050);
        assert!(l.latest.is_empty() && l.ring.is_empty() && l.hosts.is_empty());
    }

    /// Against a plain list of every noted answer: the same answers, in the same order, for
    /// every host, address and connection time, as answers are noted and expired.
    #[test]
    fn answers_equal_those_of_a_plain_list() {
        let ips: Vec<IpAddr> = (1..=4).map(|i| IpAddr::from([198, 51, 100, i])).collect();
        let mut l = LateDns::new(3);
        let mut all: Vec<(&str, String, i64, IpAddr)> = Vec::new();
        let mut x = 0x2545_f491_u64;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let (mut time, mut released) = (0i64, i64::MIN);
        for step in 0..400 {
            // Answers arrive after what was released (anything older is late and dropped).
            time = (time + next(3) as i64).max(released + 1);
            let host = ["WS-1", "WS-2"][next(2) as usize];
            let answers: Vec<IpAddr> = (0..1 + next(2)).map(|_| ips[next(4) as usize]).collect();
            let name = format!("n{step}.example");
            l.note(host, &name, &answers, time, None, &src());
            all.extend(answers.iter().map(|&ip| (host, name.clone(), time, ip)));
            if next(4) == 0 {
                released = released.max(time - next(4) as i64);
                l.expire(released);
            }
            for host in ["WS-1", "WS-2", "WS-3"] {
                for &ip in &ips {
                    for at in [released.max(time - 5), time - 2, time] {
                        let got: Vec<&str> = l.after(host, ip, at).into_iter().map(|a| &*a.name).collect();
                        let mut want: Vec<&(&str, String, i64, IpAddr)> = all
                            .iter()
                            .filter(|(h, _, t, i)| *h == host && *i == ip && *t > released && *t > at && *t - at <= 3)
                            .collect();
                        want.sort_by_key(|a| a.2);
                        let want: Vec<&str> = want.into_iter().map(|a| a.1.as_str()).collect();
                        assert_eq!(got, want, "step {step}, {host} {ip} at {at}, time {time}, released {released}");
                    }
                }
            }
        }
    }

    #[test]
    fn no_grace_keeps_nothing() {
        let mut l = LateDns::new(0);
        l.note("WS-1", "a.example", &["198.51.100.7".parse().unwrap()], 1, None, &src());
        assert!(l.ring.is_empty());
    }
}
