//! Command lines classified for rules (`cmd_class`, `docs/rules.md`): download cradles, and
//! LOLBINs given a URL or a file in a user folder. Pure functions of the text: no state, no
//! allocation for command lines that name no fetcher.

use clickchain_logic::CmdClass;

/// Programs and calls that fetch a URL (lowercase; `.exe` is stripped before comparing).
const FETCHERS: &[&str] = &["curl", "wget", "fetch", "iwr", "invoke-webrequest", "irm", "invoke-restmethod"];

/// .NET and COM calls that return a download to the caller (PowerShell cradles).
const FETCH_CALLS: &[&str] = &["downloadstring", "downloaddata", "downloadfile", "openread", "msxml2.xmlhttp"];

/// Programs that run what they are given: a fetched text piped or substituted into one of these
/// is run.
const INTERPRETERS: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "zsh",
    "ksh",
    "fish",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "php",
    "node",
    "osascript",
    "pwsh",
    "powershell",
    "iex",
    "invoke-expression",
    "eval",
    "source",
    ".",
];

/// Words that start a command without being it (`sudo bash`, `env X=1 sh`).
const PREFIXES: &[&str] = &["sudo", "env", "nohup", "exec", "command", "doas", "setsid"];

/// The classes of `cmd`, a process's command line: `lolbin` says whether the process's image is
/// one of the configuration's LOLBINs, `user_file` whether a path is in a user folder.
pub(crate) fn classify(cmd: &str, lolbin: bool, user_file: impl Fn(&str) -> bool) -> Vec<CmdClass> {
    let mut classes = Vec::new();
    if is_download_cradle(cmd) {
        classes.push(CmdClass::DownloadCradle);
    }
    if lolbin {
        if has_url(cmd) {
            classes.push(CmdClass::LolbinUrl);
        }
        if words(cmd).filter(|w| looks_like_path(w)).any(|w| user_file(w.split(',').next().unwrap_or(w))) {
            classes.push(CmdClass::LolbinFile);
        }
    }
    classes
}

/// Whether `cmd` fetches a URL and runs what it fetched: piped into an interpreter
/// (`curl … | sh`, `iwr … | iex`), substituted into one (`bash -c "$(curl …)"`, `bash <(wget
/// …)`), evaluated in place (`iex (New-Object Net.WebClient).DownloadString(…)`), or saved and
/// then run (`curl -o f … && sh f`).
pub(crate) fn is_download_cradle(cmd: &str) -> bool {
    let lower = cmd.to_ascii_lowercase();
    // Most command lines name no fetcher: one scan rules them out.
    if !FETCHERS.iter().chain(FETCH_CALLS).any(|f| lower.contains(f)) {
        return false;
    }
    let segments = segments(&lower);
    piped(&segments) || substituted(&lower) || evaluated(&segments) || saved_then_run(&segments)
}

/// A part of a command line and how it is joined to the part before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    First,
    Pipe,
    Then,
}

/// `cmd` cut at `|`, `||`, `&&`, `;` and newlines (quotes are not respected: a `sh -c "a | b"`
/// runs the pipe all the same).
fn segments(cmd: &str) -> Vec<(Join, &str)> {
    let mut out = Vec::new();
    let (bytes, mut start, mut join, mut i) = (cmd.as_bytes(), 0, Join::First, 0);
    while i < bytes.len() {
        let (next, width) = match (bytes[i], bytes.get(i + 1)) {
            (b'|', Some(b'|')) | (b'&', Some(b'&')) => (Some(Join::Then), 2),
            (b'|', _) => (Some(Join::Pipe), 1),
            (b';' | b'\n', _) => (Some(Join::Then), 1),
            _ => (None, 1),
        };
        if let Some(next) = next {
            out.push((join, &cmd[start..i]));
            (join, start) = (next, i + width);
        }
        i += width;
    }
    out.push((join, &cmd[start..]));
    out
}

/// The words of `text`, without quotes, brackets and substitution marks.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')' | '`' | '{' | '}' | '$' | '<' | '>'))
        .filter(|w| !w.is_empty())
}

/// A program's name: the last path component, without `.exe`.
fn program(word: &str) -> &str {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    base.strip_suffix(".exe").unwrap_or(base)
}

/// The program a segment runs: its first word after `sudo`/`env` and their options and
/// assignments, and past a shell's `-c` (`bash -c "curl …"` runs curl).
fn command(segment: &str) -> Option<&str> {
    let (mut prefixed, mut shell, mut found) = (false, false, None);
    for w in words(segment) {
        let name = program(w);
        if shell {
            // Options of the shell until its `-c` (or `-lc`, `-Command`), then the command.
            if w.starts_with('-') || w == "/c" {
                if w == "-c" || w == "/c" || w == "-command" || (w.len() <= 4 && w.ends_with('c')) {
                    found = None;
                }
                continue;
            }
            return Some(found.unwrap_or(name));
        }
        if PREFIXES.contains(&name) {
            prefixed = true;
        } else if !(prefixed && (w.starts_with('-') || w.contains('='))) {
            if !matches!(name, "sh" | "bash" | "dash" | "zsh" | "ksh" | "pwsh" | "powershell" | "cmd") {
                return Some(name);
            }
            (shell, found) = (true, Some(name));
        }
    }
    found
}

