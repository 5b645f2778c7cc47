//! The source address a request is throttled by: the TCP peer, unless the peer is a trusted
//! proxy (`AUTH_TRUSTED_PROXIES`), in which case the rightmost `X-Forwarded-For` entry that is
//! not itself a trusted proxy.
//!
//! Entries left of that one were written by the client and prove nothing; the rightmost
//! untrusted entry is the address our own proxy chain saw connecting.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// One trusted proxy: an address, or a network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNetwork {
    network: IpAddr,
    prefix: u8,
}

impl ProxyNetwork {
    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for ProxyNetwork {
    type Err = String;

    /// `10.0.0.7`, `10.0.0.0/8`, `::1` or `fd00::/8`.
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = IpAddr::from_str(address)
            .map_err(|_| format!("`{text}` is not an IP address or CIDR network"))?
            .to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= max)
                .ok_or_else(|| format!("`{text}` has an invalid prefix length"))?,
        };
        Ok(Self { network, prefix })
    }
}

/// The proxies whose `X-Forwarded-For` is believed. Empty by default: the peer is the source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ProxyNetwork>);

impl TrustedProxies {
    /// These networks.
    pub fn new(networks: Vec<ProxyNetwork>) -> Self {
        Self(networks)
    }

    /// Parses a comma-separated list, as `AUTH_TRUSTED_PROXIES` holds it.
    pub fn parse_list(text: &str) -> Result<Self, String> {
        text.split(',')
            .filter(|entry| !entry.trim().is_empty())
            .map(ProxyNetwork::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The address to throttle by.
    pub fn source_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // Several X-Forwarded-For headers form one list, in order (RFC 9110 §5.3).
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut source = peer;
        for entry in entries.iter().rev() {
            let Some(address) = parse_forwarded_entry(entry) else {
                // An unparseable hop: nothing left of it can be attributed; the last hop we
                // could read is the best we know.
                return source;
            };
            source = address;
            if !self.trusts(address) {
                return address;
            }
        }
        source
    }
}

fn parse_forwarded_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(address) = IpAddr::from_str(entry) {
        return Some(address.to_canonical());
    }
    std::net::SocketAddr::from_str(entry)
        .ok()
        .map(|socket| socket.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_is_the_source_whatever_the_header_says() {
        let proxies = TrustedProxies::parse_list("10.0.0.1").unwrap();
        let source = proxies.source_address(ip("192.0.2.9"), &headers(&["203.0.113.5"]));
        assert_eq!(source, ip("192.0.2.9"));
    }

    #[test]
    fn trusted_peer_yields_the_rightmost_untrusted_entry() {
        let proxies = TrustedProxies::parse_list("10.0.0.0/8, 192.168.1.1").unwrap();
        let spoofed_then_real = headers(&["1.1.1.1, 203.0.113.5", "10.2.3.4"]);
        let source = proxies.source_address(ip("192.168.1.1"), &spoofed_then_real);
        assert_eq!(source, ip("203.0.113.5"));
    }

    #[test]
    fn trusted_peer_without_header_is_the_source() {
        let proxies = TrustedProxies::parse_list("10.0.0.1").unwrap();
        assert_eq!(
            proxies.source_address(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn garbage_entries_stop_the_walk() {
        let proxies = TrustedProxies::parse_list("10.0.0.0/8").unwrap();
        let source = proxies.source_address(
            ip("10.0.0.1"),
            &headers(&["203.0.113.5, nonsense, 10.0.0.2"]),
        );
        assert_eq!(source, ip("10.0.0.2"));
    }

    #[test]
    fn ipv4_mapped_peers_and_ports_are_normalised() {
        let proxies = TrustedProxies::parse_list("127.0.0.1").unwrap();
        let source =
            proxies.source_address(ip("::ffff:127.0.0.1"), &headers(&["198.51.100.7:4711"]));
        assert_eq!(source, ip("198.51.100.7"));
        let v6 = TrustedProxies::parse_list("fd00::/8").unwrap();
        assert_eq!(
            v6.source_address(ip("fd00::1"), &headers(&["[2001:db8::1]:80"])),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn bad_lists_are_refused_with_the_entry() {
        for (text, expected) in [
            ("10.0.0.1, nope", "`nope`"),
            ("10.0.0.0/33", "prefix"),
            ("::/129", "prefix"),
        ] {
            let error = TrustedProxies::parse_list(text).unwrap_err();
            assert!(error.contains(expected), "{error}");
        }
        assert_eq!(
            TrustedProxies::parse_list("").unwrap(),
            TrustedProxies::default()
        );
    }
}
