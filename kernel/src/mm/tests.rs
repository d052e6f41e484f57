//! Unit and property tests of the page allocator, compaction, slab,
//! page_owner and the /proc formats.

use super::migrate::{MigrateError, MovableId, MovableOps};
use super::*;
use parking_lot::Mutex as PMutex;
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) fn boot(policy: GroupingPolicy, mb: u64) -> Mm {
    Mm::new(&MmConfig {
        mem_bytes: mb << 20,
        policy,
        nr_cpus: 4,
        ..Default::default()
    })
    .expect("boot")
}

const POLICIES: [GroupingPolicy; 3] = [
    GroupingPolicy::Vanilla,
    GroupingPolicy::Gorman2005,
    GroupingPolicy::Pageblock,
];

#[test]
fn boot_layout_and_buddyinfo() {
    for p in POLICIES {
        let mm = boot(p, 64);
        assert_eq!(mm.nr_free_pages(), 16383, "{p:?}");
        assert_eq!(mm.totalram_pages(), 16383);
        mm.verify().unwrap();
        assert_eq!(
            mm.buddyinfo(),
            "Node 0, zone      DMA      1      1      1      1      1      1      1      1      1      1      3 \n\
             Node 0, zone   Normal      0      0      0      0      0      0      0      0      0      0     12 \n"
        );
    }
}

#[test]
fn bad_config_is_an_error() {
    let e = Mm::new(&MmConfig {
        mem_bytes: 4 << 20,
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("too little"), "{e}");
    assert!(Mm::new(&MmConfig {
        mem_bytes: 5000,
        ..Default::default()
    })
    .is_err());
    let mut c = MmConfig::default();
    assert!(c.apply_cmdline("quiet page_alloc=bogus").is_err());
    c.apply_cmdline("page_alloc=gorman2005 page_owner=on")
        .unwrap();
    assert_eq!(c.policy, GroupingPolicy::Gorman2005);
    assert!(c.page_owner);
    assert_eq!(MmConfig::parse_size("512M").unwrap(), 512 << 20);
    assert!(MmConfig::parse_size("12Q").is_err());
    assert!(MmConfig::parse_size("99999999999999G").is_err());
}

#[test]
fn order_too_big_warns_not_panics() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    assert!(mm.alloc_pages(GFP_KERNEL, 11).is_none());
    assert!(mm.log.dmesg().contains("WARNING:"));
    assert!(mm.alloc_pages(Gfp(1 << 30), 0).is_none());
    assert!(mm.alloc_pages_exact(0, GFP_KERNEL).is_none());
    mm.verify().unwrap();
}

#[test]
fn double_free_reports_bad_page_and_stays_consistent() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    let p = mm.alloc_pages(GFP_KERNEL, 2).unwrap();
    mm.__free_pages(p, 2);
    mm.__free_pages(p, 2);
    let log = mm.log.dmesg();
    assert!(log.contains("BUG: Bad page state in process"), "{log}");
    mm.drain_all_pages();
    mm.verify().unwrap();
    assert_eq!(mm.nr_free_pages(), 8191);
}

#[test]
fn freeing_a_mapped_page_is_a_bad_page() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    let p = mm.alloc_pages(GFP_HIGHUSER_MOVABLE, 0).unwrap();
    mm.mem_map[p]
        ._mapcount
        .store(0, std::sync::atomic::Ordering::Relaxed);
    mm.put_page(p);
    assert!(mm
        .log
        .dmesg()
        .contains("page dumped because: nonzero mapcount"));
    assert!(mm.tainted_bad_page());
    mm.drain_all_pages();
    mm.verify().unwrap();
    // the bad page is quarantined, not handed out again
    assert_eq!(mm.nr_free_pages(), 8190);
}

