//! Built-in default lists (DET0066 seed values, extended with well-known members).
//!
//! Every list is configuration: these are only the values `RiskSettings::default()` starts
//! from.

/// Default `DomainRiskScore` threshold: a score at or above it makes a destination untrusted.
pub const DEFAULT_RISK_THRESHOLD: u8 = 60;

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Suspicious TLDs: the DET0066 seed (`top`, `xyz`, `monster`) plus TLDs that abuse reports
/// (Spamhaus, Interisle, APWG) keep ranking high for phishing and malware, and the Freenom
/// free TLDs.
pub fn default_suspicious_tlds() -> Vec<String> {
    owned(&[
        // DET0066 seed
        "top",
        "xyz",
        "monster",
        // file-extension look-alikes
        "zip",
        "mov",
        // Freenom (free registrations)
        "gq",
        "tk",
        "ml",
        "cf",
        "ga",
        // cheap gTLDs with high abuse rates
        "click",
        "country",
        "stream",
        "work",
        "support",
        "rest",
        "quest",
        "cam",
        "icu",
        "buzz",
        "bond",
        "sbs",
        "cfd",
        "lol",
        "cyou",
        "beauty",
        "hair",
        "makeup",
        "skin",
        "autos",
        "boats",
        "yachts",
        "homes",
        "mom",
        "loan",
        "download",
        "racing",
        "win",
        "bid",
        "date",
        "faith",
        "review",
        "science",
        "party",
        "trade",
        "accountant",
        "cricket",
        "men",
        "kim",
        "fit",
        // also listed by other abuse reports
        "gdn",
        "su",
        "pw",
        "uno",
    ])
}

/// Trusted (operating-system, browser, PKI and distribution) domains, matched with their
/// subdomains and as public suffixes (`akamaized.net` is a PSL private suffix).
///
/// Deliberately absent, because anyone can host arbitrary files under them: `cloudfront.net`,
/// `amazonaws.com`, `github.io` / `githubusercontent.com`, `googleusercontent.com` (Google
/// Drive downloads, Sites, Apps Script), `windows.net` (Azure Blob storage), `azureedge.net`,
/// `sharepoint.com`, `1drv.ms`, `dropboxusercontent.com`, `discordapp.com` / `discord.gg`,
/// `firebaseapp.com`, `web.app`, `pages.dev`, `workers.dev`, `netlify.app`, `vercel.app`.
/// `googleapis.com` is kept for the browser's own traffic (updates, Safe Browsing) although
/// `storage.googleapis.com` serves customer buckets: narrow it in the configuration if that
/// matters more than the noise.
pub fn default_allowed_cdns() -> Vec<String> {
    owned(&[
        // Microsoft
        "microsoft.com",
        "windowsupdate.com",
        "windows.com",
        "msftconnecttest.com",
        "msftncsi.com",
        "microsoftonline.com",
        "office.com",
        "office.net",
        "office365.com",
        "live.com",
        "msn.com",
        "bing.com",
        "skype.com",
        "msauth.net",
        "msftauth.net",
        // Google
        "google.com",
        "gstatic.com",
        "googleapis.com",
        "gvt1.com",
        "gvt2.com",
        "pki.goog",
        "youtube.com",
        "ytimg.com",
        "googlevideo.com",
        // Mozilla
        "mozilla.org",
        "mozilla.net",
        "mozilla.com",
        "firefox.com",
        // Apple
        "apple.com",
        "icloud.com",
        "mzstatic.com",
        "cdn-apple.com",
        "aaplimg.com",
        // Akamai delivery for the vendors above
        "akamaiedge.net",
        "akamaized.net",
        // Linux distributions
        "ubuntu.com",
        "canonical.com",
        "debian.org",
        "fedoraproject.org",
        "redhat.com",
        // PKI: OCSP and CRL endpoints
        "digicert.com",
        "lencr.org",
        "letsencrypt.org",
        "sectigo.com",
        "globalsign.com",
        "entrust.net",
    ])
}

