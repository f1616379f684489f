use clickchain_adapters::Os;

use super::normalize::{normalize_general, normalize_simple};
use super::*;
use crate::config::{Config, OsProfile};

fn classifier(os: Os) -> PathClassifier {
    PathClassifier::new(os, &OsProfile::default_for(os)).unwrap()
}

fn with_paths(os: Os, user: &[&str]) -> PathClassifier {
    let mut p = OsProfile::default_for(os);
    p.user_paths = user.iter().map(|s| s.to_string()).collect();
    p.excluded_paths.clear();
    PathClassifier::new(os, &p).unwrap()
}

#[test]
fn windows_variables_expand_on_any_drive_with_either_separator_and_case() {
    let c = with_paths(Os::Windows, &["%TEMP%"]);
    for p in [
        r"C:\Users\alice\AppData\Local\Temp\x.exe",
        r"d:/users/BOB/appdata/local/temp/sub/x.exe",
        r"\\?\C:\Users\alice\AppData\Local\Temp\x.exe",
        r"C:\\Users\alice\\AppData\Local\Temp\.\y\..\x.exe",
    ] {
        assert!(c.classify(p).user_path, "{p}");
    }
    for p in [r"C:\Users\alice\AppData\Local\Tempest\x.exe", r"C:\Windows\Temp\x.exe", r"C:\Users\AppData\Local\Temp\x"]
    {
        assert!(!c.classify(p).user_path, "{p}");
    }
    let c = with_paths(Os::Windows, &["%APPDATA%", r"%USERPROFILE%\Downloads"]);
    assert!(c.classify(r"E:\Users\a\AppData\Roaming\x.js").user_path);
    assert!(!c.classify(r"C:\Users\a\AppData\Local\x.js").user_path);
    assert!(c.classify(r"C:\USERS\a\DOWNLOADS\x.txt").user_path);
    let c = with_paths(Os::Windows, &["%LOCALAPPDATA%", "~/Desktop", "$HOME\\Music"]);
    assert!(c.classify(r"C:\Users\a\AppData\Local\x.js").user_path);
    assert!(c.classify(r"C:\Users\a\Desktop\x.js").user_path);
    assert!(c.classify(r"C:\Users\a\Music\x.js").user_path);
}

#[test]
fn star_suffix_and_deep_patterns() {
    let c = with_paths(Os::Windows, &["%APPDATA%*", r"%USERPROFILE%\OneDrive*", r"C:\**\Drop"]);
    assert!(c.classify(r"C:\Users\a\AppData\Roaming\Microsoft\x.dll").user_path);
    assert!(c.classify(r"C:\Users\a\OneDrive - Contoso\Docs\x.docm").user_path);
    assert!(c.classify(r"C:\Users\a\OneDrive\x.docm").user_path);
    assert!(c.classify(r"C:\Drop\x").user_path);
    assert!(c.classify(r"C:\a\b\c\Drop\x").user_path);
    assert!(!c.classify(r"D:\a\Drop\x").user_path);
    assert!(!c.classify(r"C:\a\Dropped\x").user_path);
}

#[test]
fn linux_homes_temp_and_case_sensitivity() {
    let c = with_paths(Os::Linux, &["$HOME/Downloads", "~/.cache", "${XDG_DATA_HOME}", "/tmp"]);
    assert!(c.classify("/home/alice/Downloads/x.sh").user_path);
    assert!(c.classify("/root/Downloads/x.sh").user_path);
    assert!(c.classify("/home/alice/.cache/x").user_path);
    assert!(c.classify("/home/alice/.local/share/x").user_path);
    assert!(c.classify("//tmp//x.sh").user_path);
    assert!(!c.classify("/home/alice/downloads/x.sh").user_path, "Linux is case-sensitive");
    assert!(!c.classify("/TMP/x.sh").user_path);
    assert!(!c.classify("/home/a/b/Downloads/x.sh").user_path);
    assert!(!c.classify(r"\tmp\x.sh").user_path, "backslash is not a separator on Linux");
}

#[test]
fn macos_is_case_insensitive_and_private_links_resolve() {
    let c = with_paths(Os::Macos, &["~/Downloads", "/private/var/folders/*", "/tmp", "$TMPDIR"]);
    assert!(c.classify("/Users/alice/downloads/x.pkg").user_path);
    assert!(c.classify("/var/folders/ab/cd/T/x.pkg").user_path);
    assert!(c.classify("/private/var/folders/ab/x").user_path);
    assert!(c.classify("/private/tmp/x.sh").user_path);
    assert!(!c.classify("/Users/alice/Documents/x.pkg").user_path);
    assert!(!c.classify("/private/var/db/x").user_path);
}

