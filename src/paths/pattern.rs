//! Folder patterns: variable expansion per OS, then precompiled segments matched against
//! normalised paths without allocating.

use clickchain_adapters::Os;

use super::normalize::normalize_for;

/// One precompiled pattern segment (already normalised for the OS: lowercase where it is
/// case-insensitive).
#[derive(Debug, Clone)]
enum Seg {
    /// Exactly this name.
    Lit(Box<str>),
    /// `*`: any one segment.
    Any,
    /// A name with `*` (any run of characters) or `?` (one character) in it.
    Glob(Box<str>),
    /// `**`: any number of segments, including none.
    Deep,
}

/// A compiled folder pattern. It matches a path that is in the folder it names, or below it.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    segs: Box<[Seg]>,
}

impl Pattern {
    /// Whether a normalised path, given as its segments, starts with this pattern's segments.
    pub(crate) fn matches(&self, path: &[&str]) -> bool {
        let segs = &self.segs;
        let (mut p, mut i) = (0, 0);
        // The classic wildcard algorithm over segments; `Deep` is the star. Prefix semantics: once
        // the pattern is used up, whatever path remains is inside the folder.
        let mut star: Option<(usize, usize)> = None;
        loop {
            if p == segs.len() {
                return true;
            }
            if let Seg::Deep = segs[p] {
                p += 1;
                star = Some((p, i));
                continue;
            }
            match path.get(i) {
                Some(name) if segs[p].matches(name) => {
                    i += 1;
                    p += 1;
                }
                _ => {
                    let Some((resume, from)) = star.as_mut() else {
                        return false;
                    };
                    if *from >= path.len() {
                        return false;
                    }
                    *from += 1;
                    p = *resume;
                    i = *from;
                }
            }
        }
    }
}

impl Seg {
    fn matches(&self, name: &str) -> bool {
        match self {
            Seg::Lit(lit) => **lit == *name,
            Seg::Any => true,
            Seg::Glob(glob) => glob_match(glob.as_bytes(), name.as_bytes()),
            Seg::Deep => true,
        }
    }
}

/// `*` and `?` wildcard match of one name (`?` takes one UTF-8 character).
fn glob_match(p: &[u8], t: &[u8]) -> bool {
    let char_len = |b: u8| match b {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    };
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'?') => {
                pi += 1;
                ti = (ti + char_len(t[ti])).min(t.len());
            }
            Some(b'*') => {
                pi += 1;
                star = Some((pi, ti));
            }
            Some(&c) if c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    let next = (st + char_len(t[st])).min(t.len());
                    star = Some((sp, next));
                    pi = sp;
                    ti = next;
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == b'*')
}

/// Expands and compiles `raw` for `os`; one pattern per expansion (Linux homes are two).
pub(crate) fn compile(os: Os, raw: &str) -> Result<Vec<Pattern>, String> {
    let sep = if os == Os::Windows { '\\' } else { '/' };
    expand(os, raw)?
        .iter()
        .map(|text| {
            let norm = normalize_for(os, text);
            let segs = norm
                .split(sep)
                .map(|s| match s {
                    "*" => Seg::Any,
                    "**" => Seg::Deep,
                    s if s.contains(['*', '?']) => Seg::Glob(s.into()),
                    s => Seg::Lit(s.into()),
                })
                .collect();
            Ok(Pattern { segs })
        })
        .collect()
}

const MAX_EXPANSIONS: usize = 16;

/// Replaces `~`, `$VAR`, `${VAR}` and `%VAR%` by every folder they can name on `os`.
pub(crate) fn expand(os: Os, raw: &str) -> Result<Vec<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("a path pattern must not be empty".into());
    }
    let mut outs = vec![String::new()];
    let mut rest = raw;
    if rest == "~" || rest.starts_with("~/") || rest.starts_with("~\\") {
        outs = variable(os, "HOME", "~")?;
        rest = &rest[1..];
    }
    while let Some(c) = rest.chars().next() {
        if let Some((name, len)) = variable_at(os, rest) {
            let values = variable(os, name, &rest[..len])?;
            outs = outs.iter().flat_map(|o| values.iter().map(move |v| format!("{o}{v}"))).collect();
            if outs.len() > MAX_EXPANSIONS {
                return Err(format!("expands to more than {MAX_EXPANSIONS} folders"));
            }
            rest = &rest[len..];
        } else {
            outs.iter_mut().for_each(|o| o.push(c));
            rest = &rest[c.len_utf8()..];
        }
    }
    for out in &outs {
        let b = out.as_bytes();
        let absolute = match os {
            Os::Windows => b.get(1) == Some(&b':') || b.starts_with(b"\\") || b.starts_with(b"/"),
            Os::Linux | Os::Macos => b.starts_with(b"/"),
        };
        if !absolute && !b.starts_with(b"*") {
            return Err("a path pattern must be absolute, or start with ~, a variable or *".into());
        }
    }
    Ok(outs)
}

