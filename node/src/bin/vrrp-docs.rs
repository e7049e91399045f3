//! `vrrp-docs DIR`: writes the man pages and shell completions of vrrpd and vrrpctl under
//! DIR (what the Debian package ships; packaging/deb.sh runs it). Not installed.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: vrrp-docs DIR");
        return ExitCode::FAILURE;
    };
    match vrrp_node::service::cli::write_docs(&dir) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vrrp-docs: writing under {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
