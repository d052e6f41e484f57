//! Linux's `lib/`: generic kernel library code.

pub mod percpu_counter;
pub mod stacktrace;
