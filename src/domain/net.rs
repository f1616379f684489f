//! Address helpers: CIDR parsing, IPv4-mapped addresses, public-address test.

use std::net::IpAddr;

use ipnet::IpNet;

use super::DomainError;

/// Parses an `allowed_cidrs` entry: a CIDR (host bits cleared) or a single address.
pub(crate) fn parse_cidr(entry: &str) -> Result<IpNet, DomainError> {
    let s = entry.trim();
    match s.parse::<IpNet>() {
        Ok(net) => Ok(net.trunc()),
        Err(source) => match s.parse::<IpAddr>() {
            Ok(ip) => Ok(IpNet::from(ip)),
            Err(_) => Err(DomainError::BadCidr { entry: entry.to_owned(), source }),
        },
    }
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as IPv4; everything else unchanged.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Whether `ip` is a public (globally routed) address. The documentation ranges
/// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) count as public on purpose:
/// tests and examples use them as stand-ins for Internet addresses.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_address_classification() {
        for ip in ["203.0.113.1", "8.8.8.8", "2001:db8::1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "10.0.0.1",
            "172.31.255.255",
            "100.127.0.1",
            "240.0.0.1",
            "0.1.2.3",
            "fc00::1",
            "febf::1",
            "::ffff:192.168.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn cidr_entries() {
        let net = parse_cidr(" 10.1.2.3/8 ").unwrap();
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert_eq!(parse_cidr("203.0.113.7").unwrap().to_string(), "203.0.113.7/32");
        assert_eq!(parse_cidr("2001:db8::1").unwrap().to_string(), "2001:db8::1/128");
        for bad in ["", "bogus", "10.0.0.0/33", "::/129", "10.0.0/8"] {
            match parse_cidr(bad) {
                Err(e @ DomainError::BadCidr { .. }) => assert!(e.to_string().contains(bad)),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert_eq!(canonical("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(canonical("::1".parse().unwrap()), "::1".parse::<IpAddr>().unwrap());
    }
}
