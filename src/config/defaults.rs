//! clickchain's default lists and numbers per OS: DET0066's mutable elements (the seed's values
//! first), extended with well-known members. Names are lowercase basenames, extensions have no dot.
//!
//! The domain lists (TLDs, CDNs, CIDRs, dynamic DNS) come from `crate::domain`'s defaults; this
//! module adds the per-OS update and vendor hosts.

use std::time::Duration;

use clickchain_adapters::Os;
use clickchain_logic::Strength;

use super::{EngineSettings, OsProfile, QuarantinePolicy};
use crate::domain;

/// Windows additions to `domain::default_allowed_cdns()`: Windows Update, Microsoft and Office hosts.
#[rustfmt::skip]
pub const ALLOWED_CDNS_WINDOWS: &[&str] = &[
    "windowsupdate.com", "update.microsoft.com", "delivery.mp.microsoft.com", "microsoft.com",
    "msftconnecttest.com", "msftncsi.com", "msedge.net", "office.com", "office.net",
    "microsoftonline.com", "msauth.net", "msftauth.net", "skype.com",
];

/// Linux additions to `domain::default_allowed_cdns()`: distribution mirrors and stores.
#[rustfmt::skip]
pub const ALLOWED_CDNS_LINUX: &[&str] = &[
    "ubuntu.com", "canonical.com", "snapcraft.io", "snapcraftcontent.com", "debian.org",
    "fedoraproject.org", "redhat.com", "centos.org", "archlinux.org", "opensuse.org",
    "flathub.org", "kernel.org",
];

/// macOS additions to `domain::default_allowed_cdns()`: Apple and iCloud hosts.
#[rustfmt::skip]
pub const ALLOWED_CDNS_MACOS: &[&str] = &[
    "apple.com", "icloud.com", "mzstatic.com", "apple-cloudkit.com", "cdn-apple.com",
    "aaplimg.com",
];

/// High-risk extensions: the seed's list, then Windows, Linux, macOS and container formats.
#[rustfmt::skip]
pub const HIGH_RISK_EXTENSIONS: &[&str] = &[
    "exe", "elf", "sh", "js", "py", "jar", "iso", "img", "zip", "rar", "xlsm", "docm", "xll",
    "msi", "msp", "bat", "cmd", "com", "pif", "ps1", "psm1", "vbs", "vbe", "jse", "wsf", "wsh",
    "hta", "lnk", "url", "scr", "dll", "cpl", "msc", "chm", "inf", "reg", "appx", "appxbundle",
    "msix", "msixbundle", "appinstaller", "one", "iqy", "slk", "xlam", "dotm", "pptm", "ppam",
    "library-ms", "searchconnector-ms", "vhd", "vhdx",
    "deb", "rpm", "appimage", "run", "bin", "so", "pl", "rb", "desktop",
    "dmg", "pkg", "mpkg", "app", "command", "scpt", "tool", "terminal",
    "7z", "cab", "tar", "gz", "tgz", "xz", "bz2", "ace", "arj",
];

/// Archive and disk-image extensions (a folder named like one holds unpacked archive members).
pub const ARCHIVE_EXTENSIONS: &[&str] =
    &["zip", "rar", "7z", "iso", "img", "tar", "gz", "tgz", "xz", "bz2", "cab", "dmg"];

/// Names that browsers give downloads in progress (Chromium, Firefox, legacy Edge, Safari).
pub const PARTIAL_SUFFIXES: &[&str] = &[".crdownload", ".part", ".partial", ".download"];

/// Windows additions to [`PARTIAL_SUFFIXES`]: Edge and Office stage downloads as `<name>.tmp`.
pub const PARTIAL_SUFFIXES_WINDOWS: &[&str] = &[".tmp"];

/// Folder names that make a file download-like wherever they are.
pub const DOWNLOAD_DIRS: &[&str] = &["Downloads"];

/// Windows link sources (the seed's six first).
#[rustfmt::skip]
pub const BROWSER_PARENTS_WINDOWS: &[&str] = &[
    "chrome.exe", "msedge.exe", "firefox.exe", "winword.exe", "outlook.exe", "teams.exe",
    "brave.exe", "opera.exe", "iexplore.exe", "vivaldi.exe", "thunderbird.exe", "excel.exe",
    "powerpnt.exe", "ms-teams.exe", "slack.exe", "olk.exe", "hxoutlook.exe", "onenote.exe",
];

