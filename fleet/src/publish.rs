//! Publishing events into the stream (a replay, or a shipper), and reading alerts back.

use std::collections::VecDeque;

use async_nats::jetstream::consumer::pull;
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::{self, consumer::DeliverPolicy};
use clickchain::adapters::native;
use clickchain::Event;
use futures::StreamExt;

use crate::server::ALERTS_STREAM;
use crate::subject::{end_subject, event_subject, partition_of};
use crate::FleetError;

/// Publish acks awaited at once: enough to keep the link busy, bounded in memory.
const IN_FLIGHT: usize = 1024;

/// Publishes events to their partition's subject in the native line form, in order.
pub struct EventPublisher {
    js: jetstream::Context,
    partitions: u32,
    in_flight: VecDeque<PublishAckFuture>,
    /// Events published.
    pub published: u64,
}

impl EventPublisher {
    /// A publisher for a deployment of `partitions` partitions.
    pub fn new(js: jetstream::Context, partitions: u32) -> EventPublisher {
        EventPublisher { js, partitions, in_flight: VecDeque::new(), published: 0 }
    }

    /// Publishes one event (its ack is awaited later, at most 1024 publishes behind).
    pub async fn publish(&mut self, event: &Event) -> Result<(), FleetError> {
        let subject = event_subject(partition_of(&event.host, self.partitions), &event.host);
        self.send(subject, native::to_line(event).into_bytes()).await?;
        self.published += 1;
        Ok(())
    }

    /// Publishes a raw payload to a subject (tests of bad input).
    pub async fn send(&mut self, subject: String, payload: Vec<u8>) -> Result<(), FleetError> {
        if self.in_flight.len() >= IN_FLIGHT {
            self.await_one().await?;
        }
        let ack =
            self.js.publish(subject, payload.into()).await.map_err(|e| FleetError::js("publishing an event", e))?;
        self.in_flight.push_back(ack);
        Ok(())
    }

    /// Marks the end of a replay in every partition (workers then evaluate what is pending,
    /// as a scan does at the end of its input).
    pub async fn end_of_replay(&mut self) -> Result<(), FleetError> {
        for p in 0..self.partitions {
            self.send(end_subject(p), Vec::new()).await?;
        }
        Ok(())
    }

    /// Waits until the server stored everything published.
    pub async fn flush(&mut self) -> Result<(), FleetError> {
        while !self.in_flight.is_empty() {
            self.await_one().await?;
        }
        Ok(())
    }

    async fn await_one(&mut self) -> Result<(), FleetError> {
        if let Some(ack) = self.in_flight.pop_front() {
            ack.await.map_err(|e| FleetError::js("an event was not stored", e))?;
        }
        Ok(())
    }
}

/// Hands every record in the alerts stream to `each` (its NDJSON line), in order; with `follow`,
/// goes on with new ones until the connection ends, otherwise stops at the last one stored when
/// called.
pub async fn read_alerts(
    js: &jetstream::Context,
    follow: bool,
    mut each: impl FnMut(&[u8]),
) -> Result<u64, FleetError> {
    let mut stream = js.get_stream(ALERTS_STREAM).await.map_err(|e| FleetError::js("opening the alerts stream", e))?;
    let last = stream.info().await.map_err(|e| FleetError::js("reading the alerts stream", e))?.state.last_sequence;
    if last == 0 && !follow {
        return Ok(0);
    }
    let consumer = stream
        .create_consumer(pull::OrderedConfig { deliver_policy: DeliverPolicy::All, ..Default::default() })
        .await
        .map_err(|e| FleetError::js("reading the alerts stream", e))?;
    let mut messages = consumer.messages().await.map_err(|e| FleetError::js("reading the alerts stream", e))?;
    let mut n = 0;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| FleetError::js("reading the alerts stream", e))?;
        each(&message.payload);
        n += 1;
        let seq = message.info().map(|i| i.stream_sequence).unwrap_or(0);
        if !follow && seq >= last {
            break;
        }
    }
    Ok(n)
}