#[test]
fn exhaustion_fails_cleanly_and_atomic_dips_into_reserves() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    let mut got = Vec::new();
    while let Some(p) = mm.alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0) {
        got.push(p);
    }
    let kernel_left = mm.nr_free_pages() + mm.nr_pcp_pages();
    let mut atomic = 0;
    while let Some(p) = mm.alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0) {
        got.push(p);
        atomic += 1;
    }
    assert!(
        atomic > 0 && kernel_left > 0,
        "atomic {atomic} left {kernel_left}"
    );
    assert!(mm.alloc_pages(GFP_KERNEL, 0).is_none());
    let log = mm.log.dmesg();
    assert!(
        log.contains("page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null)"),
        "{log}"
    );
    assert!(log.contains("Node 0 Normal: "));
    for p in got {
        mm.__free_pages(p, 0);
    }
    mm.drain_all_pages();
    assert_eq!(mm.verify().unwrap().buddy_pages, 8191);
}

/// The high-atomic reserve is taken in the slow path (as in Linux: the
/// fast path has no ALLOC_HIGHATOMIC), serves later atomic high-order
/// requests, and is handed back before an allocation fails.
#[test]
fn highatomic_reserve() {
    use std::sync::atomic::Ordering::Relaxed;
    let mm = boot(GroupingPolicy::Pageblock, 64);
    let mut all = Vec::new();
    while let Some(x) = mm.alloc_pages(GFP_KERNEL | __GFP_NOWARN, 2) {
        all.push((x, 2));
    }
    let p = mm
        .alloc_pages(GFP_ATOMIC, 2)
        .expect("atomic dips below min");
    let z = mm.page_zone(p);
    assert_eq!(z.get_pageblock_migratetype(p), MigrateType::HighAtomic);
    assert_eq!(z.nr_reserved_highatomic.load(Relaxed), 512);
    assert!(mm
        .pagetypeinfo()
        .lines()
        .any(|l| l.starts_with(&format!("Node 0, zone {:>8} ", z.name))
            && l.contains("            1            0 ")));
    mm.__free_pages(p, 2);
    // a GFP_KERNEL request that would otherwise fail gets the reserve back
    while let Some(x) = mm.alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0) {
        all.push((x, 0));
    }
    assert_eq!(z.nr_reserved_highatomic.load(Relaxed), 0);
    for (x, o) in all {
        mm.__free_pages(x, o);
    }
    mm.drain_all_pages();
    assert_eq!(mm.verify().unwrap().buddy_pages, 16383);
}

#[test]
fn dma_zone_and_zeroing() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    let p = mm.alloc_pages(GFP_KERNEL | __GFP_DMA, 1).unwrap();
    assert!(p < MAX_DMA_PFN);
    let q = mm.alloc_pages(GFP_KERNEL, 0).unwrap();
    mm.physmem.write((q as u64) << 12, &[0xaa; 64]).unwrap();
    mm.__free_pages(q, 0);
    let r = mm.get_zeroed_page(GFP_KERNEL).unwrap();
    let mut b = [1u8; 64];
    mm.physmem
        .read((virt_to_pfn(r).unwrap() as u64) << 12, &mut b)
        .unwrap();
    assert_eq!(b, [0; 64]);
}

#[test]
fn garbage_pfns_and_addresses_are_reported_not_followed() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    mm.get_page(usize::MAX);
    mm.put_page(1 << 40);
    mm.__free_pages(12345678, 0);
    mm.__free_pages(4097, 1); // unaligned for its order
    mm.free_pages(0x1234, 0);
    mm.free_pages(PAGE_OFFSET + (1 << 45), 3);
    mm.kfree(0xdead_beef);
    mm.set_page_movable(usize::MAX, migrate::MovableId(1));
    mm.clear_page_movable(usize::MAX);
    assert_eq!(mm.compound_head(usize::MAX), usize::MAX);
    assert_eq!(mm.compound_order(usize::MAX), 0);
    assert!(mm.log.dmesg().matches("WARNING").count() >= 5);
    mm.drain_all_pages();
    assert_eq!(mm.verify().unwrap().buddy_pages, 8191);
}

#[test]
fn compound_get_put() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    let p = mm.alloc_pages(GFP_KERNEL | __GFP_COMP, 3).unwrap();
    assert_eq!(mm.compound_head(p + 5), p);
    assert_eq!(mm.compound_order(p), 3);
    mm.get_page(p + 5);
    mm.put_page(p + 1);
    assert!(mm.mem_map[p].page_ref_count() == 1);
    mm.put_page(p + 7);
    mm.drain_all_pages();
    assert_eq!(mm.verify().unwrap().buddy_pages, 8191);
}

