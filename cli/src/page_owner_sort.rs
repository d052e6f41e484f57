//! `usk page_owner_sort`: Linux's tools/mm/page_owner_sort, in Rust.
//!
//! Mechanism: reads a saved `/sys/kernel/debug/page_owner` (ours or a real
//! Linux's), one record per blank-line-separated block; the `PFN …` line of
//! each block is kept aside (it differs for every page and only tells the
//! allocator kind: CMA, slab). Records are optionally selected (`--pid`,
//! `--tgid`, `--name`), then *culled*: sorted and folded so identical
//! records (by default the whole text minus the timestamp; with `--cull`
//! the listed fields) become one entry with a count of records and pages —
//! the seed's "856 times:" view of /proc/page_owner. Entries are then
//! sorted (`-t` count, default; `-m` pages; `-a` time; `-p`/`-P` pid/tgid;
//! `-n` name; `-s` stack; or `--sort [+|-]key,…`) and written out in
//! Linux's format: `N times, M pages, allocated by OTHERS :` + record.
//!
//! Invariants: the output of folding depends only on the input and the
//! options; malformed records are skipped or counted with defaults, never
//! a panic; bad options are errors with Linux's messages.

#![forbid(unsafe_code)]

use std::cmp::Ordering;
use std::io::Write;

const CULL_PID: u32 = 1 << 1;
const CULL_TGID: u32 = 1 << 2;
const CULL_COMM: u32 = 1 << 3;
const CULL_STACKTRACE: u32 = 1 << 4;
const CULL_ALLOCATOR: u32 = 1 << 5;
const FILTER_PID: u32 = 1 << 1;
const FILTER_TGID: u32 = 1 << 2;
const FILTER_COMM: u32 = 1 << 3;
const ALLOCATOR_CMA: u32 = 1 << 1;
const ALLOCATOR_SLAB: u32 = 1 << 2;
const ALLOCATOR_VMALLOC: u32 = 1 << 3;
const ALLOCATOR_OTHERS: u32 = 1 << 4;
const TASK_COMM_LEN: usize = 16;

/// One record (`struct block_list`).
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub txt: String,
    pub comm: String,
    /// Offset of the stack trace in `txt` (after the first line).
    stack_at: usize,
    pub ts_nsec: u64,
    pub num: u64,
    pub page_num: u64,
    pub pid: i64,
    pub tgid: i64,
    pub allocator: u32,
}

