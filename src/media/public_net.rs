//! Which addresses a link given by a user may make the server connect to. Fetching a link is
//! the server asking on the user's behalf, from inside the network it runs in: a link to
//! `127.0.0.1`, the cloud's metadata address (`169.254.169.254`) or an intranet host would let
//! anyone who may upload read what only the server can reach (server-side request forgery, the
//! hole Directus' "import from URL" had twice). So only addresses that are public on the
//! internet are reached, unless the operator names a network (an intranet's file server) in
//! `MEDIADESK_LINK_IMPORT_ALLOW`. The ranges are IANA's special-purpose registries'; std's
//! `is_global` would say the same but is not stable.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// The addresses links may reach: public ones, and those in the operator's `allowed` networks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reachable {
    pub allowed: Vec<IpNet>,
}

impl Reachable {
    /// Public addresses and the networks in `list`, comma-separated CIDR blocks or single
    /// addresses (`10.0.0.0/8, 192.168.1.20, fd00::/8`).
    pub fn parse(list: &str) -> Result<Reachable, String> {
        let allowed = list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                n.parse::<IpNet>().or_else(|_| n.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                    format!("{n:?} is not a network like 10.0.0.0/8 or an address like 192.168.1.20")
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Reachable { allowed })
    }

    pub fn admits(&self, ip: IpAddr) -> bool {
        let ip = unmapped(ip);
        is_public(ip) || self.allowed.iter().any(|net| net.contains(&ip))
    }
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is that IPv4 address: the socket it
/// opens reaches the same host.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                    // "this network"
        || a == 10                              // private
        || a == 127                             // loopback
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 169 && b == 254)               // link-local, the cloud's metadata service
        || (a == 172 && (16..32).contains(&b))  // private
        || (a == 192 && b == 0 && c == 0)       // protocol assignments
        || (a == 192 && b == 0 && c == 2)       // documentation
        || (a == 192 && b == 88 && c == 99)     // 6to4 relay
        || (a == 192 && b == 168)               // private
        || (a == 198 && (18..20).contains(&b))  // benchmarking
        || (a == 198 && b == 51 && c == 100)    // documentation
        || (a == 203 && b == 0 && c == 113)     // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Addresses that carry an IPv4 address reach it (NAT64, 6to4): that one decides.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return is_public_v4(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
    }
    if s[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::from(((s[1] as u32) << 16) | s[2] as u32));
    }
    // Global unicast is 2000::/3; within it, documentation, ORCHID and the IETF's
    // protocol block (bar the anycast services in it) are not on the internet.
    (s[0] & 0xe000) == 0x2000
        && !(s[0] == 0x2001 && s[1] == 0x0db8)
        && !(s[0] == 0x2001 && (0x0010..0x0030).contains(&s[1]))
        && !(s[0] == 0x2001 && s[1] < 0x0200 && s[1] != 0x0001 && s[1] != 0x0003 && s[1] != 0x0004)
        && !(s[0] == 0x3fff && s[1] < 0x1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admits(r: &Reachable, ip: &str) -> bool {
        r.admits(ip.parse().unwrap())
    }

    #[test]
    fn only_public_addresses_are_reached() {
        let r = Reachable::default();
        for public in ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001::200e"] {
            assert!(admits(&r, public), "{public}");
        }
        for inside in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "2001:20::1",
            "3fff::1",
        ] {
            assert!(!admits(&r, inside), "{inside}");
        }
        assert!(admits(&r, "::ffff:8.8.8.8"), "a mapped public IPv4 address is public");
        assert!(admits(&r, "172.32.0.1") && admits(&r, "100.128.0.1"), "just outside the ranges");
        assert!(admits(&r, "2001:4860:4860::8888") && admits(&r, "2001:1::1"), "public or anycast");
    }

    #[test]
    fn the_operator_may_open_networks() {
        let r = Reachable::parse(" 10.20.0.0/16, ::1 ,").unwrap();
        assert!(admits(&r, "10.20.3.4") && admits(&r, "::1"));
        assert!(!admits(&r, "10.21.0.1") && !admits(&r, "127.0.0.1"));
        let loopback = Reachable::parse("127.0.0.1").unwrap();
        assert!(admits(&loopback, "::ffff:127.0.0.1"), "a mapped address is its IPv4 address");
        assert_eq!(Reachable::parse(""), Ok(Reachable::default()));
        assert!(
            Reachable::parse("10.0.0.0/8, intranet").unwrap_err().contains("\"intranet\" is not a network")
        );
        assert!(Reachable::parse("10.0.0.0/33").is_err());
    }
}