/// Random alloc/free sequences: no frame lost or handed out twice,
/// free + allocated = total, freeing everything restores maximal blocks.
fn run_ops(policy: GroupingPolicy, ops: &[(u8, u8, u16)]) -> Result<(), TestCaseError> {
    let mm = boot(policy, 32);
    let fresh = mm.buddyinfo();
    let mut live: Vec<(usize, u32)> = Vec::new();
    for &(kind, order, idx) in ops {
        let order = (order % 11) as u32;
        let order = if order > 6 && kind % 3 != 0 {
            order % 4
        } else {
            order
        };
        let gfp = match kind % 6 {
            0 => GFP_KERNEL,
            1 => GFP_HIGHUSER_MOVABLE,
            2 => GFP_KERNEL | __GFP_RECLAIMABLE,
            3 => GFP_ATOMIC,
            4 => GFP_KERNEL | __GFP_DMA,
            _ => GFP_NOWAIT | __GFP_MOVABLE,
        } | __GFP_NOWARN;
        if kind >= 10 && !live.is_empty() {
            let (p, o) = live.swap_remove(idx as usize % live.len());
            mm.__free_pages(p, o);
        } else if let Some(p) = mm.alloc_pages(gfp, order) {
            prop_assert_eq!(p & ((1 << order) - 1), 0);
            live.push((p, order));
        }
    }
    let c = mm.verify().map_err(TestCaseError::fail)?;
    let mut owned = vec![false; mm.mem_map.len()];
    let mut allocated = 0;
    for &(p, o) in &live {
        for (i, slot) in owned.iter_mut().enumerate().skip(p).take(1 << o) {
            prop_assert!(!std::mem::replace(slot, true), "pfn {} handed out twice", i);
            prop_assert!(
                !mm.mem_map[i].test(page::PageFlag::Buddy),
                "allocated pfn {} is free",
                i
            );
        }
        allocated += 1 << o;
    }
    prop_assert_eq!(c.buddy_pages + c.pcp_pages + allocated, 8191);
    for (p, o) in live {
        mm.__free_pages(p, o);
    }
    mm.drain_all_pages();
    prop_assert_eq!(mm.verify().map_err(TestCaseError::fail)?.buddy_pages, 8191);
    prop_assert_eq!(mm.buddyinfo(), fresh);
    prop_assert!(!mm.tainted_bad_page());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn prop_vanilla(ops in proptest::collection::vec((0u8..16, 0u8..11, any::<u16>()), 1..600)) {
        run_ops(GroupingPolicy::Vanilla, &ops)?;
    }
    #[test]
    fn prop_gorman2005(ops in proptest::collection::vec((0u8..16, 0u8..11, any::<u16>()), 1..600)) {
        run_ops(GroupingPolicy::Gorman2005, &ops)?;
    }
    #[test]
    fn prop_pageblock(ops in proptest::collection::vec((0u8..16, 0u8..11, any::<u16>()), 1..600)) {
        run_ops(GroupingPolicy::Pageblock, &ops)?;
    }
}

