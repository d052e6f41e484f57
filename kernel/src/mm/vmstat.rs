//! VM statistics and the /proc + debugfs views of the allocator:
//! Linux's mm/vmstat.c.
//!
//! Mechanism: zone counters (`vm_zone_stat`), node counters (`vm_node_stat`)
//! and per-CPU event counters (`vm_event_states`, summed on read as
//! `all_vm_events()` does), with Linux's names in Linux's order. The text
//! generators reproduce Linux's `seq_printf` formats byte for byte:
//! /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo, /proc/vmstat and
//! debugfs extfrag/{unusable_index,extfrag_index} (trailing spaces included).
//!
//! Invariants: readers never take a lock longer than one zone's walk; event
//! counters are only ever incremented (`this_cpu_add`), so a sum is a
//! consistent lower bound while allocations run.

use super::mmzone::{MigrateType, PgData, Zone, MAX_NR_ZONES, MAX_ORDER, MIGRATE_TYPES};
use super::page::PageFlag;
use super::Mm;
use crossbeam_utils::CachePadded;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

pub const NR_VM_ZONE_STAT_ITEMS: usize = 11;
pub const ZONE_STAT_NAMES: [&str; NR_VM_ZONE_STAT_ITEMS] = [
    "nr_free_pages",
    "nr_zone_inactive_anon",
    "nr_zone_active_anon",
    "nr_zone_inactive_file",
    "nr_zone_active_file",
    "nr_zone_unevictable",
    "nr_zone_write_pending",
    "nr_mlock",
    "nr_bounce",
    "nr_zspages",
    "nr_free_cma",
];
pub const NR_FREE_PAGES: usize = 0;

pub const NUMA_STAT_NAMES: [&str; 6] = [
    "numa_hit",
    "numa_miss",
    "numa_foreign",
    "numa_interleave",
    "numa_local",
    "numa_other",
];
pub const NUMA_HIT: usize = 0;
pub const NUMA_MISS: usize = 1;
pub const NUMA_FOREIGN: usize = 2;
pub const NUMA_LOCAL: usize = 4;
pub const NUMA_OTHER: usize = 5;

pub const NR_VM_NODE_STAT_ITEMS: usize = 39;
pub const NODE_STAT_NAMES: [&str; NR_VM_NODE_STAT_ITEMS] = [
    "nr_inactive_anon",
    "nr_active_anon",
    "nr_inactive_file",
    "nr_active_file",
    "nr_unevictable",
    "nr_slab_reclaimable",
    "nr_slab_unreclaimable",
    "nr_isolated_anon",
    "nr_isolated_file",
    "workingset_nodes",
    "workingset_refault_anon",
    "workingset_refault_file",
    "workingset_activate_anon",
    "workingset_activate_file",
    "workingset_restore_anon",
    "workingset_restore_file",
    "workingset_nodereclaim",
    "nr_anon_pages",
    "nr_mapped",
    "nr_file_pages",
    "nr_dirty",
    "nr_writeback",
    "nr_writeback_temp",
    "nr_shmem",
    "nr_shmem_hugepages",
    "nr_shmem_pmdmapped",
    "nr_file_hugepages",
    "nr_file_pmdmapped",
    "nr_anon_transparent_hugepages",
    "nr_vmscan_write",
    "nr_vmscan_immediate_reclaim",
    "nr_dirtied",
    "nr_written",
    "nr_kernel_misc_reclaimable",
    "nr_foll_pin_acquired",
    "nr_foll_pin_released",
    "nr_kernel_stack",
    "nr_page_table_pages",
    "nr_swapcached",
];
pub const NR_SLAB_RECLAIMABLE_B: usize = 5;
pub const NR_SLAB_UNRECLAIMABLE_B: usize = 6;
pub const NR_ANON_PAGES: usize = 17;
pub const NR_MAPPED: usize = 18;
pub const NR_FILE_PAGES: usize = 19;
pub const NR_DIRTY: usize = 20;
pub const NR_WRITEBACK: usize = 21;
pub const NR_SHMEM: usize = 23;
pub const NR_KERNEL_STACK_KB: usize = 36;
pub const NR_PAGETABLE: usize = 37;

