//! The user/kernel ABI shared by the usk kernel and user programs.
#![forbid(unsafe_code)]

pub mod errno;

pub use errno::Errno;
