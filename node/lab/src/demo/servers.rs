//! The pair of servers: the seed keepalived.conf, vrrpd or keepalived started inside a
//! server's namespace, its state (vrrpctl or the keepalived log), and the scratch
//! directory for configs, logs and control sockets.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::{Binaries, Implementation, VIP};
use crate::Lan;

/// A scratch directory for configs, logs and control sockets; removed on drop unless kept.
#[derive(Debug)]
pub(crate) struct WorkDir {
    pub(crate) path: PathBuf,
    keep: bool,
}

impl WorkDir {
    pub(crate) fn create(imp: Implementation, keep: bool) -> Result<WorkDir> {
        let path = std::env::temp_dir().join(format!("vrrp-lab-{}-{}", std::process::id(), imp.name()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(WorkDir { path, keep })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The seed keepalived.conf for one server.
pub fn seed_config(state: &str, priority: u8) -> String {
    pair_config(state, priority, 2, "1")
}

/// The seed keepalived.conf with another VRRP `version` (2 or 3) and `advert_int` (as
/// written in keepalived.conf, seconds: "1", "0.1", "0.01"). VRRPv3 has no
/// authentication, so a version-3 config has no `authentication` block and says `version 3`.
pub fn pair_config(state: &str, priority: u8, version: u8, advert_int: &str) -> String {
    let extra = if version == 3 {
        "    version 3\n".to_owned()
    } else {
        "    authentication {\n        auth_type PASS\n        auth_pass XXXXXX\n    }\n".to_owned()
    };
    format!(
        r#"vrrp_instance VI {{
    state {state}
    interface eth1
    garp_master_delay 5
    virtual_router_id 200
    priority {priority}
    advert_int {advert_int}
{extra}    virtual_ipaddress {{
        {VIP}/24 dev eth1
    }}
}}
"#
    )
}

/// One server's daemon.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) host: &'static str,
    pub(crate) imp: Implementation,
    pub(crate) child: Child,
    pub(crate) socket: PathBuf,
    pub(crate) log: PathBuf,
}

impl Server {
    pub(crate) fn start(
        lan: &Lan,
        imp: Implementation,
        host: &'static str,
        priority: u8,
        state: &str,
        dir: &Path,
        bins: &Binaries,
    ) -> Result<Server> {
        Server::start_with(lan, imp, host, &seed_config(state, priority), dir, bins)
    }

    /// Starts `imp` on `host` with the keepalived.conf `config` (written to `dir`).
    pub(crate) fn start_with(
        lan: &Lan,
        imp: Implementation,
        host: &'static str,
        config: &str,
        dir: &Path,
        bins: &Binaries,
    ) -> Result<Server> {
        let conf = dir.join(format!("{host}.conf"));
        std::fs::write(&conf, config).with_context(|| format!("writing {}", conf.display()))?;
        let log = dir.join(format!("{host}.log"));
        let out = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let socket = dir.join(format!("{host}.sock"));
        let mut cmd = match imp {
            Implementation::Vrrpd => {
                let mut c = Command::new(&bins.vrrpd);
                c.arg("-f")
                    .arg(&conf)
                    .arg("--control-socket")
                    .arg(&socket)
                    .arg("-p")
                    .arg(dir.join(format!("{host}.pid")));
                c
            }
            Implementation::Keepalived => {
                let mut c = Command::new("keepalived");
                c.args(["-n", "-l", "-D", "--vrrp", "-f"])
                    .arg(&conf)
                    .arg("-p")
                    .arg(dir.join(format!("{host}.keepalived.pid")))
                    .arg("-r")
                    .arg(dir.join(format!("{host}.vrrp.pid")));
                c
            }
        };
        cmd.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out);
        // Ctrl-C goes to the demo only; it stops the daemons itself, in order.
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = lan.spawn(host, &mut cmd).with_context(|| format!("starting {} on {host}", imp.name()))?;
        Ok(Server { host, imp, child, socket, log })
    }

    pub(crate) fn sigterm(&self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
    }

    pub(crate) fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `vrrpctl status` (the table), for vrrpd.
    pub(crate) fn vrrpctl_table(&self, bins: &Binaries) -> Option<String> {
        (self.imp == Implementation::Vrrpd).then_some(())?;
        let out = Command::new(&bins.vrrpctl).arg("--socket").arg(&self.socket).arg("status").output().ok()?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.running() {
            self.sigterm();
            let end = Instant::now() + Duration::from_secs(3);
            while self.running() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The state of one server's daemon, as `vrrpctl status --json` says (vrrpd) or as the
/// last "Entering X STATE" line of its log says (keepalived).
pub(crate) fn daemon_state(imp: Implementation, socket: &Path, log: &Path, vrrpctl: &Path) -> Option<String> {
    match imp {
        Implementation::Vrrpd => {
            let out = Command::new(vrrpctl)
                .arg("--socket")
                .arg(socket)
                .args(["status", "--json"])
                .stderr(Stdio::null())
                .output()
                .ok()?;
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            v["instances"][0]["state"].as_str().map(str::to_owned)
        }
        Implementation::Keepalived => {
            let text = std::fs::read_to_string(log).ok()?;
            text.lines().rev().find_map(|l| {
                let rest = &l[l.find("Entering ")? + "Entering ".len()..];
                Some(rest.strip_suffix(" STATE")?.trim().to_owned())
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_config_is_the_users_with_a_test_net_vip() {
        let c = seed_config("MASTER", 101);
        assert!(c.contains("priority 101") && c.contains("192.0.2.1/24 dev eth1") && c.contains("auth_pass XXXXXX"));
        assert!(c.contains("    advert_int 1\n    authentication {\n") && !c.contains("version"));
        let v3 = pair_config("BACKUP", 100, 3, "0.01");
        assert!(v3.contains("    advert_int 0.01\n    version 3\n    virtual_ipaddress {") && !v3.contains("auth"));
    }
}