/// `enum vm_event_item`, the subset usk counts, in Linux's order.
pub const VM_EVENT_NAMES: &[&str] = &[
    "pgpgin",
    "pgpgout",
    "pswpin",
    "pswpout",
    "pgalloc_dma",
    "pgalloc_normal",
    "pgalloc_movable",
    "allocstall_dma",
    "allocstall_normal",
    "allocstall_movable",
    "pgskip_dma",
    "pgskip_normal",
    "pgskip_movable",
    "pgfree",
    "pgactivate",
    "pgdeactivate",
    "pglazyfree",
    "pgfault",
    "pgmajfault",
    "pglazyfreed",
    "pgrefill",
    "pgreuse",
    "pgsteal_kswapd",
    "pgsteal_direct",
    "pgscan_kswapd",
    "pgscan_direct",
    "pgscan_direct_throttle",
    "pgscan_anon",
    "pgscan_file",
    "pgsteal_anon",
    "pgsteal_file",
    "zone_reclaim_failed",
    "pginodesteal",
    "slabs_scanned",
    "kswapd_inodesteal",
    "kswapd_low_wmark_hit_quickly",
    "kswapd_high_wmark_hit_quickly",
    "pageoutrun",
    "pgrotated",
    "drop_pagecache",
    "drop_slab",
    "oom_kill",
    "pgmigrate_success",
    "pgmigrate_fail",
    "thp_migration_success",
    "thp_migration_fail",
    "thp_migration_split",
    "compact_migrate_scanned",
    "compact_free_scanned",
    "compact_isolated",
    "compact_stall",
    "compact_fail",
    "compact_success",
    "compact_daemon_wake",
    "compact_daemon_migrate_scanned",
    "compact_daemon_free_scanned",
    "htlb_buddy_alloc_success",
    "htlb_buddy_alloc_fail",
    "unevictable_pgs_culled",
    "unevictable_pgs_scanned",
    "unevictable_pgs_rescued",
    "unevictable_pgs_mlocked",
    "unevictable_pgs_munlocked",
    "unevictable_pgs_cleared",
    "unevictable_pgs_stranded",
    "balloon_inflate",
    "balloon_deflate",
    "balloon_migrate",
    "swap_ra",
    "swap_ra_hit",
];

/// Indices into [`VM_EVENT_NAMES`].
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug)]
pub enum VmEvent {
    PGALLOC_DMA = 4,
    ALLOCSTALL_DMA = 7,
    PGFREE = 13,
    PGFAULT = 17,
    SLABS_SCANNED = 33,
    DROP_PAGECACHE = 39,
    DROP_SLAB = 40,
    PGMIGRATE_SUCCESS = 42,
    PGMIGRATE_FAIL = 43,
    COMPACTMIGRATE_SCANNED = 47,
    COMPACTFREE_SCANNED = 48,
    COMPACTISOLATED = 49,
    COMPACTSTALL = 50,
    COMPACTFAIL = 51,
    COMPACTSUCCESS = 52,
}
pub const NR_VM_EVENT_ITEMS: usize = 70;

/// One CPU's counters.
pub(crate) struct CpuStats {
    ev: [AtomicU64; NR_VM_EVENT_ITEMS],
    /// `numa_*` events per node, counted on the allocating CPU.
    numa: Box<[[AtomicU64; 6]]>,
}

/// Per-CPU event counters (`vm_event_states`). Each CPU's counters are
/// written only by the task holding that CPU, so an increment is a plain
/// load + store (`this_cpu_add`), not a locked read-modify-write; readers
/// sum all CPUs. (A host thread that never called `glue::set_cpu` counts as
/// CPU 0; several such threads may lose increments, never corrupt memory.)
pub struct VmEvents {
    cpus: Box<[CachePadded<CpuStats>]>,
}

#[inline]
fn this_cpu_add(v: &AtomicU64, d: u64) {
    v.store(v.load(Ordering::Relaxed).wrapping_add(d), Ordering::Relaxed);
}

impl CpuStats {
    /// `__count_vm_events()`.
    #[inline]
    pub(crate) fn count(&self, item: usize, delta: u64) {
        this_cpu_add(&self.ev[item], delta);
    }
    /// `__count_numa_event()`.
    #[inline]
    pub(crate) fn count_numa(&self, node: usize, item: usize) {
        if let Some(n) = self.numa.get(node) {
            this_cpu_add(&n[item], 1);
        }
    }
}

