mod exp;
mod page_owner_sort;

fn main() {
    // mm: `usk exp fragmentation …` and `usk page_owner_sort …` (until the
    // CLI grows its own dispatcher, these two are routed here).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args.first().map(String::as_str) {
        Some("exp") if args.get(1).map(String::as_str) == Some("fragmentation") => {
            exp::fragmentation::main(&args[2..])
        }
        Some("page_owner_sort") => page_owner_sort::main(&args[1..]),
        _ => Ok(()),
    };
    if let Err(e) = r {
        eprintln!("usk: {e}");
        std::process::exit(1);
    }
}
