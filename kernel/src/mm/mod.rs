//! Memory management: Linux's mm/ directory.
//!
//! What is here: physical memory and the `mem_map` of `struct page`
//! (page.rs), nodes/zones/free areas (mmzone.rs), the buddy allocator with
//! its three grouping-by-mobility policies (page_alloc.rs), compaction and
//! page migration (compaction.rs, migrate.rs), the slab allocator and
//! kmalloc (slab.rs), page_owner and its stack depot (page_owner.rs,
//! stackdepot.rs), kswapd/kcompactd (vmscan.rs), Linux's text views
//! (vmstat.rs, meminfo in this file) and their /proc, /proc/sys/vm and
//! debugfs files (procfs.rs), the boot self-test (selftest.rs), and the few
//! core services mm uses (glue.rs). User address spaces: `mm_struct` and
//! VMAs (mm_types.rs), software page tables (pgtable.rs), faults and COW
//! (memory.rs), the mapping calls (mmap.rs), shared anonymous memory
//! (shmem.rs), the reverse map that lets compaction move user pages
//! (rmap.rs), the software MMU and uaccess (uaccess.rs), and their /proc
//! views (task_mmu.rs).
//!
//! [`Mm`] is the whole subsystem for one kernel instance: a booted kernel
//! keeps one in its `Kernel` struct (built before `start_kernel`, published
//! by `mm_init()`); tests, benchmarks and `usk exp fragmentation` can build
//! one directly from an [`MmConfig`] and drive it from plain host threads,
//! because the allocator itself needs no scheduler.
//!
//! Address model: the kernel's direct map starts at `PAGE_OFFSET`
//! (0xffff888000000000, as on x86-64), so `page_address(pfn)` is
//! `PAGE_OFFSET + (pfn << PAGE_SHIFT)` and `virt_to_page` is its inverse.
//!
//! Invariants: after `Mm::new` every frame but pfn 0 (reserved, as Linux
//! reserves the first page) is free in the buddy allocator of exactly one
//! zone; `totalram_pages` = sum of zones' managed pages.

#![forbid(unsafe_code)]

pub mod compaction;
pub mod gfp;
pub mod glue;
pub mod memory;
pub mod migrate;
pub mod mm_types;
pub mod mmap;
pub mod mmzone;
pub mod oom_kill;
pub mod page;
pub mod page_alloc;
pub mod page_owner;
pub mod pgtable;
pub mod procfs;
pub mod rmap;
pub mod selftest;
pub mod shmem;
pub mod slab;
pub mod stackdepot;
pub mod task_mmu;
pub mod uaccess;
pub mod vmscan;
pub mod vmstat;

use crate::kernel::locking::HostSpinLock;
use hw::physmem::PhysMem;
use mmzone::*;
use page::{Page, PageFlag, Pfn};
use parking_lot::Mutex;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicUsize, Ordering};

pub use gfp::*;
pub use mm_types::{
    FaultError, MmStruct, Vma, ELF_ET_DYN_BASE_BRK, SEGV_ACCERR, SEGV_MAPERR, STACK_RLIMIT,
    STACK_TOP, TASK_SIZE, TASK_UNMAPPED_BASE,
};
pub use mmzone::{GroupingPolicy, MigrateType, MAX_ORDER};
pub use procfs::mm_init;

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
pub const PAGE_OFFSET: u64 = 0xffff_8880_0000_0000;
/// The DMA zone covers the first 16 MiB.
pub const MAX_DMA_PFN: usize = (16 << 20) >> PAGE_SHIFT;

/// `page_address()`: the direct-map address of a frame.
pub fn page_address(pfn: Pfn) -> u64 {
    PAGE_OFFSET + ((pfn as u64) << PAGE_SHIFT)
}

/// `virt_to_pfn()`: None for an address outside the direct map.
pub fn virt_to_pfn(addr: u64) -> Option<Pfn> {
    addr.checked_sub(PAGE_OFFSET)
        .filter(|off| *off < (1u64 << 46))
        .map(|off| (off >> PAGE_SHIFT) as usize)
}

