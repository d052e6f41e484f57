//! The simulated machine that usk boots on.
//!
//! Everything here is *hardware*: it knows nothing of tasks, locks or
//! schedulers. The kernel crate drives it through the same kinds of
//! interfaces a real kernel uses — a clock source, programmable per-CPU
//! timer devices (clockevents), an interrupt controller that routes lines and
//! inter-processor interrupts to CPUs, and physical memory.
//!
//! Two time bases exist: the host's monotonic clock (wall-clock mode, real
//! parallelism) and a virtual clock that only moves when the kernel's
//! deterministic scheduler advances it. Devices never read the host clock
//! directly; they go through [`clock::Clock`], so the same device model runs
//! in both modes.

pub mod clock;
pub mod console;
pub mod irqchip;
pub mod lapic_timer;
pub mod physmem;
pub mod timerq;

pub use clock::Clock;
pub use console::{ConsoleBackend, ConsoleDevice, MemoryConsole};
pub use irqchip::{CpuKick, InterruptController, Vector};
pub use lapic_timer::LapicTimer;
pub use physmem::PhysMem;
pub use timerq::TimerQueue;
