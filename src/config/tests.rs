use std::time::Duration;

use clickchain_adapters::Os;
use clickchain_logic::Strength;

use super::parse::{os_keys, ENGINE_KEYS, QUARANTINE_KEYS};
use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, "test.toml")
}

fn err(text: &str) -> ConfigError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn per_os_defaults_follow_det0066() {
    let c = Config::default();
    assert_eq!(c.windows.time_window, Duration::from_secs(15 * 60));
    assert_eq!(c.linux.time_window, Duration::from_secs(15 * 60));
    assert_eq!(c.macos.time_window, Duration::from_secs(20 * 60));
    for os in Os::ALL {
        let p = c.profile(os);
        assert_eq!(p.download_gap_ms(), 120_000);
        assert_eq!(p.min_strength, Strength::Medium);
        assert_eq!(p.domain_risk_score, 60);
        assert_eq!(p.quarantine_policy.is_some(), os == Os::Macos);
        for ext in ["exe", "elf", "sh", "js", "py", "jar", "iso", "img", "zip", "rar", "xlsm", "docm", "xll"] {
            assert!(p.high_risk_extensions.iter().any(|e| e == ext), "{os} lacks {ext}");
        }
        assert!(p.allowed_cidrs.iter().all(|c| !c.starts_with("203.0.113.") && !c.starts_with("2001:db8")));
        for cdn in ["cloudfront.net", "amazonaws.com", "github.io"] {
            assert!(!p.allowed_cdns.iter().any(|c| c == cdn), "{os} allows {cdn}");
        }
    }
    for seed in ["chrome.exe", "msedge.exe", "firefox.exe", "winword.exe", "outlook.exe", "teams.exe"] {
        assert!(c.windows.browser_parents.iter().any(|b| b == seed));
    }
    assert!(c.windows.allowed_cdns.iter().any(|d| d == "windowsupdate.com"));
    assert!(c.linux.allowed_cdns.iter().any(|d| d == "ubuntu.com"));
    assert!(c.macos.allowed_cdns.iter().any(|d| d == "apple.com"));
    assert!(c.linux.allowed_cdns.iter().any(|d| d == "kernel.org"));
    assert!(!c.windows.allowed_cdns.iter().any(|d| d == "kernel.org"));
    let q = c.macos.quarantine_policy.as_ref().unwrap();
    assert!(q.enabled && q.grace_ms() == 30_000);
    assert!(q.paths.iter().any(|p| p == "/private/var/folders/*"));
}

#[test]
fn defaults_pass_their_own_validation() {
    // Every default list goes through the same checks as a file would.
    let text = Config::default().to_toml(None);
    let back = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, Config::default());
}

#[test]
fn round_trip_each_os_and_all() {
    for os in Os::ALL {
        let text = Config::default().to_toml(Some(os));
        assert!(text.starts_with("# clickchain's default configuration for "), "{text}");
        assert!(text.contains(&format!("[{os}]")));
        for other in Os::ALL.into_iter().filter(|o| *o != os) {
            assert!(!text.contains(&format!("\n[{other}]")), "{os} output has [{other}]");
        }
        assert_eq!(parse(&text).unwrap(), Config::default(), "{os}");
    }
}

#[test]
fn round_trip_of_a_changed_config() {
    let mut c = Config::default();
    c.engine.batch = Duration::from_millis(1_500);
    c.engine.nod_warmup = Duration::ZERO;
    c.linux.time_window = Duration::from_secs(5_400);
    c.linux.min_strength = Strength::Strong;
    c.linux.user_paths = vec!["/srv/drop's \"box\"".into(), "/tmp".into()];
    c.windows.download_dirs = vec![r"Téléchargements".into()];
    c.macos.quarantine_policy.as_mut().unwrap().enabled = false;
    c.rules.explain = true;
    let text = c.to_toml(None);
    assert!(text.starts_with("# clickchain configuration for windows, linux, macos"));
    assert!(text.contains("time_window = \"1h 30m\""), "{text}");
    assert_eq!(parse(&text).unwrap(), c);
}

#[test]
fn every_key_is_written_with_a_comment() {
    let text = Config::default().to_toml(Some(Os::Macos));
    let lines: Vec<&str> = text.lines().collect();
    let keys = ENGINE_KEYS.iter().chain(os_keys(Os::Linux)).chain(QUARANTINE_KEYS);
    for key in keys {
        // Optional keys without a value are written commented out.
        let i = lines
            .iter()
            .position(|l| l.starts_with(&format!("{key} = ")) || l.starts_with(&format!("# {key} = ")))
            .unwrap_or_else(|| panic!("{key} missing"));
        assert!(lines[i - 1].starts_with("# "), "no comment before {key}");
    }
}

