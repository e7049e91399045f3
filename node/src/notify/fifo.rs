//! The notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`), opened as keepalived opens them
//! (keepalived 2.2.7 `lib/notify.c` `fifo_open`): created with mode 0644 if missing (and
//! then removed at exit), opened read-write and non-blocking, so vrrpd never waits for a
//! reader and a reader that starts later still gets the lines written from then on.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::sys::stat::Mode;

/// An open notify FIFO.
#[derive(Debug)]
pub struct Fifo {
    path: PathBuf,
    file: File,
    created: bool,
    /// Lines that could not be written (no reader keeping up: the pipe was full).
    pub dropped: u64,
}

impl Fifo {
    /// Creates (if missing) and opens the FIFO at `path`. Refuses a path that exists and
    /// is not a FIFO, or is a symbolic link (`O_NOFOLLOW`, as keepalived).
    pub fn open(path: &Path) -> io::Result<Fifo> {
        let created = match nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o644)) {
            Ok(()) => true,
            Err(nix::errno::Errno::EEXIST) => false,
            Err(e) => return Err(io::Error::from(e)),
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path);
        let file = match file {
            Ok(f) if f.metadata().map(|m| m.file_type().is_fifo()).unwrap_or(false) => f,
            Ok(_) => return Err(io::Error::other(format!("{} exists and is not a FIFO", path.display()))),
            Err(e) => {
                if created {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
        };
        Ok(Fifo { path: path.to_path_buf(), file, created, dropped: 0 })
    }

    /// Whether vrrpd created it (then it gives it its owner, and removes it at exit).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The FIFO's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line whole, or counts it dropped (never blocks). Lines up to
    /// `PIPE_BUF` are written atomically by the kernel.
    pub fn write_line(&mut self, line: &str) {
        if self.file.write(line.as_bytes()).map_or(true, |n| n != line.len()) {
            self.dropped += 1;
        }
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        // Removed before closing, like keepalived, so a reader that loops reopening it
        // cannot reopen this one.
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn keepalived_fifo_is_created_written_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.fifo");
        let mut fifo = Fifo::open(&path).unwrap();
        assert!(std::fs::metadata(&path).unwrap().file_type().is_fifo());
        let mut reader = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&path).unwrap();
        fifo.write_line("INSTANCE \"VI_1\" MASTER 100\n");
        fifo.write_line("INSTANCE \"VI_1\" STOP 100\n");
        let mut got = String::new();
        let _ = reader.read_to_string(&mut got);
        assert_eq!(got, "INSTANCE \"VI_1\" MASTER 100\nINSTANCE \"VI_1\" STOP 100\n");
        assert_eq!(fifo.dropped, 0);
        drop(fifo);
        assert!(!path.exists(), "a FIFO vrrpd created is removed at exit");
    }

    #[test]
    fn an_existing_fifo_is_kept_and_a_regular_file_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600)).unwrap();
        drop(Fifo::open(&path).unwrap());
        assert!(path.exists(), "not ours to remove");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "").unwrap();
        let err = Fifo::open(&plain).unwrap_err();
        assert!(err.to_string().contains("not a FIFO"), "{err}");
    }

    /// With no reader draining it, the pipe fills; writes then fail fast and are counted.
    #[test]
    fn a_full_fifo_never_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let mut fifo = Fifo::open(&dir.path().join("f")).unwrap();
        let line = format!("INSTANCE \"{}\" MASTER 100\n", "x".repeat(200));
        for _ in 0..2000 {
            fifo.write_line(&line);
        }
        assert!(fifo.dropped > 0);
    }
}