#[test]
fn unknown_variables_and_relative_patterns_are_errors() {
    for (os, pattern, needle) in [
        (Os::Windows, r"%NOPE%\x", "unknown variable `%NOPE%` on windows"),
        (Os::Linux, "$NOPE/x", "unknown variable `$NOPE` on linux"),
        (Os::Macos, "%APPDATA%", "unknown variable `%APPDATA%` on macos"),
        (Os::Linux, "tmp", "absolute"),
        (Os::Windows, "", "empty"),
    ] {
        let mut p = OsProfile::default_for(os);
        p.excluded_paths.push(pattern.to_owned());
        let i = p.excluded_paths.len() - 1;
        let e = PathClassifier::new(os, &p).unwrap_err();
        assert_eq!(e.key(), Some(format!("{os}.excluded_paths[{i}]").as_str()));
        assert!(e.to_string().contains(needle), "{e}");
    }
    // `$` is an ordinary character in Windows names.
    let c = with_paths(Os::Windows, &[r"C:\$Recycle.Bin", r"%TEMP%\Rar$EX*"]);
    assert!(c.classify(r"C:\$Recycle.Bin\S-1-5\x.exe").user_path);
    assert!(c.classify(r"C:\Users\a\AppData\Local\Temp\Rar$EXa1.2\x.exe").user_path);
}

#[test]
fn windows_browser_profiles_are_excluded_but_outlook_attachments_are_not() {
    let c = classifier(Os::Windows);
    let cache = r"C:\Users\alice\AppData\Local\Google\Chrome\User Data\Default\Cache\Cache_Data\f_000123.js";
    let class = c.classify(cache);
    assert!(class.user_path && class.excluded && class.high_risk_ext && !class.download_like());
    let edge = r"C:\Users\alice\AppData\Local\Microsoft\Edge\User Data\Default\Code Cache\js\x.js";
    assert!(c.classify(edge).excluded);
    let ff = r"C:\Users\alice\AppData\Local\Mozilla\Firefox\Profiles\ab12.default\cache2\entries\x.zip";
    assert!(c.classify(ff).excluded);
    let ie = r"C:\Users\alice\AppData\Local\Microsoft\Windows\INetCache\IE\AB12CD34\x[1].exe";
    assert!(c.classify(ie).excluded);
    // Attachments opened from mail (T1204.002) and Office's caches are not downloads.
    for cache in ["Content.Outlook", "Content.MSO", "Content.Word"] {
        let att = format!(r"C:\Users\alice\AppData\Local\Microsoft\Windows\INetCache\{cache}\AB12CD34\invoice.docm");
        let class = c.classify(&att);
        assert!(class.user_path && class.excluded && class.high_risk_ext && !class.download_like(), "{class:?}");
    }
    let recent = r"C:\Users\alice\AppData\Roaming\Microsoft\Windows\Recent\invoice.lnk";
    assert!(!c.classify(recent).download_like());
}

#[test]
fn windows_temp_downloads_and_archives() {
    let c = classifier(Os::Windows);
    let exe = c.classify(r"C:\Users\alice\AppData\Local\Temp\payload.EXE");
    assert_eq!(exe.extension.as_deref(), Some("exe"));
    assert!(exe.high_risk_ext && exe.download_like());
    let log = c.classify(r"C:\Users\alice\AppData\Local\Temp\setup.log");
    assert!(log.user_path && !log.high_risk_ext && !log.download_like());
    let pdf = c.classify(r"C:\Users\alice\Downloads\sub\report.pdf");
    assert!(pdf.in_download_dir && !pdf.high_risk_ext && pdf.download_like());
    let member = c.classify(r"C:\Users\alice\AppData\Local\Temp\Temp1_invoice.zip\invoice.txt");
    assert!(member.archive_member && member.download_like());
    let seven = c.classify(r"C:\Users\alice\AppData\Local\Temp\7zO4A1B2C3D\readme.txt");
    assert!(seven.archive_member);
    assert!(!c.classify(r"C:\Users\alice\AppData\Local\Temp\notes\readme.txt").archive_member);
    let outside = c.classify(r"C:\Program Files\App\x.exe");
    assert!(!outside.user_path && !outside.download_like());
    assert_eq!(c.classify(r"C:\x\archive.tar.gz").extension.as_deref(), Some("gz"));
    assert_eq!(c.classify(r"C:\x\.hidden").extension, None);
    assert_eq!(c.classify(r"C:\x\noext.").extension, None);
}