/// Linux link sources (browsers, mail clients, office suites, chat).
#[rustfmt::skip]
pub const BROWSER_PARENTS_LINUX: &[&str] = &[
    "firefox", "firefox-esr", "firefox-bin", "chrome", "google-chrome", "google-chrome-stable",
    "chromium", "chromium-browser", "brave", "brave-browser", "opera", "vivaldi-bin",
    "microsoft-edge", "msedge", "thunderbird", "evolution", "geary", "soffice.bin",
    "libreoffice", "slack", "teams",
];

/// macOS link sources (executable basenames, which are also the app bundle names).
#[rustfmt::skip]
pub const BROWSER_PARENTS_MACOS: &[&str] = &[
    "safari", "google chrome", "firefox", "microsoft edge", "brave browser", "opera", "mail",
    "microsoft outlook", "microsoft word", "microsoft excel", "microsoft powerpoint", "slack",
    "thunderbird", "com.apple.webkit.networking", "chromium", "vivaldi", "arc",
    "microsoft teams", "msteams",
];

/// Windows user-writable folders (seed: %USERPROFILE%\Downloads, %TEMP%, %APPDATA%*, OneDrive).
#[rustfmt::skip]
pub const USER_PATHS_WINDOWS: &[&str] = &[
    r"%USERPROFILE%\Downloads", r"%TEMP%", r"%APPDATA%", r"%LOCALAPPDATA%",
    r"%USERPROFILE%\OneDrive*", r"%USERPROFILE%\Desktop", r"%USERPROFILE%\Documents", r"%PUBLIC%",
];

/// Linux user-writable folders (seed: $HOME/Downloads, /tmp, ~/.cache, ~/.local/share).
#[rustfmt::skip]
pub const USER_PATHS_LINUX: &[&str] = &[
    "$HOME/Downloads", "/tmp", "~/.cache", "~/.local/share", "/var/tmp", "/dev/shm", "~/Desktop",
];

/// macOS user-writable folders (seed: ~/Downloads, /private/var/folders/*), plus Mail's.
#[rustfmt::skip]
pub const USER_PATHS_MACOS: &[&str] = &[
    "~/Downloads", "~/Desktop", "~/Documents", "/private/var/folders/*", "/tmp", "/private/tmp",
    "~/Library/Containers/com.apple.mail/Data/Library/Mail Downloads",
];

/// Windows browser/mail/office profile and cache folders. Outlook's attachment cache
/// (`INetCache\Content.Outlook`) and Office's (`Content.MSO`, `Content.Word`) are excluded too:
/// a file opened from a mail attachment is T1204.002, not a link's download.
#[rustfmt::skip]
pub const EXCLUDED_PATHS_WINDOWS: &[&str] = &[
    r"%LOCALAPPDATA%\Google\Chrome*\User Data", r"%LOCALAPPDATA%\Microsoft\Edge*\User Data",
    r"%LOCALAPPDATA%\BraveSoftware\Brave-Browser*\User Data", r"%LOCALAPPDATA%\Chromium\User Data",
    r"%LOCALAPPDATA%\Vivaldi\User Data", r"%APPDATA%\Opera Software", r"%LOCALAPPDATA%\Opera Software",
    r"%APPDATA%\Mozilla\Firefox\Profiles", r"%LOCALAPPDATA%\Mozilla\Firefox\Profiles",
    r"%APPDATA%\Thunderbird\Profiles", r"%LOCALAPPDATA%\Thunderbird\Profiles",
    r"%LOCALAPPDATA%\Microsoft\Windows\INetCache\IE", r"%LOCALAPPDATA%\Microsoft\Windows\INetCache\Low",
    r"%LOCALAPPDATA%\Microsoft\Windows\Temporary Internet Files",
    r"%LOCALAPPDATA%\Microsoft\Windows\INetCache\Content.Outlook",
    r"%LOCALAPPDATA%\Microsoft\Windows\INetCache\Content.MSO",
    r"%LOCALAPPDATA%\Microsoft\Windows\INetCache\Content.Word",
    r"%LOCALAPPDATA%\Microsoft\Windows\INetCookies", r"%LOCALAPPDATA%\Microsoft\Windows\WebCache",
    r"%APPDATA%\Microsoft\Teams", r"%LOCALAPPDATA%\Packages\MSTeams_*\LocalCache", r"%APPDATA%\Slack",
    r"%LOCALAPPDATA%\Microsoft\Outlook", r"%LOCALAPPDATA%\Microsoft\Olk", r"%LOCALAPPDATA%\Microsoft\Office",
    r"%APPDATA%\Microsoft\Office\Recent", r"%APPDATA%\Microsoft\Windows\Recent",
    r"%APPDATA%\Microsoft\Word", r"%APPDATA%\Microsoft\Excel",
];

