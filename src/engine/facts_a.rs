//! Fact kinds built only for the rules that read them (`docs/rules.md`, "Facts"): LOLBIN and
//! terminal processes, classified command lines, destination risk reasons, per-egress DNS
//! evidence, and the download-cradle anchors.

use clickchain_logic::{ChainFacts, CmdClass, Cradle, DnsEvidence, Id, RiskReason};

use super::local::Local;
use crate::alert::{Anchor, DomainSource, Reason};
use crate::host::{EgressEntry, Host, PendingWrite};
use crate::profile::Profile;

/// Terminal emulators (image names, lowercase): what a user pastes a command into.
const TERMINALS: &[&str] = &[
    "gnome-terminal",
    "gnome-terminal-server",
    "gnome-terminal.real",
    "konsole",
    "xterm",
    "uxterm",
    "x-terminal-emulator",
    "xfce4-terminal",
    "alacritty",
    "kitty",
    "tilix",
    "terminator",
    "mate-terminal",
    "lxterminal",
    "terminal",
    "iterm2",
    "windowsterminal.exe",
    "wt.exe",
];

/// A process-start anchor's facts (a download cradle): `true` when `w` is one (then it is no
/// write fact).
pub(super) fn anchor(host: &Host, local: &mut Local, facts: &mut ChainFacts, id: Id, w: &PendingWrite) -> bool {
    if w.anchor != Anchor::Process {
        return false;
    }
    let proc = local.rooted(host, w.proc);
    facts.cradle.push(Cradle { id, proc, time: w.time });
    true
}

/// The facts of one carried egress (`id`), for the rules that read them.
pub(super) fn egress(profile: &Profile, facts: &mut ChainFacts, id: Id, domain: Id, e: &EgressEntry) {
    if profile.wants("risk") {
        for &r in &e.dest.reasons {
            if !facts.risk.contains(&(domain, risk_reason(r))) {
                facts.risk.push((domain, risk_reason(r)));
            }
        }
    }
    if profile.wants("egress_dns") {
        facts.egress_dns.push((id, dns_evidence(e)));
    }
}

/// The per-process facts of every process in the evaluation, for the rules that read them.
pub(super) fn processes(host: &Host, profile: &Profile, local: &Local, facts: &mut ChainFacts) {
    let (lolbin, terminal, cmd) = (profile.wants("lolbin"), profile.wants("terminal"), profile.wants("cmd_class"));
    if !(lolbin || terminal || cmd) {
        return;
    }
    for (id, &slot) in local.slots.iter().enumerate() {
        let id = id as Id;
        if lolbin && host.procs.get(slot).lolbin {
            facts.lolbin.push(id);
        }
        if terminal && is_terminal(host, profile, slot) {
            facts.terminal.push(id);
        }
        if cmd {
            facts.cmd_class.extend(cmd_classes(host, profile, slot).into_iter().map(|c| (id, c)));
        }
    }
}

/// Whether process `slot` is a terminal emulator (`terminal`).
pub(super) fn is_terminal(host: &Host, profile: &Profile, slot: crate::host::proctable::Slot) -> bool {
    let image = &host.procs.get(slot).image;
    TERMINALS.contains(&crate::paths::image_name(image, profile.paths.os()).as_str())
}

/// The classes of process `slot`'s command line (`cmd_class`); none without one.
pub(super) fn cmd_classes(host: &Host, profile: &Profile, slot: crate::host::proctable::Slot) -> Vec<CmdClass> {
    let p = host.procs.get(slot);
    let Some(line) = p.details.as_ref().and_then(|d| d.command_line.as_deref()) else { return Vec::new() };
    let user_file = |path: &str| profile.paths.classify(path).user_path;
    crate::lower::classify_command_line(line, p.lolbin, user_file)
}

/// How an egress got its destination's name.
pub(super) fn dns_evidence(e: &EgressEntry) -> DnsEvidence {
    match e.source {
        _ if e.from_dns => DnsEvidence::DnsOnly,
        DomainSource::Dns if e.dns_late => DnsEvidence::DnsLate,
        DomainSource::Dns => DnsEvidence::DnsBefore,
        DomainSource::Event => DnsEvidence::ConnectName,
        DomainSource::ClickUrl => DnsEvidence::ClickUrl,
        DomainSource::None => DnsEvidence::None,
    }
}

