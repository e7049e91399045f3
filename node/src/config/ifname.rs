//! Interface names and address labels, checked the way the kernel will check them, so a
//! file `vrrpd -t` accepts does not fail (or worse) when the daemon hands the name to
//! netlink or `SO_BINDTODEVICE`.
//!
//! The rules are the kernel's `dev_valid_name` (net/core/dev.c): 1 to IFNAMSIZ − 1 (15)
//! bytes, not `.` or `..`, no `/`, `:` or whitespace. keepalived refuses the over-long
//! ones too ("Interface name '…' too long"). Labels (`ip addr … label eth1:vip`) are a
//! netlink string of at most 15 bytes (`IFA_LABEL`), where `:` is the usual separator.

/// A name read with bytes that were not UTF-8 would reach the kernel changed.
const NOT_UTF8: &str = "the name holds bytes that are not UTF-8";

/// The kernel's `IFNAMSIZ`, which counts the terminating NUL.
const IFNAMSIZ: usize = 16;

/// Why `name` cannot be a Linux interface name, or `None` when it can.
pub(crate) fn ifname_problem(name: &str) -> Option<String> {
    if let Some(why) = length_problem(name, "a Linux interface name (IFNAMSIZ)") {
        return Some(why);
    }
    if name == "." || name == ".." {
        return Some(format!("`{name}` is not a valid interface name"));
    }
    if name.contains(char::REPLACEMENT_CHARACTER) {
        return Some(NOT_UTF8.to_string());
    }
    if let Some(c) = name.chars().find(|&c| c == '/' || c == ':' || c.is_whitespace()) {
        let hint = if c == ':' { " (`eth1:vip` is an address label: use `label` on the address)" } else { "" };
        return Some(format!("interface names cannot contain {}{hint}", shown_char(c)));
    }
    None
}

/// Why `label` cannot be an IPv4 address label, or `None` when it can.
pub(crate) fn label_problem(label: &str) -> Option<String> {
    if let Some(why) = length_problem(label, "an address label (IFA_LABEL)") {
        return Some(why);
    }
    if label.contains(char::REPLACEMENT_CHARACTER) {
        return Some(NOT_UTF8.to_string());
    }
    label.chars().find(|c| c.is_whitespace()).map(|c| format!("labels cannot contain {}", shown_char(c)))
}

fn length_problem(name: &str, what: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".to_string());
    }
    let max = IFNAMSIZ - 1;
    (name.len() > max).then(|| format!("{} bytes, at most {max} fit {what}", name.len()))
}

fn shown_char(c: char) -> String {
    if c.is_whitespace() {
        format!("whitespace ({:?})", c)
    } else {
        format!("`{c}`")
    }
}

/// `name` for a message: an over-long one is cut, so a 100 000-byte name does not make a
/// 100 000-byte message.
pub(crate) fn shown(name: &str) -> String {
    const SHOWN: usize = 24;
    match name.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("`{}…`", &name[..cut]),
        None => format!("`{name}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernels_dev_valid_name_rules() {
        for ok in ["eth1", "a", "enp0s31f6", "br-lan.100", "x23456789012345", "é"] {
            assert_eq!(ifname_problem(ok), None, "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "eth1:1", "eth 1", "eth\t1", "x234567890123456"] {
            assert!(ifname_problem(bad).is_some(), "{bad:?}");
        }
        // Bytes, not characters: 8 two-byte characters are 16 bytes.
        assert!(ifname_problem("éééééééé").is_some());
    }

    #[test]
    fn labels_may_hold_a_colon_but_not_more_than_15_bytes() {
        assert_eq!(label_problem("eth1:vip"), None);
        assert_eq!(label_problem("eth1:0123456789"), None);
        assert!(label_problem("eth1:01234567890").is_some());
        assert!(label_problem("").is_some());
        assert!(label_problem("eth1 vip").is_some());
    }

    #[test]
    fn shown_cuts_long_names() {
        assert_eq!(shown("eth1"), "`eth1`");
        let long = "x".repeat(100_000);
        assert_eq!(shown(&long), format!("`{}…`", "x".repeat(24)));
    }
}