/// Linux browser/mail/office profile and cache folders, and Chromium's shared-memory files.
#[rustfmt::skip]
pub const EXCLUDED_PATHS_LINUX: &[&str] = &[
    "~/.mozilla", "~/.cache/mozilla", "~/.config/google-chrome*", "~/.cache/google-chrome*",
    "~/.config/chromium", "~/.cache/chromium", "~/.config/BraveSoftware", "~/.cache/BraveSoftware",
    "~/.config/microsoft-edge*", "~/.cache/microsoft-edge*", "~/.config/opera", "~/.cache/opera",
    "~/.config/vivaldi*", "~/.cache/vivaldi*", "~/.thunderbird", "~/.cache/thunderbird",
    "~/.cache/evolution", "~/.local/share/evolution", "~/.config/libreoffice", "~/.config/Slack",
    "~/.config/Microsoft/Microsoft Teams", "/dev/shm/.org.chromium.*", "/dev/shm/.com.google.Chrome.*",
    "/tmp/.org.chromium.*", "/tmp/.com.google.Chrome.*",
];

/// macOS browser/mail/office profile and cache folders, and the per-user cache (`C`) and
/// code-signing clone (`X`) folders under /private/var/folders.
#[rustfmt::skip]
pub const EXCLUDED_PATHS_MACOS: &[&str] = &[
    "~/Library/Caches", "~/Library/Application Support/Google/Chrome",
    "~/Library/Application Support/Microsoft Edge", "~/Library/Application Support/BraveSoftware",
    "~/Library/Application Support/Firefox", "~/Library/Application Support/Slack",
    "~/Library/Application Support/Microsoft/Teams", "~/Library/Safari",
    "~/Library/Containers/com.apple.Safari", "~/Library/Thunderbird", "~/Library/WebKit",
    "~/Library/Cookies", "/private/var/folders/*/*/C", "/private/var/folders/*/*/X",
];

/// Windows living-off-the-land binaries worth reporting as follow-on.
#[rustfmt::skip]
pub const LOLBINS_WINDOWS: &[&str] = &[
    "mshta.exe", "rundll32.exe", "regsvr32.exe", "cmd.exe", "powershell.exe", "pwsh.exe",
    "wscript.exe", "cscript.exe", "certutil.exe", "bitsadmin.exe", "msiexec.exe",
    "installutil.exe", "regasm.exe", "regsvcs.exe", "msbuild.exe", "cmstp.exe", "forfiles.exe",
    "hh.exe", "wmic.exe", "curl.exe", "mavinject.exe", "odbcconf.exe", "pcalua.exe",
    "presentationhost.exe", "msxsl.exe", "esentutl.exe", "expand.exe", "extrac32.exe",
    "finger.exe", "schtasks.exe", "control.exe", "cmdl32.exe", "ieexec.exe", "xwizard.exe",
    "tar.exe",
];

/// Linux interpreters and tools that run or fetch what was downloaded.
#[rustfmt::skip]
pub const LOLBINS_LINUX: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "fish", "python3", "python", "perl", "ruby", "php",
    "node", "curl", "wget", "chmod", "nohup", "setsid", "busybox", "nc", "ncat", "socat",
    "base64", "openssl", "env", "unzip", "tar",
];

/// macOS interpreters and tools that run, mount, install or un-quarantine what was downloaded.
#[rustfmt::skip]
pub const LOLBINS_MACOS: &[&str] = &[
    "osascript", "sh", "bash", "zsh", "python3", "python", "perl", "ruby", "curl", "open",
    "xattr", "hdiutil", "installer", "chmod", "spctl", "launchctl", "ditto", "unzip", "tar",
    "codesign", "nohup",
];

/// macOS QuarantinePolicy: folders where new downloads must carry `com.apple.quarantine`.
pub const QUARANTINE_PATHS: &[&str] = &["~/Downloads", "/private/var/folders/*"];

