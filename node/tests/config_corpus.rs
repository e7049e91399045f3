//! Every configuration we have on disk, the fuzzer's `config_parse` seeds and the test
//! fixtures, through the path `vrrpd -t` takes ([`config_test`]): none may panic, every
//! error must carry a FILE:LINE:COLUMN, and whatever passes must plan with
//! [`LinkFacts::placeholder`] too, since the daemon plans the same way at start.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use vrrp_node::config::SourceLocation;
use vrrp_node::daemon::config_test;
use vrrp_node::daemon::plan::{plan_instance, ConfigTestError, LinkFacts};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("../fuzz/seeds/config_parse"), &mut files);
    files_under(&root.join("tests/fixtures/config"), &mut files);
    files
}

fn assert_located(path: &Path, loc: &SourceLocation, what: &str) {
    assert!(
        !loc.file.as_os_str().is_empty() && loc.line >= 1 && loc.column >= 1,
        "{}: {what} without a location: {loc:?}",
        path.display()
    );
}

#[test]
fn every_seed_and_fixture_goes_through_vrrpd_t_without_panic_and_errors_are_located() {
    let files = corpus();
    assert!(files.len() >= 30, "corpus went missing: {files:?}");
    let (mut passed, mut refused) = (0, 0);
    for path in &files {
        let outcome = catch_unwind(AssertUnwindSafe(|| config_test(path)));
        let outcome = outcome.unwrap_or_else(|_| panic!("{}: config_test panicked", path.display()));
        match outcome {
            Ok(cfg) => {
                passed += 1;
                for inst in &cfg.instances {
                    let plan =
                        catch_unwind(AssertUnwindSafe(|| plan_instance(&cfg.global, inst, &LinkFacts::placeholder())))
                            .unwrap_or_else(|_| panic!("{}: plan_instance({}) panicked", path.display(), inst.name));
                    if let Err(e) = plan {
                        panic!("{}: passed `vrrpd -t` but {} does not plan: {e}", path.display(), inst.name);
                    }
                }
            }
            Err(ConfigTestError::Parse(e)) => {
                refused += 1;
                assert!(!e.errors.is_empty(), "{}: refused without an error", path.display());
                for d in e.errors.iter().chain(&e.warnings) {
                    assert_located(path, &d.location, &d.message);
                }
                let rendered = catch_unwind(AssertUnwindSafe(|| e.render()))
                    .unwrap_or_else(|_| panic!("{}: rendering panicked", path.display()));
                for d in &e.errors {
                    assert!(rendered.contains(&format!("{}: error: ", d.location)), "{}: {rendered}", path.display());
                }
            }
            Err(ConfigTestError::Plan(errors)) => {
                refused += 1;
                assert!(!errors.is_empty(), "{}: refused without an error", path.display());
                for e in &errors {
                    assert_located(path, &e.location, &e.kind.to_string());
                }
            }
            Err(ConfigTestError::Scripts(errors)) => {
                refused += 1;
                assert!(!errors.is_empty(), "{}: refused without an error", path.display());
                for d in &errors {
                    assert_located(path, &d.location, &d.message);
                }
            }
        }
    }
    // Both outcomes are exercised, so neither branch's checks are vacuous.
    assert!(passed >= 10 && refused >= 5, "passed {passed}, refused {refused} of {}", files.len());
}
