//! mm's files in /proc, /proc/sys/vm and debugfs, and `mm_init()`, the
//! boot step that publishes them.
//!
//! Mechanism: each file is a `proc_create_single`-style show function that
//! renders the running kernel's allocator state with the generators in
//! vmstat.rs, slab.rs and page_owner.rs; the sysctls under /proc/sys/vm
//! take writes (`compact_memory`, `min_free_kbytes`, `drop_caches`).
//! `/sys/kernel/debug/page_owner` exists only with `page_owner=on`, as in
//! Linux.
//!
//! Invariants: show functions only read (taking zone locks briefly); a bad
//! sysctl write is `EINVAL`, never a panic.

use crate::fs::seq_file::SeqFile;
use crate::init::kernel::Kernel;
use crate::kernel;
use std::fmt;
use uapi::errno::{Errno, EINVAL};

fn show_buddyinfo(m: &mut SeqFile) -> fmt::Result {
    m.puts(&kernel().mm.buddyinfo());
    Ok(())
}
fn show_pagetypeinfo(m: &mut SeqFile) -> fmt::Result {
    m.puts(&kernel().mm.pagetypeinfo());
    Ok(())
}
fn show_zoneinfo(m: &mut SeqFile) -> fmt::Result {
    m.puts(&kernel().mm.zoneinfo());
    Ok(())
}
fn show_vmstat(m: &mut SeqFile) -> fmt::Result {
    m.puts(&kernel().mm.vmstat());
    Ok(())
}
fn show_meminfo(m: &mut SeqFile) -> fmt::Result {
    m.puts(&kernel().mm.meminfo());
    Ok(())
}
fn show_slabinfo(m: &mut SeqFile) -> fmt::Result {
    m.puts(&kernel().mm.slabinfo());
    Ok(())
}
fn show_unusable(m: &mut SeqFile) -> fmt::Result {
    m.puts(&kernel().mm.unusable_index());
    Ok(())
}
fn show_extfrag(m: &mut SeqFile) -> fmt::Result {
    m.puts(&kernel().mm.extfrag_index());
    Ok(())
}
fn show_page_owner(m: &mut SeqFile) -> fmt::Result {
    m.puts(&kernel().mm.page_owner_text().unwrap_or_default());
    Ok(())
}
fn show_nothing(_m: &mut SeqFile) -> fmt::Result {
    Ok(())
}
fn show_min_free_kbytes(m: &mut SeqFile) -> fmt::Result {
    use std::fmt::Write;
    writeln!(
        m,
        "{}",
        kernel()
            .mm
            .min_free_kbytes
            .load(std::sync::atomic::Ordering::Relaxed)
    )
}

fn parse_int(s: &str) -> Result<i64, Errno> {
    s.trim().parse().map_err(|_| EINVAL)
}

/// `sysctl_compaction_handler`: writing 1 compacts every zone.
fn write_compact_memory(s: &str) -> Result<(), Errno> {
    if parse_int(s)? != 1 {
        return Err(EINVAL);
    }
    kernel().mm.compact_memory();
    Ok(())
}

fn write_min_free_kbytes(s: &str) -> Result<(), Errno> {
    let v = parse_int(s)?;
    let v = usize::try_from(v).map_err(|_| EINVAL)?;
    kernel().mm.set_min_free_kbytes(v).map_err(|_| EINVAL)
}

/// `drop_caches_sysctl_handler`: 1 page cache, 2 slab, 3 both.
fn write_drop_caches(s: &str) -> Result<(), Errno> {
    let v = parse_int(s)?;
    if !(1..=4).contains(&v) {
        return Err(EINVAL);
    }
    let k = kernel();
    if v & 1 != 0 {
        k.mm.events
            .count_ev(super::vmstat::VmEvent::DROP_PAGECACHE, 1);
    }
    if v & 2 != 0 {
        k.mm.shrink_slab(usize::MAX);
        k.mm.events.count_ev(super::vmstat::VmEvent::DROP_SLAB, 1);
    }
    if v & 4 == 0 {
        let (pid, _, comm) = super::glue::current();
        crate::pr_info!("{comm} ({pid}): drop_caches: {v}");
    }
    Ok(())
}

/// `mm_init()` + the procfs/debugfs registrations of mm/vmstat.c,
/// mm/slab_common.c, mm/page_owner.c and kernel/sysctl.c's vm table.
pub fn mm_init(k: &Kernel) {
    let mm = &k.mm;
    crate::pr_info!(
        "Memory: {}K/{}K available ({} nodes, page_alloc={}, pageblock_order {})",
        mm.nr_free_pages() * 4,
        mm.mem_map.len() * 4,
        mm.nodes.len(),
        mm.policy.name(),
        mm.pageblock_order
    );
    for n in &mm.nodes {
        for z in &n.zones {
            if z.populated() {
                crate::pr_info!(
                    "  node {} zone {:<7} [mem {:#018x}-{:#018x}]",
                    n.node_id,
                    z.name,
                    z.zone_start_pfn << 12,
                    (z.zone_end_pfn() << 12) - 1
                );
            }
        }
    }
    let p = &k.procfs;
    let files: [(&str, u32, crate::fs::seq_file::ShowFn); 6] = [
        ("buddyinfo", 0o444, show_buddyinfo),
        ("pagetypeinfo", 0o400, show_pagetypeinfo),
        ("zoneinfo", 0o444, show_zoneinfo),
        ("vmstat", 0o444, show_vmstat),
        ("meminfo", 0o444, show_meminfo),
        ("slabinfo", 0o400, show_slabinfo),
    ];
    for (name, mode, show) in files {
        if p.create_single(name, mode, show).is_err() {
            crate::pr_err!("mm: cannot create /proc/{name}");
        }
    }
    let _ = p.mkdir("sys");
    let _ = p.mkdir("sys/vm");
    let _ = p.create_rw(
        "sys/vm/compact_memory",
        0o200,
        show_nothing,
        write_compact_memory,
    );
    let _ = p.create_rw(
        "sys/vm/min_free_kbytes",
        0o644,
        show_min_free_kbytes,
        write_min_free_kbytes,
    );
    let _ = p.create_rw("sys/vm/drop_caches", 0o200, show_nothing, write_drop_caches);
    let d = &k.debugfs;
    let _ = d.mkdir("extfrag");
    let _ = d.create_single("extfrag/unusable_index", 0o444, show_unusable);
    let _ = d.create_single("extfrag/extfrag_index", 0o444, show_extfrag);
    if mm.page_owner.is_some() {
        let _ = d.create_single("page_owner", 0o400, show_page_owner);
    } else {
        crate::pr_info!("page_owner is disabled");
    }
}
