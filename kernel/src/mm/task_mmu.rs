//! The per-process memory views of fs/proc/task_mmu.c: `/proc/<pid>/maps`
//! (`show_map_vma`) and the `Vm*` lines of `/proc/<pid>/status`
//! (`task_mem`), byte for byte in Linux's format.
//!
//! Invariants: both take `mmap_lock` for reading, so they see a consistent
//! layout; counters read racily (rss) are clamped at zero, as Linux's are.

use super::mm_types::*;
use std::fmt::Write;

/// `seq_setwidth(m, 25 + sizeof(void *) * 6 - 1)` on 64-bit.
const MAPS_NAME_COLUMN: usize = 25 + 8 * 6 - 1;

impl MmStruct {
    /// `/proc/<pid>/maps`.
    pub fn proc_maps(&self) -> String {
        let l = self.mmap_lock.read();
        let mut m = String::new();
        for v in l.vmas.values() {
            let line_start = m.len();
            // anonymous memory has no file: offset, device and inode are 0;
            // shared anonymous memory shows its shmem inode on device 00:01
            let (pgoff, dev_minor, ino) = match &v.vm_file {
                Some(f) => (v.vm_pgoff << 12, 1, f.i_ino),
                None => (0, 0, 0),
            };
            let _ = write!(
                m,
                "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
                v.vm_start,
                v.vm_end,
                if v.vm_flags & VM_READ != 0 { 'r' } else { '-' },
                if v.vm_flags & VM_WRITE != 0 { 'w' } else { '-' },
                if v.vm_flags & VM_EXEC != 0 { 'x' } else { '-' },
                if v.vm_flags & VM_MAYSHARE != 0 {
                    's'
                } else {
                    'p'
                },
                pgoff,
                0,
                dev_minor,
                ino
            );
            let name = if v.vm_file.is_some() {
                // shmem_zero_setup()'s file
                Some("/dev/zero (deleted)")
            } else if v.vm_start <= l.brk && v.vm_end >= l.start_brk {
                Some("[heap]")
            } else if v.vm_start <= l.start_stack && v.vm_end >= l.start_stack {
                Some("[stack]")
            } else {
                None
            };
            if let Some(name) = name {
                // seq_pad(m, ' ')
                let width = m.len() - line_start;
                let pad = MAPS_NAME_COLUMN.saturating_sub(width);
                let _ = write!(m, "{:pad$} ", "");
                m.push_str(name);
            }
            m.push('\n');
        }
        m
    }

    /// The `Vm*`/`Rss*` lines of `/proc/<pid>/status` (`task_mem()`).
    pub fn proc_status(&self) -> String {
        let l = self.mmap_lock.read();
        let anon = self.get_mm_counter(MM_ANONPAGES);
        let file = self.get_mm_counter(MM_FILEPAGES);
        let shmem = self.get_mm_counter(MM_SHMEMPAGES);
        let rss = self.rss_pages();
        let hiwater_vm = l.hiwater_vm.max(l.total_vm);
        let hiwater_rss = l.hiwater_rss.max(rss);
        let kb = |pages: u64| pages << 2;
        let mut m = String::new();
        let mut line = |name: &str, v: u64| {
            let _ = writeln!(m, "{name}:\t{v:>8} kB");
        };
        line("VmPeak", kb(hiwater_vm));
        line("VmSize", kb(l.total_vm));
        line("VmLck", 0);
        line("VmPin", 0);
        line("VmHWM", kb(hiwater_rss));
        line("VmRSS", kb(rss));
        line("RssAnon", kb(anon));
        line("RssFile", kb(file));
        line("RssShmem", kb(shmem));
        line("VmData", kb(l.data_vm));
        line("VmStk", kb(l.stack_vm));
        line("VmExe", 0);
        line("VmLib", 0);
        line("VmPTE", self.pgtables_bytes() >> 10);
        line("VmSwap", kb(self.get_mm_counter(MM_SWAPENTS)));
        m
    }
}
