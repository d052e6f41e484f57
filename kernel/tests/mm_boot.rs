//! mm on a booted kernel: /proc and debugfs files read through procfs from
//! task context, parsed back (procfs-core where it has a parser) and
//! compared with the allocator's own counters; allocation from kernel
//! threads on every CPU; page_owner records carrying the task's pid/comm;
//! sysctls; boot-time configuration errors.

use kernel::init::kernel::BootConfig;
use kernel::kernel::kthread::{kthread_create_on_cpu, kthread_stop};
use kernel::mm::*;
use kernel::testing::{config, run};
use procfs_core::FromRead;

fn cfg(cmdline: &str) -> BootConfig {
    BootConfig {
        cmdline: cmdline.into(),
        ..config(2)
    }
}

#[test]
fn proc_files_match_the_allocator() {
    let (r, _) = run(cfg(""), || {
        let k = kernel::kernel();
        let p = k.mm.alloc_pages(GFP_KERNEL, 4).unwrap();
        let meminfo = k.procfs.read("meminfo").unwrap();
        let vmstat = k.procfs.read("vmstat").unwrap();
        let buddy = k.procfs.read("buddyinfo").unwrap();
        let zoneinfo = k.procfs.read("zoneinfo").unwrap();
        let pti = k.procfs.read("pagetypeinfo").unwrap();
        let slab = k.procfs.read("slabinfo").unwrap();
        let ext = k.debugfs.read("extfrag/extfrag_index").unwrap();
        let unusable = k.debugfs.read("extfrag/unusable_index").unwrap();
        let snap: Vec<[usize; MAX_ORDER]> = k.mm.nodes[0]
            .zones
            .iter()
            .filter(|z| z.populated())
            .map(|z| k.mm.zone_snapshot(z).nr_free)
            .collect();
        let free = k.mm.nr_free_pages();
        let total = k.mm.totalram_pages();
        k.mm.__free_pages(p, 4);
        (
            meminfo, vmstat, buddy, zoneinfo, pti, slab, ext, unusable, snap, free, total,
        )
    });
    let (meminfo, vmstat, buddy, zoneinfo, pti, slab, ext, unusable, snap, free, total) = r;
    let mi = procfs_core::Meminfo::from_read(meminfo.as_bytes()).unwrap();
    assert_eq!(mi.mem_total, total * 4096);
    assert_eq!(mi.mem_free, free * 4096);
    let vs = procfs_core::VmStat::from_read(vmstat.as_bytes()).unwrap();
    assert_eq!(vs.0["nr_free_pages"] as u64, free);
    assert!(vs.0["pgalloc_normal"] >= 16);
    for (line, counts) in buddy.lines().zip(&snap) {
        let nums: Vec<usize> = line
            .split_whitespace()
            .skip(4)
            .map(|x| x.parse().unwrap())
            .collect();
        assert_eq!(&nums[..], &counts[..], "{line}");
        assert!(line.ends_with(' '));
    }
    assert!(zoneinfo.contains("Node 0, zone   Normal\n  pages free     "));
    assert!(pti.starts_with("Page block order: 9\nPages per block:  512\n\n"));
    assert!(slab.starts_with("slabinfo - version: 2.1\n"));
    assert_eq!(ext.lines().count(), 2);
    assert_eq!(unusable.lines().count(), 2);
}

#[test]
fn allocation_from_kthreads_on_every_cpu() {
    let (r, _) = run(config(4), || {
        let k = kernel::kernel();
        let before = k.mm.nr_free_pages() + k.mm.nr_pcp_pages();
        let ts: Vec<_> = (0..4)
            .map(|cpu| {
                kthread_create_on_cpu(
                    move || {
                        let k = kernel::kernel();
                        let mut live = Vec::new();
                        for i in 0..3000usize {
                            let o = [0, 0, 0, 1, 2, 3][i % 6];
                            if i % 3 == 2 {
                                if let Some((p, o)) = live.pop() {
                                    k.mm.__free_pages(p, o);
                                }
                            } else if let Some(p) = k.mm.alloc_pages(GFP_KERNEL | __GFP_NOWARN, o) {
                                live.push((p, o));
                            }
                        }
                        for (p, o) in live {
                            k.mm.__free_pages(p, o);
                        }
                        0
                    },
                    cpu,
                    "mm_stress/%u",
                )
            })
            .collect();
        for t in &ts {
            kernel::kernel::sched::wake_up_process(t);
        }
        for t in ts {
            kthread_stop(&t);
        }
        k.mm.drain_all_pages();
        let c = k.mm.verify();
        (before, c, k.mm.nr_free_pages())
    });
    let (before, c, after) = r;
    let c = c.unwrap();
    assert_eq!(c.pcp_pages, 0);
    assert_eq!(after, before);
}

