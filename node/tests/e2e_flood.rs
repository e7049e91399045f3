//! A flood of spoofed lower-priority adverts must not turn the master into an amplifier.
//!
//! RFC 9568 §6.4.3 has a master answer a lower-priority advert at once, and vrrpd also
//! re-announces the VIPs (`garp_master_repeat` gratuitous ARPs). Unbounded, 29 998 spoofed
//! adverts in 3 s made it broadcast 30 002 adverts and 149 990 ARPs. The core answers at
//! most one per advert interval and counts the rest in `suppressed_replies`; this checks it
//! on the wire, from a capture on the client (the host that sends the flood, so its own
//! frames are not recorded: only what the master sends).

mod common;

use std::time::{Duration, Instant};

use common::capture::{advert_source, Capture};
use common::*;
use serde_json::Value;
use vrrp_lab::require_root;

/// Spoofed adverts in the flood, and how long it lasts.
const FLOOD: usize = 30_000;
const FLOOD_FOR: Duration = Duration::from_secs(3);
/// The seed config's advert interval and `garp_master_repeat` (the default, 5).
const INTERVAL: Duration = Duration::from_secs(1);
const GARP_REPEAT: u64 = 5;

fn counter(status: &Value, name: &str) -> u64 {
    status["instances"][0]["stats"][name].as_u64().unwrap_or_else(|| panic!("no counter {name} in {status}"))
}

#[test]
fn spoofed_lower_priority_flood_is_answered_once_per_interval() {
    let test = "spoofed_lower_priority_flood_is_answered_once_per_interval";
    if !require_root(test) {
        return;
    }
    let lan = lan("flood");
    let capture = Capture::start(&lan, "client");
    let started = Capture::mark();
    let a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    let (a_src, a_mac) = (advert_source(&lan, "a", false), lan.mac("a").unwrap());
    assert!(a.wait_state("MASTER", Duration::from_secs(10)), "a never became MASTER; log:\n{}", a.log());
    // Settle first: becoming master announces the VIP, and again garp_master_delay (5 s)
    // later. Both are over before the window opens, so it holds only what the flood causes.
    let first = capture.announcement(vip(), a_mac, started, Duration::from_secs(10));
    capture.announcement(vip(), a_mac, first.at + Duration::from_secs(4), Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let before = a.status_json();

    // Lower priority (50 < 101), the master's VRID, the right password, TTL 255: each one
    // passes every receive check and is a §6.4.3 trigger. Sent in batches, paced to last
    // FLOOD_FOR.
    let spoof = v2_advert(200, 50, &[vip()], b"XXXXXX");
    const BATCHES: usize = 60;
    let batch: Vec<(Vec<u8>, u8)> = vec![(spoof, 255); FLOOD / BATCHES];
    let from = Capture::mark();
    let t0 = Instant::now();
    for k in 1..=BATCHES as u32 {
        inject(&lan, "client", &batch);
        if let Some(rest) = (t0 + FLOOD_FOR * k / BATCHES as u32).checked_duration_since(Instant::now()) {
            std::thread::sleep(rest);
        }
    }
    let sent_for = t0.elapsed();
    // The master may still be working through its receive queue: the window runs on until
    // every spoofed advert it received has been answered or counted, and a little beyond.
    let handled = |s: &Value| counter(s, "rcvd_advertisements") - counter(&before, "rcvd_advertisements");
    let mut seen = handled(&a.status_json());
    for _ in 0..25 {
        std::thread::sleep(Duration::from_millis(200));
        let now = handled(&a.status_json());
        if now == seen {
            break;
        }
        seen = now;
    }
    let to = Capture::mark();
    std::thread::sleep(Duration::from_millis(300)); // let the capture thread read up to `to`
    let after = a.status_json();

    let window = to.duration_since(from).unwrap();
    let intervals = window.as_secs_f64() / INTERVAL.as_secs_f64();
    let adverts = capture.all_between(from, to, |f| f.advert_priority(a_src, 200).is_some()).len() as u64;
    let arps = capture.all_between(from, to, |f| f.announces(vip(), a_mac)).len() as u64;
    let received = handled(&after);
    let suppressed = counter(&after, "suppressed_replies") - counter(&before, "suppressed_replies");
    let sent = counter(&after, "sent_advertisements") - counter(&before, "sent_advertisements");
    eprintln!(
        "flood of {FLOOD} sent in {sent_for:?}; window {window:?}: master received {received}, \
         suppressed {suppressed}, sent {sent} adverts (captured {adverts}) and {arps} gratuitous ARPs"
    );
    let context = || format!("{}\nstatus: {after}\nlog:\n{}", capture.summary(), a.log());

    assert_eq!(a.state(), "MASTER", "{}", context());
    assert_eq!(counter(&after, "master_transitions"), counter(&before, "master_transitions"), "{}", context());
    // The flood only proves something if it arrived: the kernel may drop some of it on a
    // loaded machine, but most must have been received and handled as master.
    assert!(received >= 10_000, "the master received only {received} of {FLOOD} spoofed adverts; {}", context());
    // Per interval: the regular advert, and at most one reply (the first of the interval).
    // Replies are at least an interval apart, so a window of n intervals holds at most
    // ⌊n⌋ + 1 of them, and as many regular ones: 2·(n + 1), and the same + 1 for an
    // advert the capture places at an edge.
    let max_adverts = (2.0 * (intervals + 1.0)).floor() as u64 + 1;
    assert!(adverts <= max_adverts, "{adverts} adverts in {window:?} (at most {max_adverts}); {}", context());
    assert!(sent <= max_adverts, "sent_advertisements rose by {sent} (at most {max_adverts}); {}", context());
    // Only the replies re-announce (no garp_master_refresh in the seed config), each with
    // garp_master_repeat ARPs: ⌊n⌋ + 1 replies, + 1 for the edges.
    let max_arps = (intervals.floor() as u64 + 2) * GARP_REPEAT;
    assert!(arps <= max_arps, "{arps} gratuitous ARPs in {window:?} (at most {max_arps}); {}", context());
    assert!(arps >= GARP_REPEAT, "the first spoofed advert was not re-announced at once; {}", context());
    // Every spoofed advert received in the window was either answered (one per interval,
    // at most max_arps / GARP_REPEAT of them) or counted.
    let answered_at_most = max_arps / GARP_REPEAT;
    assert!(
        suppressed + answered_at_most >= received && suppressed < received,
        "suppressed_replies rose by {suppressed} of {received} received; {}",
        context()
    );
}
