//! One partition in a worker: its engine, its durable pull consumer, its checkpoints.
//!
//! The order of a checkpoint is what makes a failover lose nothing and repeat nothing:
//! the records drained so far are published and their publish acks awaited, then the engine's
//! state is stored with the last stream sequence it took (a compare-and-set on the entry's
//! revision, so a worker that lost the partition cannot overwrite its new owner's state), and
//! only then is that message acked (ack-all). A worker taking over restores the state and reads
//! from the next sequence; the alerts it publishes again for the events after the checkpoint have
//! the same ids, and the alerts stream drops them as duplicates.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy, PullConsumer};
use async_nats::jetstream::context::{Publish, PublishAckFuture};
use async_nats::jetstream::{self, Message};
use async_nats::HeaderMap;
use clickchain::adapters::native;
use clickchain::{Config, Engine, Record, SourceRef};
use futures::StreamExt;

use crate::server::{Deployment, EVENTS_STREAM};
use crate::stats::PartitionStats;
use crate::subject::{alert_subject, host_hash, parse_event_subject, partition_filter, EventSubject, REJECTS};
use crate::{checkpoint, chunks};
use crate::{FleetError, FleetSettings};

/// The input name of events read from the stream (their position is the stream sequence).
pub const STREAM_INPUT: &str = "nats:CLICKCHAIN_EVENTS";

/// A claimed partition being consumed.
pub struct Partition {
    id: u32,
    config: Config,
    engine: Engine,
    consumer: PullConsumer,
    input: Arc<str>,
    /// The last stream sequence taken into the engine (0: none).
    seq: u64,
    /// The checkpoint entry's revision (None: no entry yet), for the compare-and-set.
    revision: Option<u64>,
    /// The chunks the stored checkpoint's head names (purged once a newer one is stored).
    head: Option<chunks::Head>,
    /// The last message taken and not yet acked (acking it acks all before it).
    unacked: Option<Message>,
    /// Publishes whose acks must arrive before the next checkpoint.
    publishing: Vec<PublishAckFuture>,
    since_checkpoint: u64,
    last_checkpoint: Instant,
    /// Counters and gauges.
    pub stats: PartitionStats,
}

impl Partition {
    /// Restores partition `id` from its checkpoint (or starts it fresh: none, or refused with a
    /// warning) and (re)creates its durable consumer to read from the sequence after it.
    pub async fn open(
        dep: &Deployment,
        id: u32,
        config: &Config,
        settings: &FleetSettings,
    ) -> Result<Partition, FleetError> {
        let mut stats = PartitionStats { partition: id, ..Default::default() };
        let entry = dep
            .checkpoints
            .entry(key(id))
            .await
            .map_err(|e| FleetError::js(format!("reading checkpoint of partition {id}"), e))?;
        let mut head = None;
        let (engine, seq, revision) = match entry {
            Some(e) if e.operation == jetstream::kv::Operation::Put => {
                head = chunks::Head::decode(&e.value);
                let bytes = match head {
                    Some(h) => chunks::read(&dep.checkpoints, &key(id), h).await.unwrap_or_else(|why| {
                        tracing::warn!("partition {id}: {why}");
                        Vec::new()
                    }),
                    None => e.value.to_vec(),
                };
                match checkpoint::decode(&bytes, id, config.clone()) {
                    Ok(restored) => {
                        tracing::info!("partition {id}: restored at sequence {}", restored.seq);
                        stats.restored_at = restored.seq;
                        (restored.engine, restored.seq, Some(e.revision))
                    }
                    Err(why) => {
                        tracing::warn!("partition {id}: checkpoint refused ({why}); replaying from the stream's start");
                        stats.checkpoints_refused += 1;
                        (Engine::new(config.clone())?, 0, Some(e.revision))
                    }
                }
            }
            Some(e) => (Engine::new(config.clone())?, 0, Some(e.revision)),
            None => (Engine::new(config.clone())?, 0, None),
        };
        let consumer = recreate_consumer(dep, id, seq, settings).await?;
        Ok(Partition {
            id,
            config: config.clone(),
            engine,
            consumer,
            input: Arc::from(STREAM_INPUT),
            seq,
            revision,
            head,
            unacked: None,
            publishing: Vec::new(),
            since_checkpoint: 0,
            last_checkpoint: Instant::now(),
            stats,
        })
    }

