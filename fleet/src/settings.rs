//! A fleet deployment's settings: the `[fleet]` table of a worker's configuration file (the
//! rest of the file is the engine's configuration, `docs/config.md`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::FleetError;

/// Partitions, leases, checkpoints and the server-side names of one deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FleetSettings {
    /// P: events of a host go to partition `hash(host) mod P`. Fixed for a deployment (it is
    /// recorded in the lease bucket, and a publisher or worker with another P is refused).
    pub partitions: u32,
    /// How long a lease (and a worker's presence) lives without renewal; renewed every third.
    #[serde(with = "humantime_serde")]
    pub lease_ttl: Duration,
    /// A partition's state is checkpointed after this many events...
    pub checkpoint_events: u64,
    /// ...or this long after its last checkpoint, whichever comes first.
    #[serde(with = "humantime_serde")]
    pub checkpoint_interval: Duration,
    /// Messages fetched from one partition at a time.
    pub fetch_batch: usize,
    /// How often the stats are logged (and the `--stats` file rewritten).
    #[serde(with = "humantime_serde")]
    pub stats_interval: Duration,
    /// The events stream: how long it keeps events (limits retention, `docs/fleet.md`).
    #[serde(with = "humantime_serde")]
    pub events_max_age: Duration,
    /// The alerts stream's de-duplication window: an alert replayed after a failover within it
    /// is stored once.
    #[serde(with = "humantime_serde")]
    pub alerts_duplicate_window: Duration,
}

impl Default for FleetSettings {
    fn default() -> Self {
        FleetSettings {
            partitions: 16,
            lease_ttl: Duration::from_secs(15),
            checkpoint_events: 20_000,
            checkpoint_interval: Duration::from_secs(5),
            fetch_batch: 512,
            stats_interval: Duration::from_secs(10),
            events_max_age: Duration::from_secs(7 * 24 * 3600),
            alerts_duplicate_window: Duration::from_secs(600),
        }
    }
}

impl FleetSettings {
    /// Splits a worker's configuration file into its `[fleet]` table and the engine's
    /// configuration (the rest). `origin` names the file in errors.
    pub fn split(text: &str, origin: &str) -> Result<(FleetSettings, clickchain::Config), FleetError> {
        let bad = |reason: String| FleetError::Settings { origin: origin.to_owned(), reason };
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| bad(e.to_string()))?;
        let fleet = match table.remove("fleet") {
            Some(value) => value.try_into::<FleetSettings>().map_err(|e| bad(format!("[fleet]: {e}")))?,
            None => FleetSettings::default(),
        };
        fleet.validate().map_err(|reason| bad(format!("[fleet]: {reason}")))?;
        let rest = toml::to_string(&table).map_err(|e| bad(e.to_string()))?;
        let config = clickchain::Config::from_toml_str(&rest, origin).map_err(|e| bad(e.to_string()))?;
        Ok((fleet, config))
    }

    /// The values that cannot work, with why.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=4096).contains(&self.partitions) {
            return Err(format!("partitions = {}: must be 1 to 4096", self.partitions));
        }
        if self.lease_ttl < Duration::from_secs(1) {
            return Err("lease_ttl must be at least 1s (the server expires keys by the second)".into());
        }
        if self.checkpoint_events == 0 || self.fetch_batch == 0 {
            return Err("checkpoint_events and fetch_batch must be at least 1".into());
        }
        Ok(())
    }
}

/// Durations as humantime strings (`15s`, `7days`), the way `docs/config.md` writes them.
mod humantime_serde {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fleet_table_is_split_from_the_engine_configuration() {
        let text = "[fleet]\npartitions = 4\nlease_ttl = \"3s\"\n\n[engine]\nallowed_lateness = \"2m\"\n";
        let (fleet, config) = FleetSettings::split(text, "w.toml").unwrap();
        assert_eq!(fleet.partitions, 4);
        assert_eq!(fleet.lease_ttl, Duration::from_secs(3));
        assert_eq!(fleet.checkpoint_events, FleetSettings::default().checkpoint_events);
        assert_eq!(config.engine.allowed_lateness_ms(), 120_000);
    }

    #[test]
    fn bad_fleet_settings_name_the_file() {
        for text in
            ["[fleet]\npartitions = 0\n", "[fleet]\nlease_ttl = \"soon\"\n", "[fleet]\nshards = 2\n", "[fleet\n"]
        {
            let e = FleetSettings::split(text, "w.toml").unwrap_err().to_string();
            assert!(e.contains("w.toml"), "{e}");
        }
    }
}
