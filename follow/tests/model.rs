//! Model-based test: random sequences of writes, rotations, truncations, deletions and new files
//! in a watched folder; every line written reaches the follower once, in order within its file.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use clickchain_follow::{FileFilter, FileId, Follower};
use common::{append, poll};
use proptest::prelude::*;

/// Files `f0.log` .. `f2.log`; rotated and copied names end in a number, outside the filter.
const FILES: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    AppendLines { file: usize, count: usize },
    AppendPartial { file: usize },
    CompletePartial { file: usize },
    RotateByRename { file: usize },
    CopyTruncate { file: usize },
    Delete { file: usize },
    Create { file: usize },
    Poll,
}

fn op() -> impl Strategy<Value = Op> {
    let file = 0..FILES;
    prop_oneof![
        4 => (file.clone(), 1..4usize).prop_map(|(file, count)| Op::AppendLines { file, count }),
        2 => file.clone().prop_map(|file| Op::AppendPartial { file }),
        2 => file.clone().prop_map(|file| Op::CompletePartial { file }),
        1 => file.clone().prop_map(|file| Op::RotateByRename { file }),
        1 => file.clone().prop_map(|file| Op::CopyTruncate { file }),
        1 => file.clone().prop_map(|file| Op::Delete { file }),
        1 => file.prop_map(|file| Op::Create { file }),
        3 => Just(Op::Poll),
    ]
}

/// One file's life between its creation and its rotation or deletion, as the model sees it.
struct Incarnation {
    id: FileId,
    /// Bytes after its last newline.
    partial: Vec<u8>,
    /// The follower began inside a line: the first line completed is not delivered.
    skip_first: bool,
    /// A scan has seen it (a file that lived only between two scans is never followed).
    seen: bool,
    /// The lines it should deliver, in order.
    lines: Vec<Vec<u8>>,
}

struct Model {
    dir: PathBuf,
    live: Vec<Option<Incarnation>>,
    /// Incarnations that left their path, in that order (a file identity is reused only after
    /// the follower let its earlier holder go, so this is also their order per identity).
    retired: Vec<Incarnation>,
    counter: usize,
}

impl Model {
    fn path(&self, file: usize) -> PathBuf {
        self.dir.join(format!("f{file}.log"))
    }

    fn fresh_name(&mut self, file: usize) -> PathBuf {
        self.counter += 1;
        self.dir.join(format!("f{file}.log.{}", self.counter))
    }

    /// Writes `bytes` to `file` (creating a new incarnation if there is none) and records the
    /// lines they complete.
    fn write(&mut self, file: usize, bytes: &[u8]) {
        let path = self.path(file);
        append(&path, bytes);
        if self.live[file].is_none() {
            self.live[file] = Some(new_incarnation(&path));
        }
        let Some(inc) = self.live[file].as_mut() else { return };
        for &byte in bytes {
            if byte != b'\n' {
                inc.partial.push(byte);
                continue;
            }
            let line = std::mem::take(&mut inc.partial);
            if std::mem::take(&mut inc.skip_first) {
                continue;
            }
            inc.lines.push(line);
        }
    }

    /// The incarnation of `file` leaves its path: a seen one is drained (its unterminated last
    /// line delivered), an unseen one was never followed.
    fn retire(&mut self, file: usize) {
        let Some(mut inc) = self.live[file].take() else { return };
        if inc.seen && !inc.partial.is_empty() && !inc.skip_first {
            inc.lines.push(std::mem::take(&mut inc.partial));
        }
        self.retired.push(inc);
    }

    fn next_text(&mut self, kind: &str) -> String {
        self.counter += 1;
        format!("{kind}{}", self.counter)
    }
}

fn new_incarnation(path: &Path) -> Incarnation {
    let meta = fs::metadata(path).expect("just written");
    Incarnation { id: FileId::of(&meta, path), partial: Vec::new(), skip_first: false, seen: false, lines: Vec::new() }
}

/// Scans and files every line under its file's identity.
fn scan(follower: &mut Follower, model: &mut Model, delivered: &mut BTreeMap<FileId, Vec<Vec<u8>>>) {
    let polled = poll(follower);
    assert!(
        polled.errors.iter().all(|e| matches!(e, clickchain_follow::FollowError::Truncated { .. })),
        "{:?}",
        polled.errors
    );
    for line in polled.lines {
        delivered.entry(line.file).or_default().push(line.text);
    }
    for inc in model.live.iter_mut().flatten() {
        inc.seen = true;
    }
}

fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Model {
        dir: dir.path().to_path_buf(),
        live: (0..FILES).map(|_| None).collect(),
        retired: Vec::new(),
        counter: 0,
    };
    // Before the follower starts: f0 ends inside a line, f1 on a line end; neither is delivered.
    append(&model.path(0), b"old\nhalf");
    append(&model.path(1), b"old\n");
    for file in 0..2 {
        let mut inc = new_incarnation(&model.path(file));
        inc.skip_first = file == 0;
        inc.partial = if file == 0 { b"half".to_vec() } else { Vec::new() };
        model.live[file] = Some(inc);
    }
    let mut follower = Follower::new(common::config()).unwrap();
    follower.add_folder(dir.path(), FileFilter::glob("*.log"));
    let mut delivered = BTreeMap::new();
    scan(&mut follower, &mut model, &mut delivered);

    for op in ops {
        match op {
            Op::AppendLines { file, count } => {
                let text: String = (0..count).map(|_| model.next_text("line") + "\n").collect();
                model.write(file, text.as_bytes());
            }
            Op::AppendPartial { file } => {
                let text = model.next_text("part");
                model.write(file, text.as_bytes());
            }
            Op::CompletePartial { file } => {
                let text = model.next_text("end") + "\n";
                model.write(file, text.as_bytes());
            }
            Op::RotateByRename { file } if model.live[file].is_some() => {
                let rotated = model.fresh_name(file);
                fs::rename(model.path(file), rotated).unwrap();
                model.retire(file);
                model.write(file, b"");
            }
            Op::CopyTruncate { file } if model.live[file].is_some() => {
                // The follower is up to date when the copy is made, and looks again before the
                // writer refills the file past the old offset (the race the docs describe).
                scan(&mut follower, &mut model, &mut delivered);
                let copy = model.fresh_name(file);
                fs::copy(model.path(file), copy).unwrap();
                common::truncate(&model.path(file));
                if let Some(inc) = model.live[file].as_mut() {
                    inc.partial.clear();
                    inc.skip_first = false;
                }
                scan(&mut follower, &mut model, &mut delivered);
            }
            Op::Delete { file } if model.live[file].is_some() => {
                fs::remove_file(model.path(file)).unwrap();
                model.retire(file);
            }
            Op::Create { file } if model.live[file].is_none() => model.write(file, b""),
            Op::Poll => scan(&mut follower, &mut model, &mut delivered),
            _ => {}
        }
    }
    // Two scans: the first drains and lets go what left its path, the second finds nothing new.
    scan(&mut follower, &mut model, &mut delivered);
    scan(&mut follower, &mut model, &mut delivered);
    let mut expected: BTreeMap<FileId, Vec<Vec<u8>>> = BTreeMap::new();
    let everything = model.retired.into_iter().chain(model.live.into_iter().flatten());
    for inc in everything.filter(|inc| inc.seen && !inc.lines.is_empty()) {
        expected.entry(inc.id).or_default().extend(inc.lines);
    }
    assert_eq!(delivered, expected);
    assert_eq!(follower.stats().overlong_lines, 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn lines_delivered_equal_lines_written_once_each_in_order(ops in proptest::collection::vec(op(), 1..40)) {
        run(ops);
    }
}
