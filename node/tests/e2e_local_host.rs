//! vrrpd on the local host: its control socket is 0660 in its group whatever the umask,
//! only root (or vrrpd's own user) may change its state through it, idle clients cannot
//! hold `vrrpctl` up, and a start that fails or finds another vrrpd on its socket leaves
//! the host as it found it.

mod common;

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use nix::errno::Errno;
use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, pipe, setgid, setgroups, setuid, ForkResult, Gid, Uid};
use vrrp_lab::{poll_until, require_root, Lan};
use vrrp_node::control::{self, ReloadSummary, Reply, Request};

/// Debian's `nobody` user and `nogroup` group (also nobody's primary group).
const NOBODY: u32 = 65534;
const NOGROUP: u32 = 65534;

fn one_host(test: &str) -> Lan {
    Lan::builder(test).host("a", "192.0.2.11/24", "2001:db8::11/64").build().expect("build lab LAN")
}

/// A test directory others may traverse (set explicitly, not left to the umask), so the
/// control socket's own mode decides who can connect.
fn open_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// Waits until vrrpd answers `vrrpctl status`.
fn wait_answering(vrrpd: &Vrrpd) {
    let up = poll_until(Duration::from_secs(10), || !vrrpd.status_json().is_null());
    assert!(up, "vrrpd does not answer on {}; log:\n{}", vrrpd.socket.display(), vrrpd.log());
}

fn mode_and_gid(path: &Path) -> (u32, u32) {
    let m = std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (m.mode() & 0o7777, m.gid())
}

/// Sends `line` on the control socket from a forked child running as nobody:nogroup, and
/// returns what vrrpd wrote back, or the error the child met (connect's, most likely).
fn ask_as_nobody(socket: &Path, line: &str) -> Result<String, Errno> {
    let addr = UnixAddr::new(socket).expect("socket path");
    let (from_child, to_parent) = pipe().expect("pipe");
    // SAFETY: the child only makes system calls on memory prepared before the fork (no
    // allocation, no locks) and ends with _exit.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let code = match client_as_nobody(&addr, line.as_bytes(), &to_parent) {
                Ok(()) => 0,
                Err(e) => e as i32,
            };
            // SAFETY: ends the forked child without running the parent's exit handlers.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop(to_parent);
            let mut reply = Vec::new();
            std::io::Read::read_to_end(&mut std::fs::File::from(from_child), &mut reply).expect("read pipe");
            match waitpid(child, None).expect("waitpid") {
                WaitStatus::Exited(_, 0) => Ok(String::from_utf8(reply).expect("utf-8 reply")),
                WaitStatus::Exited(_, errno) => Err(Errno::from_raw(errno)),
                other => panic!("client child: {other:?}"),
            }
        }
    }
}

/// The forked child: drops to nobody:nogroup, sends `line`, copies the reply to `out`.
fn client_as_nobody(addr: &UnixAddr, line: &[u8], out: &OwnedFd) -> nix::Result<()> {
    setgroups(&[])?;
    setgid(Gid::from_raw(NOGROUP))?;
    setuid(Uid::from_raw(NOBODY))?;
    let stream = socket(AddressFamily::Unix, SockType::Stream, SockFlag::empty(), None)?;
    connect(stream.as_raw_fd(), addr)?;
    nix::unistd::write(stream.as_fd(), line)?;
    let mut buf = [0u8; 8192];
    loop {
        let n = nix::unistd::read(stream.as_fd(), &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        nix::unistd::write(out.as_fd(), &buf[..n])?;
    }
}

#[test]
fn under_umask_000_the_socket_is_0660_in_a_0750_directory_of_its_group_and_only_root_may_reload() {
    let test = "under_umask_000_the_socket_is_0660_in_a_0750_directory_of_its_group_and_only_root_may_reload";
    if !require_root(test) {
        return;
    }
    let lan = one_host("umask");
    let vrrpd = start_vrrpd_with(&lan, "a", &seed_config("BACKUP", 100), open_dir(), "run/vrrpd.sock", |cmd| {
        cmd.args(["--control-group", "nogroup"]);
        // SAFETY: umask is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::umask(0);
                Ok(())
            });
        }
    });
    wait_answering(&vrrpd);
    let socket = &vrrpd.socket;
    assert!(std::fs::symlink_metadata(socket).unwrap().file_type().is_socket());
    assert_eq!(mode_and_gid(socket), (0o660, NOGROUP), "control socket mode and group");
    assert_eq!(mode_and_gid(&vrrpd.dir.path().join("run")), (0o750, NOGROUP), "directory vrrpd created");
    assert_eq!(mode_and_gid(vrrpd.dir.path()), (0o755, 0), "an existing directory is left alone");
    assert_eq!(mode_and_gid(&vrrpd.dir.path().join("vrrpd.pid")).0, 0o644, "pid file");

    // nobody, in the socket's group: may read the status, may not reload.
    let status = ask_as_nobody(socket, "{\"request\":\"status\"}\n").expect("nobody connects");
    assert!(status.starts_with("{\"reply\":\"status\",\"instances\":[{\"name\":\"VI\""), "{status}");
    let reload = ask_as_nobody(socket, "{\"request\":\"reload\"}\n").expect("nobody connects");
    assert_eq!(
        reload,
        "{\"reply\":\"error\",\"message\":\"reload refused: the client runs as uid 65534; only root (uid 0) or \
         vrrpd's own uid (0) may change vrrpd's state\"}\n"
    );
    assert!(!vrrpd.log().contains("reloading"), "log:\n{}", vrrpd.log());
    // root may: the same file, so the instance is kept as it is.
    let reply = control::request(socket, Request::Reload, Duration::from_secs(15)).expect("root connects");
    assert_eq!(reply, Reply::Reloaded(ReloadSummary { kept: vec!["VI".into()], ..Default::default() }));
    assert!(vrrpd.log().contains("vrrpctl reload: reloading"), "{}", vrrpd.log());
}

