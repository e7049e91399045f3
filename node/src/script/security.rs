//! Turning a [`ScriptCmd`] into something safe to run, with keepalived's checks
//! (`lib/notify.c: check_script_secure`, `find_path`, `check_security`, `is_executable`).
//!
//! Done once, at start, for every script: a refused script is disabled for the whole run,
//! as keepalived does (`vrrp.c: check_track_script_secure` marks it `insecure`, then
//! `check_vrrp_script_security` removes it from every instance's `track_script`, so the
//! instances run as if it were not tracked: no FAULT, no priority change; a refused
//! notify script is freed and never called).
//!
//! The checks, in keepalived's order:
//! 1. a program without `/` is searched in `PATH` (or `/bin:/usr/bin`) for a regular file
//!    the script's user can execute ("resolved by path search ... Please specify full
//!    path" otherwise "Cannot find script X in path");
//! 2. the path is resolved (`realpath`: `.`/`..`, repeated `/`, symlinks); what does not
//!    resolve is disabled ("cannot be accessed");
//! 3. the file must be executable by the script's uid/gid ([`is_executable`], which like
//!    keepalived looks at the primary group only);
//! 4. when the script runs with root's uid or gid, or the file is setuid/setgid root,
//!    every component of the resolved path, `/` first, must be safe ([`check_security`]);
//!    an unsafe one disables the script with `enable_script_security` and is only logged
//!    without it.

use std::ffi::OsString;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::config::{Diagnostic, ScriptCmd, Severity, SourceLocation};

use super::user::{diag, Credentials, UserRules};

/// The shell for `ScriptCmd::shell` lines, as keepalived's `system()` uses.
pub const SHELL: &str = "/bin/sh";

/// glibc's `confstr(_CS_PATH)`: the search path when `PATH` is not set (`find_path`).
const CS_PATH: &str = "/bin:/usr/bin";

/// A script checked and ready for the runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The file executed: the resolved (canonical) path that was checked, so what runs
    /// is what was checked. For a shell line this is [`SHELL`].
    pub program: PathBuf,
    /// `argv[0]` as the program sees it: the path as written, or as found in `PATH`
    /// (keepalived keeps the name, some programs act on the name they are called by).
    pub arg0: OsString,
    /// The arguments after `argv[0]` (none for a shell line: the runner passes `-c LINE`).
    pub args: Vec<String>,
    /// A shell line: extra arguments are appended to the line, each single-quoted.
    pub shell: bool,
    pub creds: Credentials,
    /// The line as written, for logs.
    pub text: String,
    pub location: SourceLocation,
}

/// Why a component of a script's path is unsafe (`lib/notify.c: check_security`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsafe {
    /// Owned by someone other than root.
    Owner { path: PathBuf, uid: u32 },
    /// Writable by a group other than root's (a directory with the sticky bit is exempt).
    GroupWritable { path: PathBuf, gid: u32 },
    /// Writable by everyone (a directory with the sticky bit is exempt).
    WorldWritable { path: PathBuf },
    /// A directory on the path is not a directory, or the file is neither a regular file nor
    /// a symlink: keepalived refuses this even without `enable_script_security`.
    WrongType { path: PathBuf },
    /// A component could not be read (`SC_NOTFOUND`).
    Missing { path: PathBuf, error: String },
}

impl std::fmt::Display for Unsafe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsafe::Owner { path, uid } => write!(f, "'{}' is owned by uid {uid}, not root", path.display()),
            Unsafe::GroupWritable { path, gid } => {
                write!(f, "'{}' is writable by its group (gid {gid}, not root)", path.display())
            }
            Unsafe::WorldWritable { path } => write!(f, "'{}' is writable by everyone", path.display()),
            Unsafe::WrongType { path } => write!(f, "'{}' has the wrong file type", path.display()),
            Unsafe::Missing { path, error } => write!(f, "'{}' cannot be read: {error}", path.display()),
        }
    }
}

/// keepalived's `is_executable`: root needs any `x` bit; the owner needs `u+x`; a member
/// of the file's group (primary group only) needs `g+x`; anyone else `o+x`.
pub fn is_executable(mode: u32, file_uid: u32, file_gid: u32, uid: u32, gid: u32) -> bool {
    (uid == 0 && mode & 0o111 != 0)
        || (uid == file_uid && mode & 0o100 != 0)
        || (uid != file_uid && ((gid == file_gid && mode & 0o010 != 0) || (gid != file_gid && mode & 0o001 != 0)))
}