/// Errors from configuring or driving mm (never a panic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MmError {
    /// A boot parameter or sysctl value that makes no sense.
    Invalid(String),
    /// The host refused the memory.
    Host(String),
}

impl fmt::Display for MmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MmError::Invalid(s) => write!(f, "mm: {s}"),
            MmError::Host(s) => write!(f, "mm: host: {s}"),
        }
    }
}

impl std::error::Error for MmError {}

/// Boot-time configuration of the memory subsystem.
#[derive(Debug, Clone)]
pub struct MmConfig {
    /// Bytes of RAM (`--mem`).
    pub mem_bytes: u64,
    /// NUMA nodes (`--numa N`).
    pub nr_nodes: usize,
    pub nr_cpus: usize,
    /// `page_alloc=vanilla|gorman2005|pageblock`.
    pub policy: GroupingPolicy,
    /// `page_owner=on`.
    pub page_owner: bool,
    /// Direct compaction on allocation failure (`CONFIG_COMPACTION`); the
    /// pageblock policy has it, the 2005 designs did not. `compaction=on|off`
    /// on the command line overrides (usk's stand-in for the build option).
    pub compaction: Option<bool>,
}

impl Default for MmConfig {
    fn default() -> Self {
        MmConfig {
            mem_bytes: 128 << 20,
            nr_nodes: 1,
            nr_cpus: 1,
            policy: GroupingPolicy::Pageblock,
            page_owner: false,
            compaction: None,
        }
    }
}

impl MmConfig {
    /// Applies the mm parameters of a kernel command line
    /// (`page_alloc=`, `page_owner=`); unknown words are left to others.
    pub fn apply_cmdline(&mut self, cmdline: &str) -> Result<(), MmError> {
        for word in cmdline.split_whitespace() {
            if let Some(v) = word.strip_prefix("page_alloc=") {
                self.policy = GroupingPolicy::parse(v).ok_or_else(|| {
                    MmError::Invalid(format!(
                        "page_alloc={v}: expected vanilla, gorman2005 or pageblock"
                    ))
                })?;
            } else if let Some(v) = word.strip_prefix("compaction=") {
                // usk's stand-in for building without CONFIG_COMPACTION
                self.compaction = match v {
                    "on" => Some(true),
                    "off" => Some(false),
                    _ => {
                        return Err(MmError::Invalid(format!(
                            "compaction={v}: expected on or off"
                        )))
                    }
                };
            } else if let Some(v) = word.strip_prefix("page_owner=") {
                self.page_owner = match v {
                    "on" => true,
                    "off" => false,
                    _ => return Err(MmError::Invalid(format!("page_owner={v}: expected on"))),
                };
            }
        }
        Ok(())
    }

    /// The configuration a booting kernel asks for: its memory, `--numa`,
    /// CPU count and the mm words of its command line.
    pub fn for_boot(
        mem_bytes: u64,
        nr_nodes: usize,
        nr_cpus: usize,
        cmdline: &str,
    ) -> Result<MmConfig, MmError> {
        let mut c = MmConfig {
            mem_bytes,
            nr_nodes,
            nr_cpus,
            ..Default::default()
        };
        c.apply_cmdline(cmdline)?;
        Ok(c)
    }

    /// Parses a size such as `512M`, `1G`, `65536K` or plain bytes.
    pub fn parse_size(s: &str) -> Result<u64, MmError> {
        let s = s.trim();
        let (num, mul) = match s.chars().last() {
            Some('K' | 'k') => (&s[..s.len() - 1], 1u64 << 10),
            Some('M' | 'm') => (&s[..s.len() - 1], 1 << 20),
            Some('G' | 'g') => (&s[..s.len() - 1], 1 << 30),
            _ => (s, 1),
        };
        num.parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mul))
            .ok_or_else(|| MmError::Invalid(format!("bad memory size '{s}'")))
    }
}

