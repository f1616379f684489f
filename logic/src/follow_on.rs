//! Stage 2: follow-on activity for chains that already alerted (enrichment; `docs/design.md`
//! "Follow-ons").
//!
//! Stage 1's alerts come back in as [`Alerted`] facts; this program never re-derives a chain.

use crate::rules::{RuleHeader, Status};
use crate::{FxBuildHasher, Id, Time};

/// The follow-on stage as a rule unit: its header, listed by `clickchain rules` after the chain
/// rules. It is not selected: it runs for every alert of every enabled rule.
pub const FOLLOW_ON: RuleHeader = RuleHeader {
    id: "follow-on",
    title: "What an alerted download did next: it ran, a LOLBIN used it or ran below it, its protection was removed",
    hypothesis: "A malicious link's payload is meant to run: the file itself starting, a LOLBIN given its path or \
                 started below the link lineage or the payload, or its Mark-of-the-Web or quarantine flag removed, \
                 before the chain's window closes, turns a risky download into an executed one",
    attack: &["T1204.002", "T1218", "T1553.005"],
    refines: &["AN0178", "AN0179", "AN0180"],
    data: &["alerted", "lineage", "exec", "mentions", "removal"],
    false_positives: "A user who opens a benign download right away, or installs it with a system tool",
    status: Status::Stable,
    hold: 0,
};

/// A chain that alerted: the follow-on window is `[write time, deadline]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Alerted {
    /// Caller's identifier of the alert.
    pub alert: Id,
    /// The written file.
    pub file: Id,
    /// The chain's link root.
    pub root: Id,
    /// When the file was written.
    pub time: Time,
    /// End of the chain's window (click time + TimeWindow).
    pub deadline: Time,
}

/// A process start that may be follow-on activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Exec {
    /// The new process.
    pub proc: Id,
    /// When it started.
    pub time: Time,
    /// The file its image is, when that is an alerted file; else [`crate::NONE`].
    pub image_file: Id,
    /// Its image is a LOLBIN.
    pub lolbin: bool,
}

/// A file's protection (MotW / quarantine) was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Removal {
    /// The file.
    pub file: Id,
    /// The process that removed it.
    pub proc: Id,
    /// When.
    pub time: Time,
}

/// All facts for one follow-on evaluation of one host.
#[derive(Debug, Clone, Default)]
pub struct FollowOnFacts {
    /// `(child, parent)` edges for the processes involved.
    pub parent: Vec<(Id, Id)>,
    /// Alerted chains still within their window.
    pub alerted: Vec<Alerted>,
    /// `(alert, process)`: processes already known to run an alerted file (from earlier batches).
    pub payload: Vec<(Id, Id)>,
    /// Candidate process starts.
    pub exec: Vec<Exec>,
    /// `(process, file)`: the process's command line names the file.
    pub mentions: Vec<(Id, Id)>,
    /// Protection removals.
    pub removal: Vec<Removal>,
}

/// What kind of follow-on activity was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FollowOnKind {
    /// The written file itself ran.
    Executed,
    /// A LOLBIN ran with the file on its command line.
    LolbinWithFile,
    /// A LOLBIN ran as a descendant of the link lineage, or of a process that ran the file.
    LolbinChild,
    /// The file's MotW or quarantine flag was removed.
    ProtectionRemoved,
}

impl FollowOnKind {
    /// The snake_case name used in follow-on records.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowOnKind::Executed => "executed",
            FollowOnKind::LolbinWithFile => "lolbin_with_file",
            FollowOnKind::LolbinChild => "lolbin_child",
            FollowOnKind::ProtectionRemoved => "protection_removed",
        }
    }

    fn from_u8(v: u8) -> FollowOnKind {
        match v {
            0 => FollowOnKind::Executed,
            1 => FollowOnKind::LolbinWithFile,
            2 => FollowOnKind::LolbinChild,
            _ => FollowOnKind::ProtectionRemoved,
        }
    }
}

impl std::fmt::Display for FollowOnKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One follow-on finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FollowOnMatch {
    /// The alert it belongs to.
    pub alert: Id,
    /// What was seen.
    pub kind: FollowOnKind,
    /// The process that did it.
    pub proc: Id,
    /// When.
    pub time: Time,
}

mod program {
    #![allow(missing_docs, clippy::all)]
    use crepe::crepe;

