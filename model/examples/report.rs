//! Prints the simulator's answers to users' questions as markdown.
//!
//! `cargo run -p vrrp-model --release --example report > model/REPORT.md`
//!
//! `--quick` uses 20 seeds and a 1-minute loss window, for a fast look.

use vrrp_model::report::{markdown, Plan};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let plan = if quick { Plan { heal_seeds: 20, loss_seeds: 20, loss_window_us: 60_000_000 } } else { Plan::FULL };
    print!("{}", markdown(plan));
}
