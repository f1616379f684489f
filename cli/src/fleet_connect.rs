//! The NATS options shared by `publish`, `fleet` and `alerts`, and their runtime.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use clickchain_fleet::server::{self, ConnectSettings};

use crate::say;

/// Where the NATS server is and how to authenticate. A password or token is read from the
/// environment (`CLICKCHAIN_NATS_PASSWORD`, `CLICKCHAIN_NATS_TOKEN`), not the command line.
#[derive(Args, Debug, Clone)]
pub struct NatsArgs {
    /// The server: `nats://host:4222` (several comma-separated; `tls://` for TLS).
    #[arg(long, value_name = "URL")]
    pub nats: String,
    /// Refuse to talk to the server without TLS.
    #[arg(long)]
    pub require_tls: bool,
    /// PEM file of root certificates to trust (beyond the system's).
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// PEM client certificate for mutual TLS (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// NATS credentials file (`.creds`: user JWT and NKey seed).
    #[arg(long, value_name = "FILE")]
    pub creds: Option<PathBuf>,
    /// User name; the password is taken from CLICKCHAIN_NATS_PASSWORD.
    #[arg(long)]
    pub user: Option<String>,
}

impl NatsArgs {
    /// The client settings, named `name` on the server.
    pub fn settings(&self, name: &str) -> ConnectSettings {
        ConnectSettings {
            url: self.nats.clone(),
            require_tls: self.require_tls,
            tls_ca: self.tls_ca.clone(),
            tls_cert: self.tls_cert.clone().zip(self.tls_key.clone()),
            creds: self.creds.clone(),
            user_password: self
                .user
                .clone()
                .map(|u| (u, std::env::var("CLICKCHAIN_NATS_PASSWORD").unwrap_or_default())),
            token: std::env::var("CLICKCHAIN_NATS_TOKEN").ok().filter(|t| !t.is_empty()),
            name: name.to_owned(),
        }
    }

    /// Connects, telling each failed attempt on stderr; `attempts` None retries forever.
    pub async fn connect(&self, name: &str, attempts: Option<u32>) -> anyhow::Result<async_nats::Client> {
        let report = |line: &str| say!("warning: {line}");
        Ok(server::connect(&self.settings(name), attempts, &report).await?)
    }
}

/// Runs a command on a single-threaded runtime with timers and sockets (the engines' work is on
/// this thread); an error is printed and exits 2.
pub fn run_command(command: impl std::future::Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    match runtime.map_err(anyhow::Error::from).and_then(|rt| rt.block_on(command)) {
        Ok(code) => code,
        Err(e) => {
            say!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
