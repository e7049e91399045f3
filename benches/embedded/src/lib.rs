//! What both firmware images share: semihosting exit, the panic handler, stack painting
//! and the instruction counter.
//!
//! The firmware is the only place in the project with `unsafe`: reading the linker's
//! stack symbols and painting the free stack take raw pointers, and the calibration
//! loop is two lines of assembly. vrrp-core itself stays `forbid(unsafe_code)`.

#![no_std]

use core::panic::PanicInfo;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_semihosting::{debug, hprintln};

/// Ends the QEMU run: exit status 0 when `ok`, 1 otherwise (semihosting SYS_EXIT).
pub fn exit(ok: bool) -> ! {
    debug::exit(if ok { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// A panic fails the run: CI sees the message and a non-zero exit status.
#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    hprintln!("PANIC: {}", info);
    exit(false)
}

const PAINT: u32 = 0xA5A5_A5A5;

extern "C" {
    /// Top of the stack (cortex-m-rt's link.x: end of RAM).
    static _stack_start: u32;
    /// End of .bss/.uninit: the stack may grow down to here.
    static __sheap: u32;
}

fn stack_bounds() -> (usize, usize) {
    // Only the addresses of the linker symbols are taken, never their contents.
    (core::ptr::addr_of!(__sheap) as usize, core::ptr::addr_of!(_stack_start) as usize)
}

/// Fills the unused stack, from the end of static RAM to just below the current frame,
/// with a pattern; [`stack_depth`] later finds the lowest word that lost it.
#[inline(never)]
pub fn paint_stack() {
    let (bottom, _) = stack_bounds();
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = bottom;
    while p + 256 < sp {
        // SAFETY: [__sheap, sp - 256) is RAM no live frame uses (the stack grows down
        // from _stack_start and is above sp; statics end at __sheap).
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// The deepest the stack has been since [`paint_stack`], in bytes from its top.
pub fn stack_depth() -> usize {
    let (bottom, top) = stack_bounds();
    let mut p = bottom;
    // SAFETY: reads words of RAM between the end of statics and the stack top.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    top - p
}

/// Static RAM: .data + .bss as linked (from the linker's symbols).
pub fn static_ram() -> usize {
    stack_bounds().0 - 0x2000_0000
}

/// SysTick as a free-running 24-bit down-counter on the core clock. Under QEMU's
/// `-icount shift=0` virtual time advances exactly 1 ns per executed instruction, so the
/// counter advances a fixed number of instructions per tick: [`Ticks::calibrate`] measures
/// that number with a loop of known length.
#[derive(Debug)]
pub struct Ticks {
    /// Instructions per SysTick tick, ×1000.
    pub milli_insns_per_tick: u64,
}

const MASK: u32 = 0x00FF_FFFF;

impl Ticks {
    /// Starts SysTick and calibrates it.
    pub fn start(mut syst: SYST) -> Ticks {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(MASK);
        syst.clear_current();
        syst.enable_counter();
        let mut t = Ticks { milli_insns_per_tick: 0 };
        t.calibrate();
        t
    }

    /// The counter now.
    pub fn read(&self) -> u32 {
        SYST::get_current()
    }

    /// Ticks from `start` (an earlier [`Ticks::read`]) to now; the interval must be shorter
    /// than one wrap (2^24 ticks).
    pub fn since(&self, start: u32) -> u32 {
        start.wrapping_sub(self.read()) & MASK
    }

    fn calibrate(&mut self) {
        const LOOPS: u32 = 1_000_000;
        let start = self.read();
        spin(LOOPS);
        let ticks = u64::from(self.since(start)).max(1);
        // `subs` + `bne` per iteration.
        self.milli_insns_per_tick = 2 * u64::from(LOOPS) * 1000 / ticks;
    }

    /// Instructions in `ticks` ticks.
    pub fn insns(&self, ticks: u64) -> u64 {
        ticks * self.milli_insns_per_tick / 1000
    }
}

#[inline(never)]
fn spin(n: u32) {
    // SAFETY: a register-only countdown loop.
    unsafe {
        core::arch::asm!("1:", "subs {0}, {0}, #1", "bne 1b", inout(reg) n => _, options(nomem, nostack));
    }
}