#[test]
fn linux_tmp_scripts_and_mozilla_cache() {
    let c = classifier(Os::Linux);
    let sh = c.classify("/tmp/x.sh");
    assert!(sh.user_path && sh.high_risk_ext && sh.download_like(), "{sh:?}");
    let cached = c.classify("/home/a/.cache/mozilla/firefox/ab.default/cache2/entries/x.js");
    assert!(cached.user_path && cached.excluded && !cached.download_like());
    assert!(c.classify("/home/a/.config/google-chrome/Default/x.js").excluded);
    let dl = c.classify("/home/a/Downloads/Report.PDF");
    assert!(dl.in_download_dir && dl.download_like());
    assert_eq!(dl.extension.as_deref(), Some("pdf"));
    assert!(!c.classify("/home/a/downloads/report.pdf").in_download_dir);
    assert!(c.classify("/dev/shm/.org.chromium.Chromium.abc").excluded);
    assert!(!c.classify("/etc/x.sh").download_like());
}

#[test]
fn macos_quarantine_paths_and_executables() {
    let c = classifier(Os::Macos);
    let pkg = c.classify("/private/var/folders/ab/cd/T/x.pkg");
    assert!(pkg.quarantine_path && pkg.executable_ext && pkg.user_path && pkg.download_like());
    let app = c.classify("/Users/alice/Downloads/Evil.app/Contents/MacOS/Evil");
    assert!(app.quarantine_path && app.executable_ext && app.in_download_dir);
    let txt = c.classify("/Users/alice/Downloads/notes.txt");
    assert!(txt.quarantine_path && !txt.executable_ext && txt.download_like());
    let desk = c.classify("/Users/alice/Desktop/x.dmg");
    assert!(!desk.quarantine_path && desk.executable_ext && desk.download_like());
    let clone = c.classify("/private/var/folders/ab/cd/X/com.google.Chrome.code_sign_clone/x.app/y");
    assert!(clone.excluded && !clone.download_like());
    // No policy on the other OSes.
    let w = classifier(Os::Windows).classify(r"C:\Users\a\Downloads\x.pkg");
    assert!(!w.quarantine_path && !w.executable_ext);
}

#[test]
fn partial_downloads() {
    let w = classifier(Os::Windows);
    let crd = r"C:\Users\a\Downloads\x.iso.crdownload";
    assert!(w.classify(crd).partial && !w.classify(crd).download_like());
    assert_eq!(w.partial_final_name(crd).as_deref(), Some(r"C:\Users\a\Downloads\x.iso"));
    assert_eq!(
        w.partial_final_name(r"C:\Users\a\Downloads\x.exe.PARTIAL").as_deref(),
        Some(r"C:\Users\a\Downloads\x.exe")
    );
    let unconfirmed = r"C:\Users\a\Downloads\Unconfirmed 123456.crdownload";
    assert!(w.classify(unconfirmed).partial);
    assert_eq!(w.partial_final_name(unconfirmed), None);
    assert_eq!(w.partial_final_name(r"C:\Users\a\Downloads\x.iso"), None);
    assert_eq!(w.partial_final_name(".part"), None);

    let l = classifier(Os::Linux);
    assert_eq!(l.partial_final_name("/home/a/Downloads/x.sh.part").as_deref(), Some("/home/a/Downloads/x.sh"));
    assert_eq!(l.partial_final_name("x.sh.part").as_deref(), Some("x.sh"));
    let temp = "/home/a/Downloads/.com.google.Chrome.AbC123";
    assert!(l.classify(temp).partial);
    assert_eq!(l.partial_final_name(temp), None);
    assert!(!l.classify("/home/a/Downloads/x.sh").partial);

    let m = classifier(Os::Macos);
    let bundle = "/Users/a/Downloads/x.dmg.download/x.dmg";
    let class = m.classify(bundle);
    assert!(class.partial && !class.download_like(), "{class:?}");
    assert_eq!(m.partial_final_name(bundle).as_deref(), Some("/Users/a/Downloads/x.dmg"));
    assert_eq!(m.partial_final_name("/Users/a/Downloads/x.dmg.download").as_deref(), Some("/Users/a/Downloads/x.dmg"));
    assert_eq!(m.partial_final_name("/Users/a/Downloads/x.dmg.download/").as_deref(), Some("/Users/a/Downloads/x.dmg"));
}

