//! Writing a [`Config`] as commented TOML (written by hand so every key carries its comment).

use std::fmt::Write as _;
use std::time::Duration;

use clickchain_adapters::Os;

use super::{Config, EngineSettings, OsProfile, QuarantinePolicy};

const WIDTH: usize = 100;

/// See [`Config::to_toml`].
pub(super) fn to_toml(config: &Config, os: Option<Os>) -> String {
    let oses: Vec<Os> = os.map_or(Os::ALL.to_vec(), |os| vec![os]);
    let default = Config::default();
    let is_default = config.engine == default.engine
        && config.rules == default.rules
        && oses.iter().all(|&os| config.profile(os) == default.profile(os));
    let names: Vec<&str> = oses.iter().map(|os| os.as_str()).collect();
    let mut out = String::new();
    let what = if is_default { "clickchain's default configuration" } else { "clickchain configuration" };
    line(&mut out, &format!("# {what} for {} (MITRE ATT&CK T1204.001, detection strategy DET0066).", names.join(", ")));
    if let [os] = oses.as_slice() {
        line(&mut out, &format!("# Regenerate with: clickchain config --print-default --os {os}"));
    }
    line(&mut out, "# Durations are humantime strings (\"15m\", \"30s\", \"1h 30m\"). A missing key keeps");
    line(&mut out, "# the default of its OS; a list that is given replaces the default list.");
    engine(&mut out, &config.engine);
    line(&mut out, "\n[rules]");
    list(
        &mut out,
        "Rules that run, by id (`clickchain rules` lists them; default: the stable ones).",
        "enabled",
        &config.rules.enabled,
    );
    comment(&mut out, "Each alert carries its derivation: every fact of its rule with its record (docs/alerts.md).");
    line(&mut out, &format!("explain = {}", config.rules.explain));
    for os in oses {
        profile(&mut out, os, config.profile(os));
    }
    out
}

/// Link-source classes beyond browser (`browser_parents`), as an inline table.
fn link_sources(out: &mut String, l: &super::LinkSources) {
    comment(out, "Link-source classes beyond browser (browser_parents): mail, office and chat clients.");
    let class =
        |name: &str, v: &[String]| format!("{name} = [{}]", v.iter().map(|s| string(s)).collect::<Vec<_>>().join(", "));
    let _ = writeln!(
        out,
        "link_sources = {{ {}, {}, {} }}",
        class("mail", &l.mail),
        class("office", &l.office),
        class("chat", &l.chat)
    );
}

fn engine(out: &mut String, e: &EngineSettings) {
    line(out, "\n[engine]");
    dur(
        out,
        "Out-of-order tolerance: events this far behind the watermark are still accepted.",
        "allowed_lateness",
        e.allowed_lateness,
    );
    dur(out, "Micro-batch length in event time.", "batch", e.batch);
    dur(
        out,
        "Events further ahead of the newest plausible time than this are rejected.",
        "max_future_skew",
        e.max_future_skew,
    );
    dur(out, "How long a DNS answer attributes its name to an IP.", "dns_ttl", e.dns_ttl);
    dur(
        out,
        "How long after a connection a DNS answer may still name it (at most allowed_lateness).",
        "dns_grace",
        e.dns_grace,
    );
    dur(out, "Newly-observed-domain warm-up: domains first seen this early are not new.", "nod_warmup", e.nod_warmup);
    dur(out, "How long after its first sighting a domain counts as newly observed.", "nod_window", e.nod_window);
    int(out, "Most hosts tracked at once.", "max_hosts", e.max_hosts);
    int(out, "Most processes tracked per host.", "max_processes_per_host", e.max_processes_per_host);
    int(out, "Most carried egress summaries per host.", "max_egress_per_host", e.max_egress_per_host);
    int(out, "Most pending anchor facts per host.", "max_pending_per_host", e.max_pending_per_host);
    int(out, "Most registrable domains remembered as observed.", "nod_capacity", e.nod_capacity);
    int(out, "Most DNS answers remembered per host.", "max_dns_per_host", e.max_dns_per_host);
    int(out, "Most events held in the reorder buffer.", "max_reorder", e.max_reorder);
    dur(out, "How often a live agent saves its checkpoint.", "checkpoint_interval", e.checkpoint_interval);
    match e.default_os {
        Some(os) => {
            comment(out, "OS assumed for hosts whose events do not tell.");
            let _ = writeln!(out, "default_os = {}", string(os.as_str()));
        }
        None => comment(
            out,
            "OS assumed for hosts whose events do not tell (default: guessed from paths).\n# default_os = \"linux\"",
        ),
    }
}

