//! Where vrrpd puts its runtime files: `$RUNTIME_DIRECTORY` when systemd made one
//! (`RuntimeDirectory=vrrpd`, owned by the unit's `User=`), else `/run/vrrpd`.

use std::path::{Path, PathBuf};

/// Without `$RUNTIME_DIRECTORY`.
pub const DEFAULT_DIR: &str = "/run/vrrpd";

/// The control socket's file name in the runtime directory.
pub const SOCKET_NAME: &str = "vrrpd.sock";

/// The runtime directory: the first path of `$RUNTIME_DIRECTORY` (systemd.exec(5) separates
/// several with `:`), else [`DEFAULT_DIR`].
pub fn dir() -> PathBuf {
    dir_from(std::env::var_os("RUNTIME_DIRECTORY").as_deref().and_then(|v| v.to_str()))
}

fn dir_from(var: Option<&str>) -> PathBuf {
    match var.and_then(|v| v.split(':').find(|p| !p.is_empty())) {
        Some(first) => PathBuf::from(first),
        None => PathBuf::from(DEFAULT_DIR),
    }
}

/// The default control socket: `vrrpd.sock` in [`dir`].
pub fn default_socket() -> PathBuf {
    dir().join(SOCKET_NAME)
}

/// The fix to name when `dir` cannot be created or written.
pub fn hint(dir: &Path) -> String {
    format!(
        "run vrrpd as root, or let systemd create the directory (`RuntimeDirectory=vrrpd` in the unit, owned by \
         its User=), or create {} writable by vrrpd's user, or pass --control-socket in a directory vrrpd can write",
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_runtime_directory_wins_and_its_first_path_is_used() {
        assert_eq!(dir_from(None), PathBuf::from("/run/vrrpd"));
        assert_eq!(dir_from(Some("")), PathBuf::from("/run/vrrpd"));
        assert_eq!(dir_from(Some("/run/vrrpd-b")), PathBuf::from("/run/vrrpd-b"));
        assert_eq!(dir_from(Some("/run/x:/run/y")), PathBuf::from("/run/x"));
    }
}