impl VmEvents {
    pub fn new(nr_cpus: usize, nr_nodes: usize) -> Self {
        VmEvents {
            cpus: (0..nr_cpus.max(1))
                .map(|_| {
                    CachePadded::new(CpuStats {
                        ev: std::array::from_fn(|_| AtomicU64::new(0)),
                        numa: (0..nr_nodes.max(1))
                            .map(|_| std::array::from_fn(|_| AtomicU64::new(0)))
                            .collect(),
                    })
                })
                .collect(),
        }
    }
    /// The current CPU's counters, for several updates after one lookup.
    #[inline]
    pub(crate) fn this(&self) -> &CpuStats {
        &self.cpus[super::glue::cpu_index(self.cpus.len())]
    }
    /// CPU `cpu`'s counters (the caller runs on it, e.g. under its pcp
    /// lock); any other index means the current CPU.
    #[inline]
    pub(crate) fn on(&self, cpu: usize) -> &CpuStats {
        match self.cpus.get(cpu) {
            Some(c) => c,
            None => self.this(),
        }
    }
    /// `count_vm_events()` on the current CPU.
    #[inline]
    pub fn count(&self, item: usize, delta: u64) {
        self.this().count(item, delta);
    }
    #[inline]
    pub fn count_ev(&self, ev: VmEvent, delta: u64) {
        self.count(ev as usize, delta)
    }
    /// `all_vm_events()`.
    pub fn all(&self) -> [u64; NR_VM_EVENT_ITEMS] {
        let mut v = [0u64; NR_VM_EVENT_ITEMS];
        for c in self.cpus.iter() {
            for (i, x) in c.ev.iter().enumerate() {
                v[i] += x.load(Ordering::Relaxed);
            }
        }
        v
    }
    pub fn get(&self, ev: VmEvent) -> u64 {
        self.all()[ev as usize]
    }
    #[inline]
    pub fn count_numa(&self, node: usize, item: usize) {
        self.this().count_numa(node, item);
    }
    pub fn numa(&self, node: usize) -> [u64; 6] {
        let mut v = [0; 6];
        for c in self.cpus.iter() {
            if let Some(n) = c.numa.get(node) {
                for (i, x) in n.iter().enumerate() {
                    v[i] += x.load(Ordering::Relaxed);
                }
            }
        }
        if self.cpus.first().is_some_and(|c| c.numa.len() == 1) {
            v[NUMA_LOCAL] = v[NUMA_HIT];
        }
        v
    }
}

/// Free-block counts of one zone, snapshotted under zone->lock.
pub struct ZoneSnapshot {
    pub nr_free: [usize; MAX_ORDER],
    pub by_type: [[usize; MAX_ORDER]; MIGRATE_TYPES],
}

impl Mm {
    pub fn zone_snapshot(&self, zone: &Zone) -> ZoneSnapshot {
        let fa = zone.lock.lock();
        let mut s = ZoneSnapshot {
            nr_free: [0; MAX_ORDER],
            by_type: [[0; MAX_ORDER]; MIGRATE_TYPES],
        };
        for o in 0..MAX_ORDER {
            s.nr_free[o] = fa.free_area[o].nr_free;
            for t in 0..MIGRATE_TYPES {
                s.by_type[t][o] = fa.free_area[o].free_list[t].len;
            }
        }
        // gorman2005's free_area_global holds untyped MAX_ORDER-1 blocks;
        // pagetypeinfo shows them under the type of their (unclaimed) block.
        for pfn in fa.global.iter(&self.mem_map) {
            let t = zone.get_pageblock_migratetype(pfn) as usize;
            s.by_type[t][MAX_ORDER - 1] += 1;
        }
        s
    }

    fn populated_zones(&self) -> impl Iterator<Item = (&PgData, &Zone)> {
        self.nodes
            .iter()
            .flat_map(|n| n.zones.iter().map(move |z| (n, z)))
            .filter(|(_, z)| z.populated())
    }

