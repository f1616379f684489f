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

/// An answer noted on arrival.
#[derive(Debug)]
pub(crate) struct EarlyAnswer {
    pub host: Arc<str>,
    pub name: Arc<str>,
    pub time: i64,
    pub proc: Option<ProcKey>,
    pub source: SourceRef,
}

/// Answers that arrived but may not be released yet, by address; only kept when a grace is set.
#[derive(Default)]
pub(crate) struct LateDns {
    grace: i64,
    /// Each address's answers in arrival order (nearly time order).
    by_ip: FxHashMap<IpAddr, VecDeque<EarlyAnswer>>,
    /// (time, address), in arrival order: what [`LateDns::expire`] walks.
    order: VecDeque<(i64, IpAddr)>,
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
        let host: Arc<str> = Arc::from(host);
        let name: Arc<str> = Arc::from(query.trim_end_matches('.'));
        for ip in answers {
            self.by_ip.entry(*ip).or_default().push_back(EarlyAnswer {
                host: Arc::clone(&host),
                name: Arc::clone(&name),
                time,
                proc: proc.cloned(),
                source: source.clone(),
            });
            self.order.push_back((time, *ip));
        }
    }

    /// Forgets answers at or before `released`, the time of the latest released event: the
    /// host's DNS cache has them (or they were late), and no connection released later is
    /// older than they are.
    pub fn expire(&mut self, released: i64) {
        // Arrival order is nearly time order; an answer that arrived out of order may wait
        // behind a younger one a little longer, which costs memory only.
        while let Some(&(t, ip)) = self.order.front() {
            if t > released {
                break;
            }
            self.order.pop_front();
            if let Some(list) = self.by_ip.get_mut(&ip) {
                // From the front only: an address answered often keeps a long list, and a scan
                // of all of it per expired answer was quadratic. An older answer left behind a
                // younger one names nothing: `after` wants answers younger than a connection
                // released later.
                while list.front().is_some_and(|a| a.time <= released) {
                    list.pop_front();
                }
                if list.is_empty() {
                    self.by_ip.remove(&ip);
                }
            }
        }
    }

    /// Answers for `ip` on `host` logged within the grace after `time`, earliest first.
    pub fn after(&self, host: &str, ip: IpAddr, time: i64) -> Vec<&EarlyAnswer> {
        let mut found: Vec<&EarlyAnswer> = self
            .by_ip
            .get(&ip)
            .into_iter()
            .flatten()
            .filter(|a| &*a.host == host && a.time > time && a.time - time <= self.grace)
            .collect();
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
        assert!(l.by_ip.is_empty() && l.order.is_empty());
    }

    #[test]
    fn no_grace_keeps_nothing() {
        let mut l = LateDns::new(0);
        l.note("WS-1", "a.example", &["198.51.100.7".parse().unwrap()], 1, None, &src());
        assert!(l.by_ip.is_empty());
    }
}
