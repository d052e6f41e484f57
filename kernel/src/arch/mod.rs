//! Architecture code (Linux's `arch/`): usk models one architecture,
//! x86-64, whose system-call numbers and entry conventions user programs
//! see.

pub mod x86;
