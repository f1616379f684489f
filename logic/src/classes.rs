//! Classes the engine computes at ingest and hands to rules as facts: what kind of program a
//! link source is, and what kind of file a write is (`docs/rules.md`, "Facts").

/// What kind of program a link source is (config `[link_sources]`, `docs/config.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum LinkClass {
    /// A web browser (and every name from the legacy `browser_parents` list).
    #[default]
    Browser = 0,
    /// A mail client.
    Mail = 1,
    /// An office suite.
    Office = 2,
    /// A chat client.
    Chat = 3,
}

impl LinkClass {
    /// Every class, in order.
    pub const ALL: [LinkClass; 4] = [LinkClass::Browser, LinkClass::Mail, LinkClass::Office, LinkClass::Chat];

    /// The lowercase name used in config.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkClass::Browser => "browser",
            LinkClass::Mail => "mail",
            LinkClass::Office => "office",
            LinkClass::Chat => "chat",
        }
    }
}

/// What kind of file a write is, from its extension (`ExtClass::of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ExtClass {
    /// Native executables and installers.
    Executable = 0,
    /// Scripts an interpreter runs.
    Script = 1,
    /// Archives that are unpacked.
    Archive = 2,
    /// Disk images that are mounted.
    DiskImage = 3,
    /// Shortcuts that launch something else.
    Shortcut = 4,
    /// Office documents that can carry macros.
    MacroDocument = 5,
    /// Pages a browser or `mshta` renders locally (HTML, SVG).
    Markup = 6,
}

/// Extensions per class (lowercase, without the dot).
const CLASSES: &[(ExtClass, &[&str])] = &[
    (
        ExtClass::Executable,
        &[
            "exe", "msi", "scr", "com", "pif", "dll", "cpl", "msix", "appx", "pkg", "app", "deb", "rpm", "appimage",
            "bin", "elf", "jar",
        ],
    ),
    (
        ExtClass::Script,
        &[
            "js",
            "jse",
            "vbs",
            "vbe",
            "wsf",
            "wsh",
            "ps1",
            "psm1",
            "bat",
            "cmd",
            "hta",
            "sh",
            "bash",
            "zsh",
            "py",
            "pl",
            "command",
            "scpt",
            "applescript",
            "desktop",
        ],
    ),
    (ExtClass::Archive, &["zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz", "cab", "ace", "arj", "z"]),
    (ExtClass::DiskImage, &["iso", "img", "vhd", "vhdx", "dmg", "udf"]),
    (
        ExtClass::Shortcut,
        &["lnk", "url", "website", "webloc", "inetloc", "fileloc", "library-ms", "searchconnector-ms"],
    ),
    (
        ExtClass::MacroDocument,
        &["docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam", "sldm", "doc", "xls", "ppt"],
    ),
    (ExtClass::Markup, &["html", "htm", "xhtml", "shtml", "svg", "mht", "mhtml"]),
];

impl ExtClass {
    /// The class of a lowercase extension (without the dot), if it has one.
    pub fn of(extension: &str) -> Option<ExtClass> {
        CLASSES.iter().find(|(_, exts)| exts.contains(&extension)).map(|&(c, _)| c)
    }

    /// The snake_case name used in docs.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtClass::Executable => "executable",
            ExtClass::Script => "script",
            ExtClass::Archive => "archive",
            ExtClass::DiskImage => "disk_image",
            ExtClass::Shortcut => "shortcut",
            ExtClass::MacroDocument => "macro_document",
            ExtClass::Markup => "markup",
        }
    }
}

/// Where a file sits relative to an archive or disk image: the container an exec (or a write)
/// is inside of (`container_exec`, `write_container`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[repr(u8)]
pub enum ContainerKind {
    /// A folder an archive tool unpacks into to run a member: Explorer's `Temp1_<archive>`,
    /// 7-Zip's `7z*`, WinRAR's `Rar$EX*` under the temp folder.
    ArchiveTemp = 0,
    /// A folder named after the archive next to it (`<folder>/<archive stem>/`).
    ExtractedFolder = 1,
    /// A mounted disk image: a drive letter other than `C:`, `/Volumes/<name>`,
    /// `/media/<user>/<label>`, `/run/media/...`.
    MountedVolume = 2,
}

impl ContainerKind {
    /// The snake_case name used in docs.
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerKind::ArchiveTemp => "archive_temp",
            ContainerKind::ExtractedFolder => "extracted_folder",
            ContainerKind::MountedVolume => "mounted_volume",
        }
    }
}

/// The scheme class of a write's origin URL (`write_origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum OriginKind {
    /// `http:` or `https:` (or a bare host).
    Http = 0,
    /// `blob:`: built by a page's script in the browser.
    Blob = 1,
    /// `data:`: the payload is inline in the page.
    Data = 2,
    /// `about:` (`about:internet`, `about:blank`): no URL of its own.
    About = 3,
    /// `file:`: copied from a local or shared folder.
    File = 4,
    /// No origin URL recorded.
    None = 5,
}

