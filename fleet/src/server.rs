//! The connection to the NATS server, and the streams and buckets a deployment uses.
//!
//! Connecting is retried with exponential backoff (never a busy loop); the client itself then
//! reconnects after a server restart, also with backoff, and JetStream requests made while it is
//! away fail and are retried by the caller.

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};
use async_nats::{Client, ConnectOptions, ServerAddr};

use crate::subject::{ALERTS, EVENTS, REJECTS};
use crate::{FleetError, FleetSettings};

/// The stream holding every event, by partition and host.
pub const EVENTS_STREAM: &str = "CLICKCHAIN_EVENTS";
/// The stream holding alerts and follow-on records.
pub const ALERTS_STREAM: &str = "CLICKCHAIN_ALERTS";
/// The stream holding messages that were not events.
pub const REJECTS_STREAM: &str = "CLICKCHAIN_REJECTS";
/// Leases and worker presence: entries live `lease_ttl` unless renewed.
pub const LEASES_BUCKET: &str = "clickchain_leases";
/// Partition checkpoints, and the deployment's partition count.
pub const CHECKPOINTS_BUCKET: &str = "clickchain_checkpoints";
/// The key of the deployment's partition count in [`CHECKPOINTS_BUCKET`].
pub const PARTITIONS_KEY: &str = "partitions";

/// How to reach and authenticate to the server (all optional but the URL).
#[derive(Debug, Clone, Default)]
pub struct ConnectSettings {
    /// `nats://host:port` (or `tls://…`); several comma-separated.
    pub url: String,
    /// Refuse a connection without TLS.
    pub require_tls: bool,
    /// PEM roots to trust beyond the system's.
    pub tls_ca: Option<PathBuf>,
    /// PEM client certificate and key (mutual TLS).
    pub tls_cert: Option<(PathBuf, PathBuf)>,
    /// A `.creds` file (JWT and NKey seed).
    pub creds: Option<PathBuf>,
    /// User and password.
    pub user_password: Option<(String, String)>,
    /// A token.
    pub token: Option<String>,
    /// The connection's name, shown by the server's monitoring.
    pub name: String,
}

/// Backoff between connection attempts: 250 ms doubling to 30 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(7))).min(Duration::from_secs(30))
}

/// Connects, retrying with [`backoff`] `attempts` times (forever with `None`); each failure is
/// told to `report` with the server's address, the reason and the wait.
pub async fn connect(
    settings: &ConnectSettings,
    attempts: Option<u32>,
    report: &dyn Fn(&str),
) -> Result<Client, FleetError> {
    let addrs: Vec<ServerAddr> =
        settings.url.split(',').map(|u| u.trim().parse::<ServerAddr>()).collect::<Result<_, _>>().map_err(|e| {
            FleetError::Unreachable { url: settings.url.clone(), reason: format!("not a server URL: {e}") }
        })?;
    let mut attempt = 0u32;
    loop {
        match options(settings).await?.connect(addrs.as_slice()).await {
            Ok(client) => return Ok(client),
            Err(e) => {
                attempt += 1;
                if attempts.is_some_and(|n| attempt >= n) {
                    return Err(FleetError::Unreachable { url: settings.url.clone(), reason: e.to_string() });
                }
                let wait = backoff(attempt);
                report(&format!("cannot reach the NATS server at {}: {e}; retrying in {wait:?}", settings.url));
                tokio::time::sleep(wait).await;
            }
        }
    }
}

async fn options(settings: &ConnectSettings) -> Result<ConnectOptions, FleetError> {
    let mut o = match &settings.creds {
        Some(path) => ConnectOptions::with_credentials_file(path.clone())
            .await
            .map_err(|e| FleetError::js(format!("reading credentials {}", path.display()), e))?,
        None => ConnectOptions::new(),
    };
    if let Some((user, password)) = &settings.user_password {
        o = o.user_and_password(user.clone(), password.clone());
    }
    if let Some(token) = &settings.token {
        o = o.token(token.clone());
    }
    if let Some(ca) = &settings.tls_ca {
        o = o.add_root_certificates(ca.clone());
    }
    if let Some((cert, key)) = &settings.tls_cert {
        o = o.add_client_certificate(cert.clone(), key.clone());
    }
    if !settings.name.is_empty() {
        o = o.name(&settings.name);
    }
    Ok(o.require_tls(settings.require_tls)
        .connection_timeout(Duration::from_secs(5))
        // After a server restart: keep trying, with backoff.
        .max_reconnects(None)
        .reconnect_delay_callback(|attempt| backoff(attempt.min(32) as u32)))
}

/// The streams and buckets of a deployment, created when missing.
pub struct Deployment {
    /// The JetStream context.
    pub js: jetstream::Context,
    /// The lease bucket.
    pub leases: kv::Store,
    /// The checkpoint bucket.
    pub checkpoints: kv::Store,
}