#[test]
fn browsers_lolbins_and_image_names() {
    assert_eq!(basename(r"C:\a\b/chrome.exe"), "chrome.exe");
    assert_eq!(basename("/usr/bin/"), "bin");
    assert_eq!(basename(""), "");
    assert_eq!(image_name(r"C:\Program Files\Google\Chrome\Application\Chrome.EXE", Os::Windows), "chrome.exe");
    let chrome = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
    assert_eq!(image_name(chrome, Os::Macos), "google chrome");
    assert_eq!(image_name("/Applications/Safari.app", Os::Macos), "safari");

    let w = classifier(Os::Windows);
    assert!(w.is_browser(r"C:\Program Files\Microsoft\Edge\Application\MSEDGE.exe"));
    assert!(w.is_browser("outlook"));
    assert!(!w.is_browser(r"C:\Windows\explorer.exe"));
    assert!(w.is_lolbin(r"C:\Windows\System32\mshta.exe") && !w.is_lolbin("chrome.exe"));

    let m = classifier(Os::Macos);
    assert!(m.is_browser(chrome));
    assert!(m.is_browser("/Applications/Microsoft Word.app/Contents/MacOS/Microsoft Word"));
    let renamed = "/Applications/Safari.app/Contents/MacOS/SafariBin";
    assert!(m.is_browser(renamed), "bundle name counts");
    let helper = "/Applications/Google Chrome.app/Contents/Frameworks/x/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper";
    assert!(!m.is_browser(helper), "helpers join the lineage as children, not as roots");
    assert!(m.is_lolbin("/usr/bin/osascript"));

    let l = classifier(Os::Linux);
    assert!(l.is_browser("/usr/lib/firefox/firefox") && l.is_browser("/opt/google/chrome/chrome"));
    assert!(!l.is_browser("/usr/bin/bash") && l.is_lolbin("/usr/bin/bash"));
}

#[test]
fn normalize_and_same_path() {
    let w = classifier(Os::Windows);
    assert_eq!(w.normalize(r"\\?\C:/Users//Alice\.\x\..\File.TXT"), r"c:\users\alice\file.txt");
    assert_eq!(w.normalize(r"\\?\UNC\srv\share\a"), r"\\srv\share\a");
    assert_eq!(w.normalize(r"C:\..\..\x"), r"c:\x");
    assert!(w.same_path(r"C:\Users\A\x.exe", "c:/users/a/X.EXE"));
    let l = classifier(Os::Linux);
    assert_eq!(l.normalize("/home//a/./b/../c/"), "/home/a/c");
    assert!(!l.same_path("/home/a/X", "/home/a/x"));
    assert!(l.same_path("/home/a/x", "/home/a/b/../x"));
    let m = classifier(Os::Macos);
    assert_eq!(m.normalize("/var/folders/AB/x"), "/private/var/folders/ab/x");
    assert_eq!(m.normalize("/tmp"), "/private/tmp");
    assert_eq!(m.normalize("/tmpfoo"), "/tmpfoo");
    assert!(m.same_path("/Users/A/Downloads/X.pkg", "/users/a/downloads/x.pkg"));
}

#[test]
fn odd_input_never_panics() {
    let inputs = [
        "",
        "/",
        "\\",
        "..",
        "C:",
        "\\\\",
        "\\\\?\\",
        "é",
        "a.é",
        "x.\u{301}",
        "//?/UNC/",
        "/a/b.zip/",
        "**",
        "%",
        "$",
    ];
    for os in Os::ALL {
        let c = classifier(os);
        for input in inputs {
            let _ = c.classify(input);
            let _ = c.partial_final_name(input);
            let _ = c.is_browser(input);
            let _ = image_name(input, os);
            let _ = pattern::compile(os, input);
        }
    }
    // Patterns with every kind of wildcard against awkward names.
    let c = with_paths(Os::Linux, &["/**/a?c*/**/z", "/d/*é*"]);
    assert!(c.classify("/x/y/abcde/q/z/file").user_path);
    assert!(c.classify("/x/aéc/z").user_path);
    assert!(!c.classify("/x/ac/z").user_path);
    assert!(c.classify("/d/café/x").user_path);
}

#[test]
fn every_default_profile_compiles() {
    let config = Config::default();
    for os in Os::ALL {
        PathClassifier::new(os, config.profile(os)).unwrap();
    }
}

/// Regression: the one-pass normaliser missed macOS's `/tmp` alias behind a doubled separator
/// or in capitals (found by the property test below).
#[test]
fn macos_tmp_alias_with_double_slash_or_capitals() {
    for path in ["//tmp/", "/TMP/x", "//Var//folders"] {
        assert!(normalize_simple(Os::Macos, path).is_none(), "{path}");
        assert!(normalize_for(Os::Macos, path).starts_with("/private/"), "{path}");
    }
}

