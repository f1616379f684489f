//! Alert latency through the live engine: events stamped with the wall clock are sent at a
//! steady rate into `live::spawn_thread`; the time from sending a chain's completing event to
//! receiving its alert is measured.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use clickchain::{live, Config, Engine, Record};
use serde::Serialize;

use super::{quantile, Traffic};

/// Latency at one rate.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// The rate asked for (events/s).
    pub rate: u64,
    /// The rate reached (events sent ÷ seconds sending).
    pub achieved: f64,
    /// Chains sent whose alert was awaited (those sent in the last `settle` seconds are not).
    pub chains: usize,
    /// Alerts received for them.
    pub alerts: usize,
    /// Latency quantiles (ms): p50, p99, max.
    pub p50_ms: f64,
    /// 99th percentile (ms).
    pub p99_ms: f64,
    /// Slowest (ms).
    pub max_ms: f64,
}

/// Sends `rate` events/s for `secs` seconds, a chain every `chain_every`; then `settle` more
/// seconds of background so the last chains' batches close.
pub fn latency(rate: u64, secs: f64, chain_every: Duration, config: Config) -> anyhow::Result<Latency> {
    let settle = config.engine.allowed_lateness + Duration::from_secs(3);
    let live::LiveThread { events, records, handle, thread } =
        live::spawn_thread(Engine::new(config)?, live::Options::default())?;
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let received = {
        let sent = Arc::clone(&sent);
        let mut records = records;
        std::thread::spawn(move || {
            let mut latencies = Vec::new();
            while let Some(r) = records.blocking_recv() {
                if let Record::Alert(a) = r {
                    let at = Instant::now();
                    if let Some(t) = sent.lock().map_or(None, |mut m| m.remove(&a.write.path)) {
                        latencies.push(at.duration_since(t).as_secs_f64() * 1e3);
                    }
                }
            }
            latencies
        })
    };
    let mut traffic = Traffic::default();
    let started = Instant::now();
    let (total, mut n, mut next_chain, mut chains) = (secs + settle.as_secs_f64(), 0u64, 0.0f64, 0usize);
    loop {
        let elapsed = started.elapsed().as_secs_f64();
        if elapsed >= total {
            break;
        }
        let now = Utc::now().timestamp_millis();
        if elapsed >= next_chain && elapsed < secs {
            next_chain += chain_every.as_secs_f64();
            // Stamped so that the completing write's time is its sending time.
            let chain = traffic.chain(now - 600);
            let last = chain.events.len() - 1;
            for (i, e) in chain.events.into_iter().enumerate() {
                if i == last {
                    sent.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.insert(chain.path.clone(), Instant::now());
                    chains += 1;
                }
                events.blocking_send(e)?;
                n += 1;
            }
        }
        // Catch up with the rate, in slices of at most 1 ms worth of events.
        let due = (elapsed * rate as f64) as u64;
        let burst = due.saturating_sub(n).min((rate / 1_000).max(1));
        if burst == 0 {
            std::thread::sleep(Duration::from_micros(200));
            continue;
        }
        for _ in 0..burst {
            events.blocking_send(traffic.background(now))?;
            n += 1;
        }
    }
    let achieved = n as f64 / started.elapsed().as_secs_f64();
    let end = handle.blocking_shutdown()?;
    drop(events);
    let _ = thread.join();
    let mut latencies = received.join().map_err(|_| anyhow::anyhow!("receiver panicked"))?;
    let late = end.records.iter().filter(|r| matches!(r, Record::Alert(_))).count();
    latencies.sort_by(f64::total_cmp);
    Ok(Latency {
        rate,
        achieved,
        chains,
        alerts: latencies.len() + late,
        p50_ms: quantile(&latencies, 0.5),
        p99_ms: quantile(&latencies, 0.99),
        max_ms: latencies.last().copied().unwrap_or(0.0),
    })
}
