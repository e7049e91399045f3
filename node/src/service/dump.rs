//! keepalived's signal dumps: SIGUSR1 writes the data (`vrrpd.data`), SIGUSR2 the statistics
//! (`vrrpd.stats`, keepalived.stats' layout), SIGRTMIN+2 (keepalived's SIGJSON) the status
//! JSON (`vrrpd.json`), each in the runtime directory (where the control socket is), never
//! /tmp. And `vrrpd --signum NAME` (keepalived's `get_signum`, lib/signals.c).
//!
//! Files are written the way keepalived's `fopen_safe` (lib/utils.c) does after
//! CVE-2018-19044/19045/19046: a new file opened `O_CREAT|O_EXCL|O_NOFOLLOW` (never an
//! existing file, never through a symlink), mode 0640, renamed over the target (a symlink
//! planted there is replaced, not followed; a reader never sees a half-written file).

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::control::status::Status;

/// The dumps' file mode: vrrpd's user and group may read them.
pub const DUMP_MODE: u32 = 0o640;

/// What a signal asks vrrpd to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dump {
    /// SIGUSR1: every instance's configuration-derived data and state.
    Data,
    /// SIGUSR2: the counters, in keepalived.stats' layout.
    Stats,
    /// SIGRTMIN+2: the `vrrpctl status --json` document.
    Json,
}

impl Dump {
    /// Its file in the runtime directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Dump::Data => "vrrpd.data",
            Dump::Stats => "vrrpd.stats",
            Dump::Json => "vrrpd.json",
        }
    }

    /// Its contents for `status`.
    pub fn render(self, status: &Status) -> String {
        match self {
            Dump::Data => data_text(status),
            Dump::Stats => stats_text(status),
            Dump::Json => serde_json::to_string_pretty(status).map(|j| j + "\n").unwrap_or_default(),
        }
    }
}

/// The SIGUSR1 dump: the status table, then each instance in detail.
pub fn data_text(status: &Status) -> String {
    let mut out = status.table();
    for i in &status.instances {
        let _ = writeln!(out, "\nVRRP Instance: {}", i.name);
        let _ = writeln!(out, "  State: {}", i.state.as_str());
        let _ = writeln!(out, "  Interface: {}", i.interface);
        let _ = writeln!(out, "  Virtual Router ID: {}", i.vrid);
        let _ = writeln!(out, "  Family: {}", i.family.as_str());
        let _ = writeln!(out, "  Version: {}", i.version.number());
        let _ = writeln!(out, "  Priority: {}", i.priority);
        let _ = writeln!(out, "  Effective priority: {}", i.effective_priority);
        let _ = writeln!(out, "  Master: {}", i.master_ip.as_deref().unwrap_or("-"));
        let _ = writeln!(out, "  Advert interval: {} ms", u32::from(i.advert_int_cs) * 10);
        let _ = writeln!(out, "  Virtual IP addresses: {}", i.vips.join(" "));
        let _ = writeln!(out, "  New master reason: {}", i.stats.new_master_reason.as_str());
        let _ = writeln!(out, "  Protocol error reason: {}", i.stats.proto_err_reason.as_str());
        for c in i.stats.counters() {
            let _ = writeln!(out, "  {}: {}", c.key, c.value);
        }
    }
    out
}

/// keepalived.stats' layout (vrrp_print.c `vrrp_print_stats`), from the same counters.
/// keepalived's "Released master" line is left out: vrrpd does not count releases.
pub fn stats_text(status: &Status) -> String {
    let mut out = String::new();
    for i in &status.instances {
        let s = &i.stats;
        let _ = write!(
            out,
            "VRRP Instance: {}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  Became master: {}\n  \
             Packet Errors:\n    Length: {}\n    TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    \
             Address List: {}\n  Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    \
             Failure: {}\n  Priority Zero:\n    Received: {}\n    Sent: {}\n",
            i.name,
            s.rcvd_advertisements,
            s.sent_advertisements,
            s.master_transitions,
            s.packet_length_errors,
            s.ip_ttl_errors,
            s.rcvd_invalid_type_packets,
            s.adv_interval_errors,
            s.address_list_errors,
            s.invalid_auth_type,
            s.auth_type_mismatch,
            s.auth_failures,
            s.rcvd_pri_zero_packets,
            s.sent_pri_zero_packets,
        );
    }
    out
}

/// Writes `contents` to `dir/name` safely (see the module doc); returns the path.
pub fn write_safely(dir: &Path, name: &str, contents: &[u8]) -> io::Result<PathBuf> {
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let open = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(DUMP_MODE)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)
    };
    let mut file = match open() {
        Ok(f) => f,
        // Left by a vrrpd with our pid that died mid-write, or planted: remove the name
        // (a symlink itself, never its target) and create it anew, still exclusively.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(&tmp)?;
            open()?
        }
        Err(e) => return Err(e),
    };
    let written = file
        .write_all(contents)
        .and_then(|()| file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(DUMP_MODE)))
        .and_then(|()| std::fs::rename(&tmp, &target));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| target)
}

