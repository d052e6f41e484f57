//! Built-in experiments (`usk exp NAME`), each reproducing a seed article's
//! measurement with the seed's figures printed beside ours.

#![forbid(unsafe_code)]

pub mod fragmentation;
