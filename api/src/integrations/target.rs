//! Where a webhook may send: no server-side request forgery.
//!
//! A target must be `https` and every address its host resolves to must be
//! a public one: not loopback, private, link-local (the cloud metadata
//! services live there), shared, documentation or otherwise reserved. The
//! rule is checked when a webhook is made or changed, and again on every
//! connection a delivery opens, after DNS resolution ([`GuardedResolver`]),
//! so a name that later resolves elsewhere is refused too. Redirects are
//! never followed. `FIELDNOTES_WEBHOOKS_ALLOW_PRIVATE=true` lifts the rule
//! (and allows `http`) for on-premise receivers and tests.
use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use reqwest::Url;

use crate::kernel::field::FieldProblem;

/// Networks no webhook may reach (RFC 6890 special-purpose blocks that are
/// not globally reachable, and the cloud metadata addresses).
const BLOCKED: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/96",
    "::ffff:0:0/96",
    "::ffff:0:0:0/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

/// Whether `ip` is one a webhook must not reach. An IPv4 address written as
/// IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it is.
pub fn blocked(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    BLOCKED.iter().any(|net| {
        net.parse::<IpNet>()
            .map(|n| n.contains(&ip))
            // a list entry that does not parse blocks everything: fail closed
            .unwrap_or(true)
    })
}

/// A name that does not resolve within this long does not resolve.
const DNS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute `https` URL with a host and without a user name or
    /// password (`http` too when private targets are allowed).
    NotHttps,
    /// The host does not resolve.
    Unresolvable,
    /// The host is, or resolves to, an address no webhook may reach.
    Private,
}

impl Refusal {
    pub fn problem(&self) -> FieldProblem {
        match self {
            Refusal::NotHttps => FieldProblem::WebhookUrl,
            Refusal::Unresolvable => FieldProblem::Unresolvable,
            Refusal::Private => FieldProblem::PrivateTarget,
        }
    }

    /// In words, for a delivery's log.
    pub fn english(&self) -> &'static str {
        match self {
            Refusal::NotHttps => "the URL is not an https URL",
            Refusal::Unresolvable => "the host name does not resolve",
            Refusal::Private => "the host is a loopback, private, link-local or metadata address",
        }
    }
}

/// `raw` as a webhook target, its form checked (no DNS yet).
pub fn parse(raw: &str, allow_private: bool) -> Result<Url, Refusal> {
    let url = Url::parse(raw.trim()).map_err(|_| Refusal::NotHttps)?;
    let scheme_ok = url.scheme() == "https" || (allow_private && url.scheme() == "http");
    if !scheme_ok
        || url.host_str().is_none_or(str::is_empty)
        || !url.username().is_empty()
        || url.password().is_some()
        || url.cannot_be_a_base()
    {
        return Err(Refusal::NotHttps);
    }
    Ok(url)
}

/// Checks `url`'s host: an address written in the URL directly, and every
/// address its name resolves to now.
pub async fn check(url: &Url, allow_private: bool) -> Result<(), Refusal> {
    let host = match url.host() {
        Some(url::Host::Ipv4(ip)) => return allowed(IpAddr::V4(ip), allow_private),
        Some(url::Host::Ipv6(ip)) => return allowed(IpAddr::V6(ip), allow_private),
        Some(url::Host::Domain(d)) => d.to_string(),
        None => return Err(Refusal::NotHttps),
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((host.as_str(), port));
    let addrs: Vec<SocketAddr> = tokio::time::timeout(DNS_TIMEOUT, lookup)
        .await
        .map_err(|_| Refusal::Unresolvable)?
        .map_err(|_| Refusal::Unresolvable)?
        .collect();
    if addrs.is_empty() {
        return Err(Refusal::Unresolvable);
    }
    for a in addrs {
        allowed(a.ip(), allow_private)?;
    }
    Ok(())
}

fn allowed(ip: IpAddr, allow_private: bool) -> Result<(), Refusal> {
    if !allow_private && blocked(ip) {
        return Err(Refusal::Private);
    }
    Ok(())
}

/// The delivery client's DNS: resolves as the system does and keeps only
/// the addresses a webhook may reach, so every connection a delivery
/// opens is checked after resolution (a name cannot pass the check at
/// creation and point inside later).
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let kept: Vec<SocketAddr> = found
                .filter(|a| allow_private || !blocked(a.ip()))
                .collect();
            if kept.is_empty() {
                return Err(Box::<dyn std::error::Error + Send + Sync>::from(
                    Refusal::Private.english(),
                ));
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_blocked() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::ffff:0:7f00:1",
            "64:ff9b::a9fe:a9fe",
            "224.0.0.1",
        ] {
            assert!(blocked(ip.parse().expect("ip")), "{ip} must be blocked");
        }
        for ip in ["1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"] {
            assert!(!blocked(ip.parse().expect("ip")), "{ip} is public");
        }
    }

    #[test]
    fn only_https_urls_without_credentials() {
        assert!(parse("https://hooks.example.org/fieldnotes", false).is_ok());
        for bad in [
            "http://hooks.example.org/x",
            "ftp://hooks.example.org/x",
            "https://user:pw@hooks.example.org/x",
            "https://",
            "hooks.example.org",
            "mailto:a@example.org",
        ] {
            assert_eq!(parse(bad, false), Err(Refusal::NotHttps), "{bad}");
        }
        assert!(parse("http://127.0.0.1:9000/x", true).is_ok());
    }

    #[tokio::test]
    async fn literal_and_resolved_private_hosts_are_refused() {
        for raw in [
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://169.254.169.254/latest/meta-data",
            "https://localhost/x",
            "https://2130706433/x",
        ] {
            let url = parse(raw, false).expect(raw);
            assert_eq!(check(&url, false).await, Err(Refusal::Private), "{raw}");
            assert_eq!(check(&url, true).await, Ok(()), "{raw}");
        }
    }
}