    crepe! {
        @input
        pub struct Parent(pub u32, pub u32);
        // alert, file, root, write time, deadline
        @input
        pub struct Alerted(pub u32, pub u32, pub u32, pub i64, pub i64);
        @input
        pub struct Payload(pub u32, pub u32);
        // proc, time, image file, lolbin
        @input
        pub struct Exec(pub u32, pub i64, pub u32, pub bool);
        @input
        pub struct Mentions(pub u32, pub u32);
        // file, proc, time
        @input
        pub struct Removal(pub u32, pub u32, pub i64);

        struct Ancestor(u32, u32);
        Ancestor(c, p) <- Parent(c, p);
        Ancestor(c, a) <- Ancestor(c, p), Parent(p, a);

        struct InWindow(u32, u32, i64);
        InWindow(a, p, t) <- Alerted(a, _, _, tw, dl), Exec(p, t, _, _), (t >= tw && t <= dl);

        // kind: 0 executed, 1 LOLBIN with the file, 2 LOLBIN child, 3 protection removed
        @output
        pub struct FollowOn(pub u32, pub u8, pub u32, pub i64);
        FollowOn(a, 0, p, t) <- Alerted(a, f, _, _, _), Exec(p, t, f, _), InWindow(a, p, t);

        struct Runs(u32, u32);
        Runs(a, p) <- FollowOn(a, 0, p, _);
        Runs(a, p) <- FollowOn(a, 1, p, _);
        Runs(a, p) <- Payload(a, p);

        FollowOn(a, 1, p, t) <- Alerted(a, f, _, _, _), Exec(p, t, _, true), Mentions(p, f), InWindow(a, p, t);
        FollowOn(a, 2, p, t) <- Alerted(a, _, r, _, _), Exec(p, t, _, true), Ancestor(p, r), InWindow(a, p, t);
        FollowOn(a, 2, p, t) <- Runs(a, x), Exec(p, t, _, true), Ancestor(p, x), InWindow(a, p, t);
        FollowOn(a, 3, p, t) <- Alerted(a, f, _, tw, dl), Removal(f, p, t), (t >= tw && t <= dl);
    }
}

/// Runs stage 2 over one host's facts.
pub fn evaluate_follow_on(facts: &FollowOnFacts) -> Vec<FollowOnMatch> {
    use program::*;
    let mut rt = Crepe::new();
    rt.extend(facts.parent.iter().map(|&(c, p)| Parent(c, p)));
    rt.extend(facts.alerted.iter().map(|a| Alerted(a.alert, a.file, a.root, a.time, a.deadline)));
    rt.extend(facts.payload.iter().map(|&(a, p)| Payload(a, p)));
    rt.extend(facts.exec.iter().map(|e| Exec(e.proc, e.time, e.image_file, e.lolbin)));
    rt.extend(facts.mentions.iter().map(|&(p, f)| Mentions(p, f)));
    rt.extend(facts.removal.iter().map(|r| Removal(r.file, r.proc, r.time)));
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    let mut out: Vec<FollowOnMatch> = found
        .into_iter()
        .map(|FollowOn(alert, kind, proc, time)| FollowOnMatch { alert, kind: FollowOnKind::from_u8(kind), proc, time })
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NONE;

    fn alerted() -> Alerted {
        Alerted { alert: 1, file: 10, root: 0, time: 100, deadline: 1_000 }
    }

    fn exec(proc: Id, time: Time, image_file: Id, lolbin: bool) -> Exec {
        Exec { proc, time, image_file, lolbin }
    }

    fn kinds(f: &FollowOnFacts) -> Vec<(FollowOnKind, Id)> {
        evaluate_follow_on(f).into_iter().map(|m| (m.kind, m.proc)).collect()
    }

    #[test]
    fn executed_file_and_its_lolbin_child() {
        // root 0 -> 5 (runs the file) -> 6 (cmd.exe); 7 runs the file after the deadline
        let f = FollowOnFacts {
            parent: vec![(6, 5)],
            alerted: vec![alerted()],
            exec: vec![exec(5, 200, 10, false), exec(6, 300, NONE, true), exec(7, 1_001, 10, false)],
            ..FollowOnFacts::default()
        };
        assert_eq!(kinds(&f), vec![(FollowOnKind::Executed, 5), (FollowOnKind::LolbinChild, 6)]);
    }

    #[test]
    fn payload_from_an_earlier_batch_still_counts() {
        let f = FollowOnFacts {
            parent: vec![(6, 5)],
            alerted: vec![alerted()],
            payload: vec![(1, 5)],
            exec: vec![exec(6, 300, NONE, true)],
            ..FollowOnFacts::default()
        };
        assert_eq!(kinds(&f), vec![(FollowOnKind::LolbinChild, 6)]);
    }

    #[test]
    fn lolbin_naming_the_file_and_lineage_lolbin() {
        let f = FollowOnFacts {
            parent: vec![(3, 2), (2, 0)],
            alerted: vec![alerted()],
            exec: vec![exec(3, 150, NONE, true), exec(4, 160, NONE, true), exec(8, 170, NONE, false)],
            mentions: vec![(4, 10), (8, 10)],
            ..FollowOnFacts::default()
        };
        assert_eq!(kinds(&f), vec![(FollowOnKind::LolbinWithFile, 4), (FollowOnKind::LolbinChild, 3)]);
    }

    #[test]
    fn protection_removed_within_window_only() {
        let f = FollowOnFacts {
            alerted: vec![alerted()],
            removal: vec![Removal { file: 10, proc: 4, time: 500 }, Removal { file: 10, proc: 4, time: 50 }],
            ..FollowOnFacts::default()
        };
        assert_eq!(kinds(&f), vec![(FollowOnKind::ProtectionRemoved, 4)]);
    }
}
