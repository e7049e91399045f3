//! Replays the host's input traces (benches/replay: conformance scenarios and simulator
//! schedules) through vrrp-core's `Driver` on the Cortex-M4F and compares each digest with
//! the one the host computed for the same trace. Any mismatch, or a panic, exits 1.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use vrrp_embedded::{exit, paint_stack, stack_depth};
use vrrp_replay::{replay, Reader};

static TRACES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/traces.bin"));
static EXPECTED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/expected.bin"));

fn expected(i: usize) -> Option<(u64, u32, u32)> {
    let rec = EXPECTED.get(i * 16..i * 16 + 16)?;
    let word = |a: usize, b: usize| rec.get(a..b).unwrap_or(&[]);
    Some((
        u64::from_le_bytes(word(0, 8).try_into().ok()?),
        u32::from_le_bytes(word(8, 12).try_into().ok()?),
        u32::from_le_bytes(word(12, 16).try_into().ok()?),
    ))
}

#[entry]
fn main() -> ! {
    paint_stack();
    let (mut reader, count) = match Reader::open(TRACES) {
        Ok(r) => r,
        Err(e) => {
            hprintln!("FAIL: trace file: {:?} (run scripts/embedded.sh, it exports the traces)", e);
            exit(false)
        }
    };
    let mut failed = 0u32;
    for i in 0..usize::from(count) {
        let mut trace = match reader.next_trace() {
            Ok(t) => t,
            Err(e) => {
                hprintln!("FAIL: trace {}: {:?}", i, e);
                exit(false)
            }
        };
        let got = match replay(&mut trace, |_| {}) {
            Ok(s) => s,
            Err(e) => {
                hprintln!("FAIL: {}: {:?}", trace.name, e);
                exit(false)
            }
        };
        match expected(i) {
            Some(want) if want == (got.digest, got.inputs, got.outputs) => {
                hprintln!(
                    "ok   {:016x} {:>4} inputs {:>4} outputs  {}",
                    got.digest,
                    got.inputs,
                    got.outputs,
                    trace.name
                );
            }
            want => {
                failed += 1;
                hprintln!(
                    "FAIL {}: target {:016x} ({} inputs, {} outputs), host {:x?}",
                    trace.name,
                    got.digest,
                    got.inputs,
                    got.outputs,
                    want
                );
            }
        }
    }
    let all = EXPECTED.len() == usize::from(count) * 16 && count > 0;
    if !all {
        hprintln!("FAIL: {} traces but {} expected digests", count, EXPECTED.len() / 16);
    }
    hprintln!("{} traces, {} mismatches; stack used {} bytes", count, failed, stack_depth());
    exit(failed == 0 && all)
}
