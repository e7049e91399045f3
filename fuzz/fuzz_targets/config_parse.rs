//! keepalived.conf reader: `vrrp_node::config::parse_str` on arbitrary text.
//!
//! Properties: it never panics; a failure carries at least one error; every diagnostic
//! (errors, and warnings too) has a line >= 1 and a column >= 1; rendering the
//! diagnostics never panics.
//!
//! Includes: `parse_str` resolves `include` patterns against the disk, and a fuzzer
//! must not go reading (or globbing) the machine's files. So on the first run the
//! target moves into a private temporary directory holding a few fixture files
//! (an instance, a chain, a self-include cycle, a non-UTF-8 file), and on every line
//! that mentions `include` all `/` and `\` are replaced by `_`, so an include pattern
//! can only name those fixtures. Other lines are untouched (CIDR `/24` etc.).

#![no_main]

use std::path::PathBuf;
use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use vrrp_node::config::{parse_str, render_warnings};

static SANDBOX: Once = Once::new();

const FIXTURES: &[(&str, &[u8])] = &[
    (
        "vi.conf",
        b"vrrp_instance INC {\n    interface eth0\n    virtual_router_id 9\n    priority 90\n    virtual_ipaddress {\n        192.0.2.9/24\n    }\n}\n",
    ),
    ("chain.conf", b"include vi.conf\n"),
    ("loop.conf", b"global_defs {\n    router_id loop\n}\ninclude loop.conf\n"),
    ("broken.conf", b"vrrp_instance BROKEN {\n    priority 300\n    advert_int\n"),
    ("latin1.conf", b"global_defs {\n    router_id caf\xe9\n}\n"),
];

fn enter_sandbox() {
    let dir: PathBuf = std::env::temp_dir().join(format!("vrrp-fuzz-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create sandbox dir");
    for (name, text) in FIXTURES {
        std::fs::write(dir.join(name), text).expect("write fixture");
    }
    std::env::set_current_dir(&dir).expect("enter sandbox dir");
}

/// Makes include patterns on lines mentioning `include` unable to leave the sandbox.
fn defang(text: &str) -> String {
    if !text.contains("include") {
        return text.to_string();
    }
    text.split('\n')
        .map(|line| {
            if line.contains("include") {
                line.replace(['/', '\\'], "_")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fuzz_target!(|data: &[u8]| {
    SANDBOX.call_once(enter_sandbox);
    let text = defang(&String::from_utf8_lossy(data));
    let result = parse_str("fuzz.conf", &text);
    if std::env::var_os("VRRP_FUZZ_TRACE").is_some() {
        match &result {
            Ok(c) => eprintln!("{c:#?}\n{}", render_warnings(&c.warnings)),
            Err(e) => eprintln!("{}", e.render()),
        }
    }
    match result {
        Ok(config) => {
            for w in &config.warnings {
                assert!(w.location.line >= 1, "warning at line 0: {w}");
                assert!(w.location.column >= 1, "warning at column 0: {w}");
            }
            let _ = render_warnings(&config.warnings);
        }
        Err(e) => {
            assert!(!e.errors.is_empty(), "Err without any error");
            for d in &e.errors {
                assert!(d.location.line >= 1, "error at line 0: {d}");
                assert!(d.location.column >= 1, "error at column 0: {d}");
            }
            for w in &e.warnings {
                assert!(w.location.line >= 1, "warning at line 0: {w}");
                assert!(w.location.column >= 1, "warning at column 0: {w}");
            }
            let _ = e.render();
            let _ = e.to_string();
        }
    }
});