/// keepalived's `check_security` on one resolved path: every component from `/` to the
/// file is `lstat`ed; directories must be directories, the last must be a regular file
/// or a symlink; a component is unsafe when not owned by root, or (a directory without
/// the sticky bit, or a regular file) writable by a non-root group or by everyone.
/// Returns the first unsafe component.
pub fn check_security(path: &Path) -> Result<(), Unsafe> {
    let mut prefix = PathBuf::new();
    let mut components = path.components().peekable();
    while let Some(c) = components.next() {
        prefix.push(c);
        let last = components.peek().is_none();
        let md = std::fs::symlink_metadata(&prefix)
            .map_err(|e| Unsafe::Missing { path: prefix.clone(), error: e.to_string() })?;
        let ft = md.file_type();
        if (!last && !ft.is_dir()) || (last && !ft.is_file() && !ft.is_symlink()) {
            return Err(Unsafe::WrongType { path: prefix });
        }
        if md.uid() != 0 {
            return Err(Unsafe::Owner { path: prefix, uid: md.uid() });
        }
        let mode = md.permissions().mode();
        let sticky_dir = ft.is_dir() && mode & 0o1000 != 0;
        if (ft.is_dir() && !sticky_dir) || ft.is_file() {
            if md.gid() != 0 && mode & 0o020 != 0 {
                return Err(Unsafe::GroupWritable { path: prefix, gid: md.gid() });
            }
            if mode & 0o002 != 0 {
                return Err(Unsafe::WorldWritable { path: prefix });
            }
        }
    }
    Ok(())
}

/// Why a bare program name was not found in `PATH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotInPath {
    /// No file of that name.
    Missing,
    /// Files of that name, none executable by the script's user (keepalived's `EACCES`).
    Denied,
}

/// keepalived's `find_path` (glibc's `execvp` search): the first regular file named
/// `name` in `PATH` (or `/bin:/usr/bin`) that `creds` may execute.
pub fn find_in_path(name: &str, creds: &Credentials) -> Result<PathBuf, NotInPath> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| CS_PATH.into());
    let mut denied = false;
    for dir in std::env::split_paths(&path) {
        // An empty entry is the current directory, as in glibc.
        let candidate = if dir.as_os_str().is_empty() { PathBuf::from(name) } else { dir.join(name) };
        if let Ok(md) = std::fs::metadata(&candidate) {
            if md.is_file() && is_executable(md.mode(), md.uid(), md.gid(), creds.uid.as_raw(), creds.gid.as_raw()) {
                return Ok(candidate);
            }
            denied = true;
        }
    }
    Err(if denied { NotInPath::Denied } else { NotInPath::Missing })
}

/// Shell words that are no program on disk: a shell line starting with one is checked
/// through [`SHELL`] only.
fn is_shell_word(word: &str) -> bool {
    const WORDS: &[&str] = &[
        "!", "{", "(", "[[", "if", "for", "while", "until", "case", "exit", "return", "exec", "command", "eval", ".",
        "source", "set", "export", "unset", "read", "cd", "test", "[", "true", "false", "echo", "printf", "kill",
        "trap", "wait", ":",
    ];
    WORDS.contains(&word) || word.contains('=') || word.starts_with('<') || word.starts_with('>')
}

/// A script checked with keepalived's rules: the script to run, plus what keepalived
/// would log about it (warnings), or the reason it is disabled.
#[derive(Debug, Clone)]
pub struct Checked {
    pub result: Result<Prepared, Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// keepalived's `SC_INSECURE`: a path component is unsafe (refused or, without
    /// `enable_script_security`, only warned about).
    pub insecure: bool,
}

