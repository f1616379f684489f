//! The `windows` report: every input against its floor in interleaved rounds, then in
//! back-to-back pairs ([`Paired`]) against the Windows targets (`docs/performance.md` "Goals").

use std::path::{Path, PathBuf};

use super::{
    evtx_floor, json_floor, reader, scan, scan_with, write_repeated_evtx, write_sysmon_json, Rate, DEFAULT, TWO,
};
use crate::paired::Paired;
use clickchain_bench::synth::Params;

/// The files the report writes (and its caller removes), and the real Sysmon JSON it reads.
pub struct Files {
    /// The synthetic Sysmon JSON.
    pub json: PathBuf,
    /// The large EVTX file, and how many copies of the small one's chunks it holds.
    pub big_evtx: PathBuf,
    pub evtx_copies: usize,
    /// A real flattened Sysmon JSON recording, read `real_repeat` times (when it is there).
    pub real_json: PathBuf,
    pub real_repeat: usize,
}

/// One input: its file, passes over it (each `scan` pass with a fresh engine), its floor.
struct Input<'a> {
    name: String,
    path: &'a Path,
    passes: usize,
    json: bool,
}

impl Input<'_> {
    fn floor(&self) -> anyhow::Result<Rate> {
        if self.json {
            json_floor(self.path, self.passes)
        } else {
            evtx_floor(self.path, self.passes)
        }
    }

    /// The target for `scan` against this input's floor.
    fn target(&self) -> f64 {
        if self.json {
            0.70
        } else {
            0.80
        }
    }

    fn default(&self) -> anyhow::Result<Rate> {
        scan_with(self.path, self.passes, "scan", DEFAULT).map(|r| r.0)
    }

    fn one_thread(&self) -> anyhow::Result<Rate> {
        scan(self.path, self.passes, "scan").map(|r| r.0)
    }
}

/// What the rounds measured of one input: its floor, then each way of reading it.
struct Runs {
    rates: Vec<Rate>,
    rounds: Vec<Vec<f64>>,
    events: u64,
}

impl Runs {
    fn new() -> Runs {
        Runs { rates: Vec::new(), rounds: Vec::new(), events: 0 }
    }

    /// Adds one round's rates (the floor first), keeping the fastest of each.
    fn add(&mut self, round: Vec<Rate>) {
        self.rounds.push(round.iter().map(Rate::per_sec).collect());
        if self.rates.is_empty() {
            self.rates = round;
            return;
        }
        for (best, r) in self.rates.iter_mut().zip(round) {
            if r.secs < best.secs {
                *best = r;
            }
        }
    }

    /// Measurement `i` against the floor: fastest against fastest, and the median of the
    /// rounds' own ratios (each round measures the floor and the rest back to back, so a slow
    /// spell of a shared machine hits both sides of its ratio).
    fn ratios(&self, i: usize) -> (f64, f64) {
        let fastest = self.rates[i].per_sec() / self.rates[0].per_sec();
        let per_round = Paired::from_ratios(self.rounds.iter().map(|r| r[i] / r[0]).collect());
        (fastest, per_round.median())
    }
}

/// The report: each floor, each way of reading, their ratio; every measurement run `runs`
/// times, interleaved (so that a slow spell of a shared machine hits all of them); then each
/// floor and `scan` in `pairs` back-to-back pairs.
pub fn report(
    evtx: &Path,
    repeat: usize,
    runs: usize,
    pairs: usize,
    files: &Files,
    params: &Params,
) -> anyhow::Result<()> {
    let records = write_sysmon_json(params, &files.json)?;
    // At least one copy: an EVTX file of no chunk has no rate to compare.
    let copies = files.evtx_copies.max(1);
    let big_bytes = write_repeated_evtx(evtx, copies, &files.big_evtx)?;
    let file_name = |p: &Path| p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let name = file_name(evtx);
    let mut inputs = vec![
        Input { name: format!("{name} ×{repeat}"), path: evtx, passes: repeat, json: false },
        Input {
            name: format!("{name}'s chunks ×{copies} in one file ({:.1} MiB)", big_bytes as f64 / 1048576.0),
            path: &files.big_evtx,
            passes: 1,
            json: false,
        },
        Input { name: format!("synthetic Sysmon JSON ({records} records)"), path: &files.json, passes: 1, json: true },
    ];
    let real = files.real_json.as_path();
    if real.exists() {
        let passes = files.real_repeat.max(1);
        let name = format!("real Sysmon JSON, {} ×{passes}", file_name(real));
        inputs.push(Input { name, path: real, passes, json: true });
    } else {
        println!("(real Sysmon JSON not measured: {} not found)\n", real.display());
    }
    // One untimed pass of each over the small EVTX file first (page cache, allocator).
    evtx_floor(evtx, 1)?;
    scan(evtx, 1, "warm-up")?;
    let mut measured: Vec<Runs> = inputs.iter().map(|_| Runs::new()).collect();
    for _ in 0..runs.max(1) {
        for (input, runs) in inputs.iter().zip(&mut measured) {
            let (one, events) = scan(input.path, input.passes, "scan --threads 1")?;
            runs.events = events;
            runs.add(vec![
                input.floor()?,
                reader(input.path, input.passes, "reader only, no engine")?.0,
                one,
                scan_with(input.path, input.passes, "scan (default: parsing beside the engine)", DEFAULT)?.0,
                scan_with(input.path, input.passes, "scan --threads 2", TWO)?.0,
            ]);
        }
    }
    println!("Fastest of {} interleaved runs each.", runs.max(1));
    println!();
    println!("| input | measured | records | seconds | records/s | / floor, fastest | / floor, median of rounds |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (input, runs) in inputs.iter().zip(&measured) {
        for (i, r) in runs.rates.iter().enumerate() {
            let (fastest, median) = runs.ratios(i);
            println!(
                "| {} | {} | {} | {:.3} | {:.0} | {fastest:.2} | {median:.2} |",
                input.name,
                r.what,
                r.items,
                r.secs,
                r.per_sec()
            );
        }
    }
    println!();
    let events: Vec<String> =
        inputs.iter().zip(&measured).map(|(i, r)| format!("{} from {}", r.events, i.name)).collect();
    println!("Events: {}.", events.join("; "));
    println!();
    paired_report(&inputs, pairs)
}

/// Each floor and `scan` as the CLI runs it by default (on JSON with `-j 1` too), in `pairs`
/// back-to-back pairs, against the Windows targets.
fn paired_report(inputs: &[Input], pairs: usize) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for input in inputs {
        let default = Paired::measure(pairs, || input.floor(), || input.default())?;
        rows.push((input, "scan (default)", Some(input.target()), default));
        if input.json {
            let one = Paired::measure(pairs, || input.floor(), || input.one_thread())?;
            rows.push((input, "scan --threads 1", None, one));
        }
    }
    println!(
        "Paired: each floor and `scan`, back to back, {} times, the floor first in every other pair; \
         rate / floor's rate per pair.",
        pairs.max(1)
    );
    println!();
    println!("| input | measured | median | quartiles | lowest-highest | target |");
    println!("|---|---|---:|---:|---:|---|");
    for (input, what, target, p) in rows {
        let (low, high) = p.range();
        let target = match target {
            Some(t) if p.median() >= t => format!("{t:.2}: met by the median"),
            Some(t) => format!("{t:.2}: **not met** by the median"),
            None => "-".to_owned(),
        };
        println!(
            "| {} | {what} | {:.2} | {:.2}-{:.2} | {low:.2}-{high:.2} | {target} |",
            input.name,
            p.median(),
            p.quantile(0.25),
            p.quantile(0.75)
        );
    }
    Ok(())
}