/// The memory-management state of one kernel.
pub struct Mm {
    pub physmem: PhysMem,
    pub mem_map: Box<[Page]>,
    pub nodes: Vec<PgData>,
    pub policy: GroupingPolicy,
    pub pageblock_order: u32,
    pub nr_cpus: usize,
    pub min_free_kbytes: AtomicUsize,
    pub watermark_scale_factor: usize,
    pub compaction: bool,
    pub events: vmstat::VmEvents,
    pub page_owner: Option<page_owner::PageOwner>,
    pub movable: migrate::MovableRegistry,
    /// The reverse map of user anonymous pages (their movable-page owner).
    pub anon_rmap: std::sync::Arc<rmap::AnonRmap>,
    pub slab: slab::Slab,
    pub kswapd: vmscan::Kswapd,
    pub log: glue::Log,
    pub(crate) tainted_bad_page: AtomicBool,
    pub(crate) compact_lock: Mutex<()>,
}

impl fmt::Debug for Mm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mm")
            .field("pages", &self.mem_map.len())
            .field("policy", &self.policy)
            .finish()
    }
}

impl Mm {
    /// Builds the memory subsystem: `free_area_init` + `memblock_free_all`.
    pub fn new(cfg: &MmConfig) -> Result<Mm, MmError> {
        if !cfg.mem_bytes.is_multiple_of(PAGE_SIZE as u64) {
            return Err(MmError::Invalid(format!(
                "memory size {} is not a multiple of 4096",
                cfg.mem_bytes
            )));
        }
        let total_pages = (cfg.mem_bytes / PAGE_SIZE as u64) as usize;
        let nr_nodes = cfg.nr_nodes.max(1);
        if nr_nodes > 64 {
            return Err(MmError::Invalid(format!(
                "--numa {nr_nodes}: at most 64 nodes"
            )));
        }
        // one node may be all DMA (a 16 MiB machine); more nodes need room
        // for a MAX_ORDER block each beyond the DMA zone
        let min_pages = if nr_nodes == 1 {
            MAX_DMA_PFN
        } else {
            MAX_DMA_PFN + nr_nodes * MAX_ORDER_NR_PAGES
        };
        if total_pages < min_pages {
            return Err(MmError::Invalid(format!(
                "{} MiB of memory is too little for {nr_nodes} node(s): need at least {} MiB",
                cfg.mem_bytes >> 20,
                (min_pages * PAGE_SIZE) >> 20
            )));
        }
        if total_pages > u32::MAX as usize - 1 {
            return Err(MmError::Invalid("memory above 16 TiB".into()));
        }
        let physmem = PhysMem::new(cfg.mem_bytes).map_err(|e| MmError::Host(e.to_string()))?;
        let nr_cpus = cfg.nr_cpus.max(1);
        let pageblock_order = cfg.policy.pageblock_order();

        // node spans, MAX_ORDER aligned
        let per_node = (total_pages / nr_nodes) & !(MAX_ORDER_NR_PAGES - 1);
        let mut spans = Vec::new();
        for nid in 0..nr_nodes {
            let start = nid * per_node;
            let end = if nid == nr_nodes - 1 {
                total_pages
            } else {
                start + per_node
            };
            spans.push((start, end));
        }
        let mut zone_of = vec![(0u8, 1u8); 0];
        zone_of.reserve(total_pages);
        let mut nodes = Vec::new();
        for (nid, &(start, end)) in spans.iter().enumerate() {
            let make_zone = |zt: ZoneType, zs: Pfn, ze: Pfn| {
                let spanned = ze.saturating_sub(zs);
                let nr_pb = if spanned == 0 {
                    0
                } else {
                    ((ze - 1) >> pageblock_order) - (zs >> pageblock_order) + 1
                };
                Zone {
                    name: ZONE_NAMES[zt as usize],
                    zone_type: zt,
                    node: nid,
                    zone_start_pfn: if spanned == 0 { 0 } else { zs },
                    spanned_pages: spanned,
                    present_pages: spanned,
                    managed_pages: AtomicUsize::new(0),
                    watermark: Default::default(),
                    lowmem_reserve: Default::default(),
                    lock: Mutex::new(FreeAreas::default()),
                    // the boot pageset (high 0, batch 1) until
                    // setup_per_zone_wmarks() sizes it (zone_pcp_update)
                    pcp: (0..nr_cpus)
                        .map(|_| {
                            HostSpinLock::new(PerCpuPages {
                                batch: 1,
                                ..Default::default()
                            })
                        })
                        .collect(),
                    pageblock_flags: (0..nr_pb)
                        .map(|_| AtomicU8::new(MigrateType::Movable as u8))
                        .collect(),
                    pageblock_order,
                    nr_free_pages: AtomicI64::new(0),
                    free_orders: Default::default(),
                    nr_reserved_highatomic: AtomicUsize::new(0),
                    reclaim_active: AtomicBool::new(false),
                    vm_stat: Default::default(),
                }
            };
            let (dma, normal) = if nid == 0 {
                (
                    make_zone(ZoneType::Dma, 1, MAX_DMA_PFN.min(end)),
                    make_zone(ZoneType::Normal, MAX_DMA_PFN.min(end), end),
                )
            } else {
                (
                    make_zone(ZoneType::Dma, 0, 0),
                    make_zone(ZoneType::Normal, start, end),
                )
            };
            let movable = make_zone(ZoneType::Movable, 0, 0);
            nodes.push(PgData {
                node_id: nid,
                node_start_pfn: start,
                node_spanned_pages: end - start,
                zones: [dma, normal, movable],
                zonelist: Box::new([]),
                vm_stat: std::array::from_fn(|_| AtomicI64::new(0)),
            });
        }
        // build_zonelists(): node order from each node, zones high to low
        let nr_nodes = nodes.len();
        let zonelists: Vec<Box<[(usize, usize)]>> = (0..nr_nodes)
            .map(|nid| {
                (0..nr_nodes)
                    .map(|i| (nid + i) % nr_nodes)
                    .flat_map(|n| (0..MAX_NR_ZONES).rev().map(move |z| (n, z)))
                    .filter(|&(n, z)| nodes[n].zones[z].populated())
                    .collect()
            })
            .collect();
        for (node, zl) in nodes.iter_mut().zip(zonelists) {
            node.zonelist = zl;
        }
        let mem_map: Box<[Page]> = (0..total_pages)
            .map(|pfn| {
                let nid = spans
                    .iter()
                    .position(|&(s, e)| pfn >= s && pfn < e)
                    .unwrap_or(0);
                let zt = if nid == 0 && pfn < MAX_DMA_PFN {
                    ZoneType::Dma
                } else {
                    ZoneType::Normal
                };
                Page::new(nid, zt as usize)
            })
            .collect();
        let lowmem_kb = (total_pages as u64) * 4;
        let page_owner = cfg
            .page_owner
            .then(|| page_owner::PageOwner::new(total_pages));
        let movable = migrate::MovableRegistry::default();
        let anon_rmap = std::sync::Arc::new(rmap::AnonRmap::default());
        anon_rmap.set_movable_id(movable.register(anon_rmap.clone()));
        let mm = Mm {
            physmem,
            mem_map,
            nodes,
            policy: cfg.policy,
            pageblock_order,
            nr_cpus,
            min_free_kbytes: AtomicUsize::new(page_alloc::calculate_min_free_kbytes(lowmem_kb)),
            watermark_scale_factor: 10,
            compaction: cfg
                .compaction
                .unwrap_or(cfg.policy == GroupingPolicy::Pageblock),
            events: vmstat::VmEvents::new(nr_cpus, nr_nodes),
            page_owner,
            movable,
            anon_rmap,
            slab: slab::Slab::default(),
            kswapd: vmscan::Kswapd::default(),
            log: glue::Log::default(),
            tainted_bad_page: AtomicBool::new(false),
            compact_lock: Mutex::new(()),
        };
        mm.memblock_free_all();
        mm.setup_per_zone_wmarks();
        Ok(mm)
    }

