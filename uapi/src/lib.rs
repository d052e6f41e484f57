//! The user/kernel ABI shared by the usk kernel and user programs.
#![forbid(unsafe_code)]

pub mod abi;
pub mod errno;
pub mod fcntl;
pub mod mman;
pub mod perf_event;
pub mod poll;
pub mod sched;
pub mod signal;
pub mod stat;
pub mod termios;
pub mod unistd;
pub mod wait;

pub use errno::Errno;
