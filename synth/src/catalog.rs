//! Static vocabulary of the synthetic hosts: images, command lines, folders, sites and CDNs per OS.
//!
//! `~` at the start of a path template is the user's home folder; `{img}` in a command line
//! template is the process's own image. Everything here is plausible, not exhaustive.

use clickchain_adapters::Os;

/// A browser: its main image, its helper image and the folders it writes to.
pub(crate) struct Browser {
    pub image: &'static str,
    /// Image of the network-service and renderer children.
    pub child: &'static str,
    pub net_cmd: &'static str,
    pub renderer_cmd: &'static str,
    /// Profile cache folder (an excluded path in the default configuration).
    pub cache: &'static str,
    /// Suffix of downloads in progress.
    pub partial: &'static str,
}

/// An updater that runs outside any link lineage.
pub(crate) struct Updater {
    pub image: &'static str,
    pub cmd: &'static str,
    pub host: &'static str,
    /// Where it stages its payload.
    pub stage: &'static str,
}

/// Everything OS-specific a synthetic host needs.
pub(crate) struct Catalog {
    pub home: &'static str,
    pub sep: char,
    /// Service manager (parent of system processes).
    pub services: &'static str,
    /// The user's session shell (explorer, gnome-shell, Finder).
    pub shell: &'static str,
    /// Interactive command shell for admin activity (None: started from the session shell).
    pub terminal: Option<&'static str>,
    pub browsers: &'static [Browser],
    pub mail: &'static str,
    pub mail_server: &'static str,
    /// Where the mail app writes opened attachments (`{dir}` is a random folder).
    pub attachments: &'static str,
    pub office: &'static [&'static str],
    pub office_autosave: &'static str,
    /// URL handler between a mail app and a new browser (xdg-open), if any.
    pub url_handler: Option<&'static str>,
    pub system: &'static [(&'static str, &'static str)],
    pub updaters: &'static [Updater],
    pub admin: &'static [(&'static str, &'static str)],
    /// (allowlisted download URL, file name).
    pub cdn: &'static [(&'static str, &'static str)],
    /// Extensions of malicious payloads.
    pub payload_ext: &'static [&'static str],
}

const WIN_BROWSERS: &[Browser] = &[
    Browser {
        image: r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        child: r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        net_cmd: r#""{img}" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US"#,
        renderer_cmd: r#""{img}" --type=renderer --lang=en-US --renderer-client-id=7"#,
        cache: r"~\AppData\Local\Google\Chrome\User Data\Default\Cache\Cache_Data",
        partial: ".crdownload",
    },
    Browser {
        image: r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
        child: r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
        net_cmd: r#""{img}" --type=utility --utility-sub-type=network.mojom.NetworkService"#,
        renderer_cmd: r#""{img}" --type=renderer --instant-process --renderer-client-id=5"#,
        cache: r"~\AppData\Local\Microsoft\Edge\User Data\Default\Cache\Cache_Data",
        partial: ".crdownload",
    },
];

const LINUX_BROWSERS: &[Browser] = &[
    Browser {
        image: "/usr/lib/firefox/firefox",
        child: "/usr/lib/firefox/firefox",
        net_cmd: "{img} -contentproc -parentBuildID 20240510 -appDir /usr/lib/firefox/browser 12 socket",
        renderer_cmd: "{img} -contentproc -childID 4 -isForBrowser -appDir /usr/lib/firefox/browser 9 tab",
        cache: "~/.cache/mozilla/firefox/q1w2e3r4.default-release/cache2/entries",
        partial: ".part",
    },
    Browser {
        image: "/opt/google/chrome/chrome",
        child: "/opt/google/chrome/chrome",
        net_cmd: "{img} --type=utility --utility-sub-type=network.mojom.NetworkService",
        renderer_cmd: "{img} --type=renderer --crashpad-handler-pid=4521 --renderer-client-id=9",
        cache: "~/.cache/google-chrome/Default/Cache/Cache_Data",
        partial: ".crdownload",
    },
];