#[test]
fn concurrent_alloc_free_from_several_cpus() {
    for p in POLICIES {
        let mm = Arc::new(boot(p, 64));
        let fresh = mm.buddyinfo();
        let hs: Vec<_> = (0..4)
            .map(|cpu| {
                let mm = mm.clone();
                std::thread::spawn(move || {
                    glue::set_cpu(cpu);
                    let mut live = Vec::new();
                    let mut x = 0x9e3779b97f4a7c15u64 ^ cpu as u64;
                    for _ in 0..20000 {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        if x.is_multiple_of(3) && !live.is_empty() {
                            let (pfn, o) = live.swap_remove((x as usize >> 8) % live.len());
                            mm.__free_pages(pfn, o);
                        } else {
                            let o = [0, 0, 0, 0, 1, 2, 3, 9][(x >> 20) as usize % 8];
                            let g = [
                                GFP_KERNEL,
                                GFP_HIGHUSER_MOVABLE,
                                GFP_KERNEL | __GFP_RECLAIMABLE,
                            ][(x >> 30) as usize % 3];
                            if let Some(pfn) = mm.alloc_pages(g | __GFP_NOWARN, o) {
                                live.push((pfn, o));
                            }
                        }
                    }
                    for (pfn, o) in live {
                        mm.__free_pages(pfn, o);
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        mm.drain_all_pages();
        assert_eq!(mm.verify().unwrap().buddy_pages, 16383, "{p:?}");
        assert_eq!(mm.buddyinfo(), fresh, "{p:?}");
    }
}

/// A movable-page owner for tests: a table of pages it holds.
pub(crate) struct Region {
    pub pages: PMutex<HashMap<u64, usize>>,
}

impl MovableOps for Region {
    fn migrate_page(&self, old: usize, new: usize) -> Result<(), MigrateError> {
        let mut t = self.pages.lock();
        for v in t.values_mut() {
            if *v == old {
                *v = new;
                return Ok(());
            }
        }
        Err(MigrateError::Gone)
    }
}

fn fill_movable(mm: &Mm) -> (Arc<Region>, MovableId) {
    let r = Arc::new(Region {
        pages: PMutex::new(HashMap::new()),
    });
    let id = mm.movable.register(r.clone());
    let mut k = 0u64;
    while let Some(p) = mm.alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | __GFP_NORETRY, 0) {
        mm.set_page_movable(p, id);
        mm.physmem.write_u64((p as u64) << 12, k * 7919).unwrap();
        r.pages.lock().insert(k, p);
        k += 1;
    }
    (r, id)
}

#[test]
fn compaction_assembles_high_order_blocks_and_preserves_data() {
    let mm = boot(GroupingPolicy::Pageblock, 64);
    let (r, _) = fill_movable(&mm);
    // free every other page: lots of free memory, no order-1 block
    let keys: Vec<u64> = r
        .pages
        .lock()
        .keys()
        .copied()
        .filter(|k| k % 2 == 1)
        .collect();
    for k in keys {
        let p = r.pages.lock().remove(&k).unwrap();
        mm.clear_page_movable(p);
        mm.put_page(p);
    }
    mm.drain_all_pages();
    let before = mm.zone_snapshot(&mm.nodes[0].zones[1]);
    assert_eq!(before.nr_free[10], 0);
    // direct compaction through the allocator
    let big = mm.alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10);
    assert!(big.is_some(), "{}", mm.buddyinfo());
    mm.compact_memory();
    let after = mm.zone_snapshot(&mm.nodes[0].zones[1]);
    assert!(after.nr_free[10] >= 4, "{}", mm.buddyinfo());
    let ev = mm.events.all();
    assert!(ev[vmstat::VmEvent::PGMIGRATE_SUCCESS as usize] > 1000);
    assert!(mm.vmstat().contains("compact_stall 1\n"));
    for (k, p) in r.pages.lock().iter() {
        assert_eq!(mm.physmem.read_u64((*p as u64) << 12).unwrap(), k * 7919);
        assert!(mm.mem_map[*p].page_movable());
    }
    mm.verify().unwrap();
}

#[test]
fn slab_and_kmalloc() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    let a = mm.kmalloc(64, GFP_KERNEL).unwrap();
    let b = mm.kmalloc(100, GFP_KERNEL).unwrap();
    assert_eq!(mm.ksize(a), 64);
    assert_eq!(mm.ksize(b), 128);
    assert_eq!(mm.kmalloc(0, GFP_KERNEL), Some(slab::ZERO_SIZE_PTR));
    let big = mm.kmalloc(20000, GFP_KERNEL).unwrap();
    assert_eq!(mm.ksize(big), 32768);
    let z = mm.kzalloc(64, GFP_KERNEL).unwrap();
    let mut buf = [1u8; 64];
    mm.physmem.read(z - PAGE_OFFSET, &mut buf).unwrap();
    assert_eq!(buf, [0; 64]);
    for x in [a, b, big, z, slab::ZERO_SIZE_PTR, 0] {
        mm.kfree(x);
    }
    mm.kfree(PAGE_OFFSET + 12345); // not kmalloc'ed: reported, ignored
    assert!(mm.log.dmesg().contains("was not allocated by kmalloc"));

    let c = mm
        .kmem_cache_create(
            "dentry",
            192,
            0,
            slab::SLAB_RECLAIM_ACCOUNT | slab::SLAB_HWCACHE_ALIGN,
        )
        .unwrap();
    assert!(mm.kmem_cache_create("dentry", 8, 0, 0).is_err());
    assert!(mm.kmem_cache_create("x", 0, 0, 0).is_err());
    let objs: Vec<u64> = (0..1000)
        .map(|_| mm.kmem_cache_alloc(&c, GFP_KERNEL).unwrap())
        .collect();
    let mut uniq = objs.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 1000);
    let pfn = virt_to_pfn(objs[0]).unwrap();
    assert_eq!(
        mm.page_zone(pfn).get_pageblock_migratetype(pfn),
        MigrateType::Reclaimable
    );
    assert!(mm.meminfo().contains("SReclaimable:"));
    let info = mm.slabinfo();
    assert!(info.starts_with("slabinfo - version: 2.1\n# name            <active_objs>"));
    let line = info.lines().find(|l| l.starts_with("dentry")).unwrap();
    assert_eq!(
        line,
        format!(
            "dentry              1000 {:6}    192   21    1 : tunables    0    0    0 : slabdata {:6} {:6}      0",
            mm.kmem_cache_stats(&c).1,
            mm.kmem_cache_stats(&c).2,
            mm.kmem_cache_stats(&c).2
        )
    );
    assert!(mm.kmem_cache_destroy(c.clone()).is_err());
    mm.kmem_cache_free(&c, objs[5]);
    mm.kmem_cache_free(&c, objs[5]);
    assert!(mm.log.dmesg().contains("double free"));
    let k = mm.kmalloc(64, GFP_KERNEL).unwrap();
    mm.kmem_cache_free(&c, k);
    assert!(mm
        .log
        .dmesg()
        .contains("Wrong slab cache. dentry but object is from kmalloc-64"));
    for (i, o) in objs.iter().enumerate() {
        if i != 5 {
            mm.kmem_cache_free(&c, *o);
        }
    }
    assert_eq!(mm.kmem_cache_stats(&c).0, 0);
    mm.kmem_cache_destroy(c).unwrap();
    mm.kfree(k);
    mm.shrink_slab(128);
    mm.drain_all_pages();
    mm.verify().unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    /// Random kmalloc/kfree sequences: objects never overlap, keep their
    /// contents, and freeing everything leaves only cached empty slabs.
    #[test]
    fn prop_kmalloc(ops in proptest::collection::vec((any::<bool>(), 1usize..9000, any::<u16>()), 1..400)) {
        let mm = boot(GroupingPolicy::Pageblock, 32);
        let mut live: Vec<(u64, usize, u8)> = Vec::new();
        for (i, &(alloc, size, idx)) in ops.iter().enumerate() {
            if alloc || live.is_empty() {
                let Some(a) = mm.kmalloc(size, GFP_KERNEL | __GFP_NOWARN) else { continue };
                prop_assert!(mm.ksize(a) >= size);
                let tag = i as u8;
                mm.physmem.write(a - PAGE_OFFSET, &vec![tag; size]).unwrap();
                for &(b, bs, _) in &live {
                    prop_assert!(a + size as u64 <= b || b + bs as u64 <= a, "overlap");
                }
                live.push((a, size, tag));
            } else {
                let (a, size, tag) = live.swap_remove(idx as usize % live.len());
                let mut buf = vec![0u8; size];
                mm.physmem.read(a - PAGE_OFFSET, &mut buf).unwrap();
                prop_assert!(buf.iter().all(|&b| b == tag), "object contents changed");
                mm.kfree(a);
            }
        }
        for (a, _, _) in live {
            mm.kfree(a);
        }
        mm.shrink_slab(usize::MAX);
        mm.drain_all_pages();
        prop_assert_eq!(mm.verify().map_err(TestCaseError::fail)?.buddy_pages, 8191);
        prop_assert!(!mm.log.dmesg().contains("BUG"));
    }
}

#[test]
fn page_owner_records_in_linux_format() {
    let mm = Mm::new(&MmConfig {
        mem_bytes: 32 << 20,
        page_owner: true,
        ..Default::default()
    })
    .unwrap();
    glue::set_current(42, 40, "leaky");
    let p = mm.alloc_pages(GFP_KERNEL | __GFP_COMP, 2).unwrap();
    glue::set_current(0, 0, "");
    let text = mm.page_owner_text().unwrap();
    let rec = text
        .split("\n\n")
        .find(|r| r.contains("pid 42"))
        .expect("record");
    let mut lines = rec.lines();
    let l1 = lines.next().unwrap();
    assert!(
        l1.starts_with("Page allocated via order 2, mask 0x40cc0(GFP_KERNEL|__GFP_COMP), pid 42, tgid 40 (leaky), ts "),
        "{l1}"
    );
    assert!(l1.ends_with(" ns"));
    let l2 = lines.next().unwrap();
    assert!(
        l2.starts_with(&format!(
            "PFN {:#x} type Unmovable Block {} type Unmovable Flags 0x",
            p,
            p >> 9
        )),
        "{l2}"
    );
    assert!(l2.contains("head"), "{l2}");
    let frames: Vec<&str> = lines.collect();
    assert!(
        !frames.is_empty() && frames.iter().all(|f| f.starts_with(' ')),
        "{frames:?}"
    );
    // %pS: function+0xoffset/0xsize for frames of the executable
    assert!(
        frames.iter().any(|f| {
            let t = f.trim();
            t.contains("+0x") && t.rsplit_once("/0x").is_some_and(|(_, sz)| !sz.is_empty())
        }),
        "{frames:?}"
    );
    assert!(text.ends_with("\n\n"));
    // freed pages disappear from the file
    mm.__free_pages(p, 2);
    assert!(!mm.page_owner_text().unwrap().contains("pid 42"));
    assert!(mm.pagetypeinfo().contains("Number of mixed blocks "));
    // off: the file does not exist
    assert!(boot(GroupingPolicy::Pageblock, 32)
        .page_owner_text()
        .is_none());
}

#[test]
fn pagetypeinfo_layout() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    let t = mm.pagetypeinfo();
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[0], "Page block order: 9");
    assert_eq!(lines[1], "Pages per block:  512");
    assert_eq!(lines[2], "");
    assert_eq!(
        lines[3],
        "Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10 "
    );
    assert_eq!(
        lines[4],
        "Node    0, zone      DMA, type    Unmovable      0      0      0      0      0      0      0      0      0      0      0 "
    );
    assert!(t.contains(
        "\nNumber of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n"
    ));
    assert!(t.contains("\nNode 0, zone   Normal            0            8            0            0            0 \n"));
}

