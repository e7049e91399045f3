//! Who a script runs as: keepalived's rules (`lib/notify.c: get_default_script_user`,
//! `set_uid_gid`, `keepalived/core/global_parser.c: script_user_handler`), resolved to
//! numbers once, at start.
//!
//! 1. A script's own `user USER [GROUP]` (`vrrp_script`) or `username [groupname]`
//!    (notify scripts) wins.
//! 2. Else the global `script_user USER [GROUP]`.
//! 3. Else `keepalived_script` if that user exists, else the daemon's own uid/gid (root).
//!    With `enable_script_security`, a missing `keepalived_script` is an error and every
//!    script left to the default is disabled ("Unable to set default user
//!    keepalived_script for script").
//!
//! Without a group, the user's primary group is used. A name that does not resolve
//! disables the script that names it (`vrrp_parser.c: vrrp_vscript_user_handler`,
//! "Unable to set uid/gid for script"); a `script_user` that does not resolve disables
//! every script left to the default (`set_default_script_user` sets `default_user_fail`).

use nix::unistd::{Gid, Group, Uid, User};

use crate::config::{Diagnostic, GlobalDefs, RunAs, ScriptCmd, Severity, SourceLocation};

/// keepalived's default script user (`lib/notify.c: get_default_script_user`).
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// A resolved user and group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub uid: Uid,
    pub gid: Gid,
    /// For log lines.
    pub user: String,
    pub group: String,
}

impl Credentials {
    /// The daemon's own real uid/gid (keepalived's `our_uid`/`our_gid`).
    pub fn ours() -> Credentials {
        let (uid, gid) = (Uid::current(), Gid::current());
        let user = User::from_uid(uid).ok().flatten().map_or_else(|| uid.to_string(), |u| u.name);
        let group = Group::from_gid(gid).ok().flatten().map_or_else(|| gid.to_string(), |g| g.name);
        Credentials { uid, gid, user, group }
    }

    /// keepalived's `need_script_protection` half that depends on the user: the script
    /// runs with root's uid or gid (`lib/notify.c: check_script_secure`).
    pub fn is_root(&self) -> bool {
        self.uid.is_root() || self.gid.as_raw() == 0
    }
}

impl std::fmt::Display for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} ({}:{})", self.user, self.group, self.uid, self.gid)
    }
}

/// Resolves `user [group]` (`lib/notify.c: set_uid_gid`).
pub fn resolve(user: &str, group: Option<&str>) -> Result<Credentials, String> {
    let pw = match User::from_name(user) {
        Ok(Some(pw)) => pw,
        Ok(None) => return Err(format!("script user '{user}' does not exist")),
        Err(e) => return Err(format!("unable to resolve script user name '{user}': {e}")),
    };
    let (gid, group) = match group {
        None => {
            let name = Group::from_gid(pw.gid).ok().flatten().map_or_else(|| pw.gid.to_string(), |g| g.name);
            (pw.gid, name)
        }
        Some(g) => match Group::from_name(g) {
            Ok(Some(gr)) => (gr.gid, gr.name),
            Ok(None) => return Err(format!("script group '{g}' does not exist")),
            Err(e) => return Err(format!("unable to resolve script group name '{g}': {e}")),
        },
    };
    Ok(Credentials { uid: pw.uid, gid, user: pw.name, group })
}

/// The user rules of one configuration, with the default already resolved.
#[derive(Debug, Clone)]
pub struct UserRules {
    /// What scripts without their own user run as, or why they cannot run.
    default: Result<Credentials, String>,
    /// No `script_user` and no `keepalived_script`: the default is the daemon's own user.
    fallback: bool,
    /// Said once at start (a `script_user` that does not resolve).
    pub notes: Vec<Diagnostic>,
}

impl UserRules {
    /// Resolves `script_user` (or the `keepalived_script`/root default) once.
    pub fn new(global: &GlobalDefs) -> UserRules {
        let mut notes = Vec::new();
        let mut fallback = false;
        let default = match &global.script_user {
            Some(RunAs { user, group, location }) => resolve(user, group.as_deref()).map_err(|e| {
                notes.push(diag(Severity::Error, location, format!("script_user: {e}; scripts without their own user are disabled")));
                format!("script_user {user} could not be resolved ({e})")
            }),
            None => match resolve(DEFAULT_SCRIPT_USER, None) {
                Ok(c) => Ok(c),
                Err(e) if global.enable_script_security => Err(format!(
                    "unable to set default user {DEFAULT_SCRIPT_USER} for script ({e}, enable_script_security is set and no script_user is given)"
                )),
                Err(_) => {
                    fallback = true;
                    Ok(Credentials::ours())
                }
            },
        };
        UserRules { default, fallback, notes }
    }

    /// Rules with a given default, for callers that resolved it themselves.
    pub fn with_default(default: Credentials) -> UserRules {
        UserRules { default: Ok(default), fallback: false, notes: Vec::new() }
    }

