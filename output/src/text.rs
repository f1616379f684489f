//! The text report: each alert with its own follow-ons under it, and a summary per host and
//! per analytic at the end.
//!
//! Follow-ons arrive after their alert, interleaved with other hosts' records, so the report
//! holds alerts and their follow-ons and writes them grouped at [`finish`](FinishSink::finish).
//! Memory stays bounded: when [`TextReport::with_cap`] alerts are held, the groups held so far
//! are written out; a follow-on of an alert already written comes after it, naming its alert
//! and host. Every string from the logs is made terminal-safe
//! ([`clickchain::alert::terminal_safe`]).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use clickchain::alert::{terminal_safe, Alert, Analytic, FollowOn, Record};
use clickchain::sink::Sink;

use crate::FinishSink;

/// Alerts held by [`TextReport::new`] before the groups so far are written.
pub const DEFAULT_HELD_ALERTS: usize = 5_000;

/// Counts of one host or analytic for the summary.
#[derive(Default)]
struct Tally {
    alerts: u64,
    follow_ons: u64,
    top_score: u8,
}

/// Writes alerts grouped with their follow-ons, then a summary.
pub struct TextReport<W: Write> {
    out: W,
    /// Alerts held, in the order they came, each with its follow-ons.
    held: Vec<(Box<Alert>, Vec<FollowOn>)>,
    /// Index in `held` by alert id.
    by_id: HashMap<String, usize>,
    cap: usize,
    hosts: BTreeMap<String, Tally>,
    analytics: BTreeMap<Analytic, Tally>,
}

impl<W: Write> TextReport<W> {
    /// A report to `out` holding up to [`DEFAULT_HELD_ALERTS`] alerts at a time.
    pub fn new(out: W) -> Self {
        Self::with_cap(out, DEFAULT_HELD_ALERTS)
    }

    /// A report holding up to `cap` alerts (at least one) before writing what it holds.
    pub fn with_cap(out: W, cap: usize) -> Self {
        TextReport {
            out,
            held: Vec::new(),
            by_id: HashMap::new(),
            cap: cap.max(1),
            hosts: BTreeMap::new(),
            analytics: BTreeMap::new(),
        }
    }

    fn tally(&mut self, host: &str, analytic: Analytic) -> [&mut Tally; 2] {
        if !self.hosts.contains_key(host) {
            self.hosts.insert(host.to_owned(), Tally::default());
        }
        let h = self.hosts.get_mut(host).expect("just inserted");
        [h, self.analytics.entry(analytic).or_default()]
    }

    /// Writes the groups held so far.
    fn write_held(&mut self) -> io::Result<()> {
        for (alert, follow_ons) in self.held.drain(..) {
            self.out.write_all(Record::Alert(alert).to_text().as_bytes())?;
            for f in follow_ons {
                self.out.write_all(Record::FollowOn(f).to_text().as_bytes())?;
            }
        }
        self.by_id.clear();
        Ok(())
    }

    fn summary(&self) -> String {
        let mut t = String::from("SUMMARY\n");
        let alerts: u64 = self.hosts.values().map(|h| h.alerts).sum();
        let follow_ons: u64 = self.hosts.values().map(|h| h.follow_ons).sum();
        t += &format!("  {alerts} alerts, {follow_ons} follow-ons on {} hosts\n", self.hosts.len());
        for (host, n) in &self.hosts {
            t += &format!(
                "  host {:<24} {} alerts, {} follow-ons, top score {}\n",
                terminal_safe(host),
                n.alerts,
                n.follow_ons,
                n.top_score
            );
        }
        for (analytic, n) in &self.analytics {
            t += &format!(
                "  analytic {} ({}) {} alerts, {} follow-ons, top score {}\n",
                analytic,
                analytic.os(),
                n.alerts,
                n.follow_ons,
                n.top_score
            );
        }
        t
    }
}

impl<W: Write> Sink for TextReport<W> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        match record {
            Record::Alert(a) => {
                for t in self.tally(&a.host, a.analytic) {
                    t.alerts += 1;
                    t.top_score = t.top_score.max(a.score);
                }
                if self.held.len() >= self.cap {
                    self.write_held()?;
                }
                self.by_id.insert(a.id.clone(), self.held.len());
                self.held.push((a, Vec::new()));
            }
            Record::FollowOn(f) => {
                for t in self.tally(&f.host, f.analytic) {
                    t.follow_ons += 1;
                }
                match self.by_id.get(&f.alert_id) {
                    Some(&i) => self.held[i].1.push(f),
                    // Its alert was written already (or left out by a filter): it names both.
                    None => self.out.write_all(Record::FollowOn(f).to_text().as_bytes())?,
                }
            }
        }
        Ok(())
    }
}

impl<W: Write + Send> FinishSink for TextReport<W> {
    /// Writes the groups held and the summary; an empty run writes nothing.
    fn finish(&mut self) -> io::Result<()> {
        self.write_held()?;
        if !self.hosts.is_empty() {
            let summary = self.summary();
            self.out.write_all(summary.as_bytes())?;
            self.hosts.clear();
            self.analytics.clear();
        }
        self.out.flush()
    }
}
