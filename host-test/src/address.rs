//! The connect-time address policy: which IP addresses a tenant's connections may reach, checked
//! after name resolution, so that a name that resolves somewhere else (DNS rebinding) cannot walk
//! around the origin allowlist.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Cloud instance-metadata addresses outside the link-local ranges: AWS's IPv6 one, Oracle's
/// IPv6 one, and Alibaba's (in the carrier-grade NAT range).
const METADATA: [IpAddr; 3] = [
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xc1, 0, 0, 0, 0, 0xa9fe, 0xa9fe)),
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
];

/// A tenant's address policy. Link-local and cloud-metadata addresses are always refused unless
/// allowed one by one; private networks only when the tenant asks for it.
#[derive(Debug, Clone, Default)]
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
        if is_link_local_or_metadata(ip) {
            return Err(AddressDenied(ip, "link-local or cloud metadata"));
        }
        if self.deny_private_networks && is_private(ip) {
            return Err(AddressDenied(ip, "on a private network"));
        }
        Ok(())
    }
}

fn is_link_local_or_metadata(ip: IpAddr) -> bool {
    METADATA.contains(&ip)
        || match ip {
            IpAddr::V4(v4) => v4.is_link_local(),
            // NAT64 (64:ff9b::/96) of a link-local IPv4 address reaches that address too.
            IpAddr::V6(v6) => {
                let s = v6.segments();
                (s[0] & 0xffc0) == 0xfe80 || (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && s[6] == 0xa9fe)
            }
        }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4 == Ipv4Addr::UNSPECIFIED,
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00 || v6.is_unspecified(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn metadata_and_link_local_are_refused_unless_allowed() {
        let policy = AddressPolicy::default();
        for denied in [
            "169.254.169.254",
            "169.254.0.1",
            "fe80::1",
            "fd00:ec2::254",
            "fd00:c1::a9fe:a9fe",
            "100.100.100.200",
            "64:ff9b::a9fe:a9fe",
            "::ffff:169.254.169.254",
        ] {
            assert!(policy.check(ip(denied)).is_err(), "{denied}");
        }
        for allowed in ["127.0.0.1", "10.0.0.1", "8.8.8.8", "::1", "fd00::1"] {
            assert!(policy.check(ip(allowed)).is_ok(), "{allowed}");
        }
        let explicit = AddressPolicy { allowed: Arc::from(vec![ip("169.254.169.254")]), ..Default::default() };
        assert!(explicit.check(ip("169.254.169.254")).is_ok());
    }

    #[test]
    fn private_networks_are_refused_on_request() {
        let policy = AddressPolicy { deny_private_networks: true, ..Default::default() };
        for denied in
            ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "::1", "fc00::1", "fd12::1"]
        {
            assert!(policy.check(ip(denied)).is_err(), "{denied}");
        }
        for allowed in ["172.32.0.1", "8.8.8.8", "2001:db8::1"] {
            assert!(policy.check(ip(allowed)).is_ok(), "{allowed}");
        }
    }
}
