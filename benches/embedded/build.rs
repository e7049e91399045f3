//! Puts memory.x on the linker path, and passes the instance count of the cost firmware
//! (`VRRP_INSTANCES`, default 16) and the trace directory (`VRRP_TRACES`, default
//! `traces/`, written by `export-traces`, see scripts/embedded.sh) to the sources.

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let here = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    fs::copy(here.join("memory.x"), out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");

    let n: usize = env::var("VRRP_INSTANCES").ok().map_or(16, |v| v.parse().expect("VRRP_INSTANCES is a number"));
    assert!((1..=255).contains(&n), "VRRP_INSTANCES must be 1..=255 (one VRID each)");
    fs::write(out.join("instances.rs"), format!("pub const INSTANCES: usize = {n};\n")).expect("write instances.rs");
    println!("cargo:rerun-if-env-changed=VRRP_INSTANCES");

    let traces = env::var_os("VRRP_TRACES").map_or_else(|| here.join("traces"), PathBuf::from);
    for f in ["traces.bin", "expected.bin"] {
        let p = traces.join(f);
        if !p.exists() {
            // The cost firmware does not need them; the replay firmware fails to build with
            // this message instead of an opaque include_bytes! error.
            println!("cargo:warning={} missing: run scripts/embedded.sh (it exports them first)", p.display());
            fs::write(out.join(f), b"").expect("write placeholder");
        } else {
            fs::copy(&p, out.join(f)).expect("copy trace file");
        }
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-env-changed=VRRP_TRACES");
}
