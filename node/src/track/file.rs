//! `vrrp_track_file`: the number a file holds, read at start and again whenever the file
//! changes (inotify on its directory, as keepalived does, so a file that is replaced by a
//! rename or created later is seen too).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use inotify::{Inotify, WatchMask};
use tokio::sync::mpsc;
use tracing::warn;

use super::rules::parse_file_value;
use crate::config::TrackFile;

/// The file's number as keepalived reads it: a missing or unreadable file is 0; `None`
/// when it holds a number out of range (keepalived keeps the previous value).
pub fn read_value(path: &Path) -> Option<i64> {
    use std::io::Read;
    let mut buf = [0u8; 127];
    let Ok(mut f) = std::fs::File::open(path) else { return Some(0) };
    let mut len = 0;
    while len < buf.len() {
        match f.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let value = parse_file_value(&buf[..len]);
    if value.is_none() {
        warn!("invalid number read from {} - ignoring", path.display());
    }
    value
}

/// `init_file [VALUE] [overwrite]`: writes VALUE (default 0) if the file does not exist, or
/// always with `overwrite`.
pub fn init(file: &TrackFile) -> io::Result<()> {
    let Some(init) = file.init_file else { return Ok(()) };
    if !init.overwrite && file.path.exists() {
        return Ok(());
    }
    std::fs::write(&file.path, format!("{}\n", init.value))
}

/// Sends `(index, value)` for each file of `files` whose number changes, until the
/// receiver is dropped. Every file's first value is sent at once.
pub async fn watch(files: Vec<PathBuf>, tx: mpsc::Sender<(usize, i64)>) {
    let mut last: Vec<Option<i64>> = vec![None; files.len()];
    let send_if_changed = |i: usize, last: &mut Vec<Option<i64>>| {
        let Some(value) = files.get(i).and_then(|p| read_value(p)) else { return true };
        if last[i] == Some(value) {
            return true;
        }
        last[i] = Some(value);
        tx.try_send((i, value)).is_ok() || !tx.is_closed()
    };
    let watched = match watch_dirs(&files) {
        Ok(w) => Some(w),
        Err(e) => {
            warn!("vrrp_track_file: cannot watch with inotify ({e}); files are re-read every second");
            None
        }
    };
    for i in 0..files.len() {
        send_if_changed(i, &mut last);
    }
    match watched {
        Some((inotify, by_dir)) => {
            let mut buffer = vec![0u8; 4096];
            let Ok(mut events) = inotify.into_event_stream(&mut buffer[..]) else { return };
            while let Some(event) = events.next().await {
                let Ok(event) = event else { continue };
                let name: Option<OsString> = event.name.map(|n| n.to_os_string());
                for (i, path) in files.iter().enumerate() {
                    let same_dir = by_dir.get(&event.wd).is_some_and(|d| path.parent() == Some(d.as_path()));
                    let same_name = name.as_deref().is_some_and(|n| path.file_name() == Some(n));
                    if same_dir && same_name && !send_if_changed(i, &mut last) {
                        return;
                    }
                }
            }
        }
        None => loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            for i in 0..files.len() {
                if !send_if_changed(i, &mut last) {
                    return;
                }
            }
        },
    }
}

type Watched = (Inotify, BTreeMap<inotify::WatchDescriptor, PathBuf>);

fn watch_dirs(files: &[PathBuf]) -> io::Result<Watched> {
    let inotify = Inotify::init()?;
    let mut by_dir = BTreeMap::new();
    for path in files {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mask = WatchMask::CLOSE_WRITE
            | WatchMask::MOVED_TO
            | WatchMask::MOVED_FROM
            | WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::MODIFY;
        let wd = inotify.watches().add(&dir, mask)?;
        by_dir.insert(wd, dir);
    }
    Ok((inotify, by_dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{InitFile, SourceLocation};

    fn track_file(path: PathBuf, init: Option<InitFile>) -> TrackFile {
        TrackFile {
            name: "f".into(),
            location: SourceLocation { file: "k.conf".into(), line: 1, column: 1 },
            path,
            weight: 1,
            reverse: false,
            init_file: init,
        }
    }

    #[test]
    fn keepalived_missing_file_reads_as_zero() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_value(&dir.path().join("absent")), Some(0));
        std::fs::write(dir.path().join("v"), "-12\n").unwrap();
        assert_eq!(read_value(&dir.path().join("v")), Some(-12));
    }

    #[test]
    fn keepalived_init_file_creates_and_overwrite_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v");
        init(&track_file(path.clone(), Some(InitFile { value: 5, overwrite: false }))).unwrap();
        assert_eq!(read_value(&path), Some(5));
        std::fs::write(&path, "9").unwrap();
        init(&track_file(path.clone(), Some(InitFile { value: 5, overwrite: false }))).unwrap();
        assert_eq!(read_value(&path), Some(9), "an existing file is kept without overwrite");
        init(&track_file(path.clone(), Some(InitFile { value: 3, overwrite: true }))).unwrap();
        assert_eq!(read_value(&path), Some(3));
        init(&track_file(path.clone(), None)).unwrap();
        assert_eq!(read_value(&path), Some(3));
    }

    /// A change by write, by rename over the file, and by removal is each seen.
    #[test]
    fn watch_reports_first_value_and_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, "1").unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (tx, mut rx) = mpsc::channel(16);
            let task = tokio::spawn(watch(vec![a.clone(), b.clone()], tx));
            async fn next(rx: &mut mpsc::Receiver<(usize, i64)>) -> (usize, i64) {
                tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await.unwrap().unwrap()
            }
            let mut first = vec![next(&mut rx).await, next(&mut rx).await];
            first.sort();
            assert_eq!(first, vec![(0, 1), (1, 0)]);
            std::fs::write(&a, "7\n").unwrap();
            assert_eq!(next(&mut rx).await, (0, 7));
            let tmp = dir.path().join("b.tmp");
            std::fs::write(&tmp, "-3").unwrap();
            std::fs::rename(&tmp, &b).unwrap();
            assert_eq!(next(&mut rx).await, (1, -3));
            std::fs::remove_file(&a).unwrap();
            assert_eq!(next(&mut rx).await, (0, 0));
            drop(rx);
            std::fs::write(&a, "2").unwrap();
            tokio::time::timeout(std::time::Duration::from_secs(5), task).await.unwrap().unwrap();
        });
    }
}