    /// /proc/buddyinfo (`frag_show_print`).
    pub fn buddyinfo(&self) -> String {
        let mut m = String::new();
        for (n, z) in self.populated_zones() {
            let s = self.zone_snapshot(z);
            let _ = write!(m, "Node {}, zone {:>8} ", n.node_id, z.name);
            for o in 0..MAX_ORDER {
                let _ = write!(m, "{:6} ", s.nr_free[o]);
            }
            m.push('\n');
        }
        m
    }

    /// /proc/pagetypeinfo (`pagetypeinfo_show`), per node.
    pub fn pagetypeinfo(&self) -> String {
        let mut m = String::new();
        for n in &self.nodes {
            let _ = writeln!(m, "Page block order: {}", self.pageblock_order);
            let _ = writeln!(m, "Pages per block:  {}", 1usize << self.pageblock_order);
            m.push('\n');
            // pagetypeinfo_showfree
            let _ = write!(m, "{:<43} ", "Free pages count per migrate type at order");
            for o in 0..MAX_ORDER {
                let _ = write!(m, "{o:6} ");
            }
            m.push('\n');
            for z in n.zones.iter().filter(|z| z.populated()) {
                let s = self.zone_snapshot(z);
                for t in MigrateType::ALL {
                    let _ = write!(
                        m,
                        "Node {:4}, zone {:>8}, type {:>12} ",
                        n.node_id,
                        z.name,
                        t.name()
                    );
                    for o in 0..MAX_ORDER {
                        let c = s.by_type[t as usize][o];
                        if c >= 100000 {
                            let _ = write!(m, ">{:6} ", 100000);
                        } else {
                            let _ = write!(m, "{c:6} ");
                        }
                    }
                    m.push('\n');
                }
            }
            // pagetypeinfo_showblockcount
            let _ = write!(m, "\n{:<23}", "Number of blocks type ");
            for t in MigrateType::ALL {
                let _ = write!(m, "{:>12} ", t.name());
            }
            m.push('\n');
            for z in n.zones.iter().filter(|z| z.populated()) {
                let counts = self.pageblock_counts(z);
                let _ = write!(m, "Node {}, zone {:>8} ", n.node_id, z.name);
                for c in counts {
                    let _ = write!(m, "{c:12} ");
                }
                m.push('\n');
            }
            // pagetypeinfo_showmixedcount (only with page_owner)
            if self.page_owner.is_some() {
                let _ = write!(m, "\n{:<23}", "Number of mixed blocks ");
                for t in MigrateType::ALL {
                    let _ = write!(m, "{:>12} ", t.name());
                }
                m.push('\n');
                for z in n.zones.iter().filter(|z| z.populated()) {
                    let counts = self.mixed_pageblock_counts(z);
                    let _ = write!(m, "Node {}, zone {:>8} ", n.node_id, z.name);
                    for c in counts {
                        let _ = write!(m, "{c:12} ");
                    }
                    m.push('\n');
                }
            }
        }
        m
    }

    /// Pageblocks per migrate type (`pagetypeinfo_showblockcount_print`).
    pub fn pageblock_counts(&self, z: &Zone) -> [usize; MIGRATE_TYPES] {
        let mut c = [0; MIGRATE_TYPES];
        for i in 0..z.nr_pageblocks() {
            let pfn = ((z.zone_start_pfn >> z.pageblock_order) + i) << z.pageblock_order;
            c[z.get_pageblock_migratetype(pfn.max(z.zone_start_pfn)) as usize] += 1;
        }
        c
    }

    /// Pageblocks holding an allocated page of another mobility type
    /// (`pagetypeinfo_showmixedcount_print`): needs page_owner's gfp masks
    /// when it is on, else uses the type each allocation was tagged with.
    pub fn mixed_pageblock_counts(&self, z: &Zone) -> [usize; MIGRATE_TYPES] {
        let mut c = [0; MIGRATE_TYPES];
        let pb = 1usize << z.pageblock_order;
        let mut pfn = z.zone_start_pfn;
        while pfn < z.zone_end_pfn() {
            let end = ((pfn / pb) + 1) * pb;
            let end = end.min(z.zone_end_pfn());
            let bmt = z.get_pageblock_migratetype(pfn);
            let mut p = pfn;
            while p < end {
                let page = &self.mem_map[p];
                if page.test(PageFlag::Buddy) {
                    p += 1 << page.buddy_order().min(MAX_ORDER as u32 - 1);
                    continue;
                }
                match self.page_alloc_info(p) {
                    Some((order, mt)) => {
                        if mt != bmt {
                            c[bmt as usize] += 1;
                            break;
                        }
                        p += 1 << order;
                    }
                    None => p += 1,
                }
            }
            pfn = end;
        }
        c
    }

