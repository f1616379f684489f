//! The Public Suffix List, host name normalisation and URL host extraction.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;
use std::sync::OnceLock;

use publicsuffix::{List, Psl as _, Type};

use super::{excerpt, DomainError};

/// The vendored list (`data/psl/public_suffix_list.dat`, see `data/psl/PROVENANCE.md`).
const VENDORED_PSL: &[u8] = include_bytes!("../../../data/psl/public_suffix_list.dat");

/// Commit of `publicsuffix/list` the vendored list was taken from.
pub const VENDORED_PSL_COMMIT: &str = "e8c9a2b2b2856b6449999dd0ec0d118f364ed0cd";

/// Commit date of the vendored list (ISO 8601).
pub const VENDORED_PSL_DATE: &str = "2026-08-19";

/// Longest input looked at before conversion; anything longer cannot become a valid name.
const MAX_INPUT_LEN: usize = 1024;
/// Longest name in its ASCII form, without the trailing dot (RFC 1035 presentation limit).
const MAX_NAME_LEN: usize = 253;
/// Longest label (RFC 1035).
const MAX_LABEL_LEN: usize = 63;

/// A parsed Public Suffix List (ICANN and PRIVATE sections, with the implicit `*` default rule).
#[derive(Clone)]
pub struct Psl {
    list: List,
}

impl fmt::Debug for Psl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Psl").finish_non_exhaustive()
    }
}

/// A normalised host name split by the Public Suffix List.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName {
    /// The full name: lowercase ASCII (IDN labels as punycode `xn--…`), no trailing dot.
    pub name: String,
    /// The registrable domain (eTLD+1); `None` when the name is itself a public suffix.
    pub registrable: Option<String>,
    /// The public suffix (for unlisted TLDs the last label, by the default rule `*`).
    pub suffix: String,
    /// Whether the suffix comes from an explicit rule of the list (not the default rule).
    pub suffix_is_known: bool,
    /// Whether the suffix comes from the PRIVATE section (e.g. `github.io`, `duckdns.org`).
    pub private_section: bool,
}

impl DomainName {
    /// The label left of the suffix (`example` in `www.example.co.uk`), if there is one.
    pub fn registrable_label(&self) -> Option<&str> {
        let reg = self.registrable.as_deref()?;
        reg.len().checked_sub(self.suffix.len() + 1).and_then(|end| reg.get(..end))
    }

    /// Whether any label is punycode (`xn--`), i.e. the name was internationalised.
    pub fn is_punycode(&self) -> bool {
        self.name.split('.').any(|l| l.starts_with("xn--"))
    }
}

impl Psl {
    /// The vendored list, parsed once on first use.
    pub fn vendored() -> &'static Psl {
        static VENDORED: OnceLock<Psl> = OnceLock::new();
        VENDORED.get_or_init(|| {
            // The bytes are fixed at compile time and checked by a unit test, so this cannot
            // fail at run time unless the vendored file is replaced by something invalid.
            Psl::parse_list(VENDORED_PSL, "vendored").expect("vendored public suffix list parses")
        })
    }

    /// Loads a (newer) list from a file in the `public_suffix_list.dat` format.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Psl, DomainError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| DomainError::PslIo { path: path.to_path_buf(), source })?;
        Psl::parse_list(&bytes, &path.display().to_string())
    }

    /// Parses a list from bytes in the `public_suffix_list.dat` format.
    pub fn from_bytes(bytes: &[u8]) -> Result<Psl, DomainError> {
        Psl::parse_list(bytes, "bytes")
    }

    fn parse_list(bytes: &[u8], origin: &str) -> Result<Psl, DomainError> {
        let list = List::from_bytes(bytes)
            .map_err(|e| DomainError::PslParse { origin: origin.to_owned(), message: e.to_string() })?;
        Ok(Psl { list })
    }

    /// Normalises `name` and splits it into suffix and registrable domain.
    ///
    /// Normalisation: trim whitespace, lowercase, strip one trailing dot, convert IDN labels
    /// to punycode (UTS #46). IP literals (`1.2.3.4`, `::1`, `[::1]`, `fe80::1%eth0`) are
    /// returned as [`DomainError::IpLiteral`] so that the caller can treat them as addresses.
    /// Rejected: empty names, names longer than 253 bytes, empty labels, labels longer than
    /// 63 bytes, characters other than `a-z 0-9 - _`, and an all-numeric top-level label.
    pub fn parse(&self, name: &str) -> Result<DomainName, DomainError> {
        let ascii = normalize(name)?;
        Ok(self.split(ascii))
    }

    fn split(&self, name: String) -> DomainName {
        let bytes = name.as_bytes();
        let (suffix_len, typ) = match self.list.suffix(bytes) {
            Some(s) => (s.as_bytes().len(), s.typ()),
            // Unreachable for a validated name; fall back to the default rule.
            None => (name.rsplit('.').next().map_or(0, str::len), None),
        };
        let registrable_len = self.list.domain(bytes).map(|d| d.as_bytes().len());
        let suffix = name[name.len() - suffix_len..].to_owned();
        let registrable = registrable_len.map(|len| name[name.len() - len..].to_owned());
        DomainName {
            name,
            registrable,
            suffix,
            suffix_is_known: typ.is_some(),
            private_section: typ == Some(Type::Private),
        }
    }
}

