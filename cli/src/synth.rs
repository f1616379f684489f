//! `clickchain synth`: write a seeded synthetic stream (native NDJSON, flattened Sysmon JSON,
//! ECS NDJSON) and its ground-truth labels into a folder (the `clickchain-synth` crate).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use clickchain_synth::write::{self, Format};
use clickchain_synth::{generate, Evasion, Evasions, Mix, Params, Variant};

#[derive(Args)]
pub struct SynthArgs {
    /// Output folder (created if needed): stream.ndjson, stream.sysmon.json, stream.ecs.ndjson
    /// (as asked by --format) and labels.json.
    #[arg(long)]
    out: PathBuf,
    /// Total events (split evenly across hosts).
    #[arg(long, default_value_t = 100_000, conflicts_with = "duration")]
    events: usize,
    /// Event time to cover instead of an event count (`10m`, `2h`): duration × rate × hosts events.
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// Hosts: host 0 Windows, 1 Linux, 2 macOS, the others 50/25/25.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    hosts: u16,
    /// Events per second per host.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// PRNG seed: the same options and seed give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Process-tree depth of benign admin sessions; deep-lineage chains download `depth + 6`
    /// levels below their link root.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=32))]
    depth: u16,
    /// Formats: native, sysmon, ecs (comma-separated) or all.
    #[arg(long, default_value = "all", value_parser = Format::parse_list)]
    format: std::vec::Vec<Format>,
    /// Injected chains per million events (at least one per analytic whose OS is in the fleet).
    #[arg(long, default_value_t = 50.0)]
    chains_per_million: f64,
    /// Evasions applied to chains: `all`, `none`, or a list of deep-lineage, renamed-partial,
    /// late, out-of-order, pid-reuse, ip-only.
    #[arg(long, default_value = "all")]
    evasions: String,
    /// Probability of each chosen evasion per chain.
    #[arg(long, default_value_t = 0.2)]
    evasion_share: f64,
    /// The activity mix: `key=value,...` with keys browse, system, mail (weights), the rare
    /// episodes' per-host-hour rates (cdn_downloads_per_hour, risky_visits_per_hour,
    /// benign_clicks_per_hour, office_per_hour, updaters_per_hour, admin_per_hour,
    /// late_downloads_per_hour) and follow_on (probability).
    #[arg(long, value_name = "KEY=VALUE,...")]
    mix: Option<String>,
    /// Rule variants to inject beside the base chains, with their near misses: `all` or ids
    /// (office-lolbin, terminal-cradle, motw-removed-run, container-run, html-smuggling,
    /// macos-quarantine-stripped). Each label names the rules that must alert on its chain.
    #[arg(long, value_name = "ID,ID|all", value_parser = Variant::parse_list)]
    variants: Option<std::vec::Vec<Variant>>,
    /// Positives (and as many near misses) per variant on each host whose OS it applies to.
    #[arg(long, default_value_t = 2, requires = "variants")]
    variant_chains: usize,
}

fn mix(spec: &str) -> Result<Mix, String> {
    let mut m = Mix::default();
    for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (k, v) = item.split_once('=').ok_or_else(|| format!("`{item}` is not key=value"))?;
        let v: f64 = v.trim().parse().map_err(|_| format!("`{v}` is not a number"))?;
        m.set(k.trim(), v)?;
    }
    Ok(m)
}

fn evasions(list: &str, share: f64) -> Result<Evasions, String> {
    if !(0.0..=1.0).contains(&share) {
        return Err(format!("--evasion-share must be within 0 and 1, not {share}"));
    }
    match list.trim() {
        "all" => Ok(Evasions::all(share)),
        "none" => Ok(Evasions::none()),
        other => {
            let which: Vec<Evasion> = other.split(',').map(str::parse).collect::<Result<_, _>>()?;
            Ok(Evasions::only(&which, share))
        }
    }
}

pub fn run(a: SynthArgs) -> ExitCode {
    let evasions = match evasions(&a.evasions, a.evasion_share) {
        Ok(e) => e,
        Err(e) => {
            crate::say!("error: --evasions: {e}");
            return ExitCode::from(2);
        }
    };
    let mix = match a.mix.as_deref().map(mix).transpose() {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => {
            crate::say!("error: --mix: {e}");
            return ExitCode::from(2);
        }
    };
    let params = Params {
        mix,
        hosts: a.hosts.into(),
        events: a.events,
        duration: a.duration,
        rate: a.rate,
        seed: a.seed,
        depth: a.depth.into(),
        chains_per_million: a.chains_per_million,
        evasions,
        variants: a.variants.unwrap_or_default(),
        variant_chains: a.variant_chains,
        ..Params::default()
    };
    let total = params.total_events();
    let rate_ok = a.rate > 0.0 && a.rate.is_finite();
    let chains_ok = a.chains_per_million.is_finite() && a.chains_per_million >= 0.0;
    if !rate_ok || !chains_ok || total < 64 * params.hosts {
        crate::say!(
            "error: need a positive rate, chains per million >= 0 and at least 64 events per host ({total} events for {} hosts)",
            params.hosts
        );
        return ExitCode::from(2);
    }
    let stream = generate(&params);
    match write::to_dir(&stream, &a.out, &a.format) {
        Ok(files) => {
            // A closed stdout ends the listing; it is no error.
            let mut out = std::io::stdout().lock();
            for f in files {
                let _ = std::io::Write::write_fmt(&mut out, format_args!("{}: {}\n", f.path.display(), f.summary));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::say!("error: {e}");
            ExitCode::from(2)
        }
    }
}
