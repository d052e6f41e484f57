//! Character device drivers.

pub mod mem;
