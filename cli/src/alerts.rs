//! `clickchain alerts`: prints the fleet's alerts and follow-on records as NDJSON.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use clickchain_fleet::publish::read_alerts;

use crate::fleet_connect::{run_command, NatsArgs};

#[derive(Args)]
pub struct AlertsArgs {
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Go on printing new records as they are published (until interrupted).
    #[arg(long)]
    pub follow: bool,
}

pub fn run(args: AlertsArgs) -> ExitCode {
    run_command(async {
        let client = args.nats.connect("clickchain-alerts", Some(5)).await?;
        let js = async_nats::jetstream::new(client);
        let mut out = std::io::stdout().lock();
        read_alerts(&js, args.follow, |line| {
            // A closed stdout ends nothing here; the count says what was read.
            let _ = out.write_all(line).and_then(|_| out.write_all(b"\n"));
        })
        .await?;
        Ok(ExitCode::SUCCESS)
    })
}