    /// `fill_contig_page_info()` → (free_pages, free_blocks_total, suitable).
    fn contig_page_info(s: &ZoneSnapshot, order: usize) -> (u64, u64, u64) {
        let (mut free_pages, mut total, mut suitable) = (0u64, 0u64, 0u64);
        for (o, &n) in s.nr_free.iter().enumerate() {
            let n = n as u64;
            total += n;
            free_pages += n << o;
            if o >= order {
                suitable += n << (o - order);
            }
        }
        (free_pages, total, suitable)
    }

    /// `unusable_free_index()` ×1000.
    pub fn unusable_free_index(s: &ZoneSnapshot, order: usize) -> i64 {
        let (free, _, suitable) = Self::contig_page_info(s, order);
        if free == 0 {
            return 1000;
        }
        ((free - (suitable << order)) * 1000 / free) as i64
    }

    /// `__fragmentation_index()` ×1000.
    pub fn fragmentation_index(s: &ZoneSnapshot, order: usize) -> i64 {
        let (free, total, suitable) = Self::contig_page_info(s, order);
        if total == 0 {
            return 0;
        }
        if suitable > 0 {
            return -1000;
        }
        let requested = 1u64 << order;
        1000 - ((1000 + free * 1000 / requested) / total) as i64
    }

    /// debugfs extfrag/unusable_index.
    pub fn unusable_index(&self) -> String {
        let mut m = String::new();
        for (n, z) in self.populated_zones() {
            let s = self.zone_snapshot(z);
            let _ = write!(m, "Node {}, zone {:>8} ", n.node_id, z.name);
            for o in 0..MAX_ORDER {
                let i = Self::unusable_free_index(&s, o);
                let _ = write!(m, "{}.{:03} ", i / 1000, i % 1000);
            }
            m.push('\n');
        }
        m
    }

    /// debugfs extfrag/extfrag_index.
    pub fn extfrag_index(&self) -> String {
        let mut m = String::new();
        for (n, z) in self.populated_zones() {
            let s = self.zone_snapshot(z);
            let _ = write!(m, "Node {}, zone {:>8} ", n.node_id, z.name);
            for o in 0..MAX_ORDER {
                let i = Self::fragmentation_index(&s, o);
                // C's "%2d.%03d" with truncating division
                let _ = write!(m, "{:2}.{:03} ", i / 1000, (i % 1000).abs());
            }
            m.push('\n');
        }
        m
    }

    fn zone_stat(&self, z: &Zone, i: usize) -> i64 {
        if i == NR_FREE_PAGES {
            z.free_pages()
        } else {
            z.vm_stat[i].load(Ordering::Relaxed)
        }
    }

    pub fn node_stat(&self, n: &PgData, i: usize) -> i64 {
        n.vm_stat[i].load(Ordering::Relaxed)
    }

    pub fn global_node_stat(&self, i: usize) -> i64 {
        self.nodes.iter().map(|n| self.node_stat(n, i)).sum()
    }