#[test]
fn zoneinfo_and_extfrag_layout() {
    let mm = boot(GroupingPolicy::Pageblock, 32);
    let z = mm.zoneinfo();
    assert!(
        z.starts_with("Node 0, zone      DMA\n  per-node stats\n      nr_inactive_anon 0\n"),
        "{z}"
    );
    assert!(z.contains("\n  pages free     4095\n        boost    0\n        min      "));
    assert!(
        z.contains("\n        protection: (0, 16, 16)\n      nr_free_pages 4095\n"),
        "{z}"
    );
    assert!(z.contains("\n  pagesets\n    cpu: 0\n              count: 0\n              high:  "));
    assert!(z.contains("\n  node_unreclaimable:  0\n  start_pfn:           1\n"));
    assert!(z.contains("Node 0, zone  Movable\n  pages free     0\n"));
    assert!(z.ends_with("        protection: (0, 0, 0)\n"));
    let u = mm.unusable_index();
    assert_eq!(
        u.lines().nth(1).unwrap(),
        "Node 0, zone   Normal 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 "
    );
    let e = mm.extfrag_index();
    assert_eq!(
        e.lines().nth(1).unwrap(),
        "Node 0, zone   Normal -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 "
    );
}

#[test]
fn proc_files_parse_with_procfs_crate() {
    use procfs_core::FromRead;
    let mm = boot(GroupingPolicy::Pageblock, 64);
    let p = mm.alloc_pages(GFP_KERNEL, 3).unwrap();
    let mi = procfs_core::Meminfo::from_read(mm.meminfo().as_bytes()).unwrap();
    assert_eq!(mi.mem_total, mm.totalram_pages() * 4096);
    assert_eq!(mi.mem_free, mm.nr_free_pages() * 4096);
    let vs = procfs_core::VmStat::from_read(mm.vmstat().as_bytes()).unwrap();
    assert_eq!(vs.0["nr_free_pages"] as u64, mm.nr_free_pages());
    assert_eq!(vs.0["pgalloc_normal"] as u64, mm.events.all()[5]);
    assert!(vs.0.contains_key("compact_stall"));
    mm.__free_pages(p, 3);
    let vs = procfs_core::VmStat::from_read(mm.vmstat().as_bytes()).unwrap();
    assert_eq!(vs.0["pgfree"], 8);
    // buddyinfo has no procfs-core parser: parse it by hand, field by field
    for (line, z) in mm.buddyinfo().lines().zip(mm.nodes[0].zones.iter()) {
        let nums: Vec<usize> = line
            .split_whitespace()
            .skip(4)
            .map(|x| x.parse().unwrap())
            .collect();
        assert_eq!(nums, mm.zone_snapshot(z).nr_free.to_vec());
    }
}