impl Block {
    pub fn stacktrace(&self) -> &str {
        &self.txt[self.stack_at..]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Txt,
    Comm,
    Stack,
    AllocTs,
    PageNum,
    Pid,
    Tgid,
    Allocator,
    Num,
}

fn arg_type(s: &str) -> Option<Key> {
    Some(match s {
        "pid" | "p" => Key::Pid,
        "tgid" | "tg" => Key::Tgid,
        "name" | "n" => Key::Comm,
        "stacktrace" | "st" => Key::Stack,
        "txt" | "T" => Key::Txt,
        "alloc_ts" | "at" => Key::AllocTs,
        "allocator" | "ator" => Key::Allocator,
        _ => return None,
    })
}

fn compare(k: Key, a: &Block, b: &Block) -> Ordering {
    match k {
        Key::Txt => a.txt.cmp(&b.txt),
        Key::Comm => a.comm.cmp(&b.comm),
        Key::Stack => a.stacktrace().cmp(b.stacktrace()),
        Key::AllocTs => a.ts_nsec.cmp(&b.ts_nsec),
        Key::PageNum => a.page_num.cmp(&b.page_num),
        Key::Pid => a.pid.cmp(&b.pid),
        Key::Tgid => a.tgid.cmp(&b.tgid),
        Key::Allocator => a.allocator.cmp(&b.allocator),
        Key::Num => a.num.cmp(&b.num),
    }
}

/// Options, as `main()` of page_owner_sort.c collects them.
#[derive(Clone, Debug)]
pub struct Options {
    cull: u32,
    filter: u32,
    pids: Vec<i64>,
    tgids: Vec<i64>,
    comms: Vec<String>,
    /// (key, +1 ascending / −1 descending)
    sort: Vec<(Key, i32)>,
    pub input: String,
    pub output: String,
}

pub const USAGE: &str = "Usage: ./page_owner_sort [OPTIONS] <input> <output>\n\
-a\t\t\tSort by memory allocation time.\n\
-m\t\t\tSort by total memory.\n\
-n\t\t\tSort by task command name.\n\
-p\t\t\tSort by pid.\n\
-P\t\t\tSort by tgid.\n\
-s\t\t\tSort by the stacktrace.\n\
-t\t\t\tSort by number of times record is seen (default).\n\n\
--pid <pidlist>\t\tSelect by pid. This selects the information of\n\t\t\tblocks whose process ID numbers appear in <pidlist>.\n\
--tgid <tgidlist>\tSelect by tgid. This selects the information of\n\t\t\tblocks whose Thread Group ID numbers appear in <tgidlist>.\n\
--name <cmdlist>\tSelect by command name. This selects the information\n\t\t\tof blocks whose command name appears in <cmdlist>.\n\
--cull <rules>\t\tCull by user-defined rules. <rules> is a single\n\t\t\targument in the form of a comma-separated list with some\n\t\t\tcommon fields predefined (pid, tgid, comm, stacktrace, allocator)\n\
--sort <order>\t\tSpecify sort order as: [+|-]key[,[+|-]key[,...]]\n";

fn parse_nums(s: &str) -> Option<Vec<i64>> {
    s.split(',').map(|x| x.parse().ok()).collect()
}

/// Parses the command line (`argv[1..]`). `Ok(None)` means `-h` was given.
pub fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options {
        cull: 0,
        filter: 0,
        pids: vec![],
        tgids: vec![],
        comms: vec![],
        sort: vec![],
        input: String::new(),
        output: String::new(),
    };
    let mut flags: Vec<char> = Vec::new();
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            if name == "help" {
                return Ok(None);
            }
            let val = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    args.get(i)
                        .cloned()
                        .ok_or_else(|| format!("option '--{name}' requires an argument\n{USAGE}"))?
                }
            };
            match name {
                "pid" => {
                    o.filter |= FILTER_PID;
                    o.pids = parse_nums(&val).ok_or_else(|| {
                        format!("wrong/invalid pid in from the command line:{val}")
                    })?;
                }
                "tgid" => {
                    o.filter |= FILTER_TGID;
                    o.tgids = parse_nums(&val).ok_or_else(|| {
                        format!("wrong/invalid tgid in from the command line:{val}")
                    })?;
                }
                "name" => {
                    o.filter |= FILTER_COMM;
                    o.comms = val.split(',').map(str::to_string).collect();
                }
                "cull" => {
                    for k in val.split(',') {
                        o.cull |= match arg_type(k) {
                            Some(Key::Pid) => CULL_PID,
                            Some(Key::Tgid) => CULL_TGID,
                            Some(Key::Comm) => CULL_COMM,
                            Some(Key::Stack) => CULL_STACKTRACE,
                            Some(Key::Allocator) => CULL_ALLOCATOR,
                            _ => return Err(format!("wrong argument after --cull option:{val}")),
                        };
                    }
                    if o.sort.is_empty() {
                        o.sort = vec![(Key::Num, -1)];
                    }
                }
                "sort" => {
                    let mut v = Vec::new();
                    for k in val.split(',') {
                        let (sign, name) = match k.as_bytes().first() {
                            Some(b'-') => (-1, &k[1..]),
                            Some(b'+') => (1, &k[1..]),
                            _ => (1, k),
                        };
                        let key = arg_type(name)
                            .ok_or_else(|| format!("wrong argument after --sort option:{val}"))?;
                        v.push((key, sign));
                    }
                    o.sort = v;
                }
                _ => return Err(format!("unrecognized option '--{name}'\n{USAGE}")),
            }
        } else if a.len() > 1 && a.starts_with('-') {
            for c in a[1..].chars() {
                match c {
                    'a' | 'd' | 'm' | 'n' | 'p' | 's' | 't' | 'P' => flags.push(c),
                    'h' => return Ok(None),
                    _ => return Err(format!("invalid option -- '{c}'\n{USAGE}")),
                }
            }
        } else {
            files.push(a.clone());
        }
        i += 1;
    }
    if files.len() < 2 {
        return Err(USAGE.to_string());
    }
    o.input = files[0].clone();
    o.output = files[1].clone();
    let cmp: Vec<char> = flags.iter().copied().filter(|&c| c != 'd').collect();
    let mut uniq = cmp.clone();
    uniq.sort();
    uniq.dedup();
    if uniq.len() > 1 {
        return Err(USAGE.to_string());
    }
    let single = match uniq.first() {
        Some('a') => Some((Key::AllocTs, 1)),
        Some('m') => Some((Key::PageNum, -1)),
        Some('p') => Some((Key::Pid, 1)),
        Some('s') => Some((Key::Stack, 1)),
        Some('P') => Some((Key::Tgid, 1)),
        Some('n') => Some((Key::Comm, 1)),
        _ => Some((Key::Num, -1)),
    };
    // main() sets the single comparison after --sort only if no flag: match it
    if !uniq.is_empty() || o.sort.is_empty() {
        o.sort = vec![single.unwrap_or((Key::Num, -1))];
    }
    Ok(Some(o))
}