    /// /proc/zoneinfo (`zoneinfo_show_print`, per-node stats first).
    pub fn zoneinfo(&self) -> String {
        let mut m = String::new();
        for n in &self.nodes {
            let first_populated = n.zones.iter().position(|z| z.populated());
            for (zi, z) in n.zones.iter().enumerate() {
                let _ = write!(m, "Node {}, zone {:>8}", n.node_id, z.name);
                if Some(zi) == first_populated {
                    m.push_str("\n  per-node stats");
                    for (i, name) in NODE_STAT_NAMES.iter().enumerate() {
                        let _ = write!(m, "\n      {:<12} {}", name, self.node_stat(n, i).max(0));
                    }
                }
                let _ = write!(
                    m,
                    "\n  pages free     {}\n        boost    {}\n        min      {}\n        low      {}\n        high     {}\n        spanned  {}\n        present  {}\n        managed  {}\n        cma      {}",
                    z.free_pages().max(0),
                    0,
                    z.wmark(super::mmzone::WMARK_MIN),
                    z.wmark(super::mmzone::WMARK_LOW),
                    z.wmark(super::mmzone::WMARK_HIGH),
                    z.spanned_pages,
                    z.present_pages,
                    z.managed(),
                    0
                );
                let _ = write!(m, "\n        protection: (");
                for j in 0..MAX_NR_ZONES {
                    if j > 0 {
                        m.push_str(", ");
                    }
                    let _ = write!(m, "{}", z.lowmem_reserve[j].load(Ordering::Relaxed));
                }
                m.push(')');
                if !z.populated() {
                    m.push('\n');
                    continue;
                }
                for (i, name) in ZONE_STAT_NAMES.iter().enumerate() {
                    let _ = write!(m, "\n      {:<12} {}", name, self.zone_stat(z, i).max(0));
                }
                let numa = if z.zone_type == super::mmzone::ZoneType::Normal
                    || n.zones[1].present_pages == 0
                {
                    self.events.numa(n.node_id)
                } else {
                    [0; 6]
                };
                for (i, name) in NUMA_STAT_NAMES.iter().enumerate() {
                    let _ = write!(m, "\n      {:<12} {}", name, numa[i]);
                }
                m.push_str("\n  pagesets");
                for (cpu, pcp) in z.pcp.iter().enumerate() {
                    let p = pcp.lock();
                    let _ = write!(
                        m,
                        "\n    cpu: {}\n              count: {}\n              high:  {}\n              batch: {}\n  vm stats threshold: {}",
                        cpu, p.count, p.high, p.batch, self.stat_threshold(z)
                    );
                }
                let _ = write!(
                    m,
                    "\n  node_unreclaimable:  {}\n  start_pfn:           {}\n",
                    0, z.zone_start_pfn
                );
            }
        }
        m
    }

    /// `calculate_normal_threshold()`.
    fn stat_threshold(&self, z: &Zone) -> usize {
        let mem = z.managed() >> (27 - 12);
        let cpus = self.nr_cpus.max(1);
        let fls = |x: usize| (usize::BITS - x.leading_zeros()) as usize;
        (2 * fls(cpus) * (1 + fls(mem))).min(125)
    }

    /// /proc/vmstat (`vmstat_show`).
    pub fn vmstat(&self) -> String {
        let mut m = String::new();
        for (i, name) in ZONE_STAT_NAMES.iter().enumerate() {
            let v: i64 = self
                .populated_zones()
                .map(|(_, z)| self.zone_stat(z, i))
                .sum();
            let _ = writeln!(m, "{} {}", name, v.max(0));
        }
        for (i, name) in NUMA_STAT_NAMES.iter().enumerate() {
            let v: u64 = self
                .nodes
                .iter()
                .map(|n| self.events.numa(n.node_id)[i])
                .sum();
            let _ = writeln!(m, "{name} {v}");
        }
        for (i, name) in NODE_STAT_NAMES.iter().enumerate() {
            let mut v = self.global_node_stat(i).max(0);
            // the _B items are kept in bytes by Linux but shown in pages
            if i == NR_SLAB_RECLAIMABLE_B || i == NR_SLAB_UNRECLAIMABLE_B {
                v >>= 12;
            }
            let _ = writeln!(m, "{name} {v}");
        }
        let (bg, dirty) = self.dirty_thresholds();
        let _ = writeln!(m, "nr_dirty_threshold {dirty}");
        let _ = writeln!(m, "nr_dirty_background_threshold {bg}");
        let ev = self.events.all();
        for (i, name) in VM_EVENT_NAMES.iter().enumerate() {
            let _ = writeln!(m, "{} {}", name, ev[i]);
        }
        m.push_str("nr_unstable 0\n");
        m
    }

    /// `global_dirty_limits()` with the default ratios (10 %, 20 %).
    fn dirty_thresholds(&self) -> (u64, u64) {
        let avail = self.nr_free_pages() + self.global_node_stat(NR_FILE_PAGES).max(0) as u64;
        (avail * 10 / 100, avail * 20 / 100)
    }
}
