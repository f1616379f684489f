//! The flood shapes: each writes its events, in order, to a sink, one at a time.
//!
//! Every shape runs on Linux-style hosts (pid keys) whose link root is a Firefox (pid 200) that
//! clicked a link, and ends with a canary: a fresh Firefox lineage that clicks, reaches an
//! untrusted domain and writes a script into Downloads one second after the flood's newest
//! event. The canary must alert after every flood: a flood that blinds the engine is a finding.

use clickchain_adapters::{Event, EventKind, FileOp, Origin, Os, ProcKey};

use super::Shape;
use crate::mkevent::{connect, create, dns, end, public_ip, start, Maker, T0_MS};

/// The flooded host (the hosts shape names its own).
pub const HOST: &str = "flood-0";
/// The browser every shape's lineage hangs from.
const BROWSER: u32 = 200;
const FIREFOX: &str = "/usr/lib/firefox/firefox";
/// The canary's file: the alert that shows the engine still detects after the flood.
pub const CANARY: &str = "/home/u/Downloads/canary-invoice.sh";
/// The file the deep lineage's last generation writes.
pub const DEEP_FILE: &str = "/home/u/Downloads/deep-invoice.sh";
/// Generations below the browser in the deep shape.
pub const DEEP_GENERATIONS: u32 = 10_000;
/// Bytes of each long command line and path.
pub const LONG_BYTES: usize = 10 << 20;

/// The shape's full size (the figure): domains, processes, hosts, generations, long
/// records, DNS answers, alternating events or partial downloads.
pub fn full_size(shape: Shape) -> u64 {
    match shape {
        Shape::Domains | Shape::Processes | Shape::Dns | Shape::Reorder => 1_000_000,
        Shape::Hosts | Shape::Partials => 100_000,
        Shape::Deep => u64::from(DEEP_GENERATIONS),
        Shape::Long => 20,
    }
}

/// Writes the shape's events at `size` (its full size times the scale) to `sink`.
pub fn feed(shape: Shape, size: u64, sink: &mut dyn FnMut(Event)) {
    let mut m = Maker::new(shape.name());
    let mut emit = |ms: i64, host: &str, kind: EventKind| sink(m.at(ms, host, Os::Linux, kind));
    // The desktop and a browser that clicked a link: the lineage the floods come from.
    emit(T0_MS, HOST, start(1, None, "/sbin/init", None));
    emit(T0_MS + 1, HOST, start(100, Some(1), "/usr/bin/gnome-shell", None));
    emit(T0_MS + 2, HOST, start(BROWSER, Some(100), FIREFOX, Some(format!("{FIREFOX} https://news-digest.top/today"))));
    let base = T0_MS + 1_000;
    let newest = match shape {
        Shape::Domains => {
            // One connection a millisecond from the browser, each to its own registrable domain.
            for i in 0..size {
                let name = format!("cdn.flood{i}.top");
                emit(base + i as i64, HOST, connect(BROWSER, public_ip(i as u32), Some(&name)));
            }
            base + size as i64
        }
        Shape::Processes => {
            // Processes that never exit, one a millisecond, on one host.
            for i in 0..size {
                emit(base + i as i64, HOST, start(1_000 + i as u32, Some(100), "/usr/bin/sleep", None));
            }
            base + size as i64
        }
        Shape::Hosts => {
            // `size` hosts with 100 processes each, that never exit: ten starts a millisecond,
            // the hosts taking turns.
            let mut n = 0i64;
            for k in 0..100u32 {
                for h in 0..size {
                    let parent = (k > 0).then_some(1_000);
                    let ev = start(1_000 + k, parent, "/usr/bin/sleep", None);
                    emit(base + n / 10, &format!("fleet-{h}"), ev);
                    n += 1;
                }
            }
            base + n / 10
        }
        Shape::Deep => {
            // `size` generations below the browser, one a millisecond; the last reaches an
            // untrusted domain and writes a script: it must alert.
            let mut parent = BROWSER;
            for d in 0..size as u32 {
                let pid = 10_000 + d;
                emit(base + i64::from(d), HOST, start(pid, Some(parent), "/usr/lib/firefox/helper", None));
                parent = pid;
            }
            let t = base + size as i64;
            emit(t, HOST, connect(parent, public_ip(7), Some("deep-drop.top")));
            emit(t + 1_000, HOST, create(parent, DEEP_FILE.to_owned()));
            t + 1_000
        }
        Shape::Long => {
            // Helpers of the browser with 10 MB command lines, writing files with 10 MB names.
            let filler = "A".repeat(LONG_BYTES);
            for i in 0..size {
                let pid = 1_000 + i as u32;
                let t = base + 10 * i as i64;
                let cmd = format!("/usr/bin/helper {filler} https://long-{i}.top/x");
                emit(t, HOST, start(pid, Some(BROWSER), "/usr/bin/helper", Some(cmd)));
                emit(t + 1, HOST, create(pid, format!("/home/u/Downloads/{filler}{i}.txt")));
                emit(t + 2, HOST, end(pid));
            }
            base + 10 * size as i64
        }
        Shape::Dns => {
            // Answers naming one address, each for another name, one a millisecond.
            let ip = public_ip(9);
            for i in 0..size {
                emit(base + i as i64, HOST, dns(Some(BROWSER), &format!("n{i}.shared-host.top"), ip));
            }
            emit(base + size as i64, HOST, connect(BROWSER, ip, None));
            base + size as i64
        }
        Shape::Reorder => {
            // Short processes whose times alternate between now and an hour later.
            for i in 0..size {
                let t = base + (i / 2) as i64 + if i % 2 == 1 { 3_600_000 } else { 0 };
                let pid = 1_000 + (i % 30_000) as u32;
                emit(t, HOST, start(pid, Some(100), "/usr/bin/true", None));
            }
            base + 3_600_000 + (size / 2) as i64
        }
        Shape::Partials => {
            // Partial downloads that are never renamed, one a millisecond.
            for i in 0..size {
                emit(base + i as i64, HOST, create(BROWSER, format!("/home/u/Downloads/f{i}.sh.part")));
            }
            base + size as i64
        }
    };
    canary(&mut emit, newest + 1_000);
}

/// A fresh link lineage after the flood: click, untrusted egress, a partial download renamed
/// into Downloads with its origin on the egress's domain.
fn canary(emit: &mut dyn FnMut(i64, &str, EventKind), t: i64) {
    let (pid, url) = (4_000_000, "https://canary-drop.top/invoice.sh");
    emit(t, HOST, start(pid, Some(100), FIREFOX, Some(format!("{FIREFOX} {url}"))));
    emit(t + 100, HOST, connect(pid, public_ip(77), Some("canary-drop.top")));
    emit(t + 500, HOST, create(pid, format!("{CANARY}.part")));
    let origin = Origin { url: Some(url.to_owned()), ..Origin::default() };
    let op = FileOp::Rename { from: format!("{CANARY}.part") };
    emit(
        t + 900,
        HOST,
        EventKind::FileWrite { proc: ProcKey::Pid(pid), path: CANARY.to_owned(), op, origin: Some(Box::new(origin)) },
    );
}
