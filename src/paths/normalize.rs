//! Paths normalised by each OS's rules (see the `paths` module documentation), and the
//! ASCII case-insensitive prefix and suffix tests the classifier shares.

use clickchain_adapters::Os;

/// Normalises `path` by `os`'s rules (see the module documentation).
pub(crate) fn normalize_for(os: Os, path: &str) -> String {
    normalize_simple(os, path).unwrap_or_else(|| normalize_general(os, path))
}

/// [`normalize_for`] by the general rules.
pub(super) fn normalize_general(os: Os, path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    let mut rest = path;
    if os == Os::Windows {
        if let Some(r) = strip_prefix_ci(rest, r"\\?\UNC\").or_else(|| strip_prefix_ci(rest, "//?/UNC/")) {
            out.push_str(r"\\");
            rest = r;
        } else if let Some(r) =
            [r"\\?\", r"\??\", r"\\.\", "//?/", "//./"].iter().find_map(|p| strip_prefix_ci(rest, p))
        {
            rest = r;
        } else if rest.starts_with(r"\\") || rest.starts_with("//") {
            out.push_str(r"\\");
        } else if rest.starts_with(['\\', '/']) {
            out.push('\\');
        }
    } else if rest.starts_with('/') {
        out.push('/');
    }
    let (sep, fold_case) = match os {
        Os::Windows => ('\\', true),
        Os::Linux => ('/', false),
        Os::Macos => ('/', true),
    };
    let is_sep = |c: char| c == '/' || (os == Os::Windows && c == '\\');
    let mut floor = out.len();
    for seg in rest.split(is_sep) {
        match seg {
            "" | "." => continue,
            ".." => {
                let cut = out[floor..].rfind(sep).map_or(floor, |i| floor + i);
                out.truncate(cut);
                continue;
            }
            _ => {}
        }
        let first = out.is_empty();
        if !(first || out.ends_with(sep)) {
            out.push(sep);
        }
        if fold_case {
            push_lower(&mut out, seg);
        } else {
            out.push_str(seg);
        }
        if first && os == Os::Windows && seg.ends_with(':') {
            floor = out.len();
        }
    }
    if os == Os::Macos {
        for link in ["/var", "/tmp", "/etc"] {
            if out.starts_with(link) && matches!(out.as_bytes().get(link.len()), None | Some(b'/')) {
                out.insert_str(0, "/private");
                break;
            }
        }
    }
    out
}

/// The common case in one pass over the bytes: an ASCII path that starts at a root or drive,
/// with no `.` or `..` segments, no device or UNC prefix and (on macOS) no `/var`, `/tmp`,
/// `/etc` alias. `None` sends the path to the general rules.
pub(super) fn normalize_simple(os: Os, path: &str) -> Option<String> {
    let b = path.as_bytes();
    if !path.is_ascii() || b.is_empty() {
        return None;
    }
    let is_sep = |c: u8| c == b'/' || (os == Os::Windows && c == b'\\');
    match os {
        // `C:` then a separator, or a single leading separator (not UNC / device paths).
        Os::Windows => {
            let drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && is_sep(b[2]);
            if !drive {
                return None;
            }
        }
        Os::Linux | Os::Macos => {
            if b[0] != b'/' {
                return None;
            }
        }
    }
    // `.` and `..` segments need the general rules.
    let dot_segment = b.split(|&c| is_sep(c)).any(|seg| seg == b"." || seg == b"..");
    if dot_segment {
        return None;
    }
    let (sep, fold) = match os {
        Os::Windows => (b'\\', true),
        Os::Linux => (b'/', false),
        Os::Macos => (b'/', true),
    };
    let mut out = Vec::with_capacity(b.len());
    for &c in b {
        if is_sep(c) {
            if out.last() != Some(&sep) {
                out.push(sep);
            }
        } else {
            out.push(if fold { c.to_ascii_lowercase() } else { c });
        }
    }
    if out.len() > 1 && out.last() == Some(&sep) {
        out.pop();
    }
    // macOS's /var, /tmp and /etc aliases of /private: checked on the collapsed path, since
    // `//tmp` is `/tmp` too (regression: macos_alias_after_collapsed_separators).
    if os == Os::Macos
        && [&b"/var"[..], b"/tmp", b"/etc"]
            .iter()
            .any(|a| out.starts_with(a) && matches!(out.get(a.len()), None | Some(b'/')))
    {
        return None;
    }
    String::from_utf8(out).ok()
}

fn push_lower(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

pub(super) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

pub(super) fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let at = s.len().checked_sub(suffix.len())?;
    let tail = s.get(at..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..at])
}

pub(super) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    strip_prefix_ci(s, prefix).is_some()
}

pub(super) fn ends_with_ci(s: &str, suffix: &str) -> bool {
    strip_suffix_ci(s, suffix).is_some()
}