    /// `memblock_free_all()`: hand every zone's frames to the buddy
    /// allocator in maximal aligned blocks, tagging pageblocks movable
    /// (unmovable when grouping is disabled), as `memmap_init_zone` does.
    fn memblock_free_all(&self) {
        for n in &self.nodes {
            for z in n.zones.iter().filter(|z| z.populated()) {
                let init_mt = if self.policy == GroupingPolicy::Vanilla {
                    MigrateType::Unmovable
                } else {
                    MigrateType::Movable
                };
                for b in z.pageblock_flags.iter() {
                    b.store(init_mt as u8, Ordering::Relaxed);
                }
                let mut fa = z.lock_zone();
                let mut pfn = z.zone_start_pfn;
                let end = z.zone_end_pfn();
                while pfn < end {
                    let mut order = (MAX_ORDER - 1) as u32;
                    while order > 0 && (pfn & ((1 << order) - 1) != 0 || pfn + (1 << order) > end) {
                        order -= 1;
                    }
                    for i in 0..(1usize << order) {
                        let p = &self.mem_map[pfn + i];
                        p.clear(PageFlag::Reserved);
                        p._refcount.store(0, Ordering::Relaxed);
                    }
                    self.__free_one_page(&mut fa, z, pfn, order, init_mt);
                    pfn += 1 << order;
                }
                z.managed_pages.store(z.present_pages, Ordering::Relaxed);
            }
        }
    }

