//! What an alert says beyond its chain, gathered only when an alert is emitted (the hot path
//! keeps nothing for it but each process's command line and user): the lineage processes as
//! their sources logged them, evidence by role, the reasons in words, and a lossy-text flag.

use clickchain_adapters::SourceRef;
use clickchain_logic::Strength;

use super::emit::{image_label, ms};
use crate::alert::{secs, Alert, EvidenceRole, ProcessInfo, Reason, RoleEvidence, StrengthBasis};
use crate::domain::lexical::LabelStats;
use crate::host::proctable::Slot;
use crate::host::{ClickEntry, Dest, EgressEntry, Host, PendingWrite};
use crate::profile::Profile;

/// The chain an alert is built from, as [`enrich`] reads it.
pub(super) struct ChainParts<'a> {
    pub root: Slot,
    pub write: &'a PendingWrite,
    pub egress: Option<&'a EgressEntry>,
    pub click: Option<&'a ClickEntry>,
    pub strength: Option<Strength>,
    pub quarantine_missing: bool,
}

/// Fills the alert's `processes`, `evidence_by_role`, `reasons` and `replaced_invalid_utf8`.
pub(super) fn enrich(alert: &mut Alert, host: &Host, profile: &Profile, parts: &ChainParts<'_>) {
    alert.processes =
        lineage_slots(host, parts.root, parts.write.proc).into_iter().map(|s| process_info(host, s)).collect();
    alert.evidence_by_role = roles(host, parts);
    alert.reasons = reasons(profile, parts);
    alert.replaced_invalid_utf8 = holds_replacement(&*alert);
}

/// Slots from `root` down to `proc` (root first).
pub(super) fn lineage_slots(host: &Host, root: Slot, proc: Slot) -> Vec<Slot> {
    let mut chain = vec![proc];
    if proc != root {
        for a in host.procs.ancestors(proc) {
            chain.push(a);
            if a == root {
                break;
            }
        }
    }
    chain.reverse();
    chain
}

/// One process as its sources logged it.
pub(super) fn process_info(host: &Host, slot: Slot) -> ProcessInfo {
    let p = host.procs.get(slot);
    let details = p.details.as_deref();
    ProcessInfo {
        image: image_label(host, slot),
        pid: p.pid,
        process_id: p.id.as_ref().map(ToString::to_string),
        command_line: details.and_then(|d| d.command_line.as_deref()).map(str::to_owned),
        command_line_truncated: details.is_some_and(|d| d.command_line_truncated),
        user: p.user.as_deref().map(str::to_owned),
        start: p.start.map(ms),
    }
}

/// Each evidence record with its role, in chain order: lineage starts, click, DNS, egress,
/// write, rename, origin, and the run that made a file a quarantine candidate.
fn roles(host: &Host, parts: &ChainParts<'_>) -> Vec<RoleEvidence> {
    let mut out = Vec::new();
    let mut push = |role, source: &SourceRef| {
        let e = RoleEvidence { role, source: source.clone() };
        if !out.contains(&e) {
            out.push(e);
        }
    };
    let mut starts = lineage_slots(host, parts.root, parts.write.proc);
    if let Some(e) = parts.egress {
        starts.extend(lineage_slots(host, parts.root, e.proc));
    }
    for s in starts {
        if let Some(src) = &host.procs.get(s).source {
            push(EvidenceRole::Process, src);
        }
    }
    if let Some(k) = parts.click {
        push(EvidenceRole::Click, &k.source);
    }
    if let Some(e) = parts.egress {
        // Lowering records the connection first, then the DNS answer that named it; the answer
        // came first.
        for src in e.evidence.iter().skip(1) {
            push(EvidenceRole::Dns, src);
        }
        if let Some(src) = e.evidence.first() {
            push(EvidenceRole::Egress, src);
        }
    }
    // The write's records: a renamed download's partial file (when seen), then the write or
    // rename that gave the final name, then a run that made it a quarantine candidate.
    let w = parts.write;
    // A process anchor's record is its start, a lineage process's already.
    if w.anchor == crate::alert::Anchor::Process {
        return out;
    }
    let renamed = w.renamed_from.is_some();
    let final_at = usize::from(renamed && w.evidence.len() >= 2);
    for (i, src) in w.evidence.iter().enumerate() {
        let role = match i.cmp(&final_at) {
            std::cmp::Ordering::Less => EvidenceRole::Write,
            std::cmp::Ordering::Equal if renamed => EvidenceRole::Rename,
            std::cmp::Ordering::Equal => EvidenceRole::Write,
            std::cmp::Ordering::Greater => EvidenceRole::FollowOn,
        };
        push(role, src);
        if i == final_at && w.origin.is_some() {
            push(EvidenceRole::Origin, src);
        }
    }
    out
}

