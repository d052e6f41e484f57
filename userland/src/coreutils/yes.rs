//! `yes [STRING...]`: repeat a line until the output fails (EPIPE, or
//! SIGPIPE kills us first).

use ulib::ueprintln;

pub fn main(args: &[String]) -> i32 {
    let line = if args.len() > 1 {
        args[1..].join(" ")
    } else {
        "y".to_string()
    };
    let mut chunk = Vec::new();
    while chunk.len() < 8192 {
        chunk.extend_from_slice(line.as_bytes());
        chunk.push(b'\n');
    }
    loop {
        if let Err(e) = ulib::write_all(1, &chunk) {
            ueprintln!("yes: standard output: {}", e.message());
            return 1;
        }
    }
}