#[test]
fn partial_files_keep_other_defaults_and_normalise() {
    let c = parse(
        r#"
        [engine]
        dns_ttl = "5m"
        [windows]
        time_window = "10m"
        browser_parents = ["C:\\Program Files\\Google\\Chrome\\Application\\CHROME.EXE", "Outlook.exe", "outlook.exe"]
        high_risk_extensions = [".EXE", "Iso", "..js"]
        partial_suffixes = ["crdownload", ".PART"]
        allowed_cdns = ["*.Example.COM.", ".cdn.example.net"]
        allowed_cidrs = ["192.168.0.0/16", "198.51.100.7", "2001:db8::/32"]
        min_strength = "Strong"
        [macos.quarantine_policy]
        grace = "1m"
        executable_extensions = [".App", "PKG"]
        "#,
    )
    .unwrap();
    let d = Config::default();
    assert_eq!(c.engine.dns_ttl_ms(), 300_000);
    assert_eq!(c.engine.batch, d.engine.batch);
    assert_eq!(c.windows.time_window_ms(), 600_000);
    assert_eq!(c.windows.browser_parents, ["chrome.exe", "outlook.exe"]);
    assert_eq!(c.windows.high_risk_extensions, ["exe", "iso", "js"]);
    assert_eq!(c.windows.partial_suffixes, [".crdownload", ".part"]);
    assert_eq!(c.windows.allowed_cdns, ["example.com", "cdn.example.net"]);
    assert_eq!(c.windows.allowed_cidrs, ["192.168.0.0/16", "198.51.100.7/32", "2001:db8::/32"]);
    assert_eq!(c.windows.min_strength, Strength::Strong);
    assert_eq!(c.windows.user_paths, d.windows.user_paths);
    assert_eq!(c.linux, d.linux);
    let q = c.macos.quarantine_policy.as_ref().unwrap();
    assert_eq!(q.grace, Duration::from_secs(60));
    assert_eq!(q.executable_extensions, ["app", "pkg"]);
    assert_eq!(q.paths, d.macos.quarantine_policy.as_ref().unwrap().paths);
    assert_eq!(c.macos.time_window, d.macos.time_window);
}

#[test]
fn dotted_and_inline_tables_are_read_too() {
    let c = parse("linux.time_window = \"12m\"\nmacos = { quarantine_policy = { enabled = false } }\n").unwrap();
    assert_eq!(c.linux.time_window_ms(), 720_000);
    assert!(!c.macos.quarantine_policy.unwrap().enabled);
    assert_eq!(parse("").unwrap(), Config::default());
}

#[test]
fn unknown_keys_name_the_full_path_and_position() {
    let e = err("[engine]\nbatch = \"1s\"\n\n[linux]\ntime_window = \"10m\"\ntime_windw = \"5m\"\n");
    assert_eq!(e.key(), Some("linux.time_windw"));
    assert_eq!(e.location(), Some(Location { line: 6, column: 1 }));
    let msg = e.to_string();
    assert!(msg.starts_with("test.toml:6:1: unknown key `linux.time_windw`"), "{msg}");
    assert!(msg.contains("did you mean `time_window`"), "{msg}");

    let e = err("[macos.quarantine_policy]\nenable = true\n");
    assert_eq!(e.key(), Some("macos.quarantine_policy.enable"));
    let e = err("[windows.quarantine_policy]\nenabled = true\n");
    assert_eq!(e.key(), Some("windows.quarantine_policy"));
    let e = err("[engine]\nzzz = 1\n");
    assert!(e.to_string().contains("expected one of: allowed_lateness"), "{e}");
    assert_eq!(err("[freebsd]\n").key(), Some("freebsd"));
    assert_eq!(err("linux.nope = 1\n").key(), Some("linux.nope"));
}