    /// `totalram_pages()`.
    pub fn totalram_pages(&self) -> u64 {
        self.nodes
            .iter()
            .flat_map(|n| n.zones.iter())
            .map(|z| z.managed() as u64)
            .sum()
    }

    pub fn pfn_to_page(&self, pfn: Pfn) -> Option<&Page> {
        self.mem_map.get(pfn)
    }

    /// `page_to_pfn()`.
    pub fn page_to_pfn(&self, page: &Page) -> Pfn {
        let base = self.mem_map.as_ptr() as usize;
        (page as *const Page as usize - base) / std::mem::size_of::<Page>()
    }

    /// `virt_to_page()` for a direct-map address, None if outside RAM.
    pub fn virt_to_page(&self, addr: u64) -> Option<Pfn> {
        virt_to_pfn(addr).filter(|&p| p < self.mem_map.len())
    }

    pub fn compaction_enabled(&self) -> bool {
        self.compaction
    }

    /// Has a "Bad page state" been reported (TAINT_BAD_PAGE)?
    pub fn tainted_bad_page(&self) -> bool {
        self.tainted_bad_page.load(Ordering::Relaxed)
    }

    /// For pagetypeinfo's mixed-block count: the order and mobility type an
    /// allocated page was allocated with (known only with page_owner on).
    pub fn page_alloc_info(&self, pfn: Pfn) -> Option<(u32, MigrateType)> {
        self.page_owner.as_ref()?.alloc_info(pfn)
    }