impl OriginKind {
    /// The class of an origin URL (`None` when there is none; another scheme counts as `Http`).
    pub fn of(url: Option<&str>) -> OriginKind {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else { return OriginKind::None };
        let scheme = url.split_once(':').map_or("", |(s, _)| s).to_ascii_lowercase();
        match scheme.as_str() {
            "blob" => OriginKind::Blob,
            "data" => OriginKind::Data,
            "about" => OriginKind::About,
            "file" => OriginKind::File,
            _ => OriginKind::Http,
        }
    }

    /// The lowercase name used in docs.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginKind::Http => "http",
            OriginKind::Blob => "blob",
            OriginKind::Data => "data",
            OriginKind::About => "about",
            OriginKind::File => "file",
            OriginKind::None => "none",
        }
    }
}

/// Which protection flag was removed from a file (`protection_removed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Protection {
    /// Windows Mark-of-the-Web (the `Zone.Identifier` stream; `Unblock-File`).
    Motw = 0,
    /// macOS `com.apple.quarantine` (`xattr -d`, `xattr -c`).
    Quarantine = 1,
}

/// What a process's command line does, as the engine classifies it at ingest (`cmd_class`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum CmdClass {
    /// A download cradle: a fetched URL run by a shell or interpreter (`curl … | sh`,
    /// `bash -c "$(curl …)"`, `curl -o f && sh f`, `iex (iwr …)`, `DownloadString`).
    DownloadCradle = 0,
    /// A LOLBIN (config `lolbins`) with a URL on its command line.
    LolbinUrl = 1,
    /// A LOLBIN with a file in a user folder on its command line.
    LolbinFile = 2,
}

impl CmdClass {
    /// The snake_case name used in docs.
    pub fn as_str(self) -> &'static str {
        match self {
            CmdClass::DownloadCradle => "download_cradle",
            CmdClass::LolbinUrl => "lolbin_url",
            CmdClass::LolbinFile => "lolbin_file",
        }
    }
}

/// How an egress got its destination's name (`egress_dns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum DnsEvidence {
    /// A DNS answer for the address, logged before the connection.
    DnsBefore = 0,
    /// A DNS answer logged after the connection (within `dns_grace`).
    DnsLate = 1,
    /// No connection was logged: a DNS answer of the lineage stands for it.
    DnsOnly = 2,
    /// The connection record named the destination itself.
    ConnectName = 3,
    /// Inferred from the click's URL.
    ClickUrl = 4,
    /// No name: the address alone.
    None = 5,
}

/// Why a destination is risky or trusted, as alerts' `reasons` name it (`risk`; the engine's
/// `Reason`, one to one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
#[allow(missing_docs)] // Each is documented by its alert name (docs/alerts.md).
pub enum RiskReason {
    AllowedCdn = 0,
    AllowedCidr = 1,
    SuspiciousTld = 2,
    NewlyObserved = 3,
    DynamicDns = 4,
    Punycode = 5,
    HighEntropy = 6,
    ManyDigits = 7,
    ManyHyphens = 8,
    LongName = 9,
    IpNoName = 10,
    RiskAtThreshold = 11,
    NewlyObservedNoHistory = 12,
    UntrustedCidr = 13,
    MixedScript = 14,
    BrandLookalike = 15,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_classes() {
        assert_eq!(ExtClass::of("lnk"), Some(ExtClass::Shortcut));
        assert_eq!(ExtClass::of("iso"), Some(ExtClass::DiskImage));
        assert_eq!(ExtClass::of("ps1"), Some(ExtClass::Script));
        assert_eq!(ExtClass::of("docm"), Some(ExtClass::MacroDocument));
        assert_eq!(ExtClass::of("pdf"), None);
        assert_eq!(ExtClass::of("svg"), Some(ExtClass::Markup));
        // Every extension is in one class only.
        let mut all: Vec<&str> = CLASSES.iter().flat_map(|(_, e)| e.iter().copied()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn origin_kinds() {
        assert_eq!(OriginKind::of(Some("blob:https://x.example/5d1c")), OriginKind::Blob);
        assert_eq!(OriginKind::of(Some("DATA:application/octet-stream;base64,AA")), OriginKind::Data);
        assert_eq!(OriginKind::of(Some("about:internet")), OriginKind::About);
        assert_eq!(OriginKind::of(Some("file:///C:/x.exe")), OriginKind::File);
        assert_eq!(OriginKind::of(Some("https://x.example/a")), OriginKind::Http);
        assert_eq!(OriginKind::of(Some("  ")), OriginKind::None);
        assert_eq!(OriginKind::of(None), OriginKind::None);
    }
}
