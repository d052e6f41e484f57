//! Typed system call wrappers: Rust values in, `Result<_, Errno>` out
//! (a negative kernel return becomes the `Errno`). Buffers and structs go
//! through the scratch area ([`crate::mem`]).

mod fs;
mod misc;
mod mm;
mod proc;
mod signal;
mod tty;

pub use fs::*;
pub use misc::*;
pub use mm::*;
pub use proc::*;
pub use signal::*;
pub use tty::*;

pub use crate::backend::syscall6;
use crate::Result;
use uapi::Errno;

/// Turn a raw return value into a `Result`.
pub fn check(r: i64) -> Result<i64> {
    if (-4095..0).contains(&r) {
        Err(Errno(-r as i32))
    } else {
        Ok(r)
    }
}

/// Issue `nr` with up to six arguments and check the result.
pub(crate) fn sc(nr: u64, args: &[u64]) -> Result<i64> {
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    check(syscall6(nr, a))
}
