//! Small helpers around iproute2 and procfs for the lab: running `ip`,
//! reading its JSON output, writing sysctls inside a namespace, and parsing
//! addresses.

use std::io;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use super::ns::run_in_netns;

/// Runs `ip ARGS...` and returns its stdout; a non-zero exit is an error
/// carrying stderr.
pub(crate) fn ip(args: &[&str]) -> io::Result<String> {
    let out = Command::new("ip").args(args).stdin(Stdio::null()).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "ip {}: {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub(crate) fn write_sysctl(ns: &str, key: &str, value: &str) -> io::Result<()> {
    let path = format!("/proc/sys/{}", key.replace('.', "/"));
    // /proc/sys/net resolves against the namespace of the thread that opens
    // it, so a thread inside `ns` writes that namespace's settings.
    run_in_netns(ns, || std::fs::write(&path, value))?
        .map_err(|e| io::Error::new(e.kind(), format!("sysctl {key}={value} in {ns}: {e}")))
}

pub(crate) fn parse_json(text: &str) -> io::Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| invalid(format!("ip -j output: {e}")))
}

pub(crate) fn first_object(v: serde_json::Value) -> io::Result<serde_json::Value> {
    v.as_array().and_then(|a| a.first()).cloned().ok_or_else(|| invalid("ip -j: empty output".into()))
}

pub(crate) fn parse_cidr(s: &str) -> io::Result<(IpAddr, u8)> {
    let (addr, prefix) = s.split_once('/').ok_or_else(|| invalid(format!("{s}: expected ADDRESS/PREFIX")))?;
    let addr: IpAddr = addr.parse().map_err(|_| invalid(format!("{s}: bad address")))?;
    let prefix: u8 = prefix.parse().map_err(|_| invalid(format!("{s}: bad prefix")))?;
    if !is_test_net(addr) {
        return Err(invalid(format!(
            "{s}: lab addresses must be TEST-NET (192.0.2.0/24, 198.18.0.0/15, 2001:db8::/32)"
        )));
    }
    Ok((addr, prefix))
}

/// Whether `addr` is in the documentation / benchmarking ranges the lab is
/// allowed to use.
pub fn is_test_net(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            (o[0], o[1], o[2]) == (192, 0, 2) || (o[0] == 198 && (o[1] & 0xfe) == 18)
        }
        IpAddr::V6(a) => a.segments()[..2] == [0x2001, 0x0db8],
    }
}

/// Parses "aa:bb:cc:dd:ee:ff".
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for byte in &mut mac {
        *byte = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

pub(crate) fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_net_ranges() {
        for ok in ["192.0.2.1", "198.18.0.1", "198.19.255.254", "2001:db8::1"] {
            assert!(is_test_net(ok.parse().unwrap()), "{ok}");
        }
        for bad in ["192.0.3.1", "10.0.0.1", "198.20.0.1", "2001:db9::1", "fe80::1"] {
            assert!(!is_test_net(bad.parse().unwrap()), "{bad}");
        }
    }

    #[test]
    fn cidr_parsing() {
        assert_eq!(parse_cidr("192.0.2.11/24").unwrap(), ("192.0.2.11".parse().unwrap(), 24));
        assert!(parse_cidr("192.0.2.11").is_err());
        assert!(parse_cidr("10.1.1.1/8").is_err());
    }

    #[test]
    fn mac_parsing() {
        assert_eq!(parse_mac("02:00:5e:10:0a:ff"), Some([2, 0, 0x5e, 0x10, 0x0a, 0xff]));
        assert_eq!(parse_mac("02:00:5e:10:0a"), None);
        assert_eq!(parse_mac("02:00:5e:10:0a:ff:00"), None);
        assert_eq!(parse_mac("zz:00:5e:10:0a:ff"), None);
    }
}