/// Why it alerted, in words: the destination's signals with their values and thresholds, the
/// click, and what set the strength.
fn reasons(profile: &Profile, parts: &ChainParts<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = parts.egress {
        out.extend(untrusted_reasons(&e.dest, profile.risk.threshold()));
        out.push(match parts.click {
            Some(k) => format!("click observed: `{}`", k.url),
            None => "click inferred: no URL was seen, the first untrusted egress stands for it".to_owned(),
        });
        out.push(strength_reason(profile, parts, e));
    }
    if parts.write.anchor == crate::alert::Anchor::Process {
        out.push("anchor: a process start in the link lineage whose command line is a download cradle".to_owned());
    }
    if parts.quarantine_missing {
        out.push(format!(
            "quarantine missing: an executable in a quarantine-policy folder got no com.apple.quarantine within {}",
            secs(profile.params.quarantine_grace)
        ));
    }
    out
}

/// Each risk signal of `dest`, with the value that set it off and the threshold it passed.
pub(crate) fn untrusted_reasons(dest: &Dest, threshold: u8) -> Vec<String> {
    let name = dest.domain.as_deref().unwrap_or("");
    let label = match (&dest.registrable, &dest.suffix) {
        (Some(r), Some(s)) => r.strip_suffix(s.as_str()).map_or(r.as_str(), |l| l.trim_end_matches('.')),
        _ => name.split('.').next().unwrap_or(""),
    };
    let stats = LabelStats::of(label);
    let risk = dest.risk;
    let below = risk < threshold;
    dest.reasons
        .iter()
        .map(|r| {
            let w = r.weight();
            match r {
                Reason::SuspiciousTld => format!(
                    "suspicious_tld: suffix `{}` is on the suspicious-TLD list (+{w}; untrusted by itself{})",
                    dest.suffix.as_deref().unwrap_or(""),
                    if below { format!(" although risk {risk} is below the threshold {threshold}") } else { String::new() }
                ),
                Reason::NewlyObserved => format!(
                    "newly_observed: `{}` was first seen after the warm-up (+{w}; untrusted by itself)",
                    dest.registrable.as_deref().unwrap_or(name)
                ),
                Reason::IpNoName => {
                    format!("ip_no_name: a public address was reached without a name (+{w}; untrusted by itself)")
                }
                Reason::DynamicDns => format!("dynamic_dns: `{name}` is under a dynamic-DNS provider (+{w})"),
                Reason::Punycode => format!("punycode: `{name}` has an internationalised (xn--) label (+{w})"),
                Reason::HighEntropy => format!(
                    "high_entropy: label `{label}` has {:.2} bits/char (threshold 3.0) and {:.0} % vowels (at most 20 %) (+{w})",
                    stats.entropy,
                    stats.ratio(stats.vowels) * 100.0
                ),
                Reason::ManyDigits => format!(
                    "many_digits: label `{label}` has {} digits, {:.0} % of it (thresholds 3 and 30 %) (+{w})",
                    stats.digits,
                    stats.ratio(stats.digits) * 100.0
                ),
                Reason::ManyHyphens => {
                    format!("many_hyphens: label `{label}` has {} hyphens (threshold 2) (+{w})", stats.hyphens)
                }
                Reason::LongName => {
                    format!("long_name: label `{label}` is {} characters (more than 20) (+{w})", stats.len)
                }
                Reason::RiskAtThreshold => format!("risk_at_threshold: risk {risk} is at or above the threshold {threshold}"),
                other => other.as_str().to_owned(),
            }
        })
        .collect()
}

