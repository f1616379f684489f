//! Settings that are valid but almost surely wrong: loading accepts them, `scan` and
//! `config --check` warn about them.

use std::fmt;

use clickchain_adapters::Os;

use super::{Config, OsProfile};

/// A setting that is valid but almost surely not what was meant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigWarning {
    /// A Windows process name without `.exe`: Windows images carry it, so the name never matches.
    WindowsNameWithoutExe {
        /// `browser_parents` or `lolbins`.
        key: &'static str,
        /// The name.
        name: String,
    },
    /// A `.exe` name in a Linux or macOS profile: it never matches there.
    ExeNameOffWindows {
        /// The profile.
        os: Os,
        /// `browser_parents` or `lolbins`.
        key: &'static str,
        /// The name.
        name: String,
    },
    /// `download_gap` of zero (possible in a configuration built in code): no download is ever close enough to its egress to be medium.
    ZeroDownloadGap {
        /// The profile.
        os: Os,
    },
    /// `domain_risk_score` of zero: every domain is untrusted, the allowlists aside.
    ZeroRiskScore {
        /// The profile.
        os: Os,
    },
    /// A list the analytic matches against is empty: it never alerts through it.
    EmptyList {
        /// The profile.
        os: Os,
        /// The key (`user_paths`, `high_risk_extensions`).
        key: &'static str,
    },
}

fn section(os: Os) -> &'static str {
    match os {
        Os::Windows => "windows",
        Os::Linux => "linux",
        Os::Macos => "macos",
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigWarning::WindowsNameWithoutExe { key, name } => write!(
                f,
                "windows.{key}: `{name}` has no `.exe`; Windows images always do, so it never matches (write `{name}.exe`)"
            ),
            ConfigWarning::ExeNameOffWindows { os, key, name } => {
                write!(f, "{}.{key}: `{name}` is a Windows name; it never matches on {os:?}", section(*os))
            }
            ConfigWarning::ZeroDownloadGap { os } => write!(
                f,
                "{}.download_gap is 0: no download is close enough to its egress to make a medium-strength link",
                section(*os)
            ),
            ConfigWarning::ZeroRiskScore { os } => write!(
                f,
                "{}.domain_risk_score is 0: every domain outside the allowlists is untrusted",
                section(*os)
            ),
            ConfigWarning::EmptyList { os, key } => {
                write!(f, "{}.{key} is empty: no file is ever matched through it, so the analytic never alerts", section(*os))
            }
        }
    }
}

impl Config {
    /// Settings that load but are almost surely wrong, in section order.
    pub fn warnings(&self) -> Vec<ConfigWarning> {
        let mut out = Vec::new();
        for (os, profile) in [(Os::Windows, &self.windows), (Os::Linux, &self.linux), (Os::Macos, &self.macos)] {
            profile_warnings(os, profile, &mut out);
        }
        out
    }
}

fn profile_warnings(os: Os, p: &OsProfile, out: &mut Vec<ConfigWarning>) {
    for (key, names) in [("browser_parents", &p.browser_parents), ("lolbins", &p.lolbins)] {
        for name in names {
            let exe = name.ends_with(".exe");
            match os {
                Os::Windows if !exe => out.push(ConfigWarning::WindowsNameWithoutExe { key, name: name.clone() }),
                Os::Linux | Os::Macos if exe => {
                    out.push(ConfigWarning::ExeNameOffWindows { os, key, name: name.clone() })
                }
                _ => {}
            }
        }
    }
    if p.download_gap.is_zero() {
        out.push(ConfigWarning::ZeroDownloadGap { os });
    }
    if p.domain_risk_score == 0 {
        out.push(ConfigWarning::ZeroRiskScore { os });
    }
    for (key, list) in [("user_paths", &p.user_paths), ("high_risk_extensions", &p.high_risk_extensions)] {
        if list.is_empty() {
            out.push(ConfigWarning::EmptyList { os, key });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_raise_no_warning() {
        assert_eq!(Config::default().warnings(), []);
    }

    #[test]
    fn valid_but_wrong_settings_are_named() {
        let text = "[windows]\nbrowser_parents = [\"chrome\", \"msedge.exe\"]\n\
                    [linux]\nuser_paths = []\nlolbins = [\"certutil.exe\"]\ndomain_risk_score = 0\n";
        let mut config = Config::from_toml_str(text, "site.toml").unwrap();
        // A file cannot set it to 0; a configuration built in code can.
        config.windows.download_gap = std::time::Duration::ZERO;
        let got: Vec<String> = config.warnings().iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "windows.browser_parents: `chrome` has no `.exe`; Windows images always do, so it never matches (write `chrome.exe`)",
                "windows.download_gap is 0: no download is close enough to its egress to make a medium-strength link",
                "linux.lolbins: `certutil.exe` is a Windows name; it never matches on Linux",
                "linux.domain_risk_score is 0: every domain outside the allowlists is untrusted",
                "linux.user_paths is empty: no file is ever matched through it, so the analytic never alerts",
            ]
        );
    }
}