#[test]
fn page_owner_in_debugfs_names_the_task() {
    let (r, out) = run(cfg("page_owner=on page_alloc=gorman2005"), || {
        let k = kernel::kernel();
        let p = k.mm.alloc_pages(GFP_KERNEL | __GFP_COMP, 1).unwrap();
        let text = k.debugfs.read("page_owner").unwrap();
        k.mm.__free_pages(p, 1);
        let pti = k.procfs.read("pagetypeinfo").unwrap();
        let pid = kernel::current().pid;
        (text, pid, pti)
    });
    let (text, pid, pti) = r;
    let rec = text
        .split("\n\n")
        .find(|b| b.starts_with("Page allocated via order 1, mask 0x40cc0(GFP_KERNEL|__GFP_COMP)"))
        .expect("our record");
    assert!(rec.contains(&format!(", pid {pid}, tgid {pid} (")), "{rec}");
    assert!(pti.starts_with("Page block order: 10\n"));
    assert!(pti.contains("Number of mixed blocks "));
    assert!(!out.dmesg.contains("page_owner is disabled"));
}

#[test]
fn sysctls_and_bad_writes() {
    let (r, _) = run(cfg(""), || {
        let k = kernel::kernel();
        let bad = k.procfs.write("sys/vm/compact_memory", "2").is_err()
            && k.procfs.write("sys/vm/min_free_kbytes", "-5").is_err()
            && k.procfs.write("sys/vm/min_free_kbytes", "lots").is_err()
            && k.procfs.write("sys/vm/drop_caches", "9").is_err();
        k.procfs.write("sys/vm/compact_memory", "1").unwrap();
        k.procfs.write("sys/vm/min_free_kbytes", "4096").unwrap();
        k.procfs.write("sys/vm/drop_caches", "3").unwrap();
        let mfk = k.procfs.read("sys/vm/min_free_kbytes").unwrap();
        let vmstat = k.procfs.read("vmstat").unwrap();
        let min_sum: usize = k.mm.nodes[0].zones.iter().map(|z| z.wmark(0)).sum();
        (bad, mfk, vmstat, min_sum)
    });
    let (bad, mfk, vmstat, min_sum) = r;
    assert!(bad);
    assert_eq!(mfk, "4096\n");
    assert!((1000..=1024).contains(&min_sum), "{min_sum}");
    assert!(vmstat.contains("\ndrop_slab 1\n"));
}

#[test]
fn bad_mm_config_fails_boot_cleanly() {
    let e = kernel::init::boot(BootConfig {
        cmdline: "page_alloc=buddy".into(),
        ..config(1)
    })
    .unwrap_err();
    assert!(e.to_string().contains("page_alloc=buddy"), "{e}");
    let e = kernel::init::boot(BootConfig {
        numa_nodes: 16,
        ..config(1)
    })
    .unwrap_err();
    assert!(e.to_string().contains("too little"), "{e}");
}

#[test]
fn atomic_context_gfp_kernel_is_reported() {
    let (_, out) = run(cfg(""), || {
        let k = kernel::kernel();
        let l = kernel::kernel::locking::SpinLock::new(());
        let g = l.lock();
        let p = k.mm.alloc_pages(GFP_KERNEL, 0);
        drop(g);
        let q = k.mm.alloc_pages(GFP_ATOMIC, 0);
        for x in [p, q].into_iter().flatten() {
            k.mm.__free_pages(x, 0);
        }
    });
    assert!(
        out.dmesg
            .contains("BUG: sleeping function called from invalid context"),
        "{}",
        out.dmesg
    );
}

/// A cache that gives its pages back when a shrinker asks.
struct Cache(parking_lot::Mutex<Vec<usize>>);

