//! ulib: what usk user programs link against (the C library of usk).
//!
//! Every call reaches the kernel through one of two backends (see
//! [`backend`]): the usk kernel's entry table when a kernel is linked into
//! the process, or the host Linux kernel (for differential tests). Whatever
//! the kernel reads or writes lives in the user address space at integer
//! addresses: the wrappers copy Rust slices into a per-thread scratch
//! mapping ([`mem`]) and back with user-mode loads and stores.
//!
//! Invariants: no kernel type is named here (the crate graph forbids it);
//! `unsafe` lives only in `backend::host`; per-process state is
//! thread-local (a usk process is a host thread), never a `static mut`.
#![deny(unsafe_code)]

pub mod backend;
pub mod env;
pub mod io;
pub mod mem;
pub mod process;
pub mod rt;
pub mod sys;

pub use process::{clone, fork, vfork, Pid};
pub use sys::*;
pub use uapi;
pub use uapi::errno::{self, Errno};
pub use uapi::wait;

/// The result of a system call wrapper.
pub type Result<T> = core::result::Result<T, Errno>;
