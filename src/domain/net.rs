//! Address helpers: CIDR parsing, IPv4-mapped addresses, public-address test.

use std::net::IpAddr;

use ipnet::IpNet;

use super::DomainError;

/// Parses an entry of `list` (`allowed_cidrs`, `untrusted_cidrs`): a CIDR (host bits cleared)
/// or a single address.
pub(crate) fn parse_cidr(list: &'static str, entry: &str) -> Result<IpNet, DomainError> {
    let s = entry.trim();
    match s.parse::<IpNet>() {
        Ok(net) => Ok(net.trunc()),
        Err(source) => match s.parse::<IpAddr>() {
            Ok(ip) => Ok(IpNet::from(ip)),
            Err(_) => Err(DomainError::BadCidr { list, entry: entry.to_owned(), source }),
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

/// CIDRs as sorted, merged address ranges: a lookup is a binary search instead of a scan of
/// every CIDR (it runs for every egress).
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl RangeSet {
    pub fn new(nets: &[ipnet::IpNet]) -> RangeSet {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for net in nets {
            match net {
                ipnet::IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                ipnet::IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        RangeSet { v4: merged(v4), v6: merged(v6) }
    }

    /// Whether `ip` is in a range; an IPv4-mapped IPv6 address also matches the IPv4 ranges.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => within(&self.v4, u32::from(a)),
            IpAddr::V6(a) => {
                within(&self.v6, u128::from(a)) || a.to_ipv4_mapped().is_some_and(|m| within(&self.v4, u32::from(m)))
            }
        }
    }
}

fn merged<T: Ord + Copy>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

fn within<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    // The last range starting at or before x is the only one that can hold it.
    let i = ranges.partition_point(|&(lo, _)| lo <= x);
    i > 0 && x <= ranges[i - 1].1
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
        let net = parse_cidr("allowed_cidrs", " 10.1.2.3/8 ").unwrap();
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert_eq!(parse_cidr("allowed_cidrs", "203.0.113.7").unwrap().to_string(), "203.0.113.7/32");
        assert_eq!(parse_cidr("allowed_cidrs", "2001:db8::1").unwrap().to_string(), "2001:db8::1/128");
        for bad in ["", "bogus", "10.0.0.0/33", "::/129", "10.0.0/8"] {
            match parse_cidr("untrusted_cidrs", bad) {
                Err(e @ DomainError::BadCidr { .. }) => {
                    assert!(e.to_string().contains(bad) && e.to_string().contains("untrusted_cidrs"))
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert_eq!(canonical("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(canonical("::1".parse().unwrap()), "::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn range_set_matches_a_scan_of_the_cidrs() {
        let nets: Vec<ipnet::IpNet> = [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "192.168.1.0/24",
            "192.168.2.0/24",
            "fc00::/7",
            "::ffff:1.2.3.0/120",
            "0.0.0.0/32",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let set = RangeSet::new(&nets);
        let probes = [
            "10.255.255.255",
            "11.0.0.0",
            "9.255.255.255",
            "192.168.1.7",
            "192.168.3.1",
            "0.0.0.0",
            "0.0.0.1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.2.3.4",
            "::ffff:1.2.3.9",
            "1.2.3.9",
            "::ffff:11.0.0.1",
        ];
        for p in probes {
            let ip: IpAddr = p.parse().unwrap();
            let scan = nets.iter().any(|n| n.contains(&ip) || n.contains(&canonical(ip)));
            assert_eq!(set.contains(ip), scan, "{p}");
        }
    }
}