/// Parses an IP literal, also with one trailing dot (IPv4) or an IPv6 zone (`%eth0`).
fn parse_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(v4) = s.strip_suffix('.') {
        if let Ok(ip) = v4.parse::<IpAddr>() {
            return Some(ip);
        }
    }
    let (addr, _zone) = s.split_once('%')?;
    addr.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

fn bad(name: &str, reason: &'static str) -> DomainError {
    DomainError::BadLabel { name: excerpt(name), reason }
}

/// Normalises a host name to its lowercase ASCII form without trailing dot.
pub(crate) fn normalize(input: &str) -> Result<String, DomainError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(DomainError::Empty);
    }
    if let Some(inner) = s.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or_else(|| bad(s, "unbalanced '['"))?;
        return match parse_ip(inner) {
            Some(IpAddr::V6(ip)) => Err(DomainError::IpLiteral { ip: IpAddr::V6(ip) }),
            _ => Err(bad(s, "bracketed host is not an IPv6 address")),
        };
    }
    if let Some(ip) = parse_ip(s) {
        return Err(DomainError::IpLiteral { ip });
    }
    if s.len() > MAX_INPUT_LEN {
        return Err(DomainError::TooLong { name: excerpt(s), len: s.len() });
    }
    let stripped = s.strip_suffix('.');
    let s = stripped.unwrap_or(s);
    if s.is_empty() {
        return Err(DomainError::Empty);
    }
    let lower = s.to_ascii_lowercase();
    // IDNA also runs for ASCII names with punycode labels, so that bad punycode is rejected.
    let mut ascii = if lower.is_ascii() && !lower.contains("xn--") {
        lower
    } else {
        idna::domain_to_ascii(&lower).map_err(|_| DomainError::Idna { name: excerpt(s) })?
    };
    // UTS #46 maps ideographic full stops to '.', which may produce a new trailing dot.
    if stripped.is_none() && ascii.ends_with('.') {
        ascii.pop();
    }
    if ascii.is_empty() {
        return Err(DomainError::Empty);
    }
    // Full-width digits and the like become an address only after mapping.
    if let Some(ip) = parse_ip(&ascii) {
        return Err(DomainError::IpLiteral { ip });
    }
    if ascii.len() > MAX_NAME_LEN {
        return Err(DomainError::TooLong { name: excerpt(&ascii), len: ascii.len() });
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err(bad(&ascii, "empty label"));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(bad(&ascii, "label longer than 63 bytes"));
        }
        if !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
            return Err(bad(&ascii, "character not allowed in a host name"));
        }
    }
    if ascii.rsplit('.').next().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad(&ascii, "numeric top-level label"));
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests;