/// The rules' name of a risk reason (one to one: a new reason fails to compile here).
fn risk_reason(r: Reason) -> RiskReason {
    match r {
        Reason::AllowedCdn => RiskReason::AllowedCdn,
        Reason::AllowedCidr => RiskReason::AllowedCidr,
        Reason::SuspiciousTld => RiskReason::SuspiciousTld,
        Reason::NewlyObserved => RiskReason::NewlyObserved,
        Reason::DynamicDns => RiskReason::DynamicDns,
        Reason::Punycode => RiskReason::Punycode,
        Reason::HighEntropy => RiskReason::HighEntropy,
        Reason::ManyDigits => RiskReason::ManyDigits,
        Reason::ManyHyphens => RiskReason::ManyHyphens,
        Reason::LongName => RiskReason::LongName,
        Reason::IpNoName => RiskReason::IpNoName,
        Reason::RiskAtThreshold => RiskReason::RiskAtThreshold,
        Reason::NewlyObservedNoHistory => RiskReason::NewlyObservedNoHistory,
        Reason::UntrustedCidr => RiskReason::UntrustedCidr,
        Reason::MixedScript => RiskReason::MixedScript,
        Reason::BrandLookalike => RiskReason::BrandLookalike,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::host::Dest;

    fn entry(source: DomainSource, from_dns: bool, dns_late: bool, reasons: Vec<Reason>) -> EgressEntry {
        let dest = Dest {
            domain: Some("x.top".into()),
            key: Arc::from("x.top"),
            registrable: Some("x.top".into()),
            suffix: Some("top".into()),
            untrusted: true,
            risk: 70,
            reasons,
        };
        let ip = "203.0.113.9".parse().expect("an address");
        EgressEntry {
            time: 0,
            proc: 0,
            ip,
            port: 443,
            dest: Arc::new(dest),
            source,
            evidence: Vec::new(),
            from_dns,
            dns_late,
        }
    }

    #[test]
    fn dns_evidence_tells_every_way_a_name_came() {
        let of = |s, from_dns, late| dns_evidence(&entry(s, from_dns, late, Vec::new()));
        assert_eq!(of(DomainSource::Dns, false, false), DnsEvidence::DnsBefore);
        assert_eq!(of(DomainSource::Dns, false, true), DnsEvidence::DnsLate);
        assert_eq!(of(DomainSource::Dns, true, false), DnsEvidence::DnsOnly);
        assert_eq!(of(DomainSource::Event, false, false), DnsEvidence::ConnectName);
        assert_eq!(of(DomainSource::ClickUrl, false, false), DnsEvidence::ClickUrl);
        assert_eq!(of(DomainSource::None, false, false), DnsEvidence::None);
    }

    #[test]
    fn risk_reasons_keep_their_names() {
        let all = [
            Reason::AllowedCdn,
            Reason::AllowedCidr,
            Reason::SuspiciousTld,
            Reason::NewlyObserved,
            Reason::DynamicDns,
            Reason::Punycode,
            Reason::HighEntropy,
            Reason::ManyDigits,
            Reason::ManyHyphens,
            Reason::LongName,
            Reason::IpNoName,
            Reason::RiskAtThreshold,
            Reason::NewlyObservedNoHistory,
            Reason::UntrustedCidr,
            Reason::MixedScript,
            Reason::BrandLookalike,
        ];
        for r in all {
            assert_eq!(format!("{r:?}"), format!("{:?}", risk_reason(r)));
        }
        let mut codes: Vec<u8> = all.iter().map(|&r| risk_reason(r) as u8).collect();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn egress_facts_are_built_only_when_wanted_and_once_per_domain_reason() {
        let config = crate::Config::default();
        let mut profile =
            crate::profile::Profile::new(clickchain_adapters::Os::Linux, &config.linux, &config).expect("profile");
        let e = entry(DomainSource::Dns, false, true, vec![Reason::SuspiciousTld, Reason::RiskAtThreshold]);
        let mut facts = ChainFacts::default();
        egress(&profile, &mut facts, 0, 5, &e);
        assert!(facts.risk.is_empty() && facts.egress_dns.is_empty(), "no enabled rule reads them");
        profile.wanted = vec!["egress_dns", "risk"];
        egress(&profile, &mut facts, 0, 5, &e);
        egress(&profile, &mut facts, 1, 5, &e);
        assert_eq!(facts.risk, vec![(5, RiskReason::SuspiciousTld), (5, RiskReason::RiskAtThreshold)]);
        assert_eq!(facts.egress_dns, vec![(0, DnsEvidence::DnsLate), (1, DnsEvidence::DnsLate)]);
    }
}