fn profile(out: &mut String, os: Os, p: &OsProfile) {
    let analytic = match os {
        Os::Windows => "AN0178",
        Os::Linux => "AN0179",
        Os::Macos => "AN0180",
    };
    line(out, &format!("\n# {analytic}: the {os} analytic's mutable elements."));
    line(out, &format!("[{os}]"));
    dur(
        out,
        "TimeWindow: correlation window from click (or first egress) to file write (1s..24h).",
        "time_window",
        p.time_window,
    );
    dur(
        out,
        "An egress this close before the write makes the link medium strength (<= time_window).",
        "download_gap",
        p.download_gap,
    );
    comment(out, "Weakest link strength that alerts: weak, medium or strong.");
    line(out, &format!("min_strength = {}", string(p.min_strength.as_str())));
    int(
        out,
        "DomainRiskScore: domains scoring at least this (0..100) are untrusted.",
        "domain_risk_score",
        p.domain_risk_score.into(),
    );
    list(
        out,
        "BrowserParents: link-source processes (executable basenames, any case).",
        "browser_parents",
        &p.browser_parents,
    );
    list(
        out,
        "UserPaths: user-writable folders; ~, $HOME, %VAR% expand to every user; * matches within a folder name.",
        "user_paths",
        &p.user_paths,
    );
    list(
        out,
        "Folders never considered: the browsers' own profile and cache folders.",
        "excluded_paths",
        &p.excluded_paths,
    );
    list(out, "Folder names that make a file download-like wherever they are.", "download_dirs", &p.download_dirs);
    list(out, "SuspiciousTLDs: high-risk TLDs or suffixes.", "suspicious_tlds", &p.suspicious_tlds);
    list(
        out,
        "AllowedCDNs: trusted registrable domains or suffixes (CDNs, update hosts).",
        "allowed_cdns",
        &p.allowed_cdns,
    );
    list(out, "Destination ranges that are never untrusted (CIDR).", "allowed_cidrs", &p.allowed_cidrs);
    list(
        out,
        "Destination ranges always untrusted, checked before allowed_cidrs (a lab, a phishing test).",
        "untrusted_cidrs",
        &p.untrusted_cidrs,
    );
    list(out, "Dynamic-DNS and tunnel suffixes (a risk signal).", "dynamic_dns_suffixes", &p.dynamic_dns_suffixes);
    list(out, "Brands that punycode lookalike names imitate.", "lookalike_brands", &p.lookalike_brands);
    list(
        out,
        "HighRiskExtensions: extensions that make a written file download-like.",
        "high_risk_extensions",
        &p.high_risk_extensions,
    );
    list(
        out,
        "Archive and disk-image extensions (folders named like them hold unpacked members).",
        "archive_extensions",
        &p.archive_extensions,
    );
    list(
        out,
        "Names of downloads in progress; the final name appears on rename.",
        "partial_suffixes",
        &p.partial_suffixes,
    );
    list(out, "LOLBins: follow-on executions worth reporting.", "lolbins", &p.lolbins);
    link_sources(out, &p.link_sources);
    if let Some(q) = &p.quarantine_policy {
        quarantine(out, os, q);
    }
}

fn quarantine(out: &mut String, os: Os, q: &QuarantinePolicy) {
    line(out, "\n# QuarantinePolicy: executables written by the link lineage that never get");
    line(out, "# com.apple.quarantine alert as quarantine_missing.");
    line(out, &format!("[{os}.quarantine_policy]"));
    comment(out, "Whether quarantine_missing findings are raised.");
    line(out, &format!("enabled = {}", q.enabled));
    dur(out, "How long after the write the quarantine attribute may still appear.", "grace", q.grace);
    list(out, "Folders where the policy applies.", "paths", &q.paths);
    list(
        out,
        "Extensions that make a file executable for the policy.",
        "executable_extensions",
        &q.executable_extensions,
    );
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

fn comment(out: &mut String, text: &str) {
    let _ = writeln!(out, "# {text}");
}

fn dur(out: &mut String, doc: &str, key: &str, d: Duration) {
    comment(out, doc);
    let _ = writeln!(out, "{key} = {}", string(&humantime::format_duration(d).to_string()));
}

fn int(out: &mut String, doc: &str, key: &str, n: usize) {
    comment(out, doc);
    let _ = writeln!(out, "{key} = {n}");
}

/// A list on one line if it fits, else wrapped with four spaces of indent.
fn list(out: &mut String, doc: &str, key: &str, items: &[String]) {
    comment(out, doc);
    let quoted: Vec<String> = items.iter().map(|s| string(s)).collect();
    let flat = format!("{key} = [{}]", quoted.join(", "));
    if flat.len() <= WIDTH {
        line(out, &flat);
        return;
    }
    let _ = write!(out, "{key} = [");
    let mut width = WIDTH;
    for item in &quoted {
        if width + item.len() + 2 > WIDTH {
            out.push_str("\n   ");
            width = 3;
        }
        let _ = write!(out, " {item},");
        width += item.len() + 2;
    }
    out.push_str("\n]\n");
}

/// A TOML string: `"..."` when nothing needs escaping, a literal `'...'` when only backslashes
/// would (readable Windows paths), else a basic string with escapes.
pub(super) fn string(s: &str) -> String {
    let control = s.chars().any(char::is_control);
    if !control && !s.contains(['"', '\\']) {
        return format!("\"{s}\"");
    }
    if !control && !s.contains('\'') {
        return format!("'{s}'");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