/// Finds `prefix \s* ([0-9]*) \s* suffix` (the first match, as regexec
/// does) and returns the digits' byte range.
fn search_num(buf: &str, prefix: &str, ws_after: bool, suffix: &str) -> Option<(usize, usize)> {
    let b = buf.as_bytes();
    let mut from = 0;
    while let Some(off) = buf[from..].find(prefix) {
        let start = from + off;
        let mut i = start + prefix.len();
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        let ds = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let de = i;
        if ws_after {
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
        }
        if buf[i..].starts_with(suffix) {
            return Some((ds, de));
        }
        from = start + 1;
    }
    None
}

fn get_num(buf: &str, prefix: &str, suffix: &str) -> Option<i64> {
    let (s, e) = search_num(buf, prefix, false, suffix)?;
    buf[s..e].parse().ok()
}

/// `get_comm()`: `tgid\s*[0-9]*\s*\((.*)\),\s*ts` on the first line.
fn get_comm(buf: &str) -> Option<String> {
    let line = buf.lines().next()?;
    let t = line.find("tgid")?;
    let rest = &line[t..];
    let open = rest.find('(')?;
    let close = rest.rfind("),")?;
    if close <= open {
        return None;
    }
    let after = rest[close + 2..].trim_start();
    if !after.starts_with("ts") {
        return None;
    }
    let c = &rest[open + 1..close];
    (c.len() < TASK_COMM_LEN).then(|| c.to_string())
}

fn get_allocator(buf: &str, pfn_line: &str) -> u32 {
    let mut a = 0;
    if pfn_line.contains("CMA") {
        a |= ALLOCATOR_CMA;
    }
    if pfn_line.contains("slab") {
        a |= ALLOCATOR_SLAB;
    }
    if let Some(v) = buf.find("__vmalloc_node_range") {
        // "alloc_pages" on the line just before it
        let before = &buf[..v];
        let line_start = before.trim_end_matches(|c| c != '\n').len();
        let prev = &buf[..line_start.saturating_sub(1)];
        let prev_start = prev.rfind('\n').map(|i| i + 1).unwrap_or(0);
        if buf[prev_start..v].contains("alloc_pages") {
            a |= ALLOCATOR_VMALLOC;
        }
    }
    if a == 0 {
        a = ALLOCATOR_OTHERS;
    }
    a
}

