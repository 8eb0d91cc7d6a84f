//! The connect-time address policy: which IP addresses a tenant's connections may reach, checked
//! after name resolution, so that a name that resolves somewhere else (DNS rebinding) cannot walk
//! around the origin allowlist.
//!
//! Every address is classified, and so is each IPv4 address inside each IPv6 form that reaches
//! one: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), IPv4-compatible
//! (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, and the local-use `64:ff9b:1::/48` of RFC 8215, whose
//! networks may use any RFC 6052 prefix length from /48 to /96: every layout is read, and the
//! range itself is a local network's), 6to4 (`2002::/16`) and Teredo (`2001::/32`: the server's
//! address and the client's, inverted). The worst class among them is the address's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Cloud instance-metadata addresses: the common link-local one (AWS, GCP, Azure, Oracle…),
/// AWS's, EKS Pod Identity's, GCP's, Scaleway's and Oracle's IPv6 ones, Alibaba's (in the
/// carrier-grade NAT range) and Azure's WireServer.
const METADATA: [IpAddr; 8] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23)),
    IpAddr::V6(Ipv6Addr::new(0xfd20, 0xce, 0, 0, 0, 0, 0, 0x254)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0x42, 0, 0, 0, 0, 0, 0x42)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xc1, 0, 0, 0, 0, 0xa9fe, 0xa9fe)),
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
    IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16)),
];

/// What an address is, for the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// A cloud's instance-metadata service: always refused unless allowed by address.
    Metadata,
    /// Link-local (`169.254/16`, `fe80::/10`): always refused unless allowed by address.
    LinkLocal,
    /// Not a unicast address: multicast (`224/4`, `ff00::/8`), the broadcast address and the
    /// reserved `240/4`; always refused unless allowed by address.
    NotUnicast,
    /// Loopback, unspecified (`0/8`, `::`), private (`10/8`, `172.16/12`, `192.168/16`), carrier-grade
    /// NAT (`100.64/10`), unique-local (`fc00::/7`) and site-local (`fec0::/10`): refused when the
    /// tenant denies private networks.
    Private,
    /// Anything else.
    Public,
}

impl Class {
    fn describe(self) -> &'static str {
        match self {
            Class::Metadata => "cloud metadata",
            Class::LinkLocal => "link-local",
            Class::NotUnicast => "not a unicast address",
            Class::Private => "on a private network",
            Class::Public => "public",
        }
    }

    /// How much worse than a public address: the worst class of an address's readings wins.
    fn rank(self) -> u8 {
        match self {
            Class::Public => 0,
            Class::Private => 1,
            Class::NotUnicast => 2,
            Class::LinkLocal => 3,
            Class::Metadata => 4,
        }
    }

    fn worst(self, other: Class) -> Class {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// The class of an address, or the worst of the IPv4 addresses an IPv6 form carries.
pub(crate) fn class(ip: IpAddr) -> Class {
    if METADATA.contains(&ip) {
        return Class::Metadata;
    }
    match ip {
        IpAddr::V4(v4) => class_v4(v4),
        IpAddr::V6(v6) => {
            let embedded = embedded_v4(v6);
            if embedded.is_empty() {
                return class_v6(v6);
            }
            // The local-use NAT64 prefix is a local network's, whatever it carries.
            let floor = if v6.segments()[..3] == [0x64, 0xff9b, 1] { Class::Private } else { Class::Public };
            embedded.into_iter().map(class_v4).fold(floor, Class::worst)
        }
    }
}

fn class_v4(v4: Ipv4Addr) -> Class {
    let [a, b, ..] = v4.octets();
    if METADATA.contains(&IpAddr::V4(v4)) {
        Class::Metadata
    } else if v4.is_link_local() {
        Class::LinkLocal
    } else if v4.is_multicast() || v4.is_broadcast() || a >= 240 {
        Class::NotUnicast
    } else if v4.is_loopback() || v4.is_private() || a == 0 || (a == 100 && (64..128).contains(&b)) {
        Class::Private
    } else {
        Class::Public
    }
}

fn class_v6(v6: Ipv6Addr) -> Class {
    let first = v6.segments()[0];
    if (first & 0xffc0) == 0xfe80 {
        Class::LinkLocal
    } else if v6.is_multicast() {
        Class::NotUnicast
    } else if v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 {
        Class::Private
    } else {
        Class::Public
    }
}

/// The IPv4 addresses an IPv6 address reaches, in the forms that carry one (none for others).
fn embedded_v4(v6: Ipv6Addr) -> Vec<Ipv4Addr> {
    let s = v6.segments();
    let o = v6.octets();
    let at = |i: [usize; 4]| Ipv4Addr::new(o[i[0]], o[i[1]], o[i[2]], o[i[3]]);
    let last = at([12, 13, 14, 15]);
    match s {
        // IPv4-mapped, IPv4-translated (RFC 2765), and IPv4-compatible (deprecated, still routed
        // by some stacks); `::` and `::1` are IPv6's own.
        [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0xffff, 0, ..] => vec![last],
        [0, 0, 0, 0, 0, 0, hi, lo] if (hi, lo) != (0, 0) && (hi, lo) != (0, 1) => vec![last],
        // NAT64, the well-known prefix (/96).
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => vec![last],
        // NAT64, the local-use prefix: RFC 6052's layouts for /48, /56, /64 and /96 (bits 64–71,
        // the `u` octet, are skipped).
        [0x64, 0xff9b, 1, ..] => vec![at([6, 7, 9, 10]), at([7, 9, 10, 11]), at([9, 10, 11, 12]), last],
        // 6to4: the IPv4 address follows the prefix.
        [0x2002, ..] => vec![at([2, 3, 4, 5])],
        // Teredo: the server's address, and the client's with every bit inverted.
        [0x2001, 0, ..] => vec![at([4, 5, 6, 7]), Ipv4Addr::from(!u32::from(last))],
        _ => vec![],
    }
}

/// A tenant's address policy. Link-local and cloud-metadata addresses are always refused unless
/// allowed one by one; private networks only when the tenant asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct AddressPolicy {
    pub(crate) deny_private_networks: bool,
    pub(crate) allowed: Arc<[IpAddr]>,
}

