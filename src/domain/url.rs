//! Host extraction from URLs, without a full URL parser.

/// Extracts the host from `scheme://[user[:pass]@]host[:port][/path][?query][#fragment]`.
///
/// IPv6 hosts are returned without their brackets (`http://[::1]:8080/` gives `::1`). The host
/// is returned as written (not lowercased or validated: pass it to [`super::Psl::parse`]). Returns
/// `None` when there is no `scheme://` prefix or the host is empty (`file:///tmp/x`).
pub fn host_of_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return None;
    }
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rfind('@').map_or(authority, |i| &authority[i + 1..]);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => &bracketed[..bracketed.find(']')?],
        None => host_port.split(':').next().unwrap_or(host_port),
    };
    (!host.is_empty()).then_some(host)
}

/// The host a downloaded file came from, given its origin URL (MotW HostUrl, quarantine data
/// URL, xdg origin) and the page that linked to it (MotW ReferrerUrl, quarantine origin URL).
///
/// Browsers write `about:internet` (Edge, Chrome), `blob:` or `data:` as the HostUrl of files
/// built by a page: then the host is the one inside a `blob:` URL, else the referrer's.
///
/// ```
/// use clickchain::domain::origin_host;
/// assert_eq!(origin_host(Some("https://dl.example.org/a.exe"), Some("https://x.example/")), Some("dl.example.org"));
/// assert_eq!(origin_host(Some("about:internet"), Some("https://x.example/p")), Some("x.example"));
/// assert_eq!(origin_host(Some("blob:https://app.example/5e1c"), None), Some("app.example"));
/// assert_eq!(origin_host(Some("data:application/zip;base64,UEsD"), None), None);
/// ```
pub fn origin_host<'a>(url: Option<&'a str>, referrer: Option<&'a str>) -> Option<&'a str> {
    let url = url.map(str::trim)?;
    let scheme = |s: &str| url.get(..s.len()).is_some_and(|head| head.eq_ignore_ascii_case(s));
    if scheme("blob:") {
        return host_of_url(&url[5..]).or_else(|| referrer.and_then(host_of_url));
    }
    if scheme("about:") || scheme("data:") {
        return referrer.and_then(host_of_url);
    }
    host_of_url(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_hosts_fall_back_to_the_referrer_for_page_built_files() {
        let r = Some("https://portal.example.gov/forms");
        assert_eq!(origin_host(Some("https://cdn.example.org/f.pdf"), r), Some("cdn.example.org"));
        assert_eq!(origin_host(Some("About:Internet"), r), Some("portal.example.gov"));
        assert_eq!(origin_host(Some("data:text/html,x"), r), Some("portal.example.gov"));
        assert_eq!(origin_host(Some("blob:null/1234"), r), Some("portal.example.gov"));
        assert_eq!(origin_host(Some("about:internet"), None), None);
        assert_eq!(origin_host(None, r), None, "no HostUrl: the referrer alone is not the origin");
    }

    #[test]
    fn url_hosts() {
        let cases: &[(&str, Option<&str>)] = &[
            ("https://files.example.org/dl/Invoice.iso", Some("files.example.org")),
            ("http://user:pw@Example.COM:8080/x?y#z", Some("Example.COM")),
            ("https://example.org?q=1", Some("example.org")),
            ("https://example.org#frag", Some("example.org")),
            ("https://example.org", Some("example.org")),
            ("  https://example.org/  ", Some("example.org")),
            ("http://[::1]:8080/", Some("::1")),
            ("http://[2001:db8::1]/a", Some("2001:db8::1")),
            ("http://203.0.113.7:80/a", Some("203.0.113.7")),
            ("https://a@b@evil.example/", Some("evil.example")),
            ("https://good.example/?r=user@evil.example", Some("good.example")),
            ("https://evil.example\\@good.example/", Some("evil.example")),
            ("file:///tmp/x", None),
            ("example.org/path", None),
            ("//example.org/path", None),
            ("mailto:a@example.org", None),
            ("not a url http://x", None),
            ("http://[::1", None),
            ("http://:80/", None),
            ("", None),
        ];
        for (url, host) in cases {
            assert_eq!(host_of_url(url), *host, "{url:?}");
        }
    }
}