    /// Whether scripts without a user run as the daemon's own user because neither
    /// `script_user` nor `keepalived_script` exists (keepalived logs "Script user
    /// 'keepalived_script' does not exist").
    pub fn default_is_ours(&self) -> bool {
        self.fallback
    }

    /// The default user, or why there is none.
    pub fn default_user(&self) -> Result<&Credentials, &str> {
        self.default.as_ref().map_err(String::as_str)
    }

    /// Who `cmd` runs as; an error names the script's `file:line:column`.
    pub fn for_cmd(&self, cmd: &ScriptCmd) -> Result<Credentials, Diagnostic> {
        match &cmd.user {
            Some(RunAs { user, group, location }) => resolve(user, group.as_deref()).map_err(|e| {
                diag(
                    Severity::Error,
                    location,
                    format!("unable to set uid/gid for script '{}': {e} - disabling", cmd.text),
                )
            }),
            None => self
                .default
                .clone()
                .map_err(|e| diag(Severity::Error, &cmd.location, format!("script '{}': {e} - disabling", cmd.text))),
        }
    }
}

pub(super) fn diag(severity: Severity, location: &SourceLocation, message: String) -> Diagnostic {
    Diagnostic { severity, location: location.clone(), message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn loc() -> SourceLocation {
        SourceLocation { file: PathBuf::from("k.conf"), line: 3, column: 5 }
    }

    fn cmd(user: Option<(&str, Option<&str>)>) -> ScriptCmd {
        ScriptCmd {
            text: "/bin/true".into(),
            argv: vec!["/bin/true".into()],
            shell: false,
            user: user.map(|(u, g)| RunAs { user: u.into(), group: g.map(Into::into), location: loc() }),
            location: loc(),
        }
    }

    #[test]
    fn keepalived_set_uid_gid_user_takes_its_primary_group() {
        let c = resolve("nobody", None).unwrap();
        let pw = User::from_name("nobody").unwrap().unwrap();
        assert_eq!((c.uid, c.gid), (pw.uid, pw.gid));
    }

    #[test]
    fn keepalived_set_uid_gid_explicit_group_wins() {
        let c = resolve("nobody", Some("root")).unwrap();
        assert_eq!(c.gid.as_raw(), 0);
        assert!(c.is_root(), "gid 0 needs keepalived's script protection");
    }

    #[test]
    fn keepalived_vrrp_vscript_user_handler_unknown_user_disables_with_location() {
        let rules = UserRules::with_default(Credentials::ours());
        let e = rules.for_cmd(&cmd(Some(("no-such-user-vrrp-rs", None)))).unwrap_err();
        assert_eq!(e.location, loc());
        assert!(e.message.contains("'no-such-user-vrrp-rs' does not exist"), "{}", e.message);
        let e = rules.for_cmd(&cmd(Some(("nobody", Some("no-such-group-vrrp-rs"))))).unwrap_err();
        assert!(e.message.contains("group 'no-such-group-vrrp-rs' does not exist"), "{}", e.message);
    }

    #[test]
    fn keepalived_get_default_script_user_rule() {
        let exists = User::from_name(DEFAULT_SCRIPT_USER).unwrap().is_some();
        let mut g = GlobalDefs::default();
        let rules = UserRules::new(&g);
        let want = if exists { resolve(DEFAULT_SCRIPT_USER, None).unwrap() } else { Credentials::ours() };
        assert_eq!(rules.default_user().unwrap(), &want);
        assert_eq!(rules.default_is_ours(), !exists);
        g.enable_script_security = true;
        let rules = UserRules::new(&g);
        assert_eq!(rules.default_user().is_err(), !exists, "{:?}", rules.default_user());
        if !exists {
            let e = rules.for_cmd(&cmd(None)).unwrap_err();
            assert!(e.message.contains("unable to set default user keepalived_script"), "{}", e.message);
            // A script with its own user still runs.
            assert!(rules.for_cmd(&cmd(Some(("nobody", None)))).is_ok());
        }
    }

    #[test]
    fn keepalived_script_user_global_is_the_default_and_a_bad_one_disables_defaults() {
        let mut g = GlobalDefs {
            script_user: Some(RunAs { user: "nobody".into(), group: None, location: loc() }),
            ..GlobalDefs::default()
        };
        let rules = UserRules::new(&g);
        assert_eq!(rules.for_cmd(&cmd(None)).unwrap().user, "nobody");
        g.script_user = Some(RunAs { user: "no-such-user-vrrp-rs".into(), group: None, location: loc() });
        let rules = UserRules::new(&g);
        assert_eq!(rules.notes.len(), 1);
        assert!(rules.for_cmd(&cmd(None)).is_err());
        assert_eq!(rules.for_cmd(&cmd(Some(("root", None)))).unwrap().uid.as_raw(), 0);
    }
}