/// A refused address, as the connector reports it.
#[derive(Debug)]
pub(crate) struct AddressDenied(pub(crate) IpAddr, pub(crate) &'static str);

impl std::fmt::Display for AddressDenied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the address {} is {} and not allowed for this tenant", self.0, self.1)
    }
}

impl std::error::Error for AddressDenied {}

impl AddressPolicy {
    /// Whether the tenant may connect to `ip`.
    pub(crate) fn check(&self, ip: IpAddr) -> Result<(), AddressDenied> {
        let ip = ip.to_canonical(); // ::ffff:169.254.169.254 is 169.254.169.254
        if self.allowed.contains(&ip) {
            return Ok(());
        }
        match class(ip) {
            class @ (Class::Metadata | Class::LinkLocal | Class::NotUnicast) => {
                Err(AddressDenied(ip, class.describe()))
            }
            Class::Private if self.deny_private_networks => Err(AddressDenied(ip, Class::Private.describe())),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// Every range, in every form that reaches it.
    const TABLE: &[(&str, Class)] = &[
        // Metadata.
        ("169.254.169.254", Class::Metadata),
        ("100.100.100.200", Class::Metadata),
        ("168.63.129.16", Class::Metadata),
        ("fd00:ec2::254", Class::Metadata),
        ("fd00:c1::a9fe:a9fe", Class::Metadata),
        ("::ffff:168.63.129.16", Class::Metadata),
        ("::168.63.129.16", Class::Metadata),
        ("64:ff9b::a83f:8110", Class::Metadata),
        ("2002:a83f:8110::1", Class::Metadata),
        ("::ffff:100.100.100.200", Class::Metadata),
        ("fd20:ce::254", Class::Metadata),
        ("fd00:ec2::23", Class::Metadata),
        ("fd00:42::42", Class::Metadata),
        // NAT64 local-use prefixes longer than /48 carry the IPv4 address elsewhere (RFC 6052).
        ("64:ff9b:1:ab00::a9fe:a9fe", Class::Metadata),
        ("64:ff9b:1:ab:a9:fea9:fe00:0", Class::Metadata),
        ("64:ff9b:1:a9:fe:a9fe::", Class::Metadata),
        ("64:ff9b:1::808:808", Class::Private),
        ("::ffff:0:169.254.169.254", Class::Metadata),
        ("2001:0:a9fe:a9fe::1", Class::Metadata),
        ("2001:0:808:808::5601:5601", Class::Metadata),
        // Not unicast: multicast, broadcast, reserved.
        ("224.0.0.1", Class::NotUnicast),
        ("239.255.255.250", Class::NotUnicast),
        ("255.255.255.255", Class::NotUnicast),
        ("240.0.0.1", Class::NotUnicast),
        ("ff02::1", Class::NotUnicast),
        ("::ffff:224.0.0.1", Class::NotUnicast),
        // Link-local, and the metadata address in IPv6 forms.
        ("169.254.0.1", Class::LinkLocal),
        ("fe80::1", Class::LinkLocal),
        ("febf::1", Class::LinkLocal),
        ("::ffff:169.254.169.254", Class::Metadata),
        ("::169.254.169.254", Class::Metadata),
        ("64:ff9b::a9fe:a9fe", Class::Metadata),
        ("64:ff9b::169.254.0.1", Class::LinkLocal),
        ("64:ff9b:1:a9fe:a9:fe00::", Class::Metadata),
        ("2002:a9fe:a9fe::1", Class::Metadata),
        ("2002:a9fe:1::", Class::LinkLocal),
        // Private: loopback, unspecified, RFC 1918, CGNAT, ULA, site-local, and embedded forms.
        ("127.0.0.1", Class::Private),
        ("127.255.0.9", Class::Private),
        ("0.0.0.0", Class::Private),
        ("0.1.2.3", Class::Private),
        ("10.1.2.3", Class::Private),
        ("172.16.0.1", Class::Private),
        ("172.31.255.255", Class::Private),
        ("192.168.1.1", Class::Private),
        ("100.64.0.1", Class::Private),
        ("100.127.255.254", Class::Private),
        ("::1", Class::Private),
        ("::", Class::Private),
        ("fc00::1", Class::Private),
        ("fd12::1", Class::Private),
        ("fec0::1", Class::Private),
        ("feff::1", Class::Private),
        ("::ffff:10.0.0.1", Class::Private),
        ("::127.0.0.1", Class::Private),
        ("64:ff9b::10.0.0.1", Class::Private),
        ("64:ff9b:1:a00:0:100::", Class::Private),
        ("2002:c0a8:101::", Class::Private),
        ("2002:7f00:1::", Class::Private),
        // Public.
        ("8.8.8.8", Class::Public),
        ("172.32.0.1", Class::Public),
        ("100.63.255.255", Class::Public),
        ("100.128.0.1", Class::Public),
        ("168.63.129.17", Class::Public),
        ("2001:db8::1", Class::Public),
        ("2606:4700::1111", Class::Public),
        ("::ffff:8.8.8.8", Class::Public),
        ("64:ff9b::8.8.8.8", Class::Public),
        ("2002:808:808::", Class::Public),
        ("2001:0:808:808::f7f7:f7f7", Class::Public),
    ];

    #[test]
    fn every_range_in_every_form_has_its_class() {
        for (text, expected) in TABLE {
            assert_eq!(class(ip(text).to_canonical()), *expected, "{text}");
        }
    }

    #[test]
    fn metadata_and_link_local_are_refused_unless_allowed() {
        let open = AddressPolicy::default();
        let closed = AddressPolicy { deny_private_networks: true, ..Default::default() };
        for (text, class) in TABLE {
            let (open_ok, closed_ok) = match class {
                Class::Metadata | Class::LinkLocal | Class::NotUnicast => (false, false),
                Class::Private => (true, false),
                Class::Public => (true, true),
            };
            assert_eq!(open.check(ip(text)).is_ok(), open_ok, "{text}");
            assert_eq!(closed.check(ip(text)).is_ok(), closed_ok, "{text} (private networks denied)");
        }
        let explicit = AddressPolicy { allowed: Arc::from(vec![ip("169.254.169.254")]), ..Default::default() };
        assert!(explicit.check(ip("169.254.169.254")).is_ok());
        assert!(explicit.check(ip("::ffff:169.254.169.254")).is_ok(), "the same address, mapped");
        let denied = open.check(ip("168.63.129.16")).unwrap_err();
        assert_eq!(denied.to_string(), "the address 168.63.129.16 is cloud metadata and not allowed for this tenant");
    }
}
