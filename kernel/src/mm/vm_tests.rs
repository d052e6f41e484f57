//! Tests of user address spaces on a booted kernel: faults, A/D bits,
//! copy-on-write fork, the mapping calls and their errno rules, stack and
//! brk growth, uaccess on bad pointers (property-tested against a model),
//! /proc text, concurrent faults from several CPUs, and the free-page
//! count coming back to its baseline after exit.

use super::mm_types::*;
use super::pgtable::{_PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER};
use crate::init::kernel::kernel;
use crate::kernel::kthread::{kthread_create_on_cpu, kthread_stop};
use crate::kernel::sched::wake_up_process;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use uapi::errno::*;
use uapi::mman::*;

const PG: u64 = 4096;
const RW: u64 = PROT_READ | PROT_WRITE;
const ANON: u64 = MAP_PRIVATE | MAP_ANONYMOUS;

fn on_kernel<R: Send + 'static>(cpus: usize, f: impl FnOnce() -> R + Send + 'static) -> R {
    crate::testing::run(crate::testing::config(cpus), f).0
}

/// Free pages, buddy and per-CPU lists together.
fn free_pages() -> u64 {
    let k = kernel();
    k.mm.nr_free_pages() + k.mm.nr_pcp_pages()
}

fn refs(mm: &MmStruct, addr: u64) -> (i32, i32) {
    let pfn = mm.pte_pfn(addr).expect("mapped");
    let k = kernel();
    let p = &k.mm.mem_map[pfn];
    (p.page_ref_count(), p.page_mapcount())
}

/// Counts a finished thread when dropped, also when the thread panics.
struct Finished(Arc<AtomicUsize>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Release);
    }
}

/// Runs `f(cpu)` on a kthread bound to each of CPUs `0..n`, waits for all
/// of them and returns their exit codes (11 for one that panicked).
fn on_cpus(n: usize, f: impl Fn(usize) + Send + Sync + 'static) -> Vec<i32> {
    let f = Arc::new(f);
    let done = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..n)
        .map(|cpu| {
            let (f, done) = (Arc::clone(&f), Arc::clone(&done));
            kthread_create_on_cpu(
                move || {
                    let _fin = Finished(done);
                    f(cpu);
                    0
                },
                cpu,
                "mm_test/%u",
            )
        })
        .collect();
    for t in &ts {
        wake_up_process(t);
    }
    while done.load(Ordering::Acquire) < n {
        crate::kernel::time::msleep(1);
    }
    ts.iter().map(kthread_stop).collect()
}

fn segv(addr: u64, code: i32) -> Result<(), FaultError> {
    Err(FaultError::Segv { addr, code })
}

#[test]
fn zero_fill_and_accessed_dirty_bits() {
    on_kernel(1, || {
        let base = free_pages();
        let mm = MmStruct::new();
        let a = mm.mmap(0, 4 * PG, RW, ANON, -1, 0).unwrap();
        assert_eq!(a & 0xfff, 0);
        assert_eq!(mm.pte_flags(a), None);
        let mut b = [0xffu8; 64];
        mm.load(a + 100, &mut b).unwrap();
        assert_eq!(b, [0u8; 64]);
        let f = mm.pte_flags(a).unwrap();
        assert_eq!(f & (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED), 0x25);
        assert_eq!(f & _PAGE_DIRTY, 0, "a load does not dirty");
        assert_ne!(f & _PAGE_RW, 0);
        mm.store(a + 100, b"hello").unwrap();
        assert_ne!(mm.pte_flags(a).unwrap() & _PAGE_DIRTY, 0);
        // an unaligned access spanning three pages
        let data: Vec<u8> = (0..9000u32).map(|i| (i * 7) as u8).collect();
        mm.store(a + PG - 3, &data).unwrap();
        let mut back = vec![0u8; 9000];
        mm.load(a + PG - 3, &mut back).unwrap();
        assert_eq!(back, data);
        for p in 1..4 {
            let f = mm.pte_flags(a + p * PG).unwrap();
            assert_eq!(
                f & (_PAGE_ACCESSED | _PAGE_DIRTY),
                _PAGE_ACCESSED | _PAGE_DIRTY
            );
        }
        assert_eq!(mm.rss_pages(), 4);
        assert_eq!(refs(&mm, a), (1, 1));
        assert!(mm.proc_status().contains("VmRSS:\t      16 kB\n"));
        assert!(mm.proc_status().contains("VmPTE:\t      12 kB\n"));
        let anon = kernel().mm.global_node_stat(super::vmstat::NR_ANON_PAGES);
        assert_eq!(anon, 4);
        drop(mm);
        assert_eq!(
            kernel().mm.global_node_stat(super::vmstat::NR_ANON_PAGES),
            0
        );
        assert_eq!(free_pages(), base);
    });
}