fn is_fetcher(word: &str) -> bool {
    FETCHERS.contains(&program(word))
}

fn fetches(segment: &str) -> bool {
    words(segment).any(is_fetcher) || FETCH_CALLS.iter().any(|c| segment.contains(c))
}

fn is_interpreter(name: &str) -> bool {
    INTERPRETERS.contains(&name)
}

/// `curl … | sh`: a fetching segment piped into an interpreter.
fn piped(segments: &[(Join, &str)]) -> bool {
    segments.windows(2).any(|pair| {
        let [(_, from), (join, to)] = pair else { return false };
        *join == Join::Pipe && fetches(from) && command(to).is_some_and(is_interpreter)
    })
}

/// `bash -c "$(curl …)"`, `bash <(curl …)`, ``sh -c "`wget -qO- …`"``: a substitution that
/// starts with a fetcher, handed straight (past options) to an interpreter.
fn substituted(cmd: &str) -> bool {
    let tokens: Vec<&str> = cmd.split(|c: char| c.is_whitespace() || c == '"' || c == '\'').collect();
    tokens.iter().enumerate().any(|(i, t)| {
        let inner = t.strip_prefix("$(").or_else(|| t.strip_prefix("<(")).or_else(|| t.strip_prefix('`'));
        let opens_fetch = inner.is_some_and(|rest| {
            let rest = rest.trim_end_matches([')', '`']);
            if rest.is_empty() {
                tokens.get(i + 1).is_some_and(|n| is_fetcher(n))
            } else {
                is_fetcher(rest)
            }
        });
        opens_fetch
            && tokens[..i]
                .iter()
                .rev()
                .find(|p| !p.is_empty() && !p.starts_with('-'))
                .is_some_and(|p| is_interpreter(program(p)))
    })
}

/// `iex (iwr …)`, `IEX (New-Object Net.WebClient).DownloadString(…)`: a fetch evaluated in the
/// same PowerShell statement.
fn evaluated(segments: &[(Join, &str)]) -> bool {
    segments.iter().any(|(_, s)| fetches(s) && words(s).any(|w| matches!(w, "iex" | "invoke-expression")))
}

/// `curl -o f URL && sh f`, `wget URL; chmod +x x.sh; ./x.sh`: a fetch saved to a file that a
/// later part of the same command line runs.
fn saved_then_run(segments: &[(Join, &str)]) -> bool {
    let mut saved: Vec<&str> = Vec::new();
    for &(_, segment) in segments {
        let name = command(segment);
        let runs = |file: &&str| {
            let base = program(file);
            name == Some(base)
                || (name.is_some_and(is_interpreter) && words(segment).skip(1).any(|w| program(w) == base))
        };
        if saved.iter().any(runs) {
            return true;
        }
        if let Some(fetcher) = name.filter(|n| FETCHERS.contains(n)) {
            saved.extend(saved_file(fetcher, segment));
        }
    }
    false
}

/// The file a fetcher's segment saves to: its output option's value, else (curl `-O`, wget
/// without `-O`) the URL's last path component.
fn saved_file<'a>(fetcher: &str, segment: &'a str) -> Option<&'a str> {
    let ws: Vec<&str> = words(segment).collect();
    // A cluster of short options ending in `o` (`-sSLo f`, `-qO f`) takes the file too.
    let short_o = |w: &str| w.starts_with('-') && !w.starts_with("--") && w.ends_with('o');
    let takes_value = |w: &str| match fetcher {
        "curl" => w == "--output" || short_o(w),
        "wget" => w == "--output-document" || short_o(w),
        _ => matches!(w, "-outfile" | "-o"),
    };
    if let Some(i) = ws.iter().position(|w| takes_value(w)) {
        return ws.get(i + 1).copied().filter(|f| *f != "-");
    }
    if let Some(f) =
        ws.iter().find_map(|w| w.strip_prefix("--output=").or_else(|| w.strip_prefix("--output-document=")))
    {
        return Some(f);
    }
    // A redirect: `curl URL > f` (the `>` is a word separator; its file follows it).
    if let Some((_, after)) = segment.split_once('>') {
        return words(after).next();
    }
    // The text is lowercase, so curl's `-O` (the URL's own name) was taken as `-o URL` above,
    // whose program name is the URL's last component: the file it saves. wget saves there too.
    let url = ws.iter().find(|w| w.contains("://"))?;
    (fetcher == "wget" || ws.contains(&"--remote-name")).then_some(*url)
}

/// A URL with a scheme a LOLBIN fetches from.
fn has_url(cmd: &str) -> bool {
    let lower = cmd.to_ascii_lowercase();
    ["http://", "https://", "ftp://"].iter().any(|s| lower.contains(s))
}

/// A word that names a file by path (not a URL, not an option).
fn looks_like_path(word: &str) -> bool {
    !word.contains("://") && !word.starts_with('-') && (word.contains('\\') || word.contains('/'))
}

#[cfg(test)]
mod tests;