/// What set the link's strength (`docs/design.md` "Strength").
pub(super) fn strength_reason(profile: &Profile, parts: &ChainParts<'_>, e: &EgressEntry) -> String {
    let w = parts.write;
    match parts.strength {
        Some(s) if w.anchor == crate::alert::Anchor::Process => format!(
            "{s}: the egress came {} after the download cradle started, within download_gap {}",
            secs(e.time - w.time),
            secs(profile.params.download_gap)
        ),
        Some(s) => strength_words(profile, w, e, s, strength_basis(profile, w, e)),
        None => "no chain strength: a quarantine finding alone".to_owned(),
    }
}

/// What sets the strength of the link from egress `e` to write `w`, as
/// `clickchain_logic::link_strength` decides it.
pub(super) fn strength_basis(profile: &Profile, w: &PendingWrite, e: &EgressEntry) -> StrengthBasis {
    match &w.origin_key {
        Some(key) if **key == *e.dest.key => StrengthBasis::OriginOnEgressDomain,
        Some(_) if w.origin_trusted => StrengthBasis::OriginTrusted,
        _ if w.time - e.time <= profile.params.download_gap => StrengthBasis::WithinDownloadGap,
        _ => StrengthBasis::BeyondDownloadGap,
    }
}

/// The strength a basis gives.
pub(super) fn strength_of(basis: StrengthBasis) -> Strength {
    match basis {
        StrengthBasis::OriginOnEgressDomain => Strength::Strong,
        StrengthBasis::WithinDownloadGap => Strength::Medium,
        _ => Strength::Weak,
    }
}

/// Strength `s` set by `basis`, in words with the numbers.
pub(super) fn strength_words(
    profile: &Profile,
    w: &PendingWrite,
    e: &EgressEntry,
    s: Strength,
    basis: StrengthBasis,
) -> String {
    let gap = w.time - e.time;
    let limit = profile.params.download_gap;
    let origin = w.origin.as_ref().and_then(|o| o.url.as_deref().or(o.referrer.as_deref())).unwrap_or("");
    let key = w.origin_key.as_deref().unwrap_or("-");
    match basis {
        StrengthBasis::OriginOnEgressDomain => {
            format!("{s}: the file's origin `{origin}` is on the egress's domain `{key}`")
        }
        StrengthBasis::OriginTrusted => {
            format!("{s}: the file's origin `{origin}` is on the trusted domain `{key}`, so it came from there")
        }
        StrengthBasis::WithinDownloadGap => {
            format!("{s}: the egress came {} before the write, within download_gap {}", secs(gap), secs(limit))
        }
        _ => format!("{s}: the egress came {} before the write, beyond download_gap {}", secs(gap), secs(limit)),
    }
}

