//! Thread-level network-namespace helpers: enter a named namespace, run code
//! inside one, find the processes living in one, and the root check tests use.
//!
//! Why threads: `setns(2)` with `CLONE_NEWNET` switches only the calling
//! thread. Sockets (raw, AF_PACKET, netlink) belong to the namespace of the
//! thread that *created* them and stay there, so code that builds a socket
//! on a thread that entered namespace "a" and then hands it to any other
//! thread still talks on a's interfaces. Processes spawned from such a thread
//! start in that namespace too.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use nix::sched::{setns, CloneFlags};

/// Where `ip netns add NAME` keeps the namespace handle.
pub fn netns_path(name: &str) -> PathBuf {
    PathBuf::from("/run/netns").join(name)
}

/// Moves the *calling thread* into the named network namespace.
///
/// Never call this on a thread you want to keep in the root namespace (the
/// main thread, tokio workers): prefer [`run_in_netns`], which uses a fresh
/// thread.
pub fn enter_netns(name: &str) -> io::Result<()> {
    let file = File::open(netns_path(name))?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
}

/// Runs `f` on a fresh thread that first entered the named namespace, and
/// returns its result. `f` may borrow from the caller (scoped thread).
///
/// If the caller is inside a tokio runtime, `f` runs with that runtime
/// entered, so `AsyncFd`-based sockets and netlink connections created in
/// `f` are registered with the caller's runtime while living in the
/// namespace. `f` must not block waiting on that runtime (the caller's
/// thread is parked until `f` returns). A panic in `f` is re-raised here.
pub fn run_in_netns<T, F>(name: &str, f: F) -> io::Result<T>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    let runtime = tokio::runtime::Handle::try_current().ok();
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || -> io::Result<T> {
            enter_netns(name)?;
            let _entered = runtime.as_ref().map(|handle| handle.enter());
            Ok(f())
        });
        match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Process ids whose (main thread's) network namespace is the named one.
///
/// Used by [`crate::Lan`]'s teardown to end exactly the processes that
/// the lab started inside its own namespaces. The caller's own pid is never
/// returned.
pub fn pids_in_netns(name: &str) -> io::Result<Vec<u32>> {
    let target = std::fs::metadata(netns_path(name))?;
    let me = std::process::id();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        // Processes may exit while we look: skip whatever we cannot stat.
        let Ok(ns) = std::fs::metadata(entry.path().join("ns/net")) else {
            continue;
        };
        if ns.dev() == target.dev() && ns.ino() == target.ino() {
            pids.push(pid);
        }
    }
    Ok(pids)
}

/// The root gate for tests that need network namespaces.
///
/// Returns `true` when running as root. Otherwise prints
/// `SKIPPED: <test>: needs root (network namespaces)` and returns `false` so
/// the test can return early — unless the environment says `CI=true`, where a
/// silently skipped network test would hide a broken CI setup, so it panics
/// (fails the test) instead.
pub fn require_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: needs root (network namespaces), and CI=true forbids skipping");
    }
    println!("SKIPPED: {test}: needs root (network namespaces)");
    false
}

/// Polls `f` every 20 ms until it returns true or `timeout` passes.
/// Returns whether it succeeded. For tests waiting on kernel state.
pub fn poll_until(timeout: std::time::Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