/// `read_block()` over the whole input: (record text, PFN line) pairs.
fn blocks(input: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut ext = String::new();
    for line in input.split_inclusive('\n') {
        if line == "\n" {
            out.push((std::mem::take(&mut cur), std::mem::take(&mut ext)));
            continue;
        }
        if line.starts_with("PFN") {
            ext = line.to_string();
            continue;
        }
        cur.push_str(line);
    }
    // a final record without its blank line is dropped, as read_block does
    out
}

/// Loads, filters, culls and sorts; returns the folded entries.
pub fn fold(input: &str, o: &Options) -> Vec<Block> {
    let by_ts = o.sort.first().map(|s| s.0) == Some(Key::AllocTs);
    let mut list = Vec::new();
    for (buf, ext) in blocks(input) {
        let pid = get_num(&buf, "pid", ",").unwrap_or(-1);
        let tgid = get_num(&buf, "tgid", " ").unwrap_or(-1);
        let comm = get_comm(&buf);
        if o.filter & FILTER_PID != 0 && !o.pids.contains(&pid) {
            continue;
        }
        if o.filter & FILTER_TGID != 0 && !o.tgids.contains(&tgid) {
            continue;
        }
        if o.filter & FILTER_COMM != 0 {
            match &comm {
                Some(c) if o.comms.contains(c) => {}
                _ => continue,
            }
        }
        let ts = search_num(&buf, "ts", true, "ns")
            .and_then(|(s, e)| buf[s..e].parse().ok())
            .unwrap_or(u64::MAX);
        let mut txt = buf.clone();
        if !by_ts {
            if let Some((s, e)) = search_num(&txt, "ts", true, "ns") {
                txt.replace_range(s..e, "");
            }
        }
        let order = get_num(&buf, "order", ",").filter(|o| (0..=64).contains(o));
        let stack_at = txt.find('\n').map(|i| i + 1).unwrap_or(txt.len());
        list.push(Block {
            comm: comm.unwrap_or_default(),
            stack_at,
            ts_nsec: ts,
            num: 1,
            page_num: order.map(|o| 1u64 << o.min(63)).unwrap_or(0),
            pid,
            tgid,
            allocator: get_allocator(&buf, &ext),
            txt,
        });
    }
    let cull_cmp = |a: &Block, b: &Block| -> Ordering {
        if o.cull == 0 {
            return a.txt.cmp(&b.txt);
        }
        for (bit, k) in [
            (CULL_STACKTRACE, Key::Stack),
            (CULL_PID, Key::Pid),
            (CULL_TGID, Key::Tgid),
            (CULL_COMM, Key::Comm),
            (CULL_ALLOCATOR, Key::Allocator),
        ] {
            if o.cull & bit != 0 {
                let c = compare(k, a, b);
                if c != Ordering::Equal {
                    return c;
                }
            }
        }
        Ordering::Equal
    };
    list.sort_by(cull_cmp);
    let mut folded: Vec<Block> = Vec::new();
    for b in list {
        match folded.last_mut() {
            Some(l) if cull_cmp(l, &b) == Ordering::Equal => {
                l.num += b.num;
                l.page_num += b.page_num;
            }
            _ => folded.push(b),
        }
    }
    folded.sort_by(|a, b| {
        for &(k, sign) in &o.sort {
            let c = compare(k, a, b);
            if c != Ordering::Equal {
                return if sign < 0 { c.reverse() } else { c };
            }
        }
        Ordering::Equal
    });
    folded
}

fn allocator_text(a: u32) -> String {
    let mut s = String::from("allocated by ");
    for (bit, n) in [
        (ALLOCATOR_CMA, "CMA "),
        (ALLOCATOR_SLAB, "SLAB "),
        (ALLOCATOR_VMALLOC, "VMALLOC "),
        (ALLOCATOR_OTHERS, "OTHERS "),
    ] {
        if a & bit != 0 {
            s.push_str(n);
        }
    }
    s
}