impl kernel::mm::slab::Shrinker for Cache {
    fn count_objects(&self) -> usize {
        self.0.lock().len()
    }
    fn scan_objects(&self, mm: &Mm, nr: usize) -> usize {
        let victims: Vec<usize> = {
            let mut v = self.0.lock();
            let keep = v.len().saturating_sub(nr);
            v.split_off(keep)
        };
        for &p in &victims {
            mm.__free_pages(p, 0);
        }
        victims.len()
    }
}

/// Allocations that find a zone under its low watermark wake kswapd, which
/// reclaims (through shrinkers) until the zones are above their high mark.
#[test]
fn kswapd_reclaims_to_the_high_watermark() {
    let (r, out) = run(config(2), || {
        let k = kernel::kernel();
        let cache = std::sync::Arc::new(Cache(parking_lot::Mutex::new(Vec::new())));
        k.mm.register_shrinker(cache.clone());
        // fill memory with cache pages; GFP_NOWAIT cannot reclaim directly
        // and stops at the min watermark, waking kswapd on the way
        while let Some(p) = k.mm.alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0) {
            cache.0.lock().push(p);
        }
        let high: usize = k.mm.nodes[0]
            .zones
            .iter()
            .filter(|z| z.populated())
            .map(|z| z.wmark(2))
            .max()
            .unwrap();
        let mut ok = false;
        for _ in 0..2000 {
            let balanced = k.mm.nodes[0]
                .zones
                .iter()
                .filter(|z| z.populated())
                .all(|z| z.free_pages() as usize > z.wmark(2));
            if balanced {
                ok = true;
                break;
            }
            kernel::kernel::time::msleep(1);
        }
        let vmstat = k.procfs.read("vmstat").unwrap();
        for p in cache.0.lock().drain(..) {
            k.mm.__free_pages(p, 0);
        }
        (ok, high, vmstat)
    });
    let (ok, high, vmstat) = r;
    assert!(ok, "zones not back above high ({high})");
    let pageoutrun: u64 = vmstat
        .lines()
        .find_map(|l| l.strip_prefix("pageoutrun "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(pageoutrun >= 1, "{vmstat}");
    assert!(out.dmesg.contains("reboot: Power down"));
}

/// Owner of movable pages shared by several kthreads: key → pfn.
struct Owner(parking_lot::Mutex<std::collections::HashMap<u64, usize>>);

impl kernel::mm::migrate::MovableOps for Owner {
    fn migrate_page(
        &self,
        old: usize,
        new: usize,
    ) -> Result<(), kernel::mm::migrate::MigrateError> {
        let mut m = self.0.lock();
        for v in m.values_mut() {
            if *v == old {
                *v = new;
                return Ok(());
            }
        }
        Err(kernel::mm::migrate::MigrateError::Gone)
    }
}

/// Compaction racing with owners that allocate, write, check and free
/// movable pages on every CPU: no page is lost, no content changes, the
/// allocator stays consistent.
#[test]
fn compaction_races_with_owners_on_every_cpu() {
    let (r, out) = run(config(4), || {
        let k = kernel::kernel();
        let owner = std::sync::Arc::new(Owner(parking_lot::Mutex::new(Default::default())));
        let id = k.mm.movable.register(owner.clone());
        let before = {
            k.mm.drain_all_pages();
            k.mm.nr_free_pages()
        };
        let bad = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ts: Vec<_> = (0..3usize)
            .map(|cpu| {
                let (owner, bad, done) = (owner.clone(), bad.clone(), done.clone());
                kthread_create_on_cpu(
                    move || {
                        let k = kernel::kernel();
                        let mut mine: Vec<u64> = Vec::new();
                        let mut i = 0u64;
                        // churn until the compactor is done (and at least a while)
                        while i < 2000 || !done.load(std::sync::atomic::Ordering::Acquire) {
                            i += 1;
                            if i > 2_000_000 {
                                break;
                            }
                            let key = (cpu as u64) << 32 | i;
                            if i % 3 == 2 && !mine.is_empty() {
                                let key = mine.swap_remove((i as usize * 7) % mine.len());
                                let pfn = owner.0.lock().remove(&key).unwrap();
                                let v = k.mm.physmem.read_u64((pfn as u64) << 12).unwrap();
                                if v != key {
                                    bad.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                }
                                k.mm.clear_page_movable(pfn);
                                k.mm.put_page(pfn);
                            } else if let Some(pfn) =
                                k.mm.alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 0)
                            {
                                k.mm.physmem.write_u64((pfn as u64) << 12, key).unwrap();
                                k.mm.set_page_movable(pfn, id);
                                owner.0.lock().insert(key, pfn);
                                mine.push(key);
                            }
                            if i.is_multiple_of(64) {
                                kernel::kernel::sched::core::cond_resched();
                            }
                        }
                        for key in mine {
                            let pfn = owner.0.lock().remove(&key).unwrap();
                            if k.mm.physmem.read_u64((pfn as u64) << 12).unwrap() != key {
                                bad.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            k.mm.clear_page_movable(pfn);
                            k.mm.put_page(pfn);
                        }
                        0
                    },
                    cpu,
                    "mm_owner/%u",
                )
            })
            .collect();
        let done2 = done.clone();
        let compactor = kthread_create_on_cpu(
            move || {
                let k = kernel::kernel();
                for _ in 0..30 {
                    let _ = k.procfs.write("sys/vm/compact_memory", "1");
                    kernel::kernel::time::msleep(1);
                }
                done2.store(true, std::sync::atomic::Ordering::Release);
                0
            },
            3,
            "compactor",
        );
        for t in ts.iter().chain(std::iter::once(&compactor)) {
            kernel::kernel::sched::wake_up_process(t);
        }
        // Let the compactor finish before stopping anyone: a kthread stopped
        // before it first runs never runs its body at all.
        while !done.load(std::sync::atomic::Ordering::Acquire) {
            kernel::kernel::time::msleep(1);
        }
        kthread_stop(&compactor);
        for t in ts {
            kthread_stop(&t);
        }
        k.mm.drain_all_pages();
        let v = k.mm.verify();
        let migrated =
            k.mm.events
                .get(kernel::mm::vmstat::VmEvent::PGMIGRATE_SUCCESS);
        (
            before,
            k.mm.nr_free_pages(),
            v,
            bad.load(std::sync::atomic::Ordering::Relaxed),
            migrated,
        )
    });
    let (before, after, v, bad, migrated) = r;
    v.unwrap();
    assert_eq!(bad, 0, "page contents changed under migration");
    assert_eq!(after, before, "pages lost ({migrated} migrated)");
    assert!(migrated > 0, "compaction never migrated a page");
    assert!(!out.dmesg.contains("Bad page state"), "{}", out.dmesg);
}

/// The allocator fires Linux's kmem tracepoints with their fields.
#[test]
fn kmem_tracepoints_fire() {
    let (text, _) = run(config(2), || {
        let k = kernel::kernel();
        k.tracefs
            .write(
                "set_event",
                "kmem:mm_page_alloc kmem:mm_page_free kmem:kmalloc kmem:kfree kmem:mm_page_alloc_zone_locked",
            )
            .unwrap();
        let p = k.mm.alloc_pages(GFP_KERNEL, 3).unwrap();
        k.mm.__free_pages(p, 3);
        let o = k.mm.kmalloc(100, GFP_KERNEL).unwrap();
        k.mm.kfree(o);
        k.tracefs.write("tracing_on", "0").unwrap();
        let t = k.tracefs.read("trace").unwrap();
        (t, p)
    });
    let (t, p) = text;
    assert!(
        t.contains(&format!(
            "mm_page_alloc: page={:016x} pfn={p:#x} order=3 migratetype=0 gfp_flags=GFP_KERNEL",
            0xffff_ea00_0000_0000u64 + p as u64 * 64
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "mm_page_free: page={:016x} pfn={p:#x} order=3",
            0xffff_ea00_0000_0000u64 + p as u64 * 64
        )),
        "{t}"
    );
    // order 3 is a per-CPU order (Linux >= 5.13): the block comes from a
    // refill of the order-3 list
    assert!(t.contains(&format!("mm_page_alloc_zone_locked: page={:016x} pfn={p:#x} order=3 migratetype=0 percpu_refill=1", 0xffff_ea00_0000_0000u64 + p as u64 * 64)), "{t}");
    assert!(
        t.contains(" kmalloc: call_site=") && t.contains("bytes_req=100 bytes_alloc=128"),
        "{t}"
    );
    assert!(t.contains(" kfree: call_site="), "{t}");
}
