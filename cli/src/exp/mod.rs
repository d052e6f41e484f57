//! Built-in experiments (`usk exp NAME`), each reproducing a seed article's
//! measurement with the seed's figures printed beside ours.

pub mod fragmentation;