#[test]
fn bad_values_name_key_value_and_reason() {
    let cases: &[(&str, &str, &str)] = &[
        ("[linux]\ntime_window = \"15 parsecs\"\n", "linux.time_window", "15 parsecs"),
        ("[linux]\ntime_window = 15\n", "linux.time_window", "expected a duration string"),
        ("[linux]\ntime_window = \"0s\"\n", "linux.time_window", "between 1s and 1day"),
        ("[macos]\ntime_window = \"2days\"\n", "macos.time_window", "2days"),
        ("[windows]\ndownload_gap = \"20m\"\n", "windows.download_gap", "must not exceed time_window (15m)"),
        ("[windows]\ntime_window = \"1m\"\n", "windows.time_window", "must not exceed time_window (1m)"),
        ("[windows]\nmin_strength = \"strongest\"\n", "windows.min_strength", "unknown strength `strongest`"),
        ("[linux]\ndomain_risk_score = 101\n", "linux.domain_risk_score", "101"),
        ("[linux]\ndomain_risk_score = -1\n", "linux.domain_risk_score", "0 to 100"),
        ("[linux]\nbrowser_parents = []\n", "linux.browser_parents", "at least one"),
        ("[linux]\nbrowser_parents = [\"firefox\", 3]\n", "linux.browser_parents[1]", "expected a string"),
        ("[windows]\nuser_paths = [\"%TEMP%\", \"%FOO%\\\\x\"]\n", "windows.user_paths[1]", "unknown variable `%FOO%`"),
        ("[linux]\nuser_paths = [\"$XDG_NOPE/x\"]\n", "linux.user_paths[0]", "unknown variable `$XDG_NOPE`"),
        ("[linux]\nexcluded_paths = [\"%TEMP%\"]\n", "linux.excluded_paths[0]", "unknown variable `%TEMP%` on linux"),
        ("[linux]\nuser_paths = [\"Downloads\"]\n", "linux.user_paths[0]", "must be absolute"),
        ("[linux]\nhigh_risk_extensions = [\"\"]\n", "linux.high_risk_extensions[0]", "must not be empty"),
        ("[linux]\nallowed_cidrs = [\"10.1.0.0/8\"]\n", "linux.allowed_cidrs[0]", "host bits"),
        ("[linux]\nallowed_cidrs = [\"10.0.0.0/33\"]\n", "linux.allowed_cidrs[0]", "prefix length"),
        ("[linux]\nallowed_cdns = [\"https://x.example\"]\n", "linux.allowed_cdns[0]", "domain name"),
        ("[linux]\ndownload_dirs = [\"a/b\"]\n", "linux.download_dirs[0]", "single folder name"),
        ("[macos.quarantine_policy]\ngrace = \"0s\"\n", "macos.quarantine_policy.grace", "between 1s and 1h"),
        ("[macos.quarantine_policy]\nenabled = \"yes\"\n", "macos.quarantine_policy.enabled", "true or false"),
        ("[engine]\nmax_hosts = 0\n", "engine.max_hosts", "from 1 to"),
        ("[engine]\nbatch = \"0s\"\n", "engine.batch", "between"),
        ("[engine]\ndns_ttl = \"1000years\"\n", "engine.dns_ttl", "between"),
        ("linux = 3\n", "linux", "expected a table"),
    ];
    for (text, key, needle) in cases {
        let e = err(text);
        let msg = e.to_string();
        assert_eq!(e.key(), Some(*key), "{msg}");
        assert!(msg.starts_with("test.toml:"), "{msg}");
        assert!(msg.contains(&format!("`{key}`")), "{msg}");
        assert!(msg.contains(needle), "`{needle}` not in: {msg}");
        assert!(e.location().is_some(), "{msg}");
    }
}

#[test]
fn syntax_errors_and_odd_input_never_panic() {
    let e = err("[linux\ntime_window = 1");
    assert!(matches!(e, ConfigError::Syntax { location: Some(_), .. }), "{e}");
    assert!(e.to_string().starts_with("test.toml:1:"), "{e}");
    let e = err("[linux]\ntime_window = 1979-05-27T07:32:00Z\n");
    assert!(e.to_string().contains("dates and times are not valid"), "{e}");
    let e = err("[linux]\ntime_window = \"10m\"\ntime_window = \"11m\"\n");
    assert!(matches!(e, ConfigError::Syntax { .. }), "{e}");
    for text in [
        "\u{feff}",
        "[[linux]]\n",
        "linux = []\n",
        "[engine]\nmax_hosts = 1e3\n",
        "x = \"\u{0}\"",
        "[linux]\nuser_paths = [\"/a/\u{e9}%\"]",
    ] {
        let _ = parse(text);
    }
}

#[test]
fn load_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clickchain.toml");
    std::fs::write(&path, "[linux]\ntime_window = \"nope\"\n").unwrap();
    let msg = Config::load(&path).unwrap_err().to_string();
    assert!(msg.starts_with(&format!("{}:2:1: invalid value for `linux.time_window`", path.display())), "{msg}");
    let missing = dir.path().join("missing.toml");
    let e = Config::load(&missing).unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }) && e.to_string().contains("missing.toml"), "{e}");
    std::fs::write(&path, Config::default().to_toml(Some(Os::Linux))).unwrap();
    assert_eq!(Config::load(&path).unwrap(), Config::default());
}

#[test]
fn profile_accessors() {
    let mut c = Config::default();
    c.profile_mut(Os::Linux).domain_risk_score = 70;
    assert_eq!(c.profile(Os::Linux).domain_risk_score, 70);
    assert_eq!(c.profile(Os::Macos).time_window_ms(), 1_200_000);
    assert_eq!(duration_ms(Duration::MAX), i64::MAX);
    assert_eq!(c.engine.allowed_lateness_ms(), 5_000);
    assert_eq!(c.engine.max_future_skew_ms(), 86_400_000);
}
