//! Which client address a request comes from. Rocket's own `ip_header` is off: a client could
//! otherwise choose its address (and its throttling counters) with an `X-Real-IP` header. Behind
//! a reverse proxy, `trusted_proxies` lists the proxies' networks; only a request from one of them
//! has its `X-Forwarded-For` read, from the right, past the trusted hops.

use std::net::IpAddr;

/// A network such as `127.0.0.1/32` or `10.0.0.0/8` or `::1/128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
            None => {
                let a = text.trim().parse::<IpAddr>().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let bits = if address.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then_some(Self { network: address, prefix })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let (a, n, bits) = match (address.to_canonical(), self.network) {
            (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(u32::from(a)), u128::from(u32::from(n)), 32),
            (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
            _ => return false,
        };
        let shift = bits - u32::from(self.prefix);
        shift >= bits || a >> shift == n >> shift
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn parse(list: &[String]) -> Result<Self, String> {
        list.iter()
            .map(|text| {
                Cidr::parse(text).ok_or_else(|| format!("`{text}` is not an address or network like 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(address))
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the rightmost
    /// address in `forwarded_for` that is not a trusted proxy itself.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for.iter().flat_map(|header| header.split(',')).map(str::trim).rev();
        for hop in hops {
            match hop.parse::<IpAddr>() {
                Ok(address) if self.trusts(address) => continue,
                Ok(address) => return address,
                // Garbage in the chain: stop believing it there.
                Err(_) => return peer,
            }
        }
        peer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let proxies = TrustedProxies::parse(&["127.0.0.1/32".into(), "10.0.0.0/8".into()]).expect("list");
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9"),
            "a client cannot pick its address"
        );
        assert_eq!(proxies.client(ip("127.0.0.1"), &["1.2.3.4"]), ip("1.2.3.4"));
        assert_eq!(proxies.client(ip("127.0.0.1"), &["6.6.6.6, 1.2.3.4, 10.1.1.1"]), ip("1.2.3.4"), "from the right");
        assert_eq!(proxies.client(ip("127.0.0.1"), &[]), ip("127.0.0.1"));
        assert_eq!(proxies.client(ip("127.0.0.1"), &["nonsense"]), ip("127.0.0.1"));
        assert_eq!(TrustedProxies::default().client(ip("127.0.0.1"), &["1.2.3.4"]), ip("127.0.0.1"));
        assert!(Cidr::parse("::1/128").is_some_and(|c| c.contains(ip("::1"))));
        assert!(Cidr::parse("10.0.0.0/33").is_none() && Cidr::parse("x/8").is_none());
        assert!(Cidr::parse("0.0.0.0/0").is_some_and(|c| c.contains(ip("8.8.8.8"))));
    }
}
