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
    let os = profile.paths.os();
    for (id, &slot) in local.slots.iter().enumerate() {
        let (id, p) = (id as Id, host.procs.get(slot));
        if lolbin && p.lolbin {
            facts.lolbin.push(id);
        }
        if terminal && TERMINALS.contains(&crate::paths::image_name(&p.image, os).as_str()) {
            facts.terminal.push(id);
        }
        if let Some(line) = p.details.as_ref().and_then(|d| d.command_line.as_deref()).filter(|_| cmd) {
            let user_file = |path: &str| profile.paths.classify(path).user_path;
            let classes: Vec<CmdClass> = crate::lower::classify_command_line(line, p.lolbin, user_file);
            facts.cmd_class.extend(classes.into_iter().map(|c| (id, c)));
        }
    }
}

/// How an egress got its destination's name.
fn dns_evidence(e: &EgressEntry) -> DnsEvidence {
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