const MAC_BROWSERS: &[Browser] = &[
    Browser {
        image: "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        child: "/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/124.0.6367.119/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper",
        net_cmd: "{img} --type=utility --utility-sub-type=network.mojom.NetworkService",
        renderer_cmd: "{img} --type=renderer --renderer-client-id=11",
        cache: "~/Library/Caches/Google/Chrome/Default/Cache/Cache_Data",
        partial: ".crdownload",
    },
    Browser {
        image: "/Applications/Safari.app/Contents/MacOS/Safari",
        child: "/System/Library/Frameworks/WebKit.framework/Versions/A/XPCServices/com.apple.WebKit.Networking.xpc/Contents/MacOS/com.apple.WebKit.Networking",
        net_cmd: "{img}",
        renderer_cmd: "{img} -WebContent",
        cache: "~/Library/Caches/com.apple.Safari/WebKitCache/Version 16/Records",
        partial: ".download",
    },
];

const WINDOWS: Catalog = Catalog {
    home: r"C:\Users\{u}",
    sep: '\\',
    services: r"C:\Windows\System32\services.exe",
    shell: r"C:\Windows\explorer.exe",
    terminal: None,
    browsers: WIN_BROWSERS,
    mail: r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
    mail_server: "outlook.office.com",
    attachments: r"~\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\{dir}",
    office: &[
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
    ],
    office_autosave: r"~\AppData\Roaming\Microsoft\Word",
    url_handler: None,
    system: &[
        (r"C:\Windows\System32\svchost.exe", "svchost.exe -k netsvcs -p -s Schedule"),
        (r"C:\Windows\System32\taskhostw.exe", "taskhostw.exe Install $(Arg0)"),
        (
            r"C:\Windows\System32\backgroundTaskHost.exe",
            "backgroundTaskHost.exe -ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca",
        ),
        (r"C:\Windows\System32\SearchProtocolHost.exe", "SearchProtocolHost.exe Global\\UsGthrFltPipeMssGthrPipe5_"),
        (r"C:\Windows\System32\RuntimeBroker.exe", "RuntimeBroker.exe -Embedding"),
        (r"C:\Windows\System32\wbem\WmiPrvSE.exe", "wbem\\wmiprvse.exe -secured -Embedding"),
        (r"C:\Windows\System32\dllhost.exe", "dllhost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}"),
        (r"C:\Windows\System32\CompPkgSrv.exe", "CompPkgSrv.exe -Embedding"),
    ],
    updaters: &[
        Updater {
            image: r"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe",
            cmd: "/ua /installsource scheduler",
            host: "update.googleapis.com",
            stage: r"C:\Windows\Temp\GUM{n}.tmp\GoogleUpdateSetup.exe",
        },
        Updater {
            image: r"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe",
            cmd: "/ua /installsource scheduler",
            host: "msedge.api.cdp.microsoft.com",
            stage: r"C:\Program Files (x86)\Microsoft\EdgeUpdate\Download\{n}\MicrosoftEdge_X64.exe",
        },
        Updater {
            image: r"C:\Users\{u}\AppData\Local\Microsoft\OneDrive\OneDriveStandaloneUpdater.exe",
            cmd: "/reporting",
            host: "oneclient.sfx.ms",
            stage: r"~\AppData\Local\Temp\OneDriveSetup{n}.exe",
        },
    ],
    admin: &[
        (r"C:\Windows\System32\cmd.exe", "cmd.exe /c ipconfig /all"),
        (
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
            "powershell.exe -NoProfile -Command Get-Service | Where Status -eq Running",
        ),
        (r"C:\Windows\System32\certutil.exe", r"certutil.exe -hashfile C:\Users\{u}\Documents\backup.zip SHA256"),
        (r"C:\Windows\System32\schtasks.exe", "schtasks.exe /query /fo LIST"),
        (r"C:\Windows\System32\wbem\WMIC.exe", "wmic.exe logicaldisk get name,freespace"),
    ],
    cdn: &[
        ("https://dl.google.com/chrome/install/ChromeStandaloneSetup64.exe", "ChromeStandaloneSetup64.exe"),
        (
            "https://download-installer.cdn.mozilla.net/pub/firefox/releases/126.0/win64/en-US/Firefox Setup 126.0.exe",
            "Firefox Setup 126.0.exe",
        ),
        ("https://statics.teams.cdn.office.net/production-windows-x64/TeamsSetup_c_w_.exe", "TeamsSetup_c_w_.exe"),
        ("https://officecdn.microsoft.com/pr/wsus/setup.exe", "OfficeSetup.exe"),
        ("https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/bootstrap.zip", "bootstrap-5.3.3.zip"),
    ],
    payload_ext: &["exe", "pdf.exe", "iso", "zip", "msi", "js", "img"],
};

