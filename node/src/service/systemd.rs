//! systemd integration: notifications over `$NOTIFY_SOCKET` (sd_notify(3)) and log lines
//! journald understands (sd-daemon(3) `<N>` priority prefixes).
//!
//! The protocol loop itself sends `WATCHDOG=1` (see [`Notifier::period`]): a loop
//! that is stuck stops the pings, and systemd restarts the unit (`WatchdogSec=`).

use std::fmt;
use std::io::IsTerminal;
use std::time::Duration;

use sd_notify::NotifyState;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;

use crate::control::status::Status;

/// How often the `STATUS=` line is refreshed when there is no shorter watchdog period.
pub const STATUS_PERIOD: Duration = Duration::from_secs(2);

/// Sends vrrpd's state to systemd. Without `$NOTIFY_SOCKET` (not started by systemd, or
/// not `Type=notify`) every call is a no-op.
#[derive(Debug)]
pub struct Notifier {
    enabled: bool,
    watchdog: Option<Duration>,
    /// The last `STATUS=` line sent, so an unchanged one is not sent again.
    status: String,
}

impl Notifier {
    /// Reads `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID` (sd_watchdog_enabled(3)).
    pub fn from_env() -> Self {
        Notifier {
            enabled: std::env::var_os("NOTIFY_SOCKET").is_some(),
            watchdog: sd_notify::watchdog_enabled(),
            status: String::new(),
        }
    }

    /// How often the loop must call [`Notifier::tick`]: half of `WatchdogSec=`, as
    /// sd_watchdog_enabled(3) advises, at most [`STATUS_PERIOD`] (the `STATUS=` line follows
    /// state changes that late at worst). `None`: not started by systemd.
    pub fn period(&self) -> Option<Duration> {
        match self.watchdog {
            Some(w) => Some((w / 2).clamp(Duration::from_millis(1), STATUS_PERIOD)),
            None => self.enabled.then_some(STATUS_PERIOD),
        }
    }

    /// `READY=1` with the first status line: sockets are open and every instance has its
    /// first state.
    pub fn ready(&mut self, status: &Status) {
        self.status = summary(status);
        self.send(&[NotifyState::Ready, NotifyState::Status(&self.status.clone())]);
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (what `Type=notify-reload` expects); the loop
    /// sends [`Notifier::ready`] once the new configuration is in force.
    pub fn reloading(&mut self) {
        match NotifyState::monotonic_usec_now() {
            Ok(now) => self.send(&[NotifyState::Reloading, now]),
            Err(_) => self.send(&[NotifyState::Reloading]),
        }
    }

    /// `STOPPING=1`: the shutdown (VIPs released, priority-0 adverts) has begun.
    pub fn stopping(&mut self) {
        self.send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
    }

    /// `STATUS=` when the summary changed since the last one sent, then `WATCHDOG=1` if
    /// systemd asked for a watchdog. The protocol loop calls it every [`Notifier::period`].
    pub fn tick(&mut self, status: &Status) {
        self.update(status);
        if self.watchdog.is_some() {
            self.send(&[NotifyState::Watchdog]);
        }
    }

    /// `STATUS=` with the one-line summary, if it changed.
    pub fn update(&mut self, status: &Status) {
        let line = summary(status);
        if line != self.status {
            self.status = line;
            self.send(&[NotifyState::Status(&self.status.clone())]);
        }
    }

    fn send(&self, states: &[NotifyState<'_>]) {
        if !self.enabled {
            return;
        }
        let mut msg = String::new();
        for state in states {
            msg.push_str(&state.to_string());
            msg.push('\n');
        }
        match notify_nonblocking(&msg) {
            Ok(()) => {}
            // systemd (or whoever listens) is not reading: dropping a notification is
            // better than stopping the protocol loop on a full socket.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                tracing::debug!("sd_notify: $NOTIFY_SOCKET is full, notification dropped")
            }
            Err(e) => tracing::warn!("sd_notify to $NOTIFY_SOCKET failed: {e}"),
        }
    }
}

/// sd_notify(3) without ever blocking: one datagram to `$NOTIFY_SOCKET` (a path, or an
/// abstract name written `@name`) from a non-blocking socket. The sd-notify crate's `notify`
/// sends from a blocking socket, and a reader that stops reading (a full datagram queue:
/// 10 by default) would then hold the protocol loop in `sendto` for good.
fn notify_nonblocking(msg: &str) -> std::io::Result<()> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(());
    };
    let sock = UnixDatagram::unbound()?;
    sock.set_nonblocking(true)?;
    let addr = match path.as_bytes().strip_prefix(b"@") {
        Some(name) => SocketAddr::from_abstract_name(name)?,
        None => SocketAddr::from_pathname(&path)?,
    };
    let sent = sock.send_to_addr(msg.as_bytes(), &addr)?;
    if sent != msg.len() {
        return Err(std::io::Error::new(std::io::ErrorKind::WriteZero, "incomplete sd_notify datagram"));
    }
    Ok(())
}