    /// The partition's number.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Takes what is waiting (at most `batch` messages, without waiting for more) and publishes
    /// the records it produced; returns how many messages came. A fetch that gets no answer
    /// within `wait` (its request or reply lost while the connection was down) is given up and
    /// the consumer recreated to deliver from the next sequence: the engine keeps its state.
    pub async fn pump(
        &mut self,
        dep: &Deployment,
        settings: &FleetSettings,
        wait: Duration,
    ) -> Result<usize, FleetError> {
        let id = self.id;
        let doing = move || format!("fetching partition {id}");
        let fetch = async {
            let mut messages = self
                .consumer
                .fetch()
                .max_messages(settings.fetch_batch)
                .messages()
                .await
                .map_err(|e| FleetError::js(doing(), e))?;
            let mut batch = Vec::new();
            while let Some(message) = messages.next().await {
                batch.push(message.map_err(|e| FleetError::js(doing(), e))?);
            }
            Ok::<_, FleetError>(batch)
        };
        let batch = match tokio::time::timeout(wait, fetch).await {
            Ok(batch) => batch?,
            Err(_) => {
                tracing::warn!(
                    "partition {id}: no answer to a fetch within {wait:?}; resuming after sequence {}",
                    self.seq
                );
                self.stats.fetches_resumed += 1;
                self.consumer = recreate_consumer(dep, id, self.seq, settings).await?;
                // The old consumer is gone, and with it what its messages' acks would ack.
                self.unacked = None;
                return Ok(0);
            }
        };
        let n = batch.len();
        for message in batch {
            self.take(dep, message).await?;
        }
        self.publish_records(dep).await?;
        Ok(n)
    }

    async fn take(&mut self, dep: &Deployment, message: Message) -> Result<(), FleetError> {
        let seq = message
            .info()
            .map_err(|e| FleetError::js(format!("partition {}: a message without stream info", self.id), e))?
            .stream_sequence;
        if seq <= self.seq {
            // A redelivery of a message already taken (its ack was waiting for a checkpoint).
            self.stats.redeliveries_skipped += 1;
            return Ok(());
        }
        self.seq = seq;
        self.since_checkpoint += 1;
        match parse_event_subject(&message.subject) {
            Some(EventSubject::Host { partition, host }) if partition == self.id => {
                let at = SourceRef::line(&self.input, seq);
                match native::parse_line(&message.payload, &host, at) {
                    Ok(event) if event.host == host => {
                        self.stats.events += 1;
                        self.engine.push(event);
                    }
                    Ok(event) => {
                        self.reject(dep, &message, seq, &format!("event of host {:?} under host {host:?}", event.host))
                            .await
                    }
                    Err(e) => self.reject(dep, &message, seq, &e.to_string()).await,
                }
            }
            Some(EventSubject::End { partition }) if partition == self.id => {
                // A replay ended: evaluate everything pending, as a scan does at the end of its
                // input; later events start afresh.
                self.engine.finish();
                self.publish_records(dep).await?;
                self.engine = Engine::new(self.config.clone())?;
                self.stats.replays_ended += 1;
                self.checkpoint(dep).await?;
            }
            _ => self.reject(dep, &message, seq, "not an event subject of this partition").await,
        }
        self.unacked = Some(message);
        Ok(())
    }

    /// Dead-letters a message to `clickchain.rejects` with why, and counts it.
    async fn reject(&mut self, dep: &Deployment, message: &Message, seq: u64, reason: &str) {
        self.stats.rejects += 1;
        tracing::debug!("partition {}: sequence {seq} rejected: {reason}", self.id);
        let mut headers = HeaderMap::new();
        headers.insert("Clickchain-Subject", message.subject.as_str());
        headers.insert("Clickchain-Sequence", seq.to_string().as_str());
        headers.insert("Clickchain-Reason", one_line(reason).as_str());
        let publish =
            Publish::build().payload(message.payload.clone()).headers(headers).message_id(format!("reject-{seq}"));
        // A dead letter that cannot be sent is counted, not retried: the event is skipped anyway.
        match dep.js.send_publish(REJECTS, publish).await {
            Ok(ack) => self.publishing.push(ack),
            Err(e) => {
                self.stats.publish_errors += 1;
                tracing::warn!("partition {}: publishing: {e}", self.id);
            }
        }
    }

    async fn publish_records(&mut self, dep: &Deployment) -> Result<(), FleetError> {
        for record in self.engine.drain() {
            let json = record.to_json();
            let (subject, id) = match &record {
                Record::Alert(a) => {
                    self.stats.alerts += 1;
                    (alert_subject(a.analytic.as_str(), false), a.id.clone())
                }
                Record::FollowOn(f) => {
                    self.stats.follow_ons += 1;
                    (alert_subject(f.analytic.as_str(), true), format!("fo-{:016x}", host_hash(&json)))
                }
            };
            let publish = Publish::build().payload(json.into()).message_id(id);
            let ack = dep
                .js
                .send_publish(subject, publish)
                .await
                .map_err(|e| FleetError::js(format!("partition {}: publishing a record", self.id), e))?;
            self.publishing.push(ack);
        }
        Ok(())
    }

