//! Normalisation and checks of single list members. Each returns the normalised value, or the
//! reason it is refused (the caller adds file, key path and value).

use std::net::IpAddr;

use clickchain_adapters::Os;

/// A file extension: trimmed, lowercase, without leading dots (`".ISO"` -> `"iso"`).
pub(super) fn extension(s: &str) -> Result<String, String> {
    let e = s.trim().trim_start_matches('.').to_lowercase();
    if e.is_empty() {
        return Err("an extension must not be empty".into());
    }
    if e.contains(['/', '\\']) || e.chars().any(char::is_whitespace) {
        return Err("an extension must not contain separators or spaces".into());
    }
    Ok(e)
}

/// A partial-download suffix: lowercase with exactly one leading dot (`"part"` -> `".part"`).
pub(super) fn partial_suffix(s: &str) -> Result<String, String> {
    extension(s).map(|e| format!(".{e}"))
}

/// A process name: the lowercase basename of what is given (`"C:\\x\\Chrome.EXE"` -> `"chrome.exe"`).
pub(super) fn process_name(s: &str) -> Result<String, String> {
    let name = crate::paths::basename(s.trim()).trim().to_lowercase();
    if name.is_empty() {
        return Err("a process name must not be empty".into());
    }
    Ok(name)
}

/// A folder name (one path segment): trimmed, kept as written (matching follows the OS's case rules).
pub(super) fn folder_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() || name.contains(['/', '\\']) {
        return Err("expected a single folder name, without separators".into());
    }
    Ok(name.to_owned())
}

/// A domain or suffix: lowercase, without `*.`/`.` in front or a trailing dot.
pub(super) fn domain_suffix(s: &str) -> Result<String, String> {
    let d = s.trim().trim_start_matches("*.").trim_start_matches('.').trim_end_matches('.');
    let d = d.to_lowercase();
    if d.is_empty() {
        return Err("a domain or suffix must not be empty".into());
    }
    if d.contains(['/', ':', '@', ' ', '*']) || d.split('.').any(str::is_empty) {
        return Err("expected a domain name or suffix such as `example.com` or `top`".into());
    }
    Ok(d)
}

/// A CIDR range (`10.0.0.0/8`); a bare address becomes a /32 or /128. Host bits must be zero.
pub(super) fn cidr(s: &str) -> Result<String, String> {
    let s = s.trim();
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| format!("`{addr}` is not an IP address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len: u32 = match len {
        None => max,
        Some(l) => match l.parse() {
            Ok(n) if n <= max => n,
            _ => return Err(format!("prefix length must be a number from 0 to {max}")),
        },
    };
    let host_bits_set = match ip {
        IpAddr::V4(v4) => u32::from(v4).checked_shl(len).is_some_and(|rest| rest != 0),
        IpAddr::V6(v6) => u128::from(v6).checked_shl(len).is_some_and(|rest| rest != 0),
    };
    if host_bits_set {
        return Err(format!("host bits are set beyond /{len}"));
    }
    Ok(format!("{ip}/{len}"))
}

/// A folder pattern for `os` (see [`crate::paths`]): checked by compiling it.
pub(super) fn pattern(os: Os, s: &str) -> Result<String, String> {
    let p = s.trim();
    crate::paths::check_pattern(os, p)?;
    Ok(p.to_owned())
}
