//! The agent bench's steady traffic: short-lived processes on a small fleet of Linux hosts, and
//! now and then a true chain (click, untrusted egress, a script written into Downloads) on a
//! host of its own, whose completing write is what alert latency is measured from.

use clickchain_adapters::{Event, Os};

use crate::mkevent::{connect, create, end, public_ip, start, Maker};

/// Hosts of the background traffic.
const HOSTS: u32 = 20;
/// Pids the background cycles through on each host (reused as on a real host).
const PIDS: u32 = 4_000;
const FIREFOX: &str = "/usr/lib/firefox/firefox";

/// Makes the traffic, one event at a time.
pub struct Traffic {
    maker: Maker,
    n: u64,
    chains: u64,
}

/// One chain: its events, the last of which completes it, and the path that should alert.
pub struct Chain {
    /// The events, in order; the last (the write) completes the chain.
    pub events: Vec<Event>,
    /// The file that alerts.
    pub path: String,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic { maker: Maker::new("agent"), n: 0, chains: 0 }
    }
}

impl Traffic {
    /// The next background event, at `ms`: on each host in turn, a shell starts, then short
    /// commands start and end (their pids cycle, so they are reused).
    pub fn background(&mut self, ms: i64) -> Event {
        let n = self.n;
        self.n += 1;
        let host = (n % u64::from(HOSTS)) as u32;
        let name = format!("agent-{host}");
        let round = n / u64::from(HOSTS);
        if round == 0 {
            return self.maker.at(ms, &name, Os::Linux, start(100, None, "/usr/bin/bash", None));
        }
        // Odd rounds start a command, even ones end the one started the round before.
        let kind = if round % 2 == 1 {
            start(1_000 + ((round / 2) % u64::from(PIDS)) as u32, Some(100), "/usr/bin/ls", Some("ls -la".into()))
        } else {
            end(1_000 + ((round / 2 - 1) % u64::from(PIDS)) as u32)
        };
        self.maker.at(ms, &name, Os::Linux, kind)
    }

    /// A true chain at `ms` (its events 300 ms apart) on a host of its own.
    pub fn chain(&mut self, ms: i64) -> Chain {
        let i = self.chains;
        self.chains += 1;
        let host = "agent-victim";
        let pid = 100_000 + (i % 1_000_000) as u32;
        let path = format!("/home/u/Downloads/invoice-{i}.sh");
        let domain = format!("live-drop{i}.top");
        let url = format!("https://{domain}/invoice.sh");
        let mut ev = |t: i64, kind| self.maker.at(ms + t, host, Os::Linux, kind);
        let events = vec![
            ev(0, start(pid, None, FIREFOX, Some(format!("{FIREFOX} {url}")))),
            ev(300, connect(pid, public_ip(i as u32), Some(&domain))),
            ev(600, create(pid, path.clone())),
        ];
        Chain { events, path }
    }
}
