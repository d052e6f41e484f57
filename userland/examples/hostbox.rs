//! Run any usk applet on the host kernel: `hostbox APPLET [ARGS...]`
//! (e.g. `cargo run -p usk-userland --example hostbox -- ls -l /`), for
//! differential checks against coreutils.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        eprintln!("usage: hostbox APPLET [ARGS...]");
        std::process::exit(2);
    };
    match userland::APPLETS.iter().find(|(n, _)| n == name) {
        Some((_, main)) => ulib::rt::host_run(*main, args),
        None => {
            eprintln!("hostbox: {name}: no such applet");
            std::process::exit(127);
        }
    }
}
