//! Which of the other registered rules must alert on each injected chain, from the host's own
//! events: `redirect-chain` when the chain's link root reached two or more untrusted
//! registrable domains within the OS's window before the write, `mail-payload` when the root
//! is the mail client and the payload a shortcut, disk image or script (docs/rules.md).
//!
//! Both build on the base chain, so only chains the base rule alerts on are considered.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use clickchain_adapters::{EventKind, Os, ProcKey};

use crate::chain::Injected;
use crate::host::HostSim;
use crate::shapes::ext_of;
use crate::variant::{Anchor, BASE_RULE, MAIL_PAYLOAD_RULE, REDIRECT_RULE};

/// clickchain's default time window per OS (15 min; 20 on macOS).
fn window_ms(os: Os) -> i64 {
    match os {
        Os::Macos => 20 * 60_000,
        _ => 15 * 60_000,
    }
}

/// Extensions of the shortcut, disk-image and script classes (`clickchain_logic::ExtClass`).
#[rustfmt::skip]
const MAIL_PAYLOAD_EXTS: &[&str] = &[
    "lnk", "url", "website", "webloc", "inetloc", "fileloc", "library-ms", "searchconnector-ms",
    "iso", "img", "vhd", "vhdx", "dmg", "udf",
    "js", "jse", "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "bat", "cmd", "hta", "sh", "bash", "zsh",
    "py", "pl", "command", "scpt", "applescript", "desktop",
];

/// Office apps the generator starts (link sources of class office).
const OFFICE_EXTRA: &[&str] = &[r"C:\Program Files\Microsoft Office\root\Office16\POWERPNT.EXE"];

/// An untrusted connect: the link root of its process, its time and registrable domain (or IP).
struct Egress {
    root: ProcKey,
    time: i64,
    domain: String,
}

/// Adds `redirect-chain` and `mail-payload` to the rules of the chains of `h` they alert on.
pub(crate) fn add_rules(h: &HostSim, chains: &mut [Injected]) {
    let egress = untrusted_egress(h);
    let mail = h.path(h.cat.mail);
    for c in chains.iter_mut().map(|i| &mut i.chain) {
        if c.anchor != Anchor::File || !c.rules.contains(&BASE_RULE) {
            continue;
        }
        let from = c.write_ms - window_ms(h.os);
        let reached: HashSet<&str> = egress
            .iter()
            .filter(|e| e.root == c.root && (from..=c.write_ms).contains(&e.time))
            .map(|e| e.domain.as_str())
            .collect();
        if reached.len() >= 2 {
            c.rules.push(REDIRECT_RULE);
        }
        if c.root_image == mail && MAIL_PAYLOAD_EXTS.contains(&ext_of(&c.final_path).as_str()) {
            c.rules.push(MAIL_PAYLOAD_RULE);
        }
        c.rules.sort_unstable();
        c.rules.dedup();
    }
}

/// Every connect of `h` to an untrusted destination by a process with a link root, in event
/// time order: to a name drawn as risky (or a subdomain of one), or to a public address no DNS
/// answer named.
fn untrusted_egress(h: &HostSim) -> Vec<Egress> {
    let mut order: Vec<usize> = (0..h.out.len()).collect();
    order.sort_by_key(|&i| (h.out[i].event.time, h.out[i].seq));
    let is_link_source = |image: &str| {
        image == h.path(h.cat.mail)
            || h.cat.browsers.iter().any(|b| h.path(b.image) == image)
            || h.cat.office.iter().chain(OFFICE_EXTRA).any(|o| h.path(o) == image)
    };
    let mut roots: HashMap<ProcKey, Option<ProcKey>> = HashMap::new();
    let mut names: HashMap<IpAddr, String> = HashMap::new();
    let mut out = Vec::new();
    for i in order {
        let e = &h.out[i].event;
        match &e.kind {
            EventKind::ProcessStart { proc, parent, image, .. } => {
                let inherited = parent.as_ref().and_then(|p| roots.get(p).cloned().flatten());
                let root = inherited.or_else(|| is_link_source(image).then(|| proc.clone()));
                roots.insert(proc.clone(), root);
            }
            EventKind::DnsAnswer { query, answers, .. } => {
                for ip in answers {
                    names.insert(*ip, query.clone());
                }
            }
            EventKind::Connect { proc, dst_ip, .. } => {
                let Some(Some(root)) = roots.get(proc) else { continue };
                let domain = match names.get(dst_ip) {
                    Some(name) => h.risky.iter().find(|r| name == *r || name.ends_with(&format!(".{r}"))).cloned(),
                    None if is_public(dst_ip) => Some(dst_ip.to_string()),
                    None => None,
                };
                if let Some(domain) = domain {
                    out.push(Egress { root: root.clone(), time: e.time.timestamp_millis(), domain });
                }
            }
            _ => {}
        }
    }
    out
}

fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_private() || v4.is_loopback() || v4.is_link_local()),
        IpAddr::V6(v6) => !v6.is_loopback(),
    }
}
