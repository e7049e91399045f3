//! keepalived's `lib/notify.c: check_script_secure` / `check_security` and what a refusal
//! does (`vrrp.c: check_track_script_secure`: the script is disabled), plus the
//! `vrrpd -t` checks ([`check_config`]) at the script's `file:line:column`.
//!
//! Every file lives in a root-owned 0755 directory under cargo's target dir, whose
//! parents are root-owned and not writable by others (checked first), so only what a test
//! changes can make a path unsafe. Runs as root (it chowns).

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::unistd::{chown, Gid, Uid};
use vrrp_node::config::{parse_str, Config, RunAs, ScriptCmd, Severity, SourceLocation, Track, VrrpScript};
use vrrp_node::script::{check_config, check_security, prepare, ScriptPlan, Unsafe, UserRules};

fn workdir() -> tempfile::TempDir {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    // Every component down to the target dir is safe when the first problem with a file
    // in it is that the file does not exist.
    match check_security(&fs::canonicalize(base).unwrap().join("x")) {
        Err(Unsafe::Missing { .. }) => {}
        other => panic!("the target dir itself is not safe for these tests: {other:?}"),
    }
    let d = tempfile::Builder::new().prefix("script-security-").tempdir_in(base).unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn write(path: &Path, mode: u32) -> PathBuf {
    fs::write(path, "#!/bin/sh\nexit 0\n").unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    path.to_owned()
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn loc(line: u32) -> SourceLocation {
    SourceLocation { file: PathBuf::from("/etc/keepalived/keepalived.conf"), line, column: 5 }
}

fn cmd(path: &Path) -> ScriptCmd {
    let p = path.to_str().unwrap().to_owned();
    ScriptCmd { text: p.clone(), argv: vec![p], shell: false, user: None, location: loc(12) }
}

fn root() -> UserRules {
    UserRules::with_default(vrrp_node::script::user::resolve("root", None).unwrap())
}

fn nogroup() -> Gid {
    vrrp_node::script::user::resolve("nobody", None).unwrap().gid
}

/// With `enable_script_security` a script run as root is refused, the message names the
/// file and why; without, it runs with a warning saying the same.
fn assert_refused(path: &Path, why: &str) {
    let checked = prepare(&cmd(path), &root(), true);
    let d = checked.result.expect_err("an unsafe script must be refused");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.location, loc(12));
    assert!(d.message.contains(path.to_str().unwrap()), "{}", d.message);
    assert!(d.message.contains(why), "{}", d.message);
    assert!(d.message.contains("disabling"), "{}", d.message);
    assert!(checked.insecure);

    let checked = prepare(&cmd(path), &root(), false);
    assert!(checked.result.is_ok(), "without enable_script_security it runs");
    assert!(checked.insecure);
    assert!(
        checked.warnings.iter().any(|w| w.message.contains(why) && w.severity == Severity::Warning),
        "{:?}",
        checked.warnings
    );
}

fn assert_accepted(path: &Path) {
    let checked = prepare(&cmd(path), &root(), true);
    let p = checked.result.unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(p.program, fs::canonicalize(path).unwrap());
    assert!(!checked.insecure);
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
}

#[test]
fn keepalived_check_security_root_owned_0755_in_root_owned_dirs_is_accepted() {
    let d = workdir();
    assert_accepted(&write(&d.path().join("ok.sh"), 0o755));
}

#[test]
fn keepalived_check_security_world_writable_script_is_refused() {
    let d = workdir();
    assert_refused(&write(&d.path().join("ww.sh"), 0o757), "is writable by everyone");
}

#[test]
fn keepalived_check_security_script_in_world_writable_directory_is_refused() {
    let d = workdir();
    let sub = d.path().join("open");
    fs::create_dir(&sub).unwrap();
    chmod(&sub, 0o777);
    let f = write(&sub.join("s.sh"), 0o755);
    assert_refused(&f, &format!("'{}' is writable by everyone", sub.display()));
    // The sticky bit exempts a directory (keepalived: "A directory without the sticky bit").
    chmod(&sub, 0o1777);
    assert_accepted(&f);
}

#[test]
fn keepalived_check_security_group_writable_rule_is_about_non_root_groups() {
    let d = workdir();
    let f = write(&d.path().join("g.sh"), 0o775);
    // Group root with g+w is accepted: `buf.st_gid && buf.st_mode & S_IWGRP`.
    assert_accepted(&f);
    chown(&f, None, Some(nogroup())).unwrap();
    assert_refused(&f, &format!("is writable by its group (gid {}", nogroup()));
    // The same for a directory on the path.
    let g = write(&d.path().join("h.sh"), 0o755);
    chmod(d.path(), 0o775);
    chown(d.path(), None, Some(nogroup())).unwrap();
    assert_refused(&g, &format!("'{}' is writable by its group", fs::canonicalize(d.path()).unwrap().display()));
}

#[test]
fn keepalived_check_security_non_root_owner_is_refused() {
    let d = workdir();
    let f = write(&d.path().join("o.sh"), 0o755);
    chown(&f, Some(Uid::from_raw(65534)), None).unwrap();
    assert_refused(&f, "is owned by uid 65534, not root");
}

#[test]
fn keepalived_check_script_secure_symlink_is_resolved_to_the_insecure_file() {
    let d = workdir();
    let sub = d.path().join("open");
    fs::create_dir(&sub).unwrap();
    let target = write(&sub.join("real.sh"), 0o777);
    let link = d.path().join("link.sh");
    symlink(&target, &link).unwrap();
    // The link itself sits in a safe directory; what it points to is world-writable.
    let checked = prepare(&cmd(&link), &root(), true);
    let e = checked.result.unwrap_err();
    assert!(e.message.contains(&format!("'{}' is writable by everyone", target.display())), "{}", e.message);
    assert!(e.message.contains(link.to_str().unwrap()), "names the script as written: {}", e.message);
    // Made safe, the link is accepted and what runs is the file that was checked.
    chmod(&target, 0o755);
    let p = prepare(&cmd(&link), &root(), true).result.unwrap();
    assert_eq!(p.program, target);
    assert_eq!(p.arg0, link.as_os_str());
}

#[test]
fn keepalived_need_script_protection_only_for_root_uid_or_gid() {
    // An insecure script run as nobody:nogroup is not path-checked (keepalived only checks
    // when the script runs with uid or gid 0, or is setuid/setgid root)...
    let d = workdir();
    let f = write(&d.path().join("ww.sh"), 0o757);
    let nobody = UserRules::with_default(vrrp_node::script::user::resolve("nobody", None).unwrap());
    let checked = prepare(&cmd(&f), &nobody, true);
    assert!(checked.result.is_ok() && !checked.insecure, "{:?}", checked.result);
    // ...but with group root it is.
    let nobody_root = UserRules::with_default(vrrp_node::script::user::resolve("nobody", Some("root")).unwrap());
    assert!(prepare(&cmd(&f), &nobody_root, true).result.is_err());
    // A setuid-root file is checked even for nobody.
    chmod(&f, 0o4757);
    assert!(prepare(&cmd(&f), &nobody, true).result.is_err());
}

#[test]
fn keepalived_is_executable_for_the_script_user_or_disabled() {
    let d = workdir();
    let f = write(&d.path().join("rw.sh"), 0o644);
    let e = prepare(&cmd(&f), &root(), false).result.unwrap_err();
    assert!(e.message.contains("is not executable for uid:gid 0:0"), "{}", e.message);
    // 0700 root: executable by root, not by nobody.
    chmod(&f, 0o700);
    assert!(prepare(&cmd(&f), &root(), false).result.is_ok());
    let nobody = UserRules::with_default(vrrp_node::script::user::resolve("nobody", None).unwrap());
    assert!(prepare(&cmd(&f), &nobody, false).result.is_err());
}

#[test]
fn keepalived_find_path_resolves_bare_names_with_a_warning() {
    let c = ScriptCmd { text: "true".into(), argv: vec!["true".into()], shell: false, user: None, location: loc(3) };
    let checked = prepare(&c, &root(), true);
    let p = checked.result.unwrap();
    assert!(p.program.is_absolute() && p.program.ends_with("true"), "{}", p.program.display());
    assert!(checked.warnings.iter().any(|w| w.message.contains("resolved by path search")), "{:?}", checked.warnings);
    let c = ScriptCmd { argv: vec!["no-such-program-vrrp-rs".into()], ..c };
    let e = prepare(&c, &root(), true).result.unwrap_err();
    assert!(e.message.contains("cannot find script no-such-program-vrrp-rs in path"), "{}", e.message);
    assert_eq!(e.location, loc(3));
}

/// A config with one instance tracking `scripts` (by name) and the given globals.
fn config(scripts: Vec<VrrpScript>, tracked: &[&str]) -> Config {
    let mut cfg = parse_str(
        "keepalived.conf",
        "vrrp_instance A {\n interface lo\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n",
    )
    .unwrap();
    cfg.scripts = scripts;
    cfg.instances[0].track_scripts =
        tracked.iter().map(|n| Track { name: (*n).into(), location: loc(30), weight: None, reverse: false }).collect();
    cfg
}

fn vscript(name: &str, cmd: ScriptCmd) -> VrrpScript {
    VrrpScript {
        name: name.into(),
        location: loc(10),
        cmd,
        interval: std::time::Duration::from_secs(1),
        timeout: std::time::Duration::from_secs(1),
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        init_fail: false,
    }
}

#[test]
fn vrrpd_t_check_config_reports_missing_not_executable_insecure_at_the_script() {
    let d = workdir();
    let missing = d.path().join("missing.sh");
    let noexec = write(&d.path().join("noexec.sh"), 0o644);
    let insecure = write(&d.path().join("insecure.sh"), 0o777);
    let good = write(&d.path().join("good.sh"), 0o755);
    let at = |path: &Path, line| ScriptCmd { location: loc(line), ..cmd(path) };
    let mut cfg = config(
        vec![
            vscript("missing", at(&missing, 1)),
            vscript("noexec", at(&noexec, 2)),
            vscript("insecure", at(&insecure, 3)),
            vscript("good", at(&good, 4)),
            vscript("unused", at(&missing, 5)),
        ],
        &["missing", "noexec", "insecure", "good"],
    );
    cfg.global.enable_script_security = true;
    cfg.global.script_user = Some(RunAs { user: "root".into(), group: None, location: loc(40) });
    let diags = check_config(&cfg);
    let errors: Vec<_> = diags.iter().filter(|d| d.severity == Severity::Error).collect();
    assert_eq!(errors.iter().map(|d| d.location.line).collect::<Vec<_>>(), [1, 2, 3], "{diags:#?}");
    assert!(errors[0].message.contains("missing.sh") && errors[0].message.contains("cannot be accessed"));
    assert!(errors[1].message.contains("not executable"));
    assert!(errors[2].message.contains("writable by everyone"));
    assert!(errors[0].to_string().starts_with("/etc/keepalived/keepalived.conf:1:5: error: "), "{}", errors[0]);
    assert!(diags.iter().all(|d| !d.message.contains("SECURITY VIOLATION")));

    // The plan disables exactly the refused scripts (and the unused one).
    let plan = ScriptPlan::new(&cfg);
    assert_eq!((0..5).map(|i| plan.is_disabled(i)).collect::<Vec<_>>(), [true, true, true, false, true]);

    // Without enable_script_security the insecure one runs, with warnings.
    cfg.global.enable_script_security = false;
    let diags = check_config(&cfg);
    assert_eq!(diags.iter().filter(|d| d.severity == Severity::Error).count(), 2, "{diags:#?}");
    let violation = diags.iter().find(|d| d.message.contains("SECURITY VIOLATION")).expect("keepalived's warning");
    assert!(violation.message.ends_with("There are insecure scripts."), "{}", violation.message);
    assert!(!ScriptPlan::new(&cfg).is_disabled(2));
}

#[test]
fn vrrpd_t_check_config_reports_unknown_user_at_its_keyword() {
    let d = workdir();
    let good = write(&d.path().join("good.sh"), 0o755);
    let mut c = cmd(&good);
    c.user = Some(RunAs { user: "no-such-user-vrrp-rs".into(), group: None, location: loc(21) });
    let cfg = config(vec![vscript("u", c)], &["u"]);
    let diags = check_config(&cfg);
    let e = diags.iter().find(|d| d.severity == Severity::Error).expect("an error");
    assert_eq!(e.location, loc(21));
    assert!(e.message.contains("'no-such-user-vrrp-rs' does not exist"), "{}", e.message);
}

/// keepalived's `get_default_script_user`: `keepalived_script` if it exists, else root with
/// a warning; with `enable_script_security` and no such user, scripts left to the default
/// are disabled.
#[test]
fn keepalived_default_script_user_warning_and_security_refusal() {
    let d = workdir();
    let good = write(&d.path().join("good.sh"), 0o755);
    let mut cfg = config(vec![vscript("g", cmd(&good))], &["g"]);
    let exists = nix::unistd::User::from_name(vrrp_node::script::DEFAULT_SCRIPT_USER).unwrap().is_some();
    let diags = check_config(&cfg);
    let warned =
        diags.iter().any(|d| d.message.contains("'keepalived_script' does not exist") && d.location == loc(12));
    assert_eq!(warned, !exists, "{diags:#?}");
    cfg.global.enable_script_security = true;
    let plan = ScriptPlan::new(&cfg);
    assert_eq!(plan.is_disabled(0), !exists, "{:?}", plan.diagnostics);
    if !exists {
        let e = plan.diagnostics.iter().find(|d| d.severity == Severity::Error).unwrap();
        assert!(e.message.contains("unable to set default user keepalived_script"), "{}", e.message);
    }
    // script_user fixes it.
    cfg.global.script_user = Some(RunAs { user: "root".into(), group: None, location: loc(40) });
    assert!(!ScriptPlan::new(&cfg).is_disabled(0));
}
