//! Run usk's `sh` on the host kernel (ulib's host backend): a cheap
//! end-to-end check of the shell against bash. External commands are the
//! host's own binaries.
//!
//! `cargo run -p usk-userland --example hostsh -- -c 'echo hi | wc -c'`

fn main() {
    ulib::rt::host_main(userland::sh::main)
}