const LINUX: Catalog = Catalog {
    home: "/home/{u}",
    sep: '/',
    services: "/usr/lib/systemd/systemd",
    shell: "/usr/bin/gnome-shell",
    terminal: Some("/usr/bin/bash"),
    browsers: LINUX_BROWSERS,
    mail: "/usr/lib/thunderbird/thunderbird",
    mail_server: "imap.gmail.com",
    attachments: "~/.thunderbird/x7y8z9.default/ImapMail/imap.gmail.com/{dir}",
    office: &["/usr/lib/libreoffice/program/soffice.bin"],
    office_autosave: "~/.config/libreoffice/4/user/backup",
    url_handler: Some("/usr/bin/xdg-open"),
    system: &[
        ("/usr/sbin/cron", "/usr/sbin/CRON -f -P"),
        ("/usr/bin/run-parts", "run-parts --report /etc/cron.hourly"),
        ("/usr/bin/systemd-tmpfiles", "systemd-tmpfiles --clean"),
        ("/usr/sbin/logrotate", "/usr/sbin/logrotate /etc/logrotate.conf"),
        ("/usr/lib/systemd/systemd-hostnamed", "/usr/lib/systemd/systemd-hostnamed"),
        ("/usr/bin/gpgconf", "gpgconf --list-dirs agent-socket"),
        ("/usr/libexec/fwupd/fwupd", "/usr/libexec/fwupd/fwupd"),
        ("/usr/bin/dbus-daemon", "dbus-daemon --session --address=systemd: --nofork"),
    ],
    updaters: &[
        Updater {
            image: "/usr/bin/apt-get",
            cmd: "apt-get -qq -y update",
            host: "deb.debian.org",
            stage: "/var/cache/apt/archives/partial/libssl3_3.0.{n}_amd64.deb",
        },
        Updater {
            image: "/usr/lib/snapd/snapd",
            cmd: "/usr/lib/snapd/snapd",
            host: "api.snapcraft.io",
            stage: "/var/lib/snapd/snaps/.firefox_{n}.snap.partial",
        },
    ],
    admin: &[
        ("/usr/bin/curl", "curl -s http://10.0.0.5:8080/health"),
        ("/usr/bin/tar", "tar -czf /home/{u}/Documents/backup.tgz /home/{u}/projects"),
        ("/usr/bin/chmod", "chmod +x /home/{u}/bin/deploy.sh"),
        ("/usr/bin/python3", "python3 /home/{u}/projects/report.py"),
        ("/usr/bin/sudo", "sudo systemctl restart nginx"),
    ],
    cdn: &[
        ("https://dl.google.com/linux/direct/google-chrome-stable_current_amd64.deb", "google-chrome-stable_current_amd64.deb"),
        ("https://releases.ubuntu.com/24.04/ubuntu-24.04-desktop-amd64.iso", "ubuntu-24.04-desktop-amd64.iso"),
        ("https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.9.tar.xz", "linux-6.9.tar.xz"),
        ("https://download-installer.cdn.mozilla.net/pub/firefox/releases/126.0/linux-x86_64/en-US/firefox-126.0.tar.bz2", "firefox-126.0.tar.bz2"),
    ],
    payload_ext: &["sh", "AppImage", "elf", "deb", "py", "run"],
};