/// Formats the folded entries exactly as page_owner_sort.c writes them.
pub fn render(list: &[Block], o: &Options) -> String {
    let mut s = String::new();
    for b in list {
        if o.cull == 0 {
            s.push_str(&format!(
                "{} times, {} pages, {}:\n{}\n",
                b.num,
                b.page_num,
                allocator_text(b.allocator),
                b.txt
            ));
        } else {
            s.push_str(&format!("{} times, {} pages", b.num, b.page_num));
            if o.cull & CULL_PID != 0 || o.filter & FILTER_PID != 0 {
                s.push_str(&format!(", PID {}", b.pid));
            }
            if o.cull & CULL_TGID != 0 || o.filter & FILTER_TGID != 0 {
                s.push_str(&format!(", TGID {}", b.tgid));
            }
            if o.cull & CULL_COMM != 0 || o.filter & FILTER_COMM != 0 {
                s.push_str(&format!(", task_comm_name: {}", b.comm));
            }
            if o.cull & CULL_ALLOCATOR != 0 {
                s.push_str(&format!(", {}", allocator_text(b.allocator)));
            }
            if o.cull & CULL_STACKTRACE != 0 {
                s.push_str(&format!(":\n{}", b.stacktrace()));
            }
            s.push('\n');
        }
    }
    s
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn write_stdout(s: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("stdout: {e}")),
        _ => Ok(()),
    }
}

