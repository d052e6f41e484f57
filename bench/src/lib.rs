//! usk benchmarks live in `benches/`; see BENCHMARKS*.md for recorded figures.
#![forbid(unsafe_code)]