/// Checks `cmd` (`lib/notify.c: check_script_secure`) for the user [`UserRules`] gives it.
pub fn prepare(cmd: &ScriptCmd, users: &UserRules, enable_script_security: bool) -> Checked {
    let mut warnings = Vec::new();
    let mut insecure = false;
    let result = (|| {
        let creds = users.for_cmd(cmd)?;
        let refuse = |m: String| diag(Severity::Error, &cmd.location, m);
        let Some(word) = cmd.argv.first() else {
            return Err(refuse("no script set - disabling".into()));
        };
        // What to check: the program of a direct command; for a shell line, its first
        // word when that is a program, and the shell itself.
        let check = if cmd.shell && is_shell_word(word) { SHELL } else { word.as_str() };
        let found = if check.contains('/') {
            PathBuf::from(check)
        } else {
            match find_in_path(check, &creds) {
                Ok(p) => {
                    warnings.push(diag(
                        Severity::Warning,
                        &cmd.location,
                        format!(
                            "script `{check}` resolved by path search to `{}`. Please specify full path.",
                            p.display()
                        ),
                    ));
                    p
                }
                Err(NotInPath::Denied) => {
                    return Err(refuse(format!("permissions failure for script {check} in path - disabling")))
                }
                Err(NotInPath::Missing) => {
                    return Err(refuse(format!("cannot find script {check} in path - disabling")))
                }
            }
        };
        let real = std::fs::canonicalize(&found)
            .map_err(|e| refuse(format!("script {} cannot be accessed - {e} - disabling", found.display())))?;
        let md = std::fs::metadata(&real)
            .map_err(|e| refuse(format!("unable to access script `{}` - {e} - disabling", real.display())))?;
        if md.file_type().is_dir() || md.file_type().is_fifo() || md.file_type().is_socket() {
            return Err(refuse(format!("script '{}' is not a regular file - disabling", found.display())));
        }
        let mode = md.permissions().mode();
        if !is_executable(mode, md.uid(), md.gid(), creds.uid.as_raw(), creds.gid.as_raw()) {
            return Err(refuse(format!(
                "script '{}' is not executable for uid:gid {}:{} - disabling",
                found.display(),
                creds.uid,
                creds.gid
            )));
        }
        let setid_root = (md.uid() == 0 && mode & 0o4100 == 0o4100) || (md.gid() == 0 && mode & 0o2010 == 0o2010);
        if creds.is_root() || setid_root {
            match check_security(&real) {
                Ok(()) => {}
                Err(u @ (Unsafe::WrongType { .. } | Unsafe::Missing { .. })) => {
                    return Err(refuse(format!("script '{}': {u} - disabling", found.display())));
                }
                Err(u) => {
                    insecure = true;
                    let m = format!("unsafe permissions found for script '{}': {u}", found.display());
                    if enable_script_security {
                        return Err(refuse(format!("{m} - disabling")));
                    }
                    warnings.push(diag(
                        Severity::Warning,
                        &cmd.location,
                        format!("{m} (enable_script_security is not set: it runs anyway)"),
                    ));
                }
            }
        }
        let (program, arg0, args) = if cmd.shell {
            (PathBuf::from(SHELL), OsString::from(SHELL), Vec::new())
        } else {
            (real, found.into_os_string(), cmd.argv[1..].to_vec())
        };
        Ok(Prepared {
            program,
            arg0,
            args,
            shell: cmd.shell,
            creds,
            text: cmd.text.clone(),
            location: cmd.location.clone(),
        })
    })();
    Checked { result, warnings, insecure }
}

/// keepalived's `cmd_str_r` quoting for extra arguments on a shell line: each argument
/// single-quoted (a `'` inside becomes `'\''`, which keepalived does not do).
pub fn shell_quote(arg: &str) -> String {
    let mut s = String::with_capacity(arg.len() + 2);
    s.push('\'');
    for ch in arg.chars() {
        if ch == '\'' {
            s.push_str("'\\''");
        } else {
            s.push(ch);
        }
    }
    s.push('\'');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_is_executable_rules() {
        // Root: any x bit.
        assert!(is_executable(0o001, 5, 5, 0, 0));
        assert!(!is_executable(0o644, 5, 5, 0, 0));
        // Owner: u+x only, even if o+x is set.
        assert!(!is_executable(0o011, 7, 9, 7, 9));
        assert!(is_executable(0o100, 7, 9, 7, 1));
        // Group member (primary gid): g+x only.
        assert!(is_executable(0o010, 7, 9, 8, 9));
        assert!(!is_executable(0o101, 7, 9, 8, 9));
        // Others: o+x.
        assert!(is_executable(0o001, 7, 9, 8, 1));
        assert!(!is_executable(0o110, 7, 9, 8, 1));
    }

    #[test]
    fn keepalived_cmd_str_quotes_each_argument() {
        assert_eq!(shell_quote("vi_1"), "'vi_1'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn keepalived_check_security_accepts_the_system_shell() {
        let real = std::fs::canonicalize(SHELL).unwrap();
        assert_eq!(check_security(&real), Ok(()), "{}", real.display());
    }

    #[test]
    fn keepalived_check_security_sticky_tmp_is_not_unsafe_but_non_root_owner_is() {
        // /tmp is root-owned, 1777: the sticky bit exempts the directory.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        let real = std::fs::canonicalize(&f).unwrap();
        let tmp = Path::new("/tmp").metadata().unwrap();
        if real.starts_with("/tmp") && tmp.uid() == 0 && tmp.mode() & 0o1000 != 0 {
            assert_eq!(check_security(&real), Ok(()));
        }
        // The tests run as root (they create users and chown): a file given away is unsafe.
        nix::unistd::chown(&real, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
        assert_eq!(check_security(&real), Err(Unsafe::Owner { path: real.clone(), uid: 65534 }));
    }
}
