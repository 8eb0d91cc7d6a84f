//! The connect-time address policy: which IP addresses a tenant's connections may reach, checked
//! after name resolution, so that a name that resolves somewhere else (DNS rebinding) cannot walk
//! around the origin allowlist.
//!
//! Every address is classified, and so is the IPv4 address inside each IPv6 form that reaches
//! one: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`,
//! and the local-use `64:ff9b:1::/48` in RFC 6052's layout) and 6to4 (`2002::/16`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Cloud instance-metadata addresses: the common link-local one (AWS, GCP, Azure, Oracle…),
/// AWS's and Oracle's IPv6 ones, Alibaba's (in the carrier-grade NAT range) and Azure's WireServer.
const METADATA: [IpAddr; 5] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
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
            Class::Private => "on a private network",
            Class::Public => "public",
        }
    }
}

/// The class of an address, or of the IPv4 address an IPv6 form carries.
pub(crate) fn class(ip: IpAddr) -> Class {
    if METADATA.contains(&ip) {
        return Class::Metadata;
    }
    match ip {
        IpAddr::V4(v4) => class_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => class_v4(v4),
            None => class_v6(v6),
        },
    }
}

fn class_v4(v4: Ipv4Addr) -> Class {
    let [a, b, ..] = v4.octets();
    if METADATA.contains(&IpAddr::V4(v4)) {
        Class::Metadata
    } else if v4.is_link_local() {
        Class::LinkLocal
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
    } else if v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 {
        Class::Private
    } else {
        Class::Public
    }
}

/// The IPv4 address an IPv6 address reaches, in the forms that carry one.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let o = v6.octets();
    let last = || Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    match s {
        // IPv4-mapped, and IPv4-compatible (deprecated, still routed by some stacks); `::` and
        // `::1` are IPv6's own.
        [0, 0, 0, 0, 0, 0xffff, ..] => Some(last()),
        [0, 0, 0, 0, 0, 0, hi, lo] if (hi, lo) != (0, 0) && (hi, lo) != (0, 1) => Some(last()),
        // NAT64, the well-known prefix (/96).
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(last()),
        // NAT64, the local-use prefix (/48): RFC 6052 puts the IPv4 address around the `u` octet.
        [0x64, 0xff9b, 1, ..] => Some(Ipv4Addr::new(o[6], o[7], o[9], o[10])),
        // 6to4: the IPv4 address follows the prefix.
        [0x2002, ..] => Some(Ipv4Addr::new(o[2], o[3], o[4], o[5])),
        _ => None,
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
            class @ (Class::Metadata | Class::LinkLocal) => Err(AddressDenied(ip, class.describe())),
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
                Class::Metadata | Class::LinkLocal => (false, false),
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