#[test]
fn without_a_control_group_others_cannot_connect_and_idle_clients_do_not_hold_up_vrrpctl() {
    let test = "without_a_control_group_others_cannot_connect_and_idle_clients_do_not_hold_up_vrrpctl";
    if !require_root(test) {
        return;
    }
    let lan = one_host("idle");
    let vrrpd = start_vrrpd_with(&lan, "a", &seed_config("BACKUP", 100), open_dir(), "vrrpd.sock", |_| {});
    wait_answering(&vrrpd);
    // Not in the socket's group (root's): the socket's mode keeps nobody out.
    assert_eq!(mode_and_gid(&vrrpd.socket), (0o660, 0));
    assert_eq!(ask_as_nobody(&vrrpd.socket, "{\"request\":\"status\"}\n"), Err(Errno::EACCES));

    let idle: Vec<UnixStream> = (0..5).map(|_| UnixStream::connect(&vrrpd.socket).expect("connect")).collect();
    let start = Instant::now();
    let status = vrrpd.status_json();
    let took = start.elapsed();
    assert_eq!(status["instances"][0]["name"], "VI", "{status}");
    assert!(took < Duration::from_secs(2), "vrrpctl status took {took:?} behind five idle clients");
    drop(idle);
}

#[test]
fn a_failed_start_leaves_no_pid_file_and_no_control_socket() {
    let test = "a_failed_start_leaves_no_pid_file_and_no_control_socket";
    if !require_root(test) {
        return;
    }
    let lan = one_host("failed");
    // Refused when planned on the host (a missing interface is not a failure: it waits).
    let config = seed_config("BACKUP", 100).replace("auth_type PASS", "auth_type AH");
    let mut vrrpd = start_vrrpd_with(&lan, "a", &config, open_dir(), "run/vrrpd.sock", |_| {});
    let status = vrrpd.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("still running:\n{}", vrrpd.log()));
    assert!(!status.success());
    assert!(vrrpd.log().contains("auth_type AH is not supported by vrrpd"), "log:\n{}", vrrpd.log());
    let left: Vec<_> =
        ["vrrpd.pid", "run/vrrpd.sock"].into_iter().filter(|f| vrrpd.dir.path().join(f).exists()).collect();
    assert!(left.is_empty(), "left behind: {left:?}; log:\n{}", vrrpd.log());
}

#[test]
fn a_second_vrrpd_on_the_same_socket_is_refused_before_it_touches_the_first_ones_vips() {
    let test = "a_second_vrrpd_on_the_same_socket_is_refused_before_it_touches_the_first_ones_vips";
    if !require_root(test) {
        return;
    }
    let lan = one_host("second");
    let first = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    assert!(wait_for(Duration::from_secs(10), || holds(&lan, "a", vip())).is_some(), "log:\n{}", first.log());
    let socket = first.socket.to_str().unwrap().to_owned();
    let mut second = start_vrrpd_with(&lan, "a", &seed_config("MASTER", 101), open_dir(), &socket, |_| {});
    let status =
        second.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("still running:\n{}", second.log()));
    assert!(!status.success());
    let says = format!("another vrrpd is listening on the control socket {socket}");
    assert!(second.log().contains(&says), "log:\n{}", second.log());
    assert!(!second.dir.path().join("vrrpd.pid").exists(), "the refused one wrote a pid file");
    // The first one still has its VIP, its socket and its pid file.
    assert!(holds(&lan, "a", vip()), "the refused one removed the running one's VIP");
    assert_eq!(first.state(), "MASTER", "log:\n{}", first.log());
    assert!(first.dir.path().join("vrrpd.pid").exists());
}
