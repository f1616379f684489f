//! Rule variants the generator can inject ([`Variant`]), beside the base chains: each a shape
//! one experimental rule detects, with its near misses (benign look-alikes it must not alert on).

use std::fmt;
use std::str::FromStr;

use clickchain_adapters::Os;

/// The rule id of the base DET0066 chain.
pub const BASE_RULE: &str = "chain";
/// The rule id of "two or more untrusted registrable domains in the lineage before the write".
pub const REDIRECT_RULE: &str = "redirect-chain";
/// The rule id of "a mail-rooted lineage whose download is a shortcut, disk image or script".
pub const MAIL_PAYLOAD_RULE: &str = "mail-payload";

/// A variant shape, named by the rule that detects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// Windows: an Office or mail root starts a LOLBIN with a URL, which reaches an untrusted
    /// domain and writes an executable, script or archive into a user folder.
    OfficeLolbin,
    /// Linux: browser → terminal → shell running a download cradle (`curl … | sh`) whose
    /// curl or wget reaches an untrusted domain; no file is written.
    TerminalCradle,
    /// Windows: a chained `.exe` download loses its Mark-of-the-Web, then runs.
    MotwRemovedRun,
    /// A chained archive or disk image, then a process starting from inside it.
    ContainerRun,
    /// A payload written from a `blob:`/`data:` origin after an untrusted page, or an HTML file
    /// from a domain the lineage never reached, then opened.
    HtmlSmuggling,
    /// macOS: a chained `.dmg`/`.zip` loses `com.apple.quarantine` (`xattr -d`), then runs.
    MacosQuarantineStripped,
}

impl Variant {
    /// Every variant, in rule-id order of the docs.
    pub const ALL: [Variant; 6] = [
        Variant::OfficeLolbin,
        Variant::TerminalCradle,
        Variant::MotwRemovedRun,
        Variant::ContainerRun,
        Variant::HtmlSmuggling,
        Variant::MacosQuarantineStripped,
    ];

    /// The rule id.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::OfficeLolbin => "office-lolbin",
            Variant::TerminalCradle => "terminal-cradle",
            Variant::MotwRemovedRun => "motw-removed-run",
            Variant::ContainerRun => "container-run",
            Variant::HtmlSmuggling => "html-smuggling",
            Variant::MacosQuarantineStripped => "macos-quarantine-stripped",
        }
    }

    /// Whether the generator injects this variant on hosts running `os`.
    pub fn applies_to(self, os: Os) -> bool {
        match self {
            Variant::OfficeLolbin | Variant::MotwRemovedRun => os == Os::Windows,
            Variant::TerminalCradle => os == Os::Linux,
            Variant::MacosQuarantineStripped => os == Os::Macos,
            Variant::ContainerRun | Variant::HtmlSmuggling => true,
        }
    }

    /// Parses `id,id,...` or `all` (`none` or empty: no variant).
    pub fn parse_list(s: &str) -> Result<Vec<Variant>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "all" => out.extend(Variant::ALL),
                "none" => {}
                id => out.push(id.parse()?),
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Variant {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variant::ALL.into_iter().find(|v| v.as_str() == s.trim()).ok_or_else(|| {
            let ids: Vec<&str> = Variant::ALL.iter().map(|v| v.as_str()).collect();
            format!("unknown variant `{s}` (expected all or one of: {})", ids.join(", "))
        })
    }
}

/// What an injected chain's label names as its `final_path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The file written (every chain but `terminal-cradle`'s).
    File,
    /// The image of the process whose start is the alert's anchor (`terminal-cradle`: the shell
    /// running the cradle); its time is the chain's `write_ms`.
    Process,
}

impl Anchor {
    /// `file` or `process`.
    pub fn as_str(self) -> &'static str {
        match self {
            Anchor::File => "file",
            Anchor::Process => "process",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_all_and_rejects_unknown_ids() {
        assert_eq!(Variant::parse_list("all").unwrap(), Variant::ALL);
        assert_eq!(
            Variant::parse_list("container-run, office-lolbin,container-run").unwrap(),
            [Variant::OfficeLolbin, Variant::ContainerRun]
        );
        assert!(Variant::parse_list("none").unwrap().is_empty());
        let e = Variant::parse_list("office-lolbins").unwrap_err();
        assert!(e.contains("office-lolbins") && e.contains("terminal-cradle"), "{e}");
        for v in Variant::ALL {
            assert_eq!(v.as_str().parse::<Variant>(), Ok(v));
            assert!(Os::ALL.iter().any(|&os| v.applies_to(os)));
        }
    }
}
