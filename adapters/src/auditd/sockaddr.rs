//! The `saddr` field of SOCKADDR records: a hex dump of the `struct sockaddr` given to connect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a socket address decodes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockAddr {
    /// An IPv4 or IPv6 destination (IPv4-mapped IPv6 addresses become IPv4).
    Inet {
        /// The address.
        ip: IpAddr,
        /// The port.
        port: u16,
    },
    /// A family clickchain does not use (AF_UNIX, AF_NETLINK, …): its number.
    Other(u16),
}

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Decodes `struct sockaddr` bytes; `None` when too short for its family.
pub fn decode(b: &[u8]) -> Option<SockAddr> {
    // sa_family is host-endian: little-endian on x86_64 and aarch64 (the arches decoded here).
    let family = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
    match family {
        AF_INET => {
            let a = b.get(2..8)?;
            let ip = Ipv4Addr::new(a[2], a[3], a[4], a[5]);
            Some(SockAddr::Inet { ip: IpAddr::V4(ip), port: u16::from_be_bytes([a[0], a[1]]) })
        }
        AF_INET6 => {
            let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
            let octets: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            // Browsers connect dual-stack sockets to ::ffff:a.b.c.d; the engine keys IPv4 as IPv4.
            let ip = IpAddr::V6(Ipv6Addr::from(octets)).to_canonical();
            Some(SockAddr::Inet { ip, port })
        }
        other => Some(SockAddr::Other(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auditd::values::hex;

    fn dec(s: &str) -> Option<SockAddr> {
        decode(&hex(s).unwrap())
    }

    #[test]
    fn inet_inet6_mapped_and_unix() {
        assert_eq!(
            dec("02000050A9FEA9FE0000000000000000"),
            Some(SockAddr::Inet { ip: "169.254.169.254".parse().unwrap(), port: 80 })
        );
        assert_eq!(
            dec("0A002BCB000000000000000000000000000000000000000100000000"),
            Some(SockAddr::Inet { ip: "::1".parse().unwrap(), port: 11211 })
        );
        assert_eq!(
            dec("0A0001BB0000000000000000000000000000FFFFCB00714D00000000"),
            Some(SockAddr::Inet { ip: "203.0.113.77".parse().unwrap(), port: 443 })
        );
        assert_eq!(dec("01002F7661722F72756E2F6E7363642F736F636B657400"), Some(SockAddr::Other(1)));
    }

    #[test]
    fn truncated_sockaddr_is_none() {
        assert_eq!(dec("020001BB"), None);
        assert_eq!(dec("0A0001BB00000000"), None);
        assert_eq!(decode(&[2]), None);
    }
}