#[test]
fn cow_after_fork_both_directions_and_baseline() {
    on_kernel(2, || {
        let base = free_pages();
        let parent = MmStruct::new();
        let a = parent.mmap(0, 3 * PG, RW, ANON, -1, 0).unwrap();
        for p in 0..3 {
            parent.store(a + p * PG, &[p as u8 + 1; 16]).unwrap();
        }
        let sh = parent
            .mmap(0, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
            .unwrap();
        parent.store(sh, b"shared").unwrap();
        let child = parent.dup_mmap().unwrap();
        assert_eq!(child.proc_maps(), parent.proc_maps());
        for p in 0..3 {
            let (fp, fc) = (
                parent.pte_flags(a + p * PG).unwrap(),
                child.pte_flags(a + p * PG).unwrap(),
            );
            assert_eq!(fp & _PAGE_RW, 0, "parent write-protected");
            assert_eq!(fc & _PAGE_RW, 0, "child write-protected");
            assert_eq!(fc & _PAGE_ACCESSED, 0, "child PTEs start old");
            assert_eq!(parent.pte_pfn(a + p * PG), child.pte_pfn(a + p * PG));
            assert_eq!(refs(&parent, a + p * PG), (2, 2));
        }
        // child writes page 0: private copy, parent unchanged
        let old0 = parent.pte_pfn(a).unwrap();
        child.store(a, b"child").unwrap();
        assert_ne!(child.pte_pfn(a).unwrap(), old0);
        let mut b = [0u8; 5];
        parent.load(a, &mut b).unwrap();
        assert_eq!(b, [1; 5]);
        assert_eq!(refs(&parent, a), (1, 1));
        assert_eq!(refs(&child, a), (1, 1));
        // the parent, now the only mapper, reuses its page in place
        parent.store(a, b"paren").unwrap();
        assert_eq!(parent.pte_pfn(a).unwrap(), old0);
        child.load(a, &mut b).unwrap();
        assert_eq!(&b, b"child");
        // parent writes page 1 first: the child keeps the original
        parent.store(a + PG, b"P").unwrap();
        child.load(a + PG, &mut b[..1]).unwrap();
        assert_eq!(b[0], 2);
        assert_eq!(refs(&child, a + PG), (1, 1));
        // shared anonymous memory stays shared, also for pages first
        // touched after the fork
        let mut s = [0u8; 6];
        child.load(sh, &mut s).unwrap();
        assert_eq!(&s, b"shared");
        child.store(sh + PG, b"late").unwrap();
        parent.load(sh + PG, &mut s[..4]).unwrap();
        assert_eq!(&s[..4], b"late");
        parent.store(sh, b"SHARED").unwrap();
        child.load(sh, &mut s).unwrap();
        assert_eq!(&s, b"SHARED");
        assert_ne!(child.pte_flags(sh).unwrap() & _PAGE_RW, 0);
        assert!(parent.proc_status().contains("RssShmem:\t       8 kB\n"));
        // exit in either order: everything comes back
        parent.exit_mmap();
        child.load(a + 2 * PG, &mut b[..1]).unwrap();
        assert_eq!(b[0], 3);
        assert_eq!(refs(&child, a + 2 * PG), (1, 1));
        drop(parent);
        drop(child);
        assert_eq!(free_pages(), base);
        let k = kernel();
        for item in [
            super::vmstat::NR_ANON_PAGES,
            super::vmstat::NR_SHMEM,
            super::vmstat::NR_MAPPED,
            super::vmstat::NR_PAGETABLE,
        ] {
            assert_eq!(k.mm.global_node_stat(item), 0, "vmstat item {item}");
        }
    });
}

#[test]
fn munmap_and_mprotect_split_and_merge() {
    on_kernel(1, || {
        let mm = MmStruct::new();
        let a = 0x1000_0000;
        assert_eq!(mm.mmap(a, 10 * PG, RW, ANON | MAP_FIXED, -1, 0), Ok(a));
        mm.store(a, &[1u8; 10 * 4096]).unwrap();
        assert_eq!(mm.vmas().len(), 1);
        mm.mprotect(a + 4 * PG, 2 * PG, PROT_READ).unwrap();
        assert_eq!(
            mm.proc_maps(),
            "10000000-10004000 rw-p 00000000 00:00 0 \n\
             10004000-10006000 r--p 00000000 00:00 0 \n\
             10006000-1000a000 rw-p 00000000 00:00 0 \n"
        );
        assert_eq!(mm.pte_flags(a + 4 * PG).unwrap() & _PAGE_RW, 0);
        assert_eq!(
            mm.store(a + 5 * PG + 8, b"x"),
            segv(a + 5 * PG + 8, SEGV_ACCERR)
        );
        let mut b = [0u8; 1];
        mm.load(a + 5 * PG, &mut b).unwrap();
        assert_eq!(b[0], 1);
        // PROT_NONE keeps the page but denies access
        mm.mprotect(a + 4 * PG, PG, PROT_NONE).unwrap();
        assert_eq!(mm.load(a + 4 * PG, &mut b), segv(a + 4 * PG, SEGV_ACCERR));
        assert_eq!(mm.rss_pages(), 10);
        // back to read-write: merged into one VMA, data intact
        mm.mprotect(a + 4 * PG, 2 * PG, RW).unwrap();
        assert_eq!(mm.vmas().len(), 1);
        mm.load(a + 4 * PG, &mut b).unwrap();
        assert_eq!(b[0], 1);
        mm.store(a + 4 * PG, b"w").unwrap();
        // munmap the middle: two VMAs, a hole that faults with MAPERR
        mm.munmap(a + 2 * PG, 3 * PG).unwrap();
        assert_eq!(mm.vmas().len(), 2);
        assert_eq!(mm.rss_pages(), 7);
        assert_eq!(mm.load(a + 3 * PG, &mut b), segv(a + 3 * PG, SEGV_MAPERR));
        // mprotect across the hole: ENOMEM, after changing the first part
        assert_eq!(mm.mprotect(a, 10 * PG, PROT_READ), Err(ENOMEM));
        assert_eq!(mm.vmas()[0].vm_flags & VM_WRITE, 0);
        assert_eq!(mm.vmas()[1].vm_flags & VM_WRITE, VM_WRITE);
        assert_eq!(mm.mprotect(a + 2 * PG, PG, PROT_READ), Err(ENOMEM));
        assert_eq!(mm.mprotect(a + 1, PG, PROT_READ), Err(EINVAL));
        assert_eq!(mm.mprotect(a, PG, 0x10), Err(EINVAL));
        assert_eq!(mm.mprotect(a, 0, PROT_READ), Ok(()));
        // munmap across VMAs and holes, and of nothing at all
        mm.munmap(a + PG, 8 * PG).unwrap();
        assert_eq!(mm.vmas().len(), 2);
        mm.munmap(0x2000_0000, PG).unwrap();
        assert_eq!(mm.munmap(a + 1, PG), Err(EINVAL));
        assert_eq!(mm.munmap(a, 0), Err(EINVAL));
        assert_eq!(mm.munmap(TASK_SIZE, PG), Err(EINVAL));
        assert_eq!(mm.munmap(a, u64::MAX - 10), Err(EINVAL));
        mm.munmap(0, TASK_SIZE).unwrap();
        assert!(mm.vmas().is_empty());
        assert_eq!(mm.rss_pages(), 0);
        assert_eq!(mm.pgtables_bytes(), 0, "empty page tables are freed");
        assert_eq!(mm.total_vm_pages(), 0);
    });
}

#[test]
fn mmap_argument_rules_and_placement() {
    on_kernel(1, || {
        let mm = MmStruct::new();
        assert_eq!(mm.mmap(0, 0, RW, ANON, -1, 0), Err(EINVAL));
        assert_eq!(mm.mmap(0, PG, RW, ANON, -1, 1), Err(EINVAL));
        assert_eq!(
            mm.mmap(0x10001, PG, RW, ANON | MAP_FIXED, -1, 0),
            Err(EINVAL)
        );
        assert_eq!(mm.mmap(0, PG, RW, MAP_ANONYMOUS, -1, 0), Err(EINVAL));
        assert_eq!(mm.mmap(0, PG, RW, MAP_ANONYMOUS | 0x3, -1, 0), Err(EINVAL));
        assert_eq!(mm.mmap(0, PG, RW, MAP_PRIVATE, -1, 0), Err(EBADF));
        assert_eq!(mm.mmap(0, PG, RW, MAP_PRIVATE, 3, 0), Err(ENODEV));
        assert_eq!(mm.mmap(0, u64::MAX, RW, ANON, -1, 0), Err(ENOMEM));
        assert_eq!(mm.mmap(0, TASK_SIZE, RW, ANON, -1, 0), Err(ENOMEM));
        assert_eq!(
            mm.mmap(TASK_SIZE - PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0),
            Err(ENOMEM)
        );
        assert_eq!(mm.mmap(0x1000, PG, RW, ANON | MAP_FIXED, -1, 0), Err(EPERM));
        assert_eq!(
            mm.mmap(0, PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0),
            Err(EINVAL)
        );
        // top-down below TASK_UNMAPPED_BASE, each new mapping below the last
        let a = mm.mmap(0, PG, PROT_READ, ANON, -1, 0).unwrap();
        assert_eq!(a, TASK_UNMAPPED_BASE - PG);
        let b = mm.mmap(0, 3 * PG, RW, ANON, -1, 0).unwrap();
        assert_eq!(b, a - 3 * PG);
        // a free hint is honoured (rounded down to a page), a taken one is not
        assert_eq!(
            mm.mmap(0x4000_0123, 2 * PG, RW, ANON, -1, 0),
            Ok(0x4000_0000)
        );
        let c = mm.mmap(0x4000_1000, PG, RW, ANON, -1, 0).unwrap();
        assert_ne!(c, 0x4000_1000);
        assert_eq!(
            mm.mmap(0x4000_1000, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
            Err(EEXIST)
        );
        // MAP_FIXED replaces whatever was there
        mm.store(0x4000_1000, b"old").unwrap();
        assert_eq!(
            mm.mmap(0x4000_1000, PG, RW, ANON | MAP_FIXED, -1, 0),
            Ok(0x4000_1000)
        );
        let mut x = [1u8; 3];
        mm.load(0x4000_1000, &mut x).unwrap();
        assert_eq!(x, [0; 3]);
        // adjacent compatible private mappings merge, incompatible do not
        let before = mm.vmas().len();
        mm.mmap(0x4000_2000, PG, RW, ANON | MAP_FIXED, -1, 0)
            .unwrap();
        assert_eq!(mm.vmas().len(), before);
        mm.mmap(0x4000_3000, PG, PROT_READ, ANON | MAP_FIXED, -1, 0)
            .unwrap();
        assert_eq!(mm.vmas().len(), before + 1);
        // MAP_POPULATE faults everything in
        let p = mm.mmap(0, 5 * PG, RW, ANON | MAP_POPULATE, -1, 0).unwrap();
        for i in 0..5 {
            assert_ne!(mm.pte_flags(p + i * PG).unwrap() & _PAGE_DIRTY, 0);
        }
        assert!(mm.proc_maps().lines().all(|l| l.ends_with(" 0 ")));
    });
}

#[test]
fn uaccess_rejects_bad_pointers() {
    on_kernel(1, || {
        let mm = MmStruct::new();
        let a = mm
            .mmap(0x2000_0000, 2 * PG, RW, ANON | MAP_FIXED, -1, 0)
            .unwrap();
        let ro = mm
            .mmap(0x2000_2000, PG, PROT_READ, ANON | MAP_FIXED, -1, 0)
            .unwrap();
        let mut b = [0u8; 16];
        assert_eq!(mm.copy_from_user(&mut b, 0), Err(EFAULT));
        assert_eq!(
            mm.copy_from_user(&mut b, 0xffff_8880_0000_0000),
            Err(EFAULT)
        );
        assert_eq!(mm.copy_from_user(&mut b, u64::MAX - 3), Err(EFAULT));
        assert_eq!(mm.copy_from_user(&mut b, TASK_SIZE - 8), Err(EFAULT));
        assert_eq!(mm.copy_from_user(&mut [], 0xdead), Ok(()));
        assert_eq!(mm.copy_to_user(ro, b"x"), Err(EFAULT));
        assert_eq!(mm.copy_to_user(a + 2 * PG - 1, b"xy"), Err(EFAULT));
        mm.copy_from_user(&mut b, ro).unwrap();
        mm.copy_to_user(a, &[0x55; 16]).unwrap();
        mm.copy_from_user(&mut b, a + 2 * PG - 8).unwrap();
        mm.copy_from_user(&mut b, a).unwrap();
        assert_eq!(b, [0x55; 16]);
        assert_eq!(mm.copy_from_user(&mut b, ro + PG - 8), Err(EFAULT));
        assert_eq!(b, [0; 16], "a failed copy leaves zeroes");
        mm.put_user_u64(a + 4, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(mm.get_user_u64(a + 4), Ok(0x1122_3344_5566_7788));
        assert_eq!(mm.get_user_u64(u64::MAX), Err(EFAULT));
        assert_eq!(mm.put_user_u64(TASK_SIZE - 4, 1), Err(EFAULT));
        // strncpy_from_user
        mm.copy_to_user(a + PG - 3, b"/bin/sh\0").unwrap();
        assert_eq!(
            mm.strncpy_from_user(a + PG - 3, 4096),
            Ok(b"/bin/sh".to_vec())
        );
        assert_eq!(mm.strncpy_from_user(a + PG - 3, 7), Err(ENAMETOOLONG));
        assert_eq!(mm.strncpy_from_user(a + PG - 3, 0), Err(ENAMETOOLONG));
        mm.copy_to_user(ro - 4, b"abcd").unwrap();
        // no NUL before the read-only page, which is all zeroes: stops there
        assert_eq!(
            mm.strncpy_from_user(ro - 4, usize::MAX),
            Ok(b"abcd".to_vec())
        );
        mm.munmap(ro, PG).unwrap();
        assert_eq!(mm.strncpy_from_user(ro - 4, usize::MAX), Err(EFAULT));
        assert_eq!(mm.strncpy_from_user(u64::MAX, 10), Err(EFAULT));
        assert_eq!(mm.strncpy_from_user(TASK_SIZE - 1, 10), Err(EFAULT));
        // user-mode loads report the first bad byte
        let mut big = vec![0u8; 3 * 4096];
        assert_eq!(mm.load(a + 10, &mut big), segv(a + 2 * PG, SEGV_MAPERR));
        assert_eq!(
            mm.load(u64::MAX - 1, &mut b),
            segv(u64::MAX - 1, SEGV_MAPERR)
        );
        assert_eq!(
            mm.store(TASK_SIZE - 1, &b),
            segv(TASK_SIZE - 1, SEGV_MAPERR)
        );
        // via the iov_iter interface
        let um: &dyn crate::fs::iov_iter::UserMemory = &*mm;
        assert_eq!(um.copy_to_user(0, b"x"), Err(EFAULT));
        um.copy_to_user(a, b"iov").unwrap();
    });
}

/// The layout the property test runs on: (start, pages, prot).
const LAYOUT: [(u64, u64, u64); 4] = [
    (0x3000_0000, 3, RW),
    (0x3000_3000, 2, PROT_READ),
    (0x3000_6000, 1, PROT_NONE),
    (0x3000_8000, 4, PROT_WRITE),
];

/// The model: may `len` bytes at `addr` be read (or written)?
fn model_ok(addr: u64, len: u64, write: bool) -> bool {
    if len == 0 {
        return true;
    }
    let Some(end) = addr.checked_add(len) else {
        return false;
    };
    if end > TASK_SIZE {
        return false;
    }
    let mut a = addr & !0xfff;
    while a < end {
        let ok = LAYOUT.iter().any(|&(s, n, prot)| {
            a >= s
                && a < s + n * PG
                && if write {
                    prot & PROT_WRITE != 0
                } else {
                    prot != PROT_NONE
                }
        });
        if !ok {
            return false;
        }
        a += PG;
    }
    true
}

#[test]
fn uaccess_agrees_with_a_model_for_any_pointer() {
    on_kernel(1, || {
        let mm = MmStruct::new();
        for (s, n, prot) in LAYOUT {
            mm.mmap(s, n * PG, prot, ANON | MAP_FIXED, -1, 0).unwrap();
        }
        let base = LAYOUT[0].0 - 2 * PG;
        let near = (0u64..16 * PG).prop_map(move |o| base + o);
        let wild = prop_oneof![
            Just(0u64),
            Just(TASK_SIZE - 1),
            Just(u64::MAX),
            any::<u64>(),
            (0u64..64).prop_map(|i| u64::MAX - i),
        ];
        let addr = prop_oneof![4 => near, 1 => wild];
        // lengths are those of real buffers; overflow comes from addresses
        // near the top of the address space
        let len = prop_oneof![4 => 0u64..3 * PG, 1 => Just(3 * PG)];
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 2000,
            ..ProptestConfig::default()
        });
        runner
            .run(&(addr, len, any::<bool>()), |(addr, len, write)| {
                let expect = model_ok(addr, len, write);
                let mut buf = vec![0u8; len as usize];
                let r = if write {
                    mm.copy_to_user(addr, &buf)
                } else {
                    mm.copy_from_user(&mut buf, addr)
                };
                prop_assert_eq!(
                    r.is_ok(),
                    expect,
                    "addr {:#x} len {:#x} write {}",
                    addr,
                    len,
                    write
                );
                if let Err(e) = r {
                    prop_assert_eq!(e, EFAULT);
                }
                Ok(())
            })
            .unwrap();
    });
}

#[test]
fn stack_grows_down_within_rlimit() {
    on_kernel(1, || {
        let mm = MmStruct::new();
        assert_eq!(mm.setup_exec_layout(), Ok(STACK_TOP));
        assert_eq!(mm.setup_exec_layout(), Err(EEXIST));
        let bottom = STACK_TOP - INITIAL_STACK_SIZE;
        assert_eq!(
            mm.proc_maps(),
            format!(
                "{bottom:08x}-{STACK_TOP:08x} rw-p 00000000 00:00 0{:26}[stack]\n",
                ""
            )
        );
        assert_eq!(bottom, 0x7fff_fffd_e000);
        mm.store(STACK_TOP - 8, &[7; 8]).unwrap();
        mm.store(bottom - 100 * PG, b"grow").unwrap();
        let v = mm.vmas();
        assert_eq!(v.last().unwrap().vm_start, bottom - 100 * PG);
        assert!(mm.proc_status().contains(&format!(
            "VmStk:\t{:>8} kB\n",
            (INITIAL_STACK_SIZE + 100 * PG) / 1024
        )));
        // the whole rlimit is fine, one page more is not
        mm.store(STACK_TOP - STACK_RLIMIT, b"edge").unwrap();
        let past = STACK_TOP - STACK_RLIMIT - 1;
        assert_eq!(mm.store(past, b"x"), segv(past, SEGV_MAPERR));
        assert_eq!(mm.copy_to_user(past, b"x"), Err(EFAULT));
        // the stack does not grow into the guard gap of a mapping below
        let mm2 = MmStruct::new();
        mm2.setup_exec_layout().unwrap();
        let low = STACK_TOP - INITIAL_STACK_SIZE - 2 * STACK_GUARD_GAP;
        mm2.mmap(low - PG, PG, RW, ANON | MAP_FIXED, -1, 0).unwrap();
        let into_gap = low + STACK_GUARD_GAP / 2;
        assert_eq!(mm2.store(into_gap, b"x"), segv(into_gap, SEGV_MAPERR));
        mm2.store(low + STACK_GUARD_GAP, b"x").unwrap();
    });
}

#[test]
fn brk_grows_shrinks_and_respects_neighbours() {
    on_kernel(1, || {
        let base = free_pages();
        let mm = MmStruct::new();
        mm.setup_exec_layout().unwrap();
        let start = ELF_ET_DYN_BASE_BRK;
        assert_eq!(mm.brk(0), start);
        assert_eq!(mm.brk(start + 10000), start + 10000);
        assert_eq!(mm.brk_range(), (start, start + 10000));
        mm.store(start, &[5u8; 10000]).unwrap();
        assert_eq!(
            mm.store(start + 3 * PG, b"x"),
            segv(start + 3 * PG, SEGV_MAPERR)
        );
        let heap = mm
            .proc_maps()
            .lines()
            .find(|l| l.ends_with("[heap]"))
            .unwrap()
            .to_string();
        assert_eq!(
            heap,
            format!(
                "{:08x}-{:08x} rw-p 00000000 00:00 0{:26}[heap]",
                start,
                start + 3 * PG,
                ""
            )
        );
        assert_eq!(heap.find('[').unwrap(), 73);
        // growing extends the same VMA
        assert_eq!(mm.brk(start + 5 * PG), start + 5 * PG);
        assert_eq!(mm.vmas().len(), 2);
        // shrinking frees the pages above the new break
        assert_eq!(mm.brk(start + PG), start + PG);
        assert_eq!(mm.rss_pages(), 1);
        assert_eq!(mm.brk(start + 2 * PG), start + 2 * PG);
        let mut b = [9u8; 1];
        mm.load(start + PG, &mut b).unwrap();
        assert_eq!(b[0], 0, "pages given back come back zeroed");
        // never below start_brk, never into another mapping
        assert_eq!(mm.brk(start - PG), start + 2 * PG);
        mm.mmap(start + 10 * PG, PG, RW, ANON | MAP_FIXED, -1, 0)
            .unwrap();
        assert_eq!(mm.brk(start + 10 * PG), start + 2 * PG);
        assert_eq!(mm.brk(start + 9 * PG), start + 9 * PG);
        assert_eq!(mm.brk(u64::MAX), start + 9 * PG);
        drop(mm);
        assert_eq!(free_pages(), base);
    });
}

#[test]
fn mremap_grows_moves_and_shrinks() {
    on_kernel(1, || {
        let mm = MmStruct::new();
        let a = 0x5000_0000;
        mm.mmap(a, 2 * PG, RW, ANON | MAP_FIXED, -1, 0).unwrap();
        mm.store(a, b"keep me").unwrap();
        mm.store(a + PG, b"page 2").unwrap();
        // in place: nothing follows
        assert_eq!(mm.mremap(a, 2 * PG, 4 * PG, 0, 0), Ok(a));
        assert_eq!(mm.vmas()[0].vm_end, a + 4 * PG);
        // blocked by a neighbour: ENOMEM without MAYMOVE, a move with it
        mm.mmap(a + 4 * PG, PG, PROT_READ, ANON | MAP_FIXED, -1, 0)
            .unwrap();
        assert_eq!(mm.mremap(a, 4 * PG, 8 * PG, 0, 0), Err(ENOMEM));
        let pfn = mm.pte_pfn(a).unwrap();
        let b = mm.mremap(a, 4 * PG, 8 * PG, MREMAP_MAYMOVE, 0).unwrap();
        assert_ne!(b, a);
        assert_eq!(mm.pte_pfn(b), Some(pfn), "pages move, not copy");
        let mut s = [0u8; 7];
        mm.load(b, &mut s).unwrap();
        assert_eq!(&s, b"keep me");
        mm.load(b + PG, &mut s[..6]).unwrap();
        assert_eq!(&s[..6], b"page 2");
        assert_eq!(mm.load(a, &mut s), segv(a, SEGV_MAPERR));
        mm.store(b + 7 * PG, b"new").unwrap();
        assert_eq!(mm.rss_pages(), 3);
        // shrink
        assert_eq!(mm.mremap(b, 8 * PG, PG, 0, 0), Ok(b));
        assert_eq!(mm.rss_pages(), 1);
        // MREMAP_FIXED
        let t = 0x6000_0000;
        assert_eq!(
            mm.mremap(b, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t),
            Ok(t)
        );
        mm.load(t, &mut s).unwrap();
        assert_eq!(&s, b"keep me");
        // errors
        assert_eq!(mm.mremap(b, PG, 2 * PG, MREMAP_MAYMOVE, 0), Err(EFAULT));
        assert_eq!(mm.mremap(t, 3 * PG, 4 * PG, MREMAP_MAYMOVE, 0), Err(EFAULT));
        assert_eq!(mm.mremap(t + 1, PG, 2 * PG, 0, 0), Err(EINVAL));
        assert_eq!(mm.mremap(t, PG, 0, 0, 0), Err(EINVAL));
        assert_eq!(mm.mremap(t, PG, 2 * PG, MREMAP_FIXED, t), Err(EINVAL));
        assert_eq!(mm.mremap(t, PG, 2 * PG, 0x80, 0), Err(EINVAL));
        assert_eq!(
            mm.mremap(t, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t),
            Err(EINVAL)
        );
        assert_eq!(mm.mremap(t, 0, PG, MREMAP_MAYMOVE, 0), Err(EINVAL));
        // old_len 0 on a shared mapping: a second view of the same pages
        let sh = mm
            .mmap(0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
            .unwrap();
        mm.store(sh, b"twice").unwrap();
        let view = mm.mremap(sh, 0, PG, MREMAP_MAYMOVE, 0).unwrap();
        assert_ne!(view, sh);
        mm.load(view, &mut s[..5]).unwrap();
        assert_eq!(&s[..5], b"twice");
        assert!(mm.proc_maps().contains(" rw-s 00000000 00:01 "));
    });
}

#[test]
fn concurrent_faults_from_four_cpus() {
    on_kernel(4, || {
        let base = free_pages();
        let mm = MmStruct::new();
        let a = mm.mmap(0, 64 * PG, RW, ANON, -1, 0).unwrap();
        let shared = mm.mmap(0, 4 * PG, RW, ANON, -1, 0).unwrap();
        let m = Arc::clone(&mm);
        let codes = on_cpus(4, move |cpu| {
            let cpu = cpu as u64;
            for round in 0..200u64 {
                // disjoint pages: 16 per thread
                let p = a + (cpu * 16 + round % 16) * PG;
                m.store(p + round, &[cpu as u8 + 1]).unwrap();
                // overlapping pages: every thread its own bytes
                let q = shared + (round % 4) * PG + cpu * 8;
                m.put_user_u64(q, round).unwrap();
                assert_eq!(m.get_user_u64(q), Ok(round));
                let mut b = [0u8; 1];
                m.load(p + round, &mut b).unwrap();
                assert_eq!(b[0], cpu as u8 + 1);
            }
        });
        assert_eq!(codes, [0; 4]);
        assert_eq!(mm.rss_pages(), 68);
        for cpu in 0..4u64 {
            for r in 0..4 {
                assert_eq!(mm.get_user_u64(shared + r * PG + cpu * 8), Ok(196 + r));
            }
        }
        drop(mm);
        assert_eq!(free_pages(), base);
    });
}

#[test]
fn concurrent_cow_breaks_and_exit() {
    on_kernel(4, || {
        let base = free_pages();
        let parent = MmStruct::new();
        let a = parent
            .mmap(0, 32 * PG, RW, ANON | MAP_POPULATE, -1, 0)
            .unwrap();
        for i in 0..32 {
            parent.put_user_u64(a + i * PG, i).unwrap();
        }
        let child = parent.dup_mmap().unwrap();
        // two threads of each address space write every page at once
        let (p2, c2) = (Arc::clone(&parent), Arc::clone(&child));
        let codes = on_cpus(4, move |cpu| {
            let mm = if cpu % 2 == 0 { &p2 } else { &c2 };
            let cpu = cpu as u64;
            for i in 0..32 {
                assert_eq!(mm.get_user_u64(a + i * PG), Ok(i));
                mm.put_user_u64(a + i * PG + 8 + cpu * 8, 1000 + cpu)
                    .unwrap();
            }
        });
        assert_eq!(codes, [0; 4]);
        for i in 0..32 {
            for (mm, mine, other) in [(&parent, [0, 2], [1, 3]), (&child, [1, 3], [0, 2])] {
                assert_eq!(mm.get_user_u64(a + i * PG), Ok(i));
                for c in mine {
                    assert_eq!(mm.get_user_u64(a + i * PG + 8 + c * 8), Ok(1000 + c));
                }
                for c in other {
                    assert_eq!(mm.get_user_u64(a + i * PG + 8 + c * 8), Ok(0));
                }
                assert_eq!(refs(mm, a + i * PG), (1, 1));
            }
        }
        drop(child);
        drop(parent);
        assert_eq!(free_pages(), base);
    });
}

#[test]
fn compaction_migrates_user_pages() {
    on_kernel(2, || {
        let base = free_pages();
        let k = kernel();
        let mm = MmStruct::new();
        // a page shared copy-on-write with a child holds two references
        // and stays where it is
        let s = mm.mmap(0, PG, RW, ANON, -1, 0).unwrap();
        mm.put_user_u64(s, 42).unwrap();
        let child = mm.dup_mmap().unwrap();
        let shared_pfn = mm.pte_pfn(s).unwrap();
        // fill most of memory, then free every other page: fragmentation
        let n = 10000u64;
        let a = mm.mmap(0, n * PG, RW, ANON | MAP_POPULATE, -1, 0).unwrap();
        for i in 0..n {
            mm.put_user_u64(a + i * PG + 8 * (i % 16), 0xabc0_0000 + i)
                .unwrap();
        }
        for i in (1..n).step_by(2) {
            mm.munmap(a + i * PG, PG).unwrap();
        }
        let kept: Vec<u64> = (0..n).step_by(2).collect();
        let before: Vec<_> = kept
            .iter()
            .map(|i| mm.pte_pfn(a + i * PG).unwrap())
            .collect();
        let migrated = k.mm.events.get(super::vmstat::VmEvent::PGMIGRATE_SUCCESS);
        k.mm.compact_memory();
        let moved = k.mm.events.get(super::vmstat::VmEvent::PGMIGRATE_SUCCESS) - migrated;
        let after: Vec<_> = kept
            .iter()
            .map(|i| mm.pte_pfn(a + i * PG).unwrap())
            .collect();
        let changed = before.iter().zip(&after).filter(|(b, a)| b != a).count();
        assert!(changed > 100, "only {changed} user pages moved");
        assert!(moved >= changed as u64);
        for (j, &i) in kept.iter().enumerate() {
            let p = a + i * PG;
            assert_eq!(mm.get_user_u64(p + 8 * (i % 16)), Ok(0xabc0_0000 + i));
            assert_eq!(refs(&mm, p), (1, 1));
            assert_eq!(k.mm.anon_rmap.nr_mappings(after[j]), 1);
            assert!(k.mm.mem_map[after[j]].page_movable());
        }
        assert_eq!(mm.pte_pfn(s), Some(shared_pfn));
        assert_eq!(refs(&mm, s), (2, 2));
        child.put_user_u64(s, 7).unwrap();
        assert_eq!(mm.get_user_u64(s), Ok(42));
        // moved pages still copy-on-write after a fork
        let child2 = mm.dup_mmap().unwrap();
        child2.put_user_u64(a, 1).unwrap();
        assert_eq!(mm.get_user_u64(a), Ok(0xabc0_0000));
        drop((child, child2, mm));
        assert_eq!(free_pages(), base);
        assert_eq!(k.mm.global_node_stat(super::vmstat::NR_ANON_PAGES), 0);
    });
}

#[test]
fn compaction_races_user_stores_without_losing_them() {
    on_kernel(4, || {
        let base = free_pages();
        let mm = MmStruct::new();
        let n = 6000u64;
        let a = mm.mmap(0, n * PG, RW, ANON | MAP_POPULATE, -1, 0).unwrap();
        for i in (1..n).step_by(2) {
            mm.munmap(a + i * PG, PG).unwrap();
        }
        let migrated = kernel()
            .mm
            .events
            .get(super::vmstat::VmEvent::PGMIGRATE_SUCCESS);
        let writers = Arc::new(AtomicUsize::new(0));
        let m = Arc::clone(&mm);
        let codes = on_cpus(4, move |cpu| {
            if cpu == 3 {
                // compact until the writers are done, at least once
                let k = kernel();
                loop {
                    k.mm.compact_memory();
                    if writers.load(Ordering::Acquire) == 3 {
                        break;
                    }
                }
                return;
            }
            let _fin = Finished(Arc::clone(&writers));
            // each writer owns every third kept page
            let cpu = cpu as u64;
            for round in 1..=20u64 {
                for i in (0..n).step_by(2).filter(|i| (i / 2) % 3 == cpu) {
                    let p = a + i * PG + 64 * cpu;
                    assert_eq!(m.get_user_u64(p), Ok(round - 1), "page {i}");
                    m.put_user_u64(p, round).unwrap();
                }
            }
        });
        assert_eq!(codes, [0; 4]);
        for i in (0..n).step_by(2) {
            let cpu = (i / 2) % 3;
            assert_eq!(mm.get_user_u64(a + i * PG + 64 * cpu), Ok(20));
        }
        assert!(
            kernel()
                .mm
                .events
                .get(super::vmstat::VmEvent::PGMIGRATE_SUCCESS)
                > migrated
        );
        drop(mm);
        assert_eq!(free_pages(), base);
    });
}

#[test]
fn proc_maps_and_status_parse_as_linux_text() {
    use procfs_core::process::{MMPermissions, MMapPath, MemoryMaps};
    use procfs_core::FromRead;
    on_kernel(1, || {
        let mm = MmStruct::new();
        mm.setup_exec_layout().unwrap();
        mm.brk(ELF_ET_DYN_BASE_BRK + 3 * PG);
        let anon = mm
            .mmap(0, 2 * PG, PROT_READ | PROT_EXEC, ANON, -1, 0)
            .unwrap();
        let sh = mm
            .mmap(0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
            .unwrap();
        let none = mm.mmap(0, PG, PROT_NONE, ANON, -1, 0).unwrap();
        mm.store(sh, b"x").unwrap();
        mm.store(STACK_TOP - 8, b"y").unwrap();
        let text = mm.proc_maps();
        let maps = MemoryMaps::from_read(text.as_bytes()).unwrap();
        let got: Vec<_> = maps
            .0
            .iter()
            .map(|m| (m.address, m.perms, m.pathname.clone()))
            .collect();
        let rw = MMPermissions::READ | MMPermissions::WRITE;
        assert_eq!(
            got,
            vec![
                (
                    (ELF_ET_DYN_BASE_BRK, ELF_ET_DYN_BASE_BRK + 3 * PG),
                    rw | MMPermissions::PRIVATE,
                    MMapPath::Heap
                ),
                (
                    (none, none + PG),
                    MMPermissions::PRIVATE,
                    MMapPath::Anonymous
                ),
                (
                    (sh, sh + PG),
                    rw | MMPermissions::SHARED,
                    MMapPath::Path("/dev/zero (deleted)".into())
                ),
                (
                    (anon, anon + 2 * PG),
                    MMPermissions::READ | MMPermissions::EXECUTE | MMPermissions::PRIVATE,
                    MMapPath::Anonymous
                ),
                (
                    (STACK_TOP - INITIAL_STACK_SIZE, STACK_TOP),
                    rw | MMPermissions::PRIVATE,
                    MMapPath::Stack
                ),
            ]
        );
        assert_eq!(maps.0[2].dev, (0, 1));
        assert_ne!(maps.0[2].inode, 0);
        let status = mm.proc_status();
        let names: Vec<_> = status
            .lines()
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile",
                "RssShmem", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap"
            ]
        );
        let total_kb = (3 + 2 + 1 + 1) * 4 + INITIAL_STACK_SIZE / 1024;
        assert!(
            status.contains(&format!("VmSize:\t{total_kb:>8} kB\n")),
            "{status}"
        );
        assert!(
            status.contains("VmRSS:\t       8 kB\nRssAnon:\t       4 kB\n"),
            "{status}"
        );
        assert!(
            status.contains("RssShmem:\t       4 kB\nVmData:\t      12 kB\n"),
            "{status}"
        );
        assert!(status.contains(&format!("VmStk:\t{:>8} kB\n", INITIAL_STACK_SIZE / 1024)));
    });
}

/// One step of the random mapping workload.
#[derive(Clone, Debug)]
enum Op {
    Mmap(u64, u64, u64),
    Munmap(u64, u64),
    Mprotect(u64, u64, u64),
    Store(u64, u8),
    Load(u64),
    ForkAndScribble(u64),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let page = 0u64..32;
    let len = 1u64..8;
    let prot = prop_oneof![Just(PROT_NONE), Just(PROT_READ), Just(RW), Just(PROT_WRITE)];
    prop_oneof![
        1 => (page.clone(), len.clone(), prot.clone()).prop_map(|(p, n, pr)| Op::Mmap(p, n, pr)),
        1 => (page.clone(), len.clone()).prop_map(|(p, n)| Op::Munmap(p, n)),
        1 => (page.clone(), len, prot).prop_map(|(p, n, pr)| Op::Mprotect(p, n, pr)),
        3 => (page.clone(), any::<u8>()).prop_map(|(p, b)| Op::Store(p, b)),
        2 => page.clone().prop_map(Op::Load),
        1 => page.prop_map(Op::ForkAndScribble),
    ]
}

/// The model of one page: protection, contents, faulted in.
#[derive(Clone, Copy)]
struct ModelPage {
    prot: u64,
    byte: u8,
    present: bool,
}

#[test]
fn random_mapping_workload_matches_a_model() {
    on_kernel(1, || {
        let base_free = free_pages();
        let w = 0x7000_0000u64;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 64,
            ..ProptestConfig::default()
        });
        runner
            .run(&proptest::collection::vec(op_strategy(), 1..60), |ops| {
                let mm = MmStruct::new();
                let mut model: [Option<ModelPage>; 40] = [None; 40];
                for op in ops {
                    match op {
                        Op::Mmap(p, n, prot) => {
                            let r = mm.mmap(w + p * PG, n * PG, prot, ANON | MAP_FIXED, -1, 0);
                            prop_assert_eq!(r, Ok(w + p * PG));
                            for m in &mut model[p as usize..(p + n) as usize] {
                                *m = Some(ModelPage {
                                    prot,
                                    byte: 0,
                                    present: false,
                                });
                            }
                        }
                        Op::Munmap(p, n) => {
                            prop_assert_eq!(mm.munmap(w + p * PG, n * PG), Ok(()));
                            model[p as usize..(p + n) as usize].fill(None);
                        }
                        Op::Mprotect(p, n, prot) => {
                            let mut expect = Ok(());
                            for m in &mut model[p as usize..(p + n) as usize] {
                                match m {
                                    Some(m) => m.prot = prot,
                                    None => {
                                        expect = Err(ENOMEM);
                                        break;
                                    }
                                }
                            }
                            prop_assert_eq!(mm.mprotect(w + p * PG, n * PG, prot), expect);
                        }
                        Op::Store(p, b) => {
                            let a = w + p * PG + 7;
                            let r = mm.store(a, &[b]);
                            match &mut model[p as usize] {
                                None => prop_assert_eq!(r, segv(a, SEGV_MAPERR)),
                                Some(m) if m.prot & PROT_WRITE == 0 => {
                                    prop_assert_eq!(r, segv(a, SEGV_ACCERR))
                                }
                                Some(m) => {
                                    prop_assert_eq!(r, Ok(()));
                                    m.byte = b;
                                    m.present = true;
                                }
                            }
                        }
                        Op::Load(p) => {
                            let a = w + p * PG + 7;
                            let mut b = [0u8];
                            let r = mm.load(a, &mut b);
                            match &mut model[p as usize] {
                                None => prop_assert_eq!(r, segv(a, SEGV_MAPERR)),
                                Some(m) if m.prot == PROT_NONE => {
                                    prop_assert_eq!(r, segv(a, SEGV_ACCERR))
                                }
                                Some(m) => {
                                    prop_assert_eq!(r, Ok(()));
                                    prop_assert_eq!(b[0], m.byte);
                                    m.present = true;
                                }
                            }
                        }
                        Op::ForkAndScribble(p) => {
                            let child = mm.dup_mmap().unwrap();
                            let a = w + p * PG + 7;
                            if child.store(a, &[0xee]).is_ok() {
                                let mut b = [0u8];
                                if mm.load(a, &mut b).is_ok() {
                                    prop_assert_eq!(b[0], model[p as usize].unwrap().byte);
                                    model[p as usize].as_mut().unwrap().present = true;
                                }
                            }
                            prop_assert_eq!(child.proc_maps(), mm.proc_maps());
                        }
                    }
                }
                // the layout invariants and the counters
                let vmas = mm.vmas();
                for v in &vmas {
                    prop_assert!(
                        v.vm_start < v.vm_end && v.vm_start % PG == 0 && v.vm_end % PG == 0
                    );
                }
                for pair in vmas.windows(2) {
                    prop_assert!(pair[0].vm_end <= pair[1].vm_start);
                    prop_assert!(!pair[0].can_merge_with(&pair[1]), "{:?}", pair);
                }
                let mapped = model.iter().flatten().count() as u64;
                let present = model.iter().flatten().filter(|m| m.present).count() as u64;
                prop_assert_eq!(mm.total_vm_pages(), mapped);
                prop_assert_eq!(mm.rss_pages(), present);
                for (i, m) in model.iter().enumerate() {
                    let vma = vmas.iter().find(|v| {
                        v.vm_start <= w + i as u64 * PG && w + (i as u64) * PG < v.vm_end
                    });
                    prop_assert_eq!(vma.is_some(), m.is_some());
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(free_pages(), base_free);
    });
}

#[test]
fn out_of_memory_is_an_error_not_a_panic() {
    on_kernel(1, || {
        let base = free_pages();
        let mm = MmStruct::new();
        // more than the machine has
        let n = (128u64 << 20) / PG;
        let a = mm.mmap(0, n * PG, RW, ANON | MAP_NORESERVE, -1, 0).unwrap();
        let mut oom_at = None;
        for i in 0..n {
            match mm.store(a + i * PG, &[1]) {
                Ok(()) => {}
                Err(e) => {
                    assert_eq!(e, FaultError::Oom);
                    oom_at = Some(i);
                    break;
                }
            }
        }
        let i = oom_at.expect("64 MiB cannot hold 128 MiB");
        assert_eq!(mm.rss_pages(), i);
        assert_eq!(mm.copy_to_user(a + i * PG, b"x"), Err(ENOMEM));
        // what was mapped is intact
        assert_eq!(mm.get_user_u64(a).map(|v| v & 0xff), Ok(1));
        drop(mm);
        assert_eq!(free_pages(), base);
        assert!(kernel().mm.global_node_stat(super::vmstat::NR_ANON_PAGES) == 0);
    });
}

#[test]
fn stack_grows_from_several_threads_at_once() {
    on_kernel(4, || {
        let mm = MmStruct::new();
        mm.setup_exec_layout().unwrap();
        let m = Arc::clone(&mm);
        let codes = on_cpus(4, move |cpu| {
            for d in 0..64u64 {
                let depth = INITIAL_STACK_SIZE + (d * 4 + cpu as u64) * 4 * PG;
                m.put_user_u64(STACK_TOP - depth, depth).unwrap();
            }
        });
        assert_eq!(codes, [0; 4]);
        let deepest = INITIAL_STACK_SIZE + (63 * 4 + 3) * 4 * PG;
        let v = mm.vmas();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].vm_start, STACK_TOP - deepest);
        for d in 0..256u64 {
            let depth = INITIAL_STACK_SIZE + d * 4 * PG;
            assert_eq!(mm.get_user_u64(STACK_TOP - depth), Ok(depth));
        }
        assert!(mm.proc_maps().ends_with("[stack]\n"));
    });
}