/// Writes `dump` of `status` into `dir` and logs where (or why not): what the protocol loop
/// does on SIGUSR1, SIGUSR2 and SIGRTMIN+2.
pub fn on_signal(dir: &Path, dump: Dump, status: &Status) {
    match write_safely(dir, dump.file_name(), dump.render(status).as_bytes()) {
        Ok(path) => tracing::info!("wrote {}", path.display()),
        Err(e) => tracing::warn!("cannot write {}: {e}", dir.join(dump.file_name()).display()),
    }
}

/// keepalived's SIGJSON.
pub fn sigjson() -> i32 {
    libc::SIGRTMIN() + 2
}

/// keepalived's STATS_CLEAR signal, SIGRTMAX-1 (what `keepalived --signum=STATS_CLEAR`
/// prints): vrrpd sets its counters back to zero.
pub fn sigstats_clear() -> i32 {
    libc::SIGRTMAX() - 1
}

/// `vrrpd --signum NAME`: the signal for STOP, RELOAD, DATA, STATS, STATS_CLEAR or JSON, as
/// keepalived's `get_signum` gives it.
pub fn signum(name: &str) -> Result<i32, String> {
    match name {
        "STOP" => Ok(libc::SIGTERM),
        "RELOAD" => Ok(libc::SIGHUP),
        "DATA" => Ok(libc::SIGUSR1),
        "STATS" => Ok(libc::SIGUSR2),
        "STATS_CLEAR" => Ok(sigstats_clear()),
        "JSON" => Ok(sigjson()),
        other => Err(format!("Unknown sigfunc {other} (vrrpd knows STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON)")),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use vrrp_core::stats::Stats;
    use vrrp_core::wire::{Family, Version};
    use vrrp_core::State;

    use super::*;
    use crate::control::status::InstanceStatus;

    fn status() -> Status {
        let mut stats = Stats::default();
        stats.set_counter("rcvd_advertisements", 11);
        stats.set_counter("sent_advertisements", 22);
        stats.set_counter("master_transitions", 3);
        Status {
            instances: vec![InstanceStatus {
                waiting: None,
                name: "VI_1".into(),
                interface: "eth1".into(),
                vrid: 51,
                family: Family::Ipv4,
                version: Version::V2,
                state: State::Master,
                priority: 150,
                effective_priority: 140,
                master_ip: Some("192.0.2.11".into()),
                distinct_masters: 1,
                transitions: vec![],
                advert_int_cs: 100,
                vips: vec!["192.0.2.1/24".into()],
                stats,
            }],
            ..Status::default()
        }
    }

    /// The layout of keepalived's vrrp_print_stats.
    #[test]
    fn keepalived_stats_layout() {
        let text = stats_text(&status());
        assert!(
            text.starts_with(
                "VRRP Instance: VI_1\n  Advertisements:\n    Received: 11\n    Sent: 22\n  Became master: 3\n"
            ),
            "{text}"
        );
        assert!(text.contains("  Priority Zero:\n    Received: 0\n    Sent: 0\n"), "{text}");
    }

    #[test]
    fn the_data_dump_has_the_table_and_each_instance() {
        let text = Dump::Data.render(&status());
        assert!(text.starts_with("INSTANCE"), "{text}");
        for line in ["VRRP Instance: VI_1", "  State: MASTER", "  Effective priority: 140", "  rcvd_advertisements: 11"]
        {
            assert!(text.contains(line), "{line} missing: {text}");
        }
        let json: Status = serde_json::from_str(&Dump::Json.render(&status())).unwrap();
        assert_eq!(json, status());
    }

    /// keepalived's get_signum (lib/signals.c); SIGJSON is SIGRTMIN+2, SIGSTATS_CLEAR SIGRTMAX-1.
    /// Where keepalived is installed, each number is the one `keepalived --signum` prints.
    #[test]
    fn keepalived_signum_names() {
        assert_eq!(signum("STOP"), Ok(15));
        assert_eq!(signum("RELOAD"), Ok(1));
        assert_eq!(signum("DATA"), Ok(10));
        assert_eq!(signum("STATS"), Ok(12));
        assert_eq!(signum("JSON"), Ok(libc::SIGRTMIN() + 2));
        assert_eq!(signum("STATS_CLEAR"), Ok(libc::SIGRTMAX() - 1));
        assert!(signum("FOO").unwrap_err().starts_with("Unknown sigfunc FOO"));
        for name in ["STOP", "RELOAD", "DATA", "STATS", "STATS_CLEAR", "JSON"] {
            let Ok(out) = std::process::Command::new("keepalived").arg(format!("--signum={name}")).output() else {
                continue;
            };
            let theirs: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            assert_eq!(signum(name), Ok(theirs), "{name}");
        }
    }

    /// CVE-2018-19044 class: a symlink planted at the dump's name or at its temporary name
    /// is never followed; the victim file is untouched; the dump is a regular 0640 file.
    #[test]
    fn planted_symlinks_are_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("vrrpd.stats")).unwrap();
        let tmp = dir.path().join(format!(".vrrpd.stats.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        let path = write_safely(dir.path(), "vrrpd.stats", b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(meta.mode() & 0o7777, DUMP_MODE);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert!(std::fs::symlink_metadata(&tmp).is_err(), "temporary left behind");
        // A second dump replaces the first.
        write_safely(dir.path(), "vrrpd.stats", b"newer").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "newer");
    }
}