/// Whether any string of a record holds U+FFFD, the mark a reader leaves for bytes that were
/// not valid text (serialised to look at every field; only done per emitted record).
pub(super) fn holds_replacement<T: serde::Serialize>(record: &T) -> bool {
    serde_json::to_string(record).is_ok_and(|j| j.contains('\u{fffd}'))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn dest(name: &str, registrable: &str, suffix: &str, risk: u8, reasons: Vec<Reason>) -> Dest {
        Dest {
            domain: Some(name.to_owned()),
            key: Arc::from(registrable),
            registrable: Some(registrable.to_owned()),
            suffix: Some(suffix.to_owned()),
            untrusted: true,
            risk,
            reasons,
        }
    }

    #[test]
    fn each_signal_names_its_value_and_threshold() {
        let d = dest(
            "x.qzxkvbnmw-7-3-9.com",
            "qzxkvbnmw-7-3-9.com",
            "com",
            100,
            vec![Reason::HighEntropy, Reason::ManyDigits, Reason::ManyHyphens, Reason::RiskAtThreshold],
        );
        let words = untrusted_reasons(&d, 60);
        assert!(words[0].starts_with("high_entropy: label `qzxkvbnmw-7-3-9` has "), "{words:?}");
        assert!(words[0].contains("(threshold 3.0)") && words[0].contains("(+40)"), "{words:?}");
        assert!(words[1].contains("has 3 digits, 20 %"), "{words:?}");
        assert!(words[2].contains("has 3 hyphens (threshold 2)"), "{words:?}");
        assert_eq!(words[3], "risk_at_threshold: risk 100 is at or above the threshold 60");
    }

    fn write_at(time: i64, origin_key: Option<&str>, origin_trusted: bool) -> PendingWrite {
        PendingWrite {
            time,
            ready: time,
            proc: 1,
            root: 0,
            path: "C:\\Users\\a\\Downloads\\x.exe".to_owned(),
            norm: "c:\\users\\a\\downloads\\x.exe".to_owned(),
            extension: Some("exe".to_owned()),
            high_risk_ext: true,
            renamed_from: None,
            origin: None,
            origin_key: origin_key.map(Arc::from),
            origin_trusted,
            quarantine_path: false,
            quarantine_candidate: false,
            evidence: Vec::new(),
            held: Default::default(),
            anchor: crate::alert::Anchor::Write,
        }
    }

    fn egress_at(time: i64, registrable: &str) -> EgressEntry {
        EgressEntry {
            time,
            proc: 1,
            ip: "203.0.113.7".parse().unwrap(),
            port: 443,
            dest: Arc::new(dest(registrable, registrable, "top", 30, vec![Reason::SuspiciousTld])),
            source: crate::alert::DomainSource::Event,
            evidence: Vec::new(),
            from_dns: false,
            dns_late: false,
        }
    }

    #[test]
    fn the_strength_basis_is_the_rules_link_strength() {
        let config = crate::Config::default();
        let profile = Profile::new(clickchain_adapters::Os::Windows, &config.windows, &config).unwrap();
        let e = egress_at(0, "a.top");
        let cases = [
            (write_at(300_000, Some("a.top"), false), StrengthBasis::OriginOnEgressDomain),
            (write_at(10_000, Some("b.com"), true), StrengthBasis::OriginTrusted),
            (write_at(120_000, None, false), StrengthBasis::WithinDownloadGap),
            (write_at(120_001, None, false), StrengthBasis::BeyondDownloadGap),
            (write_at(10_000, Some("b.top"), false), StrengthBasis::WithinDownloadGap),
        ];
        for (w, want) in cases {
            let basis = strength_basis(&profile, &w, &e);
            assert_eq!(basis, want, "{:?}", w.origin_key);
            let (od, d) = (
                if w.origin_key.is_some() {
                    1 + u32::from(w.origin_key.as_deref() != Some("a.top"))
                } else {
                    clickchain_logic::NONE
                },
                1,
            );
            let rule =
                clickchain_logic::link_strength(od, w.origin_trusted, d, e.time, w.time, profile.params.download_gap);
            assert_eq!(strength_of(basis), rule, "{want:?}");
        }
        let words = strength_words(
            &profile,
            &write_at(120_001, None, false),
            &e,
            Strength::Weak,
            StrengthBasis::BeyondDownloadGap,
        );
        assert_eq!(words, "weak: the egress came 120.001 s before the write, beyond download_gap 120 s");
    }

    #[test]
    fn a_suspicious_tld_says_it_decides_alone_below_the_threshold() {
        let words =
            untrusted_reasons(&dest("dl.invoice.top", "invoice.top", "top", 30, vec![Reason::SuspiciousTld]), 60);
        assert_eq!(
            words,
            ["suspicious_tld: suffix `top` is on the suspicious-TLD list (+30; untrusted by itself although risk 30 is below the threshold 60)"]
        );
        let at = untrusted_reasons(&dest("a.top", "a.top", "top", 60, vec![Reason::SuspiciousTld]), 60);
        assert!(!at[0].contains("below"), "{at:?}");
    }
}