/// Private, loopback, link-local, CGNAT, unique-local, unspecified, reserved, multicast and
/// broadcast ranges.
///
/// The documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32
/// are deliberately NOT listed: tests and examples use them as "public" addresses.
pub fn default_allowed_cidrs() -> Vec<String> {
    owned(&[
        "10.0.0.0/8",         // RFC 1918
        "172.16.0.0/12",      // RFC 1918
        "192.168.0.0/16",     // RFC 1918
        "127.0.0.0/8",        // loopback
        "169.254.0.0/16",     // link-local
        "100.64.0.0/10",      // CGNAT (RFC 6598)
        "0.0.0.0/8",          // unspecified / "this network"
        "224.0.0.0/4",        // multicast
        "240.0.0.0/4",        // reserved (class E)
        "255.255.255.255/32", // limited broadcast
        "::1/128",            // loopback
        "::/128",             // unspecified
        "fe80::/10",          // link-local
        "fc00::/7",           // unique local (ULA)
        "ff00::/8",           // multicast
    ])
}

/// Dynamic-DNS provider domains (names under them point wherever their owner wants).
pub fn default_dynamic_dns_suffixes() -> Vec<String> {
    owned(&[
        // Duck DNS, deSEC, nsupdate.info, Dynu
        "duckdns.org",
        "dedyn.io",
        "nsupdate.info",
        "dynu.net",
        "freeddns.org",
        // No-IP
        "no-ip.org",
        "no-ip.biz",
        "no-ip.info",
        "noip.me",
        "ddns.net",
        "hopto.org",
        "zapto.org",
        "sytes.net",
        "myftp.org",
        "myftp.biz",
        "serveftp.com",
        "servehttp.com",
        "redirectme.net",
        "bounceme.net",
        "myvnc.com",
        "webhop.me",
        "ddns.me",
        "3utilities.com",
        "gotdns.ch",
        // FreeDNS (afraid.org) shared domains
        "freedns.afraid.org",
        "mooo.com",
        "chickenkiller.com",
        "us.to",
        "strangled.net",
        "crabdance.com",
        "jumpingcrab.com",
        "ignorelist.com",
        "twilightparadox.com",
        // Dyn (legacy free names)
        "dyndns.org",
        "dynalias.com",
        "homeip.net",
        "selfip.com",
        // more providers, and tunnels (a public name for an arbitrary host)
        "no-ip.com",
        "servebeer.com",
        "changeip.com",
        "dyndns.biz",
        "dnsalias.com",
        "dnsalias.net",
        "dnsalias.org",
        "ngrok.io",
        "ngrok-free.app",
        "trycloudflare.com",
        "serveo.net",
        "loca.lt",
    ])
}

/// Well-known brands that punycode lookalikes imitate (a short list: names, not TLDs or domains);
/// the confusable skeleton of an IDN label is compared with each.
pub fn default_lookalike_brands() -> Vec<String> {
    owned(&[
        "microsoft",
        "office",
        "outlook",
        "google",
        "apple",
        "icloud",
        "paypal",
        "amazon",
        "facebook",
        "instagram",
        "netflix",
        "linkedin",
        "dropbox",
        "docusign",
        "adobe",
        "github",
        "binance",
        "coinbase",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RiskPolicy, RiskSettings};

    #[test]
    fn defaults_build_a_policy_and_have_no_overlap() {
        RiskPolicy::new(RiskSettings::default()).expect("default lists are valid");
        let cdns = default_allowed_cdns();
        for d in default_dynamic_dns_suffixes() {
            assert!(!cdns.iter().any(|c| d == *c || d.ends_with(&format!(".{c}"))), "{d}");
        }
        for excluded in ["cloudfront.net", "amazonaws.com", "github.io", "googleusercontent.com"] {
            assert!(!cdns.iter().any(|c| c == excluded), "{excluded}");
        }
        for seed in ["top", "xyz", "monster"] {
            assert!(default_suspicious_tlds().iter().any(|t| t == seed));
        }
        let cidrs = default_allowed_cidrs();
        for doc in ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"] {
            assert!(!cidrs.iter().any(|c| c == doc));
        }
    }
}