pub fn main(args: &[String]) -> Result<(), String> {
    let Some(o) = parse_args(args)? else {
        return write_stdout(USAGE);
    };
    let input = std::fs::read(&o.input).map_err(|e| format!("open: {}: {e}", o.input))?;
    let input = String::from_utf8_lossy(&input);
    let list = fold(&input, &o);
    let loaded: u64 = list.iter().map(|b| b.num).sum();
    write_stdout(&format!("loaded {loaded}\nsorting ....\nculling\n"))?;
    let mut f = std::fs::File::create(&o.output).map_err(|e| format!("open: {}: {e}", o.output))?;
    f.write_all(render(&list, &o).as_bytes())
        .map_err(|e| format!("write {}: {e}", o.output))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const SAMPLE: &str = "Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 7, tgid 7 (kworker/0:1), ts 100 ns\n\
PFN 0x100 type Unmovable Block 0 type Unmovable Flags 0x0(node=0|zone=1)\n a+0x1\n b+0x2\n\n\
Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 7, tgid 7 (kworker/0:1), ts 200 ns\n\
PFN 0x101 type Unmovable Block 0 type Unmovable Flags 0x0(node=0|zone=1)\n a+0x1\n b+0x2\n\n\
Page allocated via order 2, mask 0x40cc0(GFP_KERNEL|__GFP_COMP), pid 9, tgid 8 (my (odd) task), ts 300 ns\n\
PFN 0x104 type Unmovable Block 0 type Unmovable Flags 0x200(slab|node=0|zone=1)\n c+0x3\n\n";

    #[test]
    fn default_folds_identical_records_by_count() {
        let o = parse_args(&args(&["in", "out"])).unwrap().unwrap();
        let out = render(&fold(SAMPLE, &o), &o);
        assert_eq!(
            out,
            "2 times, 2 pages, allocated by OTHERS :\n\
Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 7, tgid 7 (kworker/0:1), ts  ns\n a+0x1\n b+0x2\n\n\
1 times, 4 pages, allocated by SLAB :\n\
Page allocated via order 2, mask 0x40cc0(GFP_KERNEL|__GFP_COMP), pid 9, tgid 8 (my (odd) task), ts  ns\n c+0x3\n\n"
        );
    }

    #[test]
    fn select_cull_and_sort() {
        let o = parse_args(&args(&["--name", "my (odd) task", "in", "out"]))
            .unwrap()
            .unwrap();
        let l = fold(SAMPLE, &o);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].tgid, 8);
        let o = parse_args(&args(&["--cull", "pid,stacktrace", "in", "out"]))
            .unwrap()
            .unwrap();
        let out = render(&fold(SAMPLE, &o), &o);
        assert_eq!(
            out,
            "2 times, 2 pages, PID 7:\n a+0x1\n b+0x2\n\n1 times, 4 pages, PID 9:\n c+0x3\n\n"
        );
        let o = parse_args(&args(&["-m", "in", "out"])).unwrap().unwrap();
        assert_eq!(fold(SAMPLE, &o)[0].page_num, 4);
        let o = parse_args(&args(&["--sort", "-pid", "--pid", "7,9", "in", "out"]))
            .unwrap()
            .unwrap();
        assert_eq!(fold(SAMPLE, &o)[0].pid, 9);
        let o = parse_args(&args(&["-a", "in", "out"])).unwrap().unwrap();
        let l = fold(SAMPLE, &o);
        assert_eq!(l.len(), 3, "timestamps kept: nothing folds");
        assert_eq!(l[0].ts_nsec, 100);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(parse_args(&args(&["--cull", "bogus", "a", "b"]))
            .unwrap_err()
            .contains("wrong argument after --cull option:bogus"));
        assert!(parse_args(&args(&["--pid", "x", "a", "b"]))
            .unwrap_err()
            .contains("wrong/invalid pid"));
        assert!(parse_args(&args(&["--sort", "zzz", "a", "b"])).is_err());
        assert!(parse_args(&args(&["-m", "-t", "a", "b"])).is_err());
        assert!(parse_args(&args(&["-q", "a", "b"])).is_err());
        assert!(parse_args(&args(&["only-input"])).is_err());
        assert!(parse_args(&args(&["-h"])).unwrap().is_none());
        // garbage input folds to nothing or to defaults, never panics
        let o = parse_args(&args(&["a", "b"])).unwrap().unwrap();
        let _ = render(
            &fold("\n\n(((\nPFN\n\nts ns order 99999999999999999999,\n\n", &o),
            &o,
        );
    }

    #[inline(never)]
    fn leak_pages(mm: &kernel::mm::Mm, n: usize) -> Vec<usize> {
        (0..n)
            .map(|_| mm.alloc_pages(kernel::mm::GFP_KERNEL, 0).unwrap())
            .collect()
    }

    #[inline(never)]
    fn other_pages(mm: &kernel::mm::Mm, n: usize) -> Vec<usize> {
        (0..n)
            .map(|_| mm.alloc_pages(kernel::mm::GFP_HIGHUSER_MOVABLE, 0).unwrap())
            .collect()
    }

    /// page_owner round trip: our sorter on our /sys/kernel/debug/page_owner
    /// gives the expected fold for a seeded leak.
    #[test]
    fn round_trip_on_our_page_owner_output() {
        use kernel::mm::*;
        let mm = Mm::new(&MmConfig {
            mem_bytes: 64 << 20,
            page_owner: true,
            ..Default::default()
        })
        .unwrap();
        glue::set_current(1234, 1234, "leaker");
        let leaked = leak_pages(&mm, 300);
        glue::set_current(99, 99, "innocent");
        let other = other_pages(&mm, 5);
        glue::set_current(0, 0, "");
        let text = mm.page_owner_text().unwrap();
        if std::env::var_os("SHOW_PAGE_OWNER").is_some() {
            eprintln!("{}", &text[..text.len().min(3000)]);
        }
        let o = parse_args(&args(&["in", "out"])).unwrap().unwrap();
        let list = fold(&text, &o);
        assert_eq!(list[0].num, 300, "{}", render(&list[..2], &o));
        assert_eq!(list[0].pid, 1234);
        assert_eq!(list[0].comm, "leaker");
        let out = render(&list, &o);
        assert!(out.starts_with("300 times, 300 pages, allocated by OTHERS :\nPage allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 1234, tgid 1234 (leaker), ts  ns\n"), "{out}");
        assert!(
            list[0].stacktrace().contains("leak_pages"),
            "{}",
            list[0].stacktrace()
        );
        let o = parse_args(&args(&["--pid", "99", "in", "out"]))
            .unwrap()
            .unwrap();
        let l = fold(&text, &o);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].num, 5);
        assert!(l[0].stacktrace().contains("other_pages"));
        for p in leaked.into_iter().chain(other) {
            mm.__free_pages(p, 0);
        }
    }
}
