//! What the vrrp-lab binary's tests share.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `vrrp-lab ARGS` with a hard time limit (SIGKILL after `limit`); its output and pid.
pub fn vrrp_lab(args: &[&str], limit: Duration) -> (Output, u32) {
    let child = Command::new(env!("CARGO_BIN_EXE_vrrp-lab"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vrrp-lab");
    let pid = child.id();
    let start = Instant::now();
    let watchdog = std::thread::spawn(move || {
        while start.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(200));
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
        }
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGKILL);
    });
    let out = child.wait_with_output().expect("wait vrrp-lab");
    let _ = watchdog.join();
    (out, pid)
}
