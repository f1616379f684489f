//! A day of event time at a steady rate, fed as fast as the engine takes it, with the resident
//! memory sampled every simulated hour: it should stay flat.

use std::time::Instant;

use clickchain::{Config, Engine};
use serde::Serialize;

use super::Traffic;
use crate::mkevent::T0_MS;
use crate::rss;

const HOUR_MS: i64 = 3_600_000;

/// The run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Day {
    /// Events per second of event time.
    pub rate: u64,
    /// Simulated hours.
    pub hours: u32,
    /// Events pushed.
    pub events: u64,
    /// Alerts raised (a chain every 10 minutes of event time).
    pub alerts: u64,
    /// Wall-clock seconds.
    pub secs: f64,
    /// At the end of each simulated hour: (VmRSS KiB, processes held).
    pub samples: Vec<(u64, usize)>,
}

/// Feeds `hours` of event time at `rate` events/s (a chain every 10 minutes).
pub fn day(rate: u64, hours: u32) -> anyhow::Result<Day> {
    let mut engine = Engine::new(Config::default())?;
    let mut traffic = Traffic::default();
    let per_hour = rate * 3_600;
    let mut samples = Vec::new();
    let (started, mut events) = (Instant::now(), 0u64);
    for h in 0..i64::from(hours) {
        for i in 0..per_hour {
            let ms = T0_MS + h * HOUR_MS + (i as i64 * 1_000) / rate as i64;
            if i % (rate * 600) == 0 {
                for e in traffic.chain(ms).events {
                    engine.push(e);
                    events += 1;
                }
            }
            engine.push(traffic.background(ms));
            events += 1;
        }
        let now = rss::read().map_or(0, |r| r.now_kib);
        samples.push((now, engine.live_processes()));
    }
    engine.finish();
    Ok(Day { rate, hours, events, alerts: engine.stats().alerts, secs: started.elapsed().as_secs_f64(), samples })
}
