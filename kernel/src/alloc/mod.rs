//! Kernel memory for Rust values (Rust-for-Linux's `kernel::alloc`):
//! [`KBox`], an owning box whose value lives in a kmalloc object.

pub mod kbox;

pub use kbox::KBox;
