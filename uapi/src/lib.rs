//! The user/kernel ABI shared by the usk kernel and user programs.
#![forbid(unsafe_code)]

pub mod errno;
pub mod fcntl;
pub mod poll;
pub mod signal;
pub mod stat;
pub mod termios;

pub use errno::Errno;
