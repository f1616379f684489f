//! The auditd reader on mangled input: it never panics or hangs, accounts for every line, and
//! keeps its grouping buffer within bounds.

use clickchain_adapters::auditd::{AuditdReader, Limits};
use proptest::prelude::*;

const SCENARIO: &str = include_str!("scenarios/an0179-auditd-thunderbird-xdg-open-firefox-part.audit.log");

/// One way to damage a line.
#[derive(Debug, Clone)]
enum Damage {
    Keep,
    Truncate(usize),
    Insert(usize, u8),
    Drop,
    Duplicate,
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        6 => Just(Damage::Keep),
        1 => any::<usize>().prop_map(Damage::Truncate),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Insert(i, b)),
        1 => Just(Damage::Drop),
        1 => Just(Damage::Duplicate),
    ]
}

fn mangle(damages: &[Damage]) -> Vec<u8> {
    let mut out = Vec::new();
    for (line, d) in SCENARIO.lines().zip(damages.iter().cycle()) {
        let mut l = line.as_bytes().to_vec();
        match d {
            Damage::Keep => {}
            Damage::Truncate(i) => l.truncate(i % (l.len() + 1)),
            Damage::Insert(i, b) => l.insert(i % (l.len() + 1), *b),
            Damage::Drop => continue,
            Damage::Duplicate => {
                out.extend_from_slice(&l);
                out.push(b'\n');
            }
        }
        out.extend_from_slice(&l);
        out.push(b'\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mangled_logs_are_read_to_the_end(damages in proptest::collection::vec(damage(), 1..40), small in any::<bool>()) {
        let input = mangle(&damages);
        let lines = input.iter().filter(|&&b| b == b'\n').count() as u64;
        let limits = if small { Limits { max_open: 2, max_records: 3, ..Limits::default() } } else { Limits::default() };
        let mut reader = AuditdReader::new("m.log", &input[..]).limits(limits);
        let mut results = 0u64;
        for r in reader.by_ref() {
            results += 1;
            if let Err(e) = r {
                prop_assert!(e.to_string().starts_with("m.log:line "), "{e}");
            }
        }
        let c = reader.counters();
        prop_assert_eq!(c.lines, lines);
        prop_assert!(c.records <= lines);
        prop_assert!(c.events + c.rejected.values().sum::<u64>() == results);
    }
}