    /// Whether the next checkpoint is due.
    pub fn checkpoint_due(&self, settings: &FleetSettings) -> bool {
        self.since_checkpoint > 0
            && (self.since_checkpoint >= settings.checkpoint_events
                || self.last_checkpoint.elapsed() >= settings.checkpoint_interval)
    }

    /// Publishes what is pending, stores the state with its sequence, then acks what it covers.
    pub async fn checkpoint(&mut self, dep: &Deployment) -> Result<(), FleetError> {
        self.publish_records(dep).await?;
        for ack in std::mem::take(&mut self.publishing) {
            ack.await.map_err(|e| FleetError::js(format!("partition {}: a publish was not stored", self.id), e))?;
        }
        let now_ms = chrono_now_ms();
        let bytes = checkpoint::encode(&mut self.engine, self.id, self.seq, now_ms)
            .map_err(|e| FleetError::js(format!("partition {}: writing the checkpoint", self.id), e))?;
        let size = bytes.len() as u64;
        let id = self.id;
        let failed =
            move |e: String| FleetError::js(format!("partition {id}: storing the checkpoint ({size} bytes)"), e);
        let generation = (now_ms as u64).wrapping_mul(1000).wrapping_add(self.seq % 1000);
        let head = chunks::write(&dep.checkpoints, &key(id), generation, &bytes).await.map_err(failed)?;
        let value: bytes::Bytes = head.encode().into();
        let stored = match self.revision {
            Some(revision) => dep.checkpoints.update(key(id), value, revision).await.map_err(|e| e.to_string()),
            None => dep.checkpoints.create(key(id), value).await.map_err(|e| e.to_string()),
        };
        // A failed compare-and-set: another worker took the partition over.
        let revision = stored.map_err(failed)?;
        self.revision = Some(revision);
        if let Some(old) = self.head.replace(head) {
            chunks::purge(&dep.checkpoints, &key(id), old).await;
        }
        if let Some(message) = self.unacked.take() {
            message.ack().await.map_err(|e| FleetError::js(format!("partition {}: acking", self.id), e))?;
        }
        self.since_checkpoint = 0;
        self.last_checkpoint = Instant::now();
        self.stats.checkpoints += 1;
        self.stats.checkpoint_bytes = size;
        self.stats.checkpointed_seq = self.seq;
        Ok(())
    }

    /// Refreshes the gauges: lag from the consumer, the engine's counters, checkpoint age.
    pub async fn refresh_stats(&mut self) {
        if let Ok(info) = self.consumer.info().await {
            self.stats.lag = info.num_pending;
        }
        self.stats.last_seq = self.seq;
        self.stats.checkpoint_age_ms = self.last_checkpoint.elapsed().as_millis() as u64;
        self.stats.engine = self.engine.stats().clone();
    }

    /// Moves the engine's plausibility bound to the wall clock (a long-running worker).
    pub fn set_now(&mut self) {
        self.engine.set_now(chrono::Utc::now());
    }
}

fn key(partition: u32) -> String {
    format!("p.{partition}")
}

fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(512).collect()
}

fn chrono_now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Deletes the partition's durable consumer and creates it again to deliver from `seq + 1`
/// (consumers of nats-server 2.9 cannot be moved).
async fn recreate_consumer(
    dep: &Deployment,
    id: u32,
    seq: u64,
    settings: &FleetSettings,
) -> Result<PullConsumer, FleetError> {
    let stream = dep.js.get_stream(EVENTS_STREAM).await.map_err(|e| FleetError::js("opening the events stream", e))?;
    let name = format!("part-{id}");
    let _ = stream.delete_consumer(&name).await;
    let deliver_policy =
        if seq == 0 { DeliverPolicy::All } else { DeliverPolicy::ByStartSequence { start_sequence: seq + 1 } };
    // Acks wait for checkpoints: never let the server redeliver before one is due.
    let ack_wait = (settings.checkpoint_interval * 4).max(Duration::from_secs(30));
    let max_ack_pending =
        ((settings.checkpoint_events as usize + settings.fetch_batch) * 2).min(i64::MAX as usize) as i64;
    let config = pull::Config {
        durable_name: Some(name.clone()),
        filter_subject: partition_filter(id),
        deliver_policy,
        ack_policy: AckPolicy::All,
        ack_wait,
        max_ack_pending,
        ..Default::default()
    };
    stream.create_consumer(config).await.map_err(|e| FleetError::js(format!("creating consumer {name}"), e))
}