const MACOS: Catalog = Catalog {
    home: "/Users/{u}",
    sep: '/',
    services: "/sbin/launchd",
    shell: "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder",
    terminal: Some("/bin/zsh"),
    browsers: MAC_BROWSERS,
    mail: "/System/Applications/Mail.app/Contents/MacOS/Mail",
    mail_server: "imap.mail.me.com",
    attachments: "~/Library/Containers/com.apple.mail/Data/Library/Mail Downloads/{dir}",
    office: &["/Applications/Microsoft Word.app/Contents/MacOS/Microsoft Word"],
    office_autosave: "~/Library/Containers/com.microsoft.Word/Data/Library/Preferences/AutoRecovery",
    url_handler: None,
    system: &[
        ("/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared", "mdworker_shared -s mdworker -c MDSImporterWorker -m com.apple.mdworker.shared"),
        ("/usr/libexec/xpcproxy", "xpcproxy com.apple.CloudPhotosConfiguration"),
        ("/usr/libexec/trustd", "/usr/libexec/trustd --agent"),
        ("/usr/sbin/cfprefsd", "/usr/sbin/cfprefsd agent"),
        ("/usr/libexec/periodic-wrapper", "/usr/libexec/periodic-wrapper daily"),
        ("/System/Library/PrivateFrameworks/SkyLight.framework/Versions/A/Resources/WindowServer", "WindowServer -daemon"),
    ],
    updaters: &[
        Updater {
            image: "/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Resources/softwareupdated",
            cmd: "/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Resources/softwareupdated",
            host: "swscan.apple.com",
            stage: "/Library/Updates/{n}/BridgeOSUpdateCustomer.pkg",
        },
        Updater {
            image: "/Library/Application Support/Microsoft/MAU2.0/Microsoft AutoUpdate.app/Contents/MacOS/Microsoft Update Assistant.app/Contents/MacOS/Microsoft Update Assistant",
            cmd: "Microsoft Update Assistant --launchByAgent",
            host: "officecdnmac.microsoft.com",
            stage: "/private/var/folders/7x/k2l9_{n}/T/Microsoft_Word_16.85_Updater.pkg",
        },
    ],
    admin: &[
        ("/usr/bin/xattr", "xattr -l /Users/{u}/Documents/notes.txt"),
        ("/usr/bin/hdiutil", "hdiutil info"),
        ("/bin/launchctl", "launchctl list"),
        ("/usr/bin/codesign", "codesign -dv /Applications/Slack.app"),
        ("/usr/bin/open", "open -a Calculator"),
    ],
    cdn: &[
        ("https://dl.google.com/chrome/mac/universal/stable/GGRO/googlechrome.dmg", "googlechrome.dmg"),
        ("https://download-installer.cdn.mozilla.net/pub/firefox/releases/126.0/mac/en-US/Firefox 126.0.dmg", "Firefox 126.0.dmg"),
        ("https://swcdn.apple.com/content/downloads/41/22/052-95115/InstallAssistant.pkg", "InstallAssistant.pkg"),
        ("https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/bootstrap.zip", "bootstrap-5.3.3.zip"),
    ],
    payload_ext: &["dmg", "pkg", "zip", "command", "app.zip"],
};

/// The catalog of `os`.
pub(crate) fn catalog(os: Os) -> &'static Catalog {
    match os {
        Os::Windows => &WINDOWS,
        Os::Linux => &LINUX,
        Os::Macos => &MACOS,
    }
}