/// The one-line `STATUS=` summary `systemctl status vrrpd` shows: how many instances are in
/// each state, e.g. `3 instances: 2 MASTER, 1 BACKUP`.
pub fn summary(status: &Status) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for i in &status.instances {
        let name = i.state.as_str();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    // Most significant first, whatever the order of the instances.
    let rank = |s: &str| ["MASTER", "BACKUP", "FAULT", "INIT"].iter().position(|r| *r == s).unwrap_or(usize::MAX);
    counts.sort_by_key(|(n, _)| rank(n));
    let n = status.instances.len();
    let noun = if n == 1 { "instance" } else { "instances" };
    if counts.is_empty() {
        return format!("{n} {noun}");
    }
    let parts: Vec<String> = counts.iter().map(|(s, c)| format!("{c} {s}")).collect();
    format!("{n} {noun}: {}", parts.join(", "))
}

/// Whether stderr is connected to the journal: `$JOURNAL_STREAM` (`DEV:INODE`, systemd.exec(5))
/// names stderr's own device and inode.
pub fn stderr_is_journal() -> bool {
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else { return false };
    let Ok(st) = nix::sys::stat::fstat(std::io::stderr()) else { return false };
    journal_stream_matches(&stream.to_string_lossy(), st.st_dev, st.st_ino)
}

fn journal_stream_matches(stream: &str, dev: u64, ino: u64) -> bool {
    let Some((d, i)) = stream.split_once(':') else { return false };
    d.parse::<u64>().is_ok_and(|d| d == dev) && i.parse::<u64>().is_ok_and(|i| i == ino)
}

/// The sd-daemon(3) priority prefix journald reads from a line on stderr.
pub fn syslog_prefix(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "<3>",
        Level::WARN => "<4>",
        Level::INFO => "<6>",
        Level::DEBUG | Level::TRACE => "<7>",
    }
}

/// How log lines are written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStyle {
    /// A terminal: timestamps, level, colour.
    Terminal,
    /// A file or pipe: timestamps and level, no colour codes.
    Plain,
    /// The journal: `<N>` priority prefix, no timestamp (journald adds its own), no colour.
    Journal,
}

impl LogStyle {
    /// What stderr is now.
    pub fn detect() -> Self {
        if stderr_is_journal() {
            LogStyle::Journal
        } else if std::io::stderr().is_terminal() {
            LogStyle::Terminal
        } else {
            LogStyle::Plain
        }
    }
}

/// Writes each event as `<N>LEVEL message` for journald.
#[derive(Debug)]
pub struct JournalFormat {
    inner: format::Format<format::Full, ()>,
}

impl Default for JournalFormat {
    fn default() -> Self {
        JournalFormat { inner: format::Format::default().without_time().with_target(false).with_ansi(false) }
    }
}

impl<S, N> FormatEvent<S, N> for JournalFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        writer.write_str(syslog_prefix(event.metadata().level()))?;
        self.inner.format_event(ctx, writer, event)
    }
}