/// zoneinfo, pagetypeinfo and slabinfo parsed back field by field and
/// compared with the allocator's own numbers, after some churn.
#[test]
fn zoneinfo_pagetypeinfo_slabinfo_parse_back() {
    let mm = boot(GroupingPolicy::Pageblock, 64);
    let mut live = Vec::new();
    for i in 0..3000u32 {
        let g = [
            GFP_KERNEL,
            GFP_HIGHUSER_MOVABLE,
            GFP_KERNEL | __GFP_RECLAIMABLE,
        ][i as usize % 3];
        if let Some(p) = mm.alloc_pages(g, i % 4) {
            live.push((p, i % 4));
        }
    }
    for (p, o) in live.drain(..).step_by(2) {
        mm.__free_pages(p, o);
    }
    let c = mm.kmem_cache_create("test_cache", 200, 0, 0).unwrap();
    let objs: Vec<u64> = (0..77)
        .map(|_| mm.kmem_cache_alloc(&c, GFP_KERNEL).unwrap())
        .collect();
    mm.drain_all_pages();

    // zoneinfo: "Node N, zone NAME" sections with "pages free", min/low/high,
    // spanned/present/managed and the nr_free_pages stat
    let zi = mm.zoneinfo();
    for z in mm.nodes[0].zones.iter() {
        let head = format!("Node 0, zone {:>8}", z.name);
        let sec = zi
            .split(&head)
            .nth(1)
            .unwrap()
            .split("\nNode ")
            .next()
            .unwrap();
        let field = |name: &str| -> usize {
            sec.lines()
                .find_map(|l| {
                    let t = l.trim_start();
                    t.strip_prefix(name).map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or_else(|| panic!("{name} in {sec}"))
        };
        assert_eq!(field("pages free") as i64, z.free_pages());
        assert_eq!(field("min "), z.wmark(0));
        assert_eq!(field("low "), z.wmark(1));
        assert_eq!(field("high "), z.wmark(2));
        assert_eq!(field("spanned "), z.spanned_pages);
        assert_eq!(field("present "), z.present_pages);
        assert_eq!(field("managed "), z.managed());
        if z.populated() {
            assert_eq!(field("nr_free_pages ") as i64, z.free_pages());
            assert_eq!(field("start_pfn: "), z.zone_start_pfn);
        }
    }
    // pagetypeinfo: free blocks per type and order, pageblocks per type
    let pti = mm.pagetypeinfo();
    for z in mm.nodes[0].zones.iter().filter(|z| z.populated()) {
        let snap = mm.zone_snapshot(z);
        for t in MigrateType::ALL {
            let head = format!("Node    0, zone {:>8}, type {:>12} ", z.name, t.name());
            let line = pti.lines().find(|l| l.starts_with(&head)).unwrap();
            let nums: Vec<usize> = line[head.len()..]
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect();
            assert_eq!(&nums[..], &snap.by_type[t as usize][..], "{line}");
        }
        let head = format!("Node 0, zone {:>8} ", z.name);
        let line = pti
            .split("Number of blocks type")
            .nth(1)
            .unwrap()
            .lines()
            .find(|l| l.starts_with(&head))
            .unwrap();
        let nums: Vec<usize> = line[head.len()..]
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        assert_eq!(&nums[..], &mm.pageblock_counts(z)[..]);
        assert_eq!(nums.iter().sum::<usize>(), z.nr_pageblocks());
    }
    // slabinfo: active/num objects, objsize, objperslab, pages, slabs
    let si = mm.slabinfo();
    let line = si.lines().find(|l| l.starts_with("test_cache ")).unwrap();
    let f: Vec<&str> = line.split_whitespace().collect();
    let (active, num, slabs) = mm.kmem_cache_stats(&c);
    assert_eq!(f[1].parse::<usize>().unwrap(), active);
    assert_eq!(f[2].parse::<usize>().unwrap(), num);
    assert_eq!(f[3].parse::<usize>().unwrap(), c.size);
    assert_eq!(f[4].parse::<usize>().unwrap(), c.objects);
    assert_eq!(f[5].parse::<usize>().unwrap(), 1 << c.order);
    assert_eq!(f[13].parse::<usize>().unwrap(), slabs);
    assert_eq!(f[14].parse::<usize>().unwrap(), slabs);
    for o in objs {
        mm.kmem_cache_free(&c, o);
    }
    for (p, o) in live {
        mm.__free_pages(p, o);
    }
}

#[test]
fn numa_nodes() {
    let mm = Mm::new(&MmConfig {
        mem_bytes: 64 << 20,
        nr_nodes: 2,
        nr_cpus: 2,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(mm.nodes.len(), 2);
    assert!(mm.buddyinfo().contains("Node 1, zone   Normal"));
    glue::set_cpu(1);
    let p = mm.alloc_pages(GFP_KERNEL, 0).unwrap();
    assert_eq!(mm.mem_map[p].page_to_nid(), 1);
    let q = mm.alloc_pages_node(0, GFP_KERNEL, 0).unwrap();
    assert_eq!(mm.mem_map[q].page_to_nid(), 0);
    glue::set_cpu(0);
    mm.verify().unwrap();
}

/// `get_page_from_freelist` tries the preferred zone first and walks on
/// when its watermark refuses: to the node's lower zone (DMA) on one node,
/// to the next node's zone (a NUMA miss) on two.
#[test]
fn zonelist_walk_goes_past_the_preferred_zone() {
    let one = boot(GroupingPolicy::Pageblock, 64);
    let two = Mm::new(&MmConfig {
        mem_bytes: 64 << 20,
        nr_nodes: 2,
        nr_cpus: 2,
        ..Default::default()
    })
    .unwrap();
    for (mm, cpu) in [(&one, 0), (&two, 1)] {
        glue::set_cpu(cpu);
        let preferred = (mm.numa_node_id(), ZoneType::Normal as usize);
        let mut taken = Vec::new();
        let walked = loop {
            let Some(p) = mm.alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0) else {
                break None;
            };
            taken.push(p);
            let page = &mm.mem_map[p];
            if (page.page_to_nid(), page.page_zonenum()) != preferred {
                break Some((page.page_to_nid(), page.page_zonenum()));
            }
        };
        if mm.nodes.len() == 1 {
            assert_eq!(walked, Some((0, ZoneType::Dma as usize)));
        } else {
            assert_eq!(walked, Some((0, ZoneType::Normal as usize)));
            assert!(mm.events.numa(0)[vmstat::NUMA_MISS] > 0);
            assert!(mm.events.numa(1)[vmstat::NUMA_FOREIGN] > 0);
        }
        for p in taken {
            mm.__free_pages(p, 0);
        }
        glue::set_cpu(0);
        mm.verify().unwrap();
    }
}