/// Creates (or opens) the streams and buckets, and checks the recorded partition count. The lease
/// bucket's TTL is this worker's `lease_ttl`: a bucket made with another is changed to it.
pub async fn deploy(client: Client, settings: &FleetSettings) -> Result<Deployment, FleetError> {
    let (js, checkpoints) = open_streams(client, settings).await?;
    let leases = ensure_bucket(&js, LEASES_BUCKET, settings.lease_ttl).await?;
    set_bucket_ttl(&js, LEASES_BUCKET, settings.lease_ttl).await?;
    Ok(Deployment { js, leases, checkpoints })
}

/// Creates (or opens) the streams and the checkpoint bucket, and checks the recorded partition
/// count: all a publisher needs (it leaves the lease bucket to the workers).
pub async fn open_streams(
    client: Client,
    settings: &FleetSettings,
) -> Result<(jetstream::Context, kv::Store), FleetError> {
    let js = jetstream::new(client);
    ensure_stream(&js, stream_config(EVENTS_STREAM, EVENTS, settings.events_max_age, None)).await?;
    ensure_stream(&js, stream_config(ALERTS_STREAM, ALERTS, Duration::ZERO, Some(settings.alerts_duplicate_window)))
        .await?;
    ensure_stream(&js, stream_config(REJECTS_STREAM, REJECTS, settings.events_max_age, None)).await?;
    let checkpoints = ensure_bucket(&js, CHECKPOINTS_BUCKET, Duration::ZERO).await?;
    check_partitions(&checkpoints, settings.partitions).await?;
    Ok((js, checkpoints))
}

/// Sets a bucket's entry lifetime (its stream's max_age) when it differs.
async fn set_bucket_ttl(js: &jetstream::Context, bucket: &str, ttl: Duration) -> Result<(), FleetError> {
    let doing = || format!("setting the TTL of bucket {bucket}");
    let mut stream = js.get_stream(format!("KV_{bucket}")).await.map_err(|e| FleetError::js(doing(), e))?;
    let mut config = stream.info().await.map_err(|e| FleetError::js(doing(), e))?.config.clone();
    if config.max_age != ttl {
        tracing::warn!("bucket {bucket}: entry TTL {:?} changed to this worker's lease_ttl {ttl:?}", config.max_age);
        config.max_age = ttl;
        // The server wants the de-duplication window within the entries' lifetime.
        config.duplicate_window = config.duplicate_window.min(ttl);
        js.update_stream(config).await.map_err(|e| FleetError::js(doing(), e))?;
    }
    Ok(())
}

fn stream_config(name: &str, prefix: &str, max_age: Duration, dedup: Option<Duration>) -> stream::Config {
    // `clickchain.rejects` is one subject; the others have tokens below their prefix.
    let subject = if prefix == REJECTS { prefix.to_owned() } else { format!("{prefix}.>") };
    stream::Config {
        name: name.to_owned(),
        subjects: vec![subject],
        // Limits: events stay for replay after a refused checkpoint, whoever acked them.
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::Old,
        max_age,
        duplicate_window: dedup.unwrap_or(Duration::from_secs(120)),
        ..Default::default()
    }
}

async fn ensure_stream(js: &jetstream::Context, config: stream::Config) -> Result<(), FleetError> {
    let name = config.name.clone();
    js.get_or_create_stream(config).await.map_err(|e| FleetError::js(format!("opening stream {name}"), e))?;
    Ok(())
}

async fn ensure_bucket(js: &jetstream::Context, bucket: &str, max_age: Duration) -> Result<kv::Store, FleetError> {
    if let Ok(store) = js.get_key_value(bucket).await {
        return Ok(store);
    }
    // The bucket's stream, as the client's `create_key_value` lays it out; that call first asks
    // for the account's info, whose 2.9 reply this client version cannot read.
    let config = stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        max_age,
        storage: stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        num_replicas: 1,
        ..Default::default()
    };
    let created = js.get_or_create_stream(config).await;
    js.get_key_value(bucket).await.map_err(|e| match created {
        Err(c) => FleetError::js(format!("creating bucket {bucket}"), c),
        Ok(_) => FleetError::js(format!("opening bucket {bucket}"), e),
    })
}

async fn check_partitions(checkpoints: &kv::Store, given: u32) -> Result<(), FleetError> {
    let _ = checkpoints.create(PARTITIONS_KEY, given.to_string().into()).await;
    let recorded = checkpoints
        .get(PARTITIONS_KEY)
        .await
        .map_err(|e| FleetError::js("reading the deployment's partition count", e))?
        .and_then(|v| std::str::from_utf8(&v).ok().and_then(|s| s.parse::<u32>().ok()));
    match recorded {
        Some(recorded) if recorded != given => Err(FleetError::Partitions { recorded, given }),
        _ => Ok(()),
    }
}

/// The partition count a deployment recorded, if any (for a publisher given none).
pub async fn recorded_partitions(client: Client) -> Option<u32> {
    let js = jetstream::new(client);
    let store = js.get_key_value(CHECKPOINTS_BUCKET).await.ok()?;
    let v = store.get(PARTITIONS_KEY).await.ok()??;
    std::str::from_utf8(&v).ok()?.parse().ok()
}