/// Popular sites visited all the time (registrable domains; the generator adds subdomains).
#[rustfmt::skip]
pub(crate) const SITES: &[&str] = &[
    "wikipedia.org", "github.com", "stackoverflow.com", "bbc.co.uk", "nytimes.com", "python.org",
    "rust-lang.org", "docs.rs", "crates.io", "reddit.com", "linkedin.com", "amazon.com", "ebay.com",
    "theguardian.com", "reuters.com", "bloomberg.com", "wsj.com", "cnn.com", "npr.org", "arxiv.org",
    "nature.com", "medium.com", "substack.com", "twitch.tv", "youtube.com", "google.com", "bing.com",
    "duckduckgo.com", "yahoo.com", "zoom.us", "slack.com", "atlassian.net", "salesforce.com",
    "dropbox.com", "notion.so", "figma.com", "canva.com", "adobe.com", "oracle.com", "ibm.com",
    "intel.com", "nvidia.com", "cisco.com", "dell.com", "hp.com", "lenovo.com", "samsung.com",
    "paypal.com", "stripe.com", "shopify.com", "etsy.com", "booking.com", "airbnb.com",
    "tripadvisor.com", "weather.com", "espn.com", "imdb.com", "spotify.com", "netflix.com",
    "apache.org", "kernel.org", "gnu.org", "postgresql.org", "mysql.com", "mongodb.com",
    "docker.com", "kubernetes.io", "hashicorp.com", "gitlab.com", "bitbucket.org", "npmjs.com",
    "pypi.org", "golang.org", "nodejs.org", "ruby-lang.org", "php.net", "w3.org", "mdn.io",
    "ietf.org", "ycombinator.com", "economist.com", "ft.com", "lemonde.fr", "spiegel.de",
    "elpais.com", "corriere.it", "nhk.or.jp", "abc.net.au", "cbc.ca", "europa.eu",
    "who.int", "un.org", "mit.edu", "stanford.edu", "ox.ac.uk", "coursera.org", "khanacademy.org",
    "quora.com", "pinterest.com", "instagram.com", "facebook.com", "x.com", "whatsapp.com",
    "telegram.org", "signal.org", "protonmail.com", "fastmail.com", "zendesk.com", "hubspot.com",
    "mailchimp.com", "squarespace.com", "wordpress.com", "wix.com", "godaddy.com", "namecheap.com",
    "cloudflare.com", "digitalocean.com", "heroku.com", "vercel.com", "netlify.com", "openai.com",
    "anthropic.com", "huggingface.co", "kaggle.com", "jupyter.org", "numpy.org", "pandas.pydata.org",
];

/// Subdomains put in front of [`SITES`].
pub(crate) const SUBDOMAINS: &[&str] = &["www", "www", "www", "docs", "api", "static", "news", "login", "m"];

/// Words for risky and malicious domain names.
#[rustfmt::skip]
pub(crate) const WORDS: &[&str] = &[
    "invoice", "portal", "docs", "share", "payroll", "update", "secure", "login", "verify",
    "account", "billing", "delivery", "parcel", "tracking", "bonus", "prize", "crypto", "wallet",
    "deals", "cheap", "free", "movies", "stream", "files", "cloud", "drive", "office", "hr",
    "benefits", "refund", "tax", "notice", "scan", "fax", "voicemail", "meeting", "support",
];

/// Suspicious TLDs used for risky visits and malicious links (all in the default list).
pub(crate) const BAD_TLDS: &[&str] =
    &["top", "xyz", "monster", "click", "icu", "cyou", "buzz", "rest", "sbs", "bond", "quest", "lol"];

/// Lure names of malicious payloads (the extension comes from the OS catalog).
#[rustfmt::skip]
pub(crate) const LURES: &[&str] = &[
    "Invoice_0514", "Remittance_Advice", "Payroll_Update", "Scan_2024_05", "Shipping_Label",
    "Voicemail_Message", "Benefits_Enrollment", "Q3_Report", "Contract_Signed", "Tax_Refund_Form",
];

/// Names of documents people work on (benign writes outside Downloads).
pub(crate) const DOCS: &[&str] = &["Report Q2", "Budget 2024", "Meeting notes", "Roadmap", "Offer letter", "Minutes"];
