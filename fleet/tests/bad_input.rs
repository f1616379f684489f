//! Bad input reaching a worker, in process against a real `nats-server -js` on loopback:
//! messages that are not events are dead-lettered and counted, a checkpoint from another
//! version is refused and the partition replays from the stream's start.

use std::time::Duration;

use async_nats::jetstream;
use clickchain::adapters::native::NativeReader;
use clickchain::Config;
use clickchain_fleet::publish::{read_alerts, EventPublisher};
use clickchain_fleet::server::{self, ConnectSettings, REJECTS_STREAM};
use clickchain_fleet::stats::WorkerStats;
use clickchain_fleet::subject::{event_subject, partition_of};
use clickchain_fleet::testing::NatsServer;
use clickchain_fleet::worker::Worker;
use clickchain_fleet::FleetSettings;

const SAMPLE: &str = include_str!("../../data/samples/quickstart.ndjson");

fn settings() -> FleetSettings {
    FleetSettings {
        partitions: 2,
        lease_ttl: Duration::from_secs(1),
        checkpoint_interval: Duration::from_millis(200),
        stats_interval: Duration::from_millis(200),
        ..FleetSettings::default()
    }
}

async fn deployment(url: &str, settings: &FleetSettings) -> server::Deployment {
    let connect = ConnectSettings { url: url.to_owned(), ..Default::default() };
    let client = server::connect(&connect, Some(3), &|_| {}).await.unwrap();
    server::deploy(client, settings).await.unwrap()
}

/// Runs one worker until `done` says its stats are complete (or 20 s), and returns them.
async fn run_worker(url: &str, settings: &FleetSettings, done: impl Fn(&WorkerStats) -> bool) -> WorkerStats {
    let dep = deployment(url, settings).await;
    let worker = Worker::new(dep, settings.clone(), Config::default(), "t".into()).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let run = worker.run(stopped, |s| {
        if done(s) {
            let _ = stop.send(true);
        }
    });
    tokio::time::timeout(Duration::from_secs(20), run).await.expect("the worker finished in time")
}

async fn alerts(js: &jetstream::Context) -> Vec<String> {
    let mut lines = Vec::new();
    read_alerts(js, false, |l| lines.push(String::from_utf8_lossy(l).into_owned())).await.unwrap();
    lines.into_iter().filter(|l| l.contains("\"type\":\"alert\"")).collect()
}

async fn publish_sample(dep: &server::Deployment, settings: &FleetSettings) {
    let mut publisher = EventPublisher::new(dep.js.clone(), settings.partitions);
    for event in NativeReader::new("quickstart.ndjson", SAMPLE.as_bytes()) {
        publisher.publish(&event.unwrap()).await.unwrap();
    }
    publisher.end_of_replay().await.unwrap();
    publisher.flush().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_that_are_not_events_are_dead_lettered_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&dir.path().join("nats")) else { return };
    let settings = settings();
    let dep = deployment(&server.url(), &settings).await;
    let mut publisher = EventPublisher::new(dep.js.clone(), settings.partitions);
    let host = "ws.example.com";
    let p = partition_of(host, settings.partitions);
    publisher.send(event_subject(p, host), b"not json at all".to_vec()).await.unwrap();
    // A well-formed event under another host's subject would put two hosts' state together.
    let line = SAMPLE.lines().next().unwrap().as_bytes().to_vec();
    publisher.send(event_subject(p, host), line).await.unwrap();
    publisher.flush().await.unwrap();
    publish_sample(&dep, &settings).await;

    let stats =
        run_worker(&server.url(), &settings, |s| s.partitions.values().map(|p| p.replays_ended).sum::<u64>() == 2)
            .await;
    let rejects: u64 = stats.partitions.values().map(|p| p.rejects).sum();
    assert_eq!(rejects, 2, "{stats:?}");
    let mut stream = dep.js.get_stream(REJECTS_STREAM).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 2);
    // The good events still alert.
    assert_eq!(alerts(&dep.js).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_of_another_version_is_refused_and_the_partition_replays() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&dir.path().join("nats")) else { return };
    let settings = settings();
    let dep = deployment(&server.url(), &settings).await;
    publish_sample(&dep, &settings).await;
    let mut foreign = clickchain_fleet::checkpoint::MAGIC.to_vec();
    foreign.extend_from_slice(&99u32.to_le_bytes());
    foreign.extend_from_slice(&[0; 64]);
    for p in 0..settings.partitions {
        dep.checkpoints.put(format!("p.{p}"), foreign.clone().into()).await.unwrap();
    }
    let stats =
        run_worker(&server.url(), &settings, |s| s.partitions.values().map(|p| p.replays_ended).sum::<u64>() == 2)
            .await;
    let refused: u64 = stats.partitions.values().map(|p| p.checkpoints_refused).sum();
    assert_eq!(refused, 2, "{stats:?}");
    assert_eq!(alerts(&dep.js).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_ttl_is_the_workers_whoever_made_the_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&dir.path().join("nats")) else { return };
    let lease_ttl = |dep: server::Deployment| async move {
        let mut stream = dep.js.get_stream(format!("KV_{}", server::LEASES_BUCKET)).await.unwrap();
        stream.info().await.unwrap().config.max_age
    };
    // A publisher (no lease settings of its own) leaves the lease bucket alone.
    let connect = ConnectSettings { url: server.url(), ..Default::default() };
    let client = server::connect(&connect, Some(3), &|_| {}).await.unwrap();
    server::open_streams(client, &settings()).await.unwrap();
    let first = FleetSettings { lease_ttl: Duration::from_secs(30), ..settings() };
    assert_eq!(lease_ttl(deployment(&server.url(), &first).await).await, Duration::from_secs(30));
    // A worker with another TTL sets its own.
    assert_eq!(lease_ttl(deployment(&server.url(), &settings()).await).await, Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_larger_than_max_payload_is_stored_in_chunks() {
    use clickchain_fleet::chunks;
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&dir.path().join("nats")) else { return };
    let dep = deployment(&server.url(), &settings()).await;
    // Three times the server's default max_payload (1 MiB).
    let bytes: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let head = chunks::write(&dep.checkpoints, "p.0", 1, &bytes).await.unwrap();
    assert_eq!(head.count as usize, bytes.len().div_ceil(chunks::CHUNK));
    assert_eq!(chunks::read(&dep.checkpoints, "p.0", head).await.unwrap(), bytes);
    chunks::purge(&dep.checkpoints, "p.0", head).await;
    assert!(chunks::read(&dep.checkpoints, "p.0", head).await.unwrap_err().contains("missing"));
}