/// A value for a syscall argument: mostly interesting, sometimes random.
fn arg() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(PG),
        Just(3 * PG),
        (0u64..64).prop_map(|p| 0x7100_0000 + p * PG),
        Just(TASK_SIZE),
        Just(TASK_SIZE - PG),
        Just(u64::MAX),
        Just(u64::MAX - PG + 1),
        Just(1u64 << 63),
        any::<u64>(),
    ]
}

#[test]
fn mapping_calls_survive_any_arguments() {
    on_kernel(1, || {
        let base = free_pages();
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 128,
            ..ProptestConfig::default()
        });
        let call = (0u8..6, arg(), arg(), arg(), arg(), arg());
        runner
            .run(&proptest::collection::vec(call, 1..40), |calls| {
                let mm = MmStruct::new();
                mm.setup_exec_layout().unwrap();
                for (which, a, b, c, d, e) in calls {
                    match which {
                        0 => {
                            let _ = mm.mmap(a, b, c & 7, d & 0x1f_ffff, e as i64, 0);
                        }
                        1 => {
                            let _ = mm.munmap(a, b);
                        }
                        2 => {
                            let _ = mm.mprotect(a, b, c);
                        }
                        3 => {
                            let _ = mm.mremap(a, b, c, d & 3, e);
                        }
                        4 => {
                            mm.brk(a);
                        }
                        _ => {
                            let _ = mm.copy_to_user(a, &[1, 2, 3]);
                            let _ = mm.strncpy_from_user(b, (c & 0xffff) as usize);
                        }
                    }
                }
                for v in mm.vmas() {
                    prop_assert!(
                        v.vm_start >= super::mm_types::MMAP_MIN_ADDR && v.vm_end <= TASK_SIZE
                    );
                    prop_assert!(v.vm_start < v.vm_end);
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(free_pages(), base);
    });
}