/// A variable token at the start of `s`: its name and its length in `s`.
fn variable_at(os: Os, s: &str) -> Option<(&str, usize)> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if let Some(body) = s.strip_prefix('%') {
        let end = body.find('%')?;
        let name = &body[..end];
        let ok = !name.is_empty() && name.chars().all(|c| name_char(c) || matches!(c, '(' | ')'));
        return ok.then_some((name, end + 2));
    }
    if let Some(body) = s.strip_prefix("${") {
        let end = body.find('}')?;
        let name = &body[..end];
        return (!name.is_empty() && name.chars().all(name_char)).then_some((name, end + 3));
    }
    let body = s.strip_prefix('$')?;
    let end = body.find(|c: char| !name_char(c)).unwrap_or(body.len());
    let name = &body[..end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // `$` is an ordinary character in Windows names (`$Recycle.Bin`, `Rar$EXa…`): there only
    // an all-caps name followed by a separator or the end is a variable.
    if os == Os::Windows {
        let caps = name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let boundary = body[end..].chars().next().is_none_or(|c| c == '\\' || c == '/');
        if !(caps && boundary) {
            return None;
        }
    }
    Some((name, end + 1))
}

const WINDOWS_VARS: &[(&str, &str)] = &[
    ("USERPROFILE", r"?:\Users\*"),
    ("HOME", r"?:\Users\*"),
    ("TEMP", r"?:\Users\*\AppData\Local\Temp"),
    ("TMP", r"?:\Users\*\AppData\Local\Temp"),
    ("APPDATA", r"?:\Users\*\AppData\Roaming"),
    ("LOCALAPPDATA", r"?:\Users\*\AppData\Local"),
    ("ONEDRIVE", r"?:\Users\*\OneDrive*"),
    ("PUBLIC", r"?:\Users\Public"),
    ("PROGRAMDATA", r"?:\ProgramData"),
    ("ALLUSERSPROFILE", r"?:\ProgramData"),
    ("SYSTEMROOT", r"?:\Windows"),
    ("WINDIR", r"?:\Windows"),
    ("SYSTEMDRIVE", "?:"),
    ("PROGRAMFILES", r"?:\Program Files"),
    ("PROGRAMFILES(X86)", r"?:\Program Files (x86)"),
];

/// The folders variable `name` (written `token`) can name on `os`.
fn variable(os: Os, name: &str, token: &str) -> Result<Vec<String>, String> {
    let upper = name.to_ascii_uppercase();
    let homes: &[&str] = match os {
        Os::Windows => &[r"?:\Users\*"],
        Os::Linux => &["/home/*", "/root"],
        Os::Macos => &["/Users/*"],
    };
    let under_home = |sub: &str| homes.iter().map(|h| format!("{h}{sub}")).collect();
    let values: Vec<String> = match (os, upper.as_str()) {
        (Os::Windows, _) => match WINDOWS_VARS.iter().find(|(n, _)| *n == upper) {
            Some((_, v)) => vec![(*v).to_owned()],
            None => return Err(unknown(os, token, WINDOWS_VARS.iter().map(|(n, _)| *n))),
        },
        (_, "HOME" | "USERPROFILE") => under_home(""),
        (Os::Linux, "TMPDIR") => vec!["/tmp".to_owned()],
        (Os::Linux, "XDG_CACHE_HOME") => under_home("/.cache"),
        (Os::Linux, "XDG_DATA_HOME") => under_home("/.local/share"),
        (Os::Linux, "XDG_CONFIG_HOME") => under_home("/.config"),
        (Os::Linux, "XDG_DOWNLOAD_DIR") => under_home("/Downloads"),
        (Os::Linux, "XDG_RUNTIME_DIR") => vec!["/run/user/*".to_owned()],
        (Os::Macos, "TMPDIR") => vec!["/private/var/folders/*/*/T".to_owned()],
        (Os::Linux, _) => {
            let known = ["HOME", "USERPROFILE", "TMPDIR", "XDG_CACHE_HOME", "XDG_DATA_HOME"];
            let more = ["XDG_CONFIG_HOME", "XDG_DOWNLOAD_DIR", "XDG_RUNTIME_DIR"];
            return Err(unknown(os, token, known.into_iter().chain(more)));
        }
        (Os::Macos, _) => return Err(unknown(os, token, ["HOME", "USERPROFILE", "TMPDIR"].into_iter())),
    };
    Ok(values)
}

fn unknown<'a>(os: Os, token: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<&str> = known.collect();
    format!("unknown variable `{token}` on {os} (known: ~, {})", known.join(", "))
}