    /// /proc/meminfo (`meminfo_proc_show`).
    pub fn meminfo(&self) -> String {
        use std::fmt::Write;
        let total = self.totalram_pages();
        let free = self.nr_free_pages();
        let sreclaim = (self.global_node_stat(vmstat::NR_SLAB_RECLAIMABLE_B).max(0) as u64) >> 12;
        let sunreclaim = (self
            .global_node_stat(vmstat::NR_SLAB_UNRECLAIMABLE_B)
            .max(0) as u64)
            >> 12;
        let file = self.global_node_stat(vmstat::NR_FILE_PAGES).max(0) as u64;
        let g = |i| self.global_node_stat(i).max(0) as u64;
        // si_mem_available(): free minus reserves, plus reclaimable halves
        let wmark_low: u64 = self
            .nodes
            .iter()
            .flat_map(|n| n.zones.iter())
            .map(|z| z.wmark(WMARK_LOW) as u64)
            .sum();
        let avail = (free + self.nr_pcp_pages()).saturating_sub(wmark_low) + file / 2 + sreclaim
            - (sreclaim / 2).min(wmark_low);
        let mut m = String::new();
        fn kbw(m: &mut String, name: &str, kb: u64) {
            let _ = writeln!(m, "{:<16}{:>8} kB", format!("{name}:"), kb);
        }
        let kb = |m: &mut String, name: &str, pages: u64| kbw(m, name, pages * 4);
        kb(&mut m, "MemTotal", total);
        kb(&mut m, "MemFree", free);
        kb(&mut m, "MemAvailable", avail);
        kb(&mut m, "Buffers", 0);
        kb(&mut m, "Cached", file);
        kb(&mut m, "SwapCached", 0);
        kb(&mut m, "Active", 0);
        kb(&mut m, "Inactive", 0);
        kb(&mut m, "Active(anon)", 0);
        kb(&mut m, "Inactive(anon)", 0);
        kb(&mut m, "Active(file)", 0);
        kb(&mut m, "Inactive(file)", 0);
        kb(&mut m, "Unevictable", 0);
        kb(&mut m, "Mlocked", 0);
        kb(&mut m, "SwapTotal", 0);
        kb(&mut m, "SwapFree", 0);
        kb(&mut m, "Dirty", g(vmstat::NR_DIRTY));
        kb(&mut m, "Writeback", g(vmstat::NR_WRITEBACK));
        kb(&mut m, "AnonPages", g(vmstat::NR_ANON_PAGES));
        kb(&mut m, "Mapped", g(vmstat::NR_MAPPED));
        kb(&mut m, "Shmem", g(vmstat::NR_SHMEM));
        kb(&mut m, "KReclaimable", sreclaim);
        kb(&mut m, "Slab", sreclaim + sunreclaim);
        kb(&mut m, "SReclaimable", sreclaim);
        kb(&mut m, "SUnreclaim", sunreclaim);
        kbw(&mut m, "KernelStack", g(vmstat::NR_KERNEL_STACK_KB));
        kb(&mut m, "PageTables", g(vmstat::NR_PAGETABLE));
        kb(&mut m, "NFS_Unstable", 0);
        kb(&mut m, "Bounce", 0);
        kb(&mut m, "WritebackTmp", 0);
        kb(&mut m, "CommitLimit", total / 2);
        kb(&mut m, "Committed_AS", 0);
        kbw(&mut m, "VmallocTotal", 34359738367);
        kb(&mut m, "VmallocUsed", 0);
        kb(&mut m, "VmallocChunk", 0);
        kb(&mut m, "Percpu", 0);
        let _ = writeln!(m, "HugePages_Total:   {:>5}", 0);
        let _ = writeln!(m, "HugePages_Free:    {:>5}", 0);
        let _ = writeln!(m, "HugePages_Rsvd:    {:>5}", 0);
        let _ = writeln!(m, "HugePages_Surp:    {:>5}", 0);
        kbw(&mut m, "Hugepagesize", 2048);
        kbw(&mut m, "Hugetlb", 0);
        m
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vm_tests;

/// What [`Mm::verify`] counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeCounts {
    pub buddy_pages: usize,
    pub pcp_pages: usize,
}

impl Mm {
    /// Checks the allocator's invariants (for tests, experiments and
    /// debugging; takes every lock in turn, so call it on a quiet system):
    /// every listed block is a correctly tagged, aligned, in-zone buddy head
    /// on the list its `index` names; no two free blocks or per-CPU pages
    /// overlap; `nr_free` and `nr_free_pages` match the lists.
    pub fn verify(&self) -> Result<FreeCounts, String> {
        let mut seen = vec![false; self.mem_map.len()];
        let mut pcp_pages = 0;
        let mut buddy_pages = 0;
        for n in &self.nodes {
            for z in n.zones.iter().filter(|z| z.populated()) {
                for (cpu, pcp) in z.pcp.iter().enumerate() {
                    let pcp = pcp.lock();
                    let mut c = 0;
                    for (pindex, l) in pcp.lists.iter().enumerate() {
                        let n = 1usize << pindex_to_order(pindex);
                        for pfn in l.iter(&self.mem_map) {
                            if pfn & (n - 1) != 0 || !z.contains(pfn) || !z.contains(pfn + n - 1) {
                                return Err(format!("pcp block {pfn:#x} (cpu {cpu}) misplaced"));
                            }
                            let pages = self.mem_map[pfn..pfn + n].iter();
                            for (i, (p, s)) in pages.zip(&mut seen[pfn..pfn + n]).enumerate() {
                                let q = pfn + i;
                                if p.test(PageFlag::Buddy) || p.page_ref_count() != 0 {
                                    return Err(format!(
                                        "pcp page {q:#x} (cpu {cpu}) in bad state"
                                    ));
                                }
                                if std::mem::replace(s, true) {
                                    return Err(format!("pcp page {q:#x} listed twice"));
                                }
                            }
                            c += n;
                        }
                    }
                    if c != pcp.count {
                        return Err(format!("pcp count {} != listed {c}", pcp.count));
                    }
                    pcp_pages += c;
                }
                let fa = z.lock.lock();
                let mut zone_free = 0usize;
                for o in 0..MAX_ORDER {
                    let mut listed = 0;
                    let lists: Vec<(u8, &FreeList)> = fa.free_area[o]
                        .free_list
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (i as u8, l))
                        .chain((o == MAX_ORDER - 1).then_some((GLOBAL_LIST, &fa.global)))
                        .collect();
                    for (id, l) in lists {
                        let mut len = 0;
                        for pfn in l.iter(&self.mem_map) {
                            let p = &self.mem_map[pfn];
                            if !p.test(PageFlag::Buddy)
                                || p.buddy_order() as usize != o
                                || p.index.load(Ordering::Relaxed) as u8 != id
                            {
                                return Err(format!("free block {pfn:#x} order {o} mis-tagged"));
                            }
                            if pfn & ((1 << o) - 1) != 0
                                || !z.contains(pfn)
                                || !z.contains(pfn + (1 << o) - 1)
                            {
                                return Err(format!("free block {pfn:#x} order {o} misplaced"));
                            }
                            for (i, s) in seen[pfn..pfn + (1 << o)].iter_mut().enumerate() {
                                if std::mem::replace(s, true) {
                                    return Err(format!("page {:#x} free twice", pfn + i));
                                }
                            }
                            len += 1;
                        }
                        if len != l.len {
                            return Err(format!("list length {} != walked {len}", l.len));
                        }
                        listed += len;
                        zone_free += len << o;
                    }
                    let bit = z.free_orders.load(Ordering::Relaxed) & (1 << o) != 0;
                    if bit != (listed > 0) {
                        return Err(format!("zone {} free_orders bit {o} stale", z.name));
                    }
                    if listed != fa.free_area[o].nr_free {
                        return Err(format!(
                            "zone {} order {o}: nr_free {} != listed {listed}",
                            z.name, fa.free_area[o].nr_free
                        ));
                    }
                }
                if zone_free as i64 != z.free_pages() {
                    return Err(format!(
                        "zone {}: nr_free_pages {} != listed {zone_free}",
                        z.name,
                        z.free_pages()
                    ));
                }
                buddy_pages += zone_free;
            }
        }
        Ok(FreeCounts {
            buddy_pages,
            pcp_pages,
        })
    }
}
