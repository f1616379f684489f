//! `clickchain publish`: reads inputs as `scan` does (merged by time) and publishes their
//! events to the fleet's stream, for a replay or a test.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use clickchain::input::{self, InputFormat, InputItem, InputOptions, Inputs};
use clickchain_fleet::publish::EventPublisher;
use clickchain_fleet::server;
use clickchain_fleet::FleetSettings;

use crate::fleet_connect::{run_command, NatsArgs};
use crate::say;

/// Connection attempts before `publish` gives up.
const ATTEMPTS: u32 = 5;

#[derive(Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Files, folders (recursive) or `-` for stdin, in any format `scan` reads.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Input format, as for `scan`.
    #[arg(long, short = 'f', default_value = "auto")]
    pub format: String,
    /// P, the deployment's partition count (default: the one recorded by the deployment, else
    /// the `[fleet]` default). A P other than the recorded one is refused.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub partitions: Option<u32>,
    /// After the inputs, mark the end of the replay in every partition: workers then evaluate
    /// everything pending, as `scan` does at the end of its input.
    #[arg(long)]
    pub end_of_replay: bool,
    /// Host of events that name none.
    #[arg(long)]
    pub host: Option<String>,
}

pub fn run(args: PublishArgs) -> ExitCode {
    run_command(publish(args))
}

async fn publish(args: PublishArgs) -> anyhow::Result<ExitCode> {
    let format = args.format.parse::<InputFormat>().map_err(|e| anyhow::anyhow!("--format: {e}"))?;
    let client = args.nats.connect("clickchain-publish", Some(ATTEMPTS)).await?;
    let partitions = match args.partitions {
        Some(p) => p,
        None => server::recorded_partitions(client.clone()).await.unwrap_or(FleetSettings::default().partitions),
    };
    let settings = FleetSettings { partitions, ..FleetSettings::default() };
    let (js, _) = server::open_streams(client, &settings).await?;
    let mut publisher = EventPublisher::new(js, partitions);
    let (files, unopened) = input::expand(&args.paths);
    let mut rejected = unopened.len() as u64;
    for e in &unopened {
        say!("warning: {e}");
    }
    let options = InputOptions {
        format,
        default_host: args.host.clone().unwrap_or_default(),
        time_offset: None,
        parse_threads: 0,
        evtx_parse_threads: Some(0),
    };
    let inputs = Inputs::new(
        files.into_iter().map(|f| (f, None)).collect(),
        options,
        Arc::new(AtomicU64::new(0)),
        input::MAX_OPEN,
    );
    for item in inputs {
        match item {
            InputItem::Event(event) => publisher.publish(&event).await?,
            InputItem::Rejected(e) => {
                rejected += 1;
                if rejected <= crate::scan::MAX_ERROR_LINES {
                    say!("rejected: {e}");
                }
            }
            InputItem::Unopened(e) => {
                rejected += 1;
                say!("warning: {e}");
            }
        }
    }
    if args.end_of_replay {
        publisher.end_of_replay().await?;
    }
    publisher.flush().await.context("waiting for the server to store the events")?;
    say!("published {} events to {partitions} partitions ({rejected} records rejected)", publisher.published);
    Ok(if rejected > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