proptest::proptest! {
    /// The one-pass ASCII normaliser agrees with the general rules wherever it applies.
    #[test]
    fn simple_normalisation_equals_the_general_rules(
        path in "(C:|c:|/|[a-z])([/\\\\]|[aBz. ]|\\.\\.|Users|tmp|var){0,16}",
        os in 0usize..3,
    ) {
        let os = [Os::Windows, Os::Linux, Os::Macos][os];
        if let Some(fast) = normalize_simple(os, &path) {
            proptest::prop_assert_eq!(fast, normalize_general(os, &path), "{:?} on {}", path, os);
        }
    }
}

#[test]
fn macos_alias_after_collapsed_separators() {
    for path in ["//tmp", "//tmp/x", "/tmp", "///var//folders/x", "/etc"] {
        assert_eq!(normalize_for(Os::Macos, path), normalize_general(Os::Macos, path), "{path}");
    }
    assert_eq!(normalize_for(Os::Macos, "//tmp/X"), "/private/tmp/x");
    assert_eq!(normalize_for(Os::Macos, "/tmpfiles/x"), "/tmpfiles/x");
}

proptest::proptest! {
    /// The engine's cached shortcut (folder flags of the raw folder, name flags of the raw name)
    /// answers exactly as the full classification does.
    #[test]
    fn folder_and_name_flags_decide_like_classify_write(
        root in proptest::sample::select(vec!["C:", "c:", "/home/u", "/Users/u", "", "/private/var/folders/ab/cd", "//tmp"]),
        segs in proptest::collection::vec(proptest::sample::select(vec![
            "Downloads", "downloads", "AppData", "Local", "Temp", "x.zip", "Temp1_a.ZIP", "7zO12", "Rar$EXa",
            "a.app", "Contents", "b.dmg.download", "..", ".", "", "cache", "User Data", "x.iso",
        ]), 0..6),
        name in proptest::sample::select(vec![
            "a.exe", "A.EXE", "b.crdownload", "c.part", ".com.google.Chrome.xYz", "d.txt", "e", "f.sh",
            "g.zip.download", "h.DMG", ".", "..", "",
        ]),
        sep in proptest::sample::select(vec!["\\", "/"]),
        os in 0usize..3,
    ) {
        let os = [Os::Windows, Os::Linux, Os::Macos][os];
        let c = classifier(os);
        let mut path = root.to_owned();
        for s in segs.iter().chain(std::iter::once(&name)) {
            path.push_str(sep);
            path.push_str(s);
        }
        if let Some((dir, file)) = c.split_raw(&path) {
            let quick = PathClassifier::may_matter(&c.dir_flags(dir), &c.name_flags(file));
            proptest::prop_assert_eq!(quick, c.classify_write(&path).is_some(), "{:?} on {}", path, os);
        }
    }
}

proptest::proptest! {
    /// The byte searches of `basename`, `extension_of` and `split_raw` cut where the `str`
    /// searches they replaced cut.
    #[test]
    fn byte_searches_cut_where_str_searches_did(path in "[a-zA-Z./\\\\é ]{0,24}") {
        let trimmed = path.trim_end_matches(['/', '\\']);
        proptest::prop_assert_eq!(basename(&path), trimmed.rsplit(['/', '\\']).next().unwrap_or(trimmed));
        let ext = match path.rfind('.') {
            Some(i) if i > 0 && i + 1 < path.len() => Some(&path[i + 1..]),
            _ => None,
        };
        proptest::prop_assert_eq!(super::extension_of(&path), ext);
        for (os, seps) in [(Os::Windows, &['\\', '/'][..]), (Os::Linux, &['/'][..])] {
            let m = classifier(os);
            let want = path.rfind(seps).map(|i| (&path[..i], &path[i + 1..]));
            let want = want.filter(|(dir, name)| !dir.is_empty() && !matches!(*name, "" | "." | ".."));
            proptest::prop_assert_eq!(m.split_raw(&path), want);
        }
    }
}

proptest::proptest! {
    /// The allocation-free check rules a write out exactly when the flags would.
    #[test]
    fn write_may_matter_equals_the_flags(
        name in "[a-zA-Z0-9 ._~$-]{0,12}(\\.(EXE|exe|Iso|crdownload|part|tmp|zip|TXT|é|averyveryverylongextension))?",
        bits in 0u8..16,
    ) {
        let dir = DirFlags {
            in_download_dir: bits & 1 != 0,
            archive_member: bits & 2 != 0,
            app_bundle: bits & 4 != 0,
            download_bundle: bits & 8 != 0,
        };
        for os in Os::ALL {
            let m = classifier(os);
            proptest::prop_assert_eq!(m.write_may_matter(&dir, &name), PathClassifier::may_matter(&dir, &m.name_flags(&name)));
        }
    }
}