/// macOS QuarantinePolicy: what counts as an executable download (bundles, installers, scripts).
#[rustfmt::skip]
pub const QUARANTINE_EXECUTABLE_EXTENSIONS: &[&str] = &[
    "app", "pkg", "mpkg", "dmg", "command", "sh", "zsh", "bash", "csh", "py", "pl", "rb", "js",
    "scpt", "scptd", "applescript", "jar", "terminal", "tool", "workflow", "action", "dylib",
    "bundle", "plugin", "kext",
];

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// `base` followed by those of `extras` it does not hold yet.
fn with_extras(mut base: Vec<String>, extras: &[&str]) -> Vec<String> {
    for e in extras {
        if !base.iter().any(|b| b == e) {
            base.push((*e).to_owned());
        }
    }
    base
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            allowed_lateness: Duration::from_secs(5),
            batch: Duration::from_secs(1),
            max_future_skew: Duration::from_secs(86_400),
            dns_ttl: Duration::from_secs(600),
            dns_grace: Duration::from_secs(2),
            nod_warmup: Duration::from_secs(3_600),
            nod_window: Duration::from_secs(86_400),
            max_hosts: 100_000,
            max_processes_per_host: 200_000,
            max_egress_per_host: 50_000,
            max_pending_per_host: 50_000,
            nod_capacity: 1_000_000,
            max_dns_per_host: 100_000,
            max_reorder: 1_000_000,
            checkpoint_interval: Duration::from_secs(30),
            default_os: None,
        }
    }
}

impl OsProfile {
    /// clickchain's default profile for `os` (DET0066's elements and clickchain's own lists).
    pub fn default_for(os: Os) -> OsProfile {
        let (minutes, parents, user, excluded, cdns, lolbins) = match os {
            Os::Windows => (
                15,
                BROWSER_PARENTS_WINDOWS,
                USER_PATHS_WINDOWS,
                EXCLUDED_PATHS_WINDOWS,
                ALLOWED_CDNS_WINDOWS,
                LOLBINS_WINDOWS,
            ),
            Os::Linux => {
                (15, BROWSER_PARENTS_LINUX, USER_PATHS_LINUX, EXCLUDED_PATHS_LINUX, ALLOWED_CDNS_LINUX, LOLBINS_LINUX)
            }
            Os::Macos => {
                (20, BROWSER_PARENTS_MACOS, USER_PATHS_MACOS, EXCLUDED_PATHS_MACOS, ALLOWED_CDNS_MACOS, LOLBINS_MACOS)
            }
        };
        OsProfile {
            time_window: Duration::from_secs(minutes * 60),
            download_gap: Duration::from_secs(120),
            min_strength: Strength::Medium,
            domain_risk_score: 60,
            browser_parents: owned(parents),
            link_sources: super::LinkSources::default_for(os),
            user_paths: owned(user),
            excluded_paths: owned(excluded),
            download_dirs: owned(DOWNLOAD_DIRS),
            suspicious_tlds: domain::default_suspicious_tlds(),
            allowed_cdns: with_extras(domain::default_allowed_cdns(), cdns),
            allowed_cidrs: domain::default_allowed_cidrs(),
            untrusted_cidrs: Vec::new(),
            dynamic_dns_suffixes: domain::default_dynamic_dns_suffixes(),
            lookalike_brands: domain::default_lookalike_brands(),
            high_risk_extensions: owned(HIGH_RISK_EXTENSIONS),
            archive_extensions: owned(ARCHIVE_EXTENSIONS),
            partial_suffixes: if os == Os::Windows {
                with_extras(owned(PARTIAL_SUFFIXES), PARTIAL_SUFFIXES_WINDOWS)
            } else {
                owned(PARTIAL_SUFFIXES)
            },
            lolbins: owned(lolbins),
            quarantine_policy: (os == Os::Macos).then(QuarantinePolicy::macos_default),
        }
    }
}

impl QuarantinePolicy {
    /// clickchain's default macOS QuarantinePolicy: enabled, 30 s grace, ~/Downloads and
    /// /private/var/folders/*, app bundles, installers, disk images and scripts.
    pub fn macos_default() -> QuarantinePolicy {
        QuarantinePolicy {
            enabled: true,
            grace: Duration::from_secs(30),
            paths: owned(QUARANTINE_PATHS),
            executable_extensions: owned(QUARANTINE_EXECUTABLE_EXTENSIONS),
        }
    }
}