/// Installs vrrpd's log subscriber on stderr in `style`, filtered by `$VRRPD_LOG` (default
/// `info`).
pub fn init_logging(style: LogStyle) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VRRPD_LOG").unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_env_filter(filter);
    match style {
        LogStyle::Terminal => builder.init(),
        LogStyle::Plain => builder.with_ansi(false).init(),
        LogStyle::Journal => builder.event_format(JournalFormat::default()).init(),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixDatagram;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;
    use vrrp_core::State;

    use super::*;
    use crate::control::status::InstanceStatus;

    fn instance(name: &str, state: State) -> InstanceStatus {
        InstanceStatus::for_test(name, state)
    }

    #[test]
    fn the_summary_counts_states_most_significant_first() {
        let mut s = Status::default();
        assert_eq!(summary(&s), "0 instances");
        s.instances.push(instance("a", State::Backup));
        assert_eq!(summary(&s), "1 instance: 1 BACKUP");
        s.instances.push(instance("b", State::Master));
        s.instances.push(instance("c", State::Backup));
        s.instances.push(instance("d", State::Initialize));
        assert_eq!(summary(&s), "4 instances: 1 MASTER, 2 BACKUP, 1 INIT");
    }

    #[test]
    fn journal_stream_names_a_device_and_inode() {
        assert!(journal_stream_matches("8:12345", 8, 12345));
        assert!(!journal_stream_matches("8:12345", 8, 12346));
        assert!(!journal_stream_matches("9:12345", 8, 12345));
        assert!(!journal_stream_matches("garbage", 8, 12345));
    }

    /// sd-daemon(3): `<3>` error, `<4>` warning, `<6>` info, `<7>` debug.
    #[test]
    fn journal_lines_carry_sd_daemon_priorities_and_no_colour_or_time() {
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl<'a> MakeWriter<'a> for Buf {
            type Writer = Buf;
            fn make_writer(&'a self) -> Buf {
                self.clone()
            }
        }
        let buf = Buf::default();
        let sub = tracing_subscriber::fmt()
            .with_writer(buf.clone())
            .with_max_level(Level::DEBUG)
            .event_format(JournalFormat::default())
            .finish();
        tracing::subscriber::with_default(sub, || {
            tracing::error!("e1");
            tracing::warn!("w1");
            tracing::info!("i1");
            tracing::debug!("d1");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines, ["<3>ERROR e1", "<4> WARN w1", "<6> INFO i1", "<7>DEBUG d1"], "{text}");
        assert!(!text.contains('\x1b'), "colour codes in {text:?}");
    }

    /// sd_notify(3): datagrams of `KEY=VALUE` lines on `$NOTIFY_SOCKET`; STATUS= only when
    /// the summary changes.
    #[test]
    fn notifications_reach_the_socket_and_an_unchanged_status_is_not_resent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        // Only this test sets it; sd_notify reads it at each call.
        // SAFETY: no other test of this binary reads or writes NOTIFY_SOCKET.
        unsafe { std::env::set_var("NOTIFY_SOCKET", &path) };
        let mut n = Notifier { enabled: true, watchdog: Some(Duration::from_secs(10)), status: String::new() };
        assert_eq!(n.period(), Some(STATUS_PERIOD));
        let without = Notifier { enabled: true, watchdog: None, status: String::new() };
        assert_eq!(without.period(), Some(STATUS_PERIOD));
        let fast = Notifier { enabled: true, watchdog: Some(Duration::from_secs(1)), status: String::new() };
        assert_eq!(fast.period(), Some(Duration::from_millis(500)));
        let outside = Notifier { enabled: false, watchdog: None, status: String::new() };
        assert_eq!(outside.period(), None);
        let mut s = Status::default();
        s.instances.push(instance("a", State::Backup));
        let recv = || {
            let mut b = [0u8; 512];
            let len = sock.recv(&mut b).unwrap();
            String::from_utf8_lossy(&b[..len]).into_owned()
        };
        n.ready(&s);
        assert_eq!(recv(), "READY=1\nSTATUS=1 instance: 1 BACKUP\n");
        n.tick(&s);
        assert_eq!(recv(), "WATCHDOG=1\n");
        s.instances[0].state = State::Master;
        n.tick(&s);
        assert_eq!(recv(), "STATUS=1 instance: 1 MASTER\n");
        assert_eq!(recv(), "WATCHDOG=1\n");
        n.reloading();
        assert!(recv().starts_with("RELOADING=1\nMONOTONIC_USEC="));
        n.stopping();
        assert_eq!(recv(), "STOPPING=1\nSTATUS=stopping\n");
        // A reader that stops reading (vrrpd keeps ticking while it hands its VIPs over):
        // far more notifications than the datagram queue holds, and none blocks.
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for _ in 0..200 {
                n.tick(&s);
            }
            let _ = done.send(());
        });
        assert!(finished.recv_timeout(Duration::from_secs(20)).is_ok(), "sd_notify blocked on a full socket");
        // SAFETY: as above.
        unsafe { std::env::remove_var("NOTIFY_SOCKET") };
    }
}
