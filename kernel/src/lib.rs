//! usk kernel (skeleton)

pub mod mm;
