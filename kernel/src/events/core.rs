//! `perf_event_open(2)` and the perf event file (kernel/events/core.c).
//!
//! The system call takes Linux's `struct perf_event_attr` (every published
//! size from `PERF_ATTR_SIZE_VER0`, 64 bytes, to `VER8`, 136; a larger
//! struct is accepted when its tail is zero, `copy_struct_from_user`),
//! `pid`/`cpu` (pid > 0: that task, pid 0: the caller, and with `inherit`
//! the children it creates afterwards; pid -1 with cpu N: all of CPU N),
//! `group_fd` (-1: usk has no event groups) and `PERF_FLAG_FD_*`, and
//! returns an anon-inode file (`[perf_event]`) whose `read(2)` gives the
//! count in the `read_format` layout and whose `ioctl(2)` takes
//! `PERF_EVENT_IOC_ENABLE/DISABLE/RESET`.
//!
//! Departure from Linux, for samples: Linux hands `PERF_RECORD_SAMPLE`s to
//! user space in a ring buffer the tool maps with `mmap(fd)`. usk's
//! address spaces map anonymous memory only, so a sampling event
//! (`sample_period` > 0) delivers the very same records — `struct
//! perf_event_header` and the `sample_type` fields in Linux's order — by
//! `read(2)` instead: each read returns whole records, oldest first (0 when
//! none are pending, `ENOSPC` when the next one does not fit), led by a
//! `PERF_RECORD_LOST` when the buffer overflowed. The count of a sampling
//! event is not readable (perf reads it from the samples too).
//!
//! Not supported, and refused with `EINVAL` rather than ignored: `freq`
//! sampling, `enable_on_exec`, event groups, `PERF_FLAG_PID_CGROUP`,
//! sample fields other than IP, TID, TIME, CPU, PERIOD, CALLCHAIN and RAW,
//! `read_format` bits other than TOTAL_TIME_ENABLED/RUNNING and ID.
//! Hardware events do not exist on this machine (`ENOENT`).
//!
//! Invariants: every argument is checked before anything is created; an
//! event exists exactly as long as its file; time enabled equals time
//! running (no counter multiplexing).

use super::{EventType, PerfEvent, SampleConfig, Scope, SwEvent, SAMPLE_SUPPORTED};
use crate::fs::file::{File, FileOperations};
use crate::fs::inode::{Inode, InodeOperations};
use crate::fs::iov_iter::{UBuf, UserMemory};
use crate::fs::mount::Path;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uapi::errno::*;
use uapi::perf_event::*;

/// Bits Linux defines (up to `sigtrap`/`inherit_thread`/`remove_on_exec`);
/// the rest is `__reserved_1` and must be zero.
const ATTR_KNOWN: u64 = (1 << 38) - 1;
const READ_FORMAT_SUPPORTED: u64 =
    PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID;

/// The fields of `struct perf_event_attr` usk looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerfEventAttr {
    pub ty: u32,
    pub size: u32,
    pub config: u64,
    pub sample_period: u64,
    pub sample_type: u64,
    pub read_format: u64,
    pub flags: u64,
    pub sample_max_stack: u16,
}

impl PerfEventAttr {
    /// Decode the first `VER8` bytes (shorter input is zero-extended).
    pub fn from_bytes(b: &[u8]) -> PerfEventAttr {
        let mut a = [0u8; PERF_ATTR_SIZE_VER8 as usize];
        let n = b.len().min(a.len());
        a[..n].copy_from_slice(&b[..n]);
        let u32_at = |o: usize| u32::from_le_bytes(a[o..o + 4].try_into().expect("4"));
        let u64_at = |o: usize| u64::from_le_bytes(a[o..o + 8].try_into().expect("8"));
        PerfEventAttr {
            ty: u32_at(0),
            size: u32_at(4),
            config: u64_at(8),
            sample_period: u64_at(16),
            sample_type: u64_at(24),
            read_format: u64_at(32),
            flags: u64_at(40),
            sample_max_stack: u16::from_le_bytes([a[108], a[109]]),
        }
    }
}

/// `perf_copy_attr()`: read the attr at `uattr`, checking its size.
fn perf_copy_attr(mem: &crate::mm::MmStruct, uattr: u64) -> Result<PerfEventAttr, Errno> {
    let mut sz = [0u8; 4];
    mem.copy_from_user(&mut sz, uattr + 4)?;
    let mut size = u32::from_le_bytes(sz);
    if size == 0 {
        size = PERF_ATTR_SIZE_VER0;
    }
    if !(PERF_ATTR_SIZE_VER0..=uapi::mman::PAGE_SIZE as u32).contains(&size) {
        // Linux tells the caller the size it knows
        let _ = mem.copy_to_user(uattr + 4, &PERF_ATTR_SIZE_VER8.to_le_bytes());
        return Err(E2BIG);
    }
    let mut b = vec![0u8; size as usize];
    mem.copy_from_user(&mut b, uattr)?;
    if b.len() > PERF_ATTR_SIZE_VER8 as usize
        && b[PERF_ATTR_SIZE_VER8 as usize..].iter().any(|&x| x != 0)
    {
        let _ = mem.copy_to_user(uattr + 4, &PERF_ATTR_SIZE_VER8.to_le_bytes());
        return Err(E2BIG);
    }
    let mut a = PerfEventAttr::from_bytes(&b);
    a.size = size;
    Ok(a)
}

/// The event an attr names.
fn attr_event(a: &PerfEventAttr) -> Result<EventType, Errno> {
    match a.ty {
        PERF_TYPE_SOFTWARE => Ok(EventType::Software(match a.config {
            PERF_COUNT_SW_CPU_CLOCK => SwEvent::CpuClock,
            PERF_COUNT_SW_TASK_CLOCK => SwEvent::TaskClock,
            PERF_COUNT_SW_PAGE_FAULTS => SwEvent::PageFaults,
            PERF_COUNT_SW_CONTEXT_SWITCHES => SwEvent::ContextSwitches,
            PERF_COUNT_SW_CPU_MIGRATIONS => SwEvent::CpuMigrations,
            _ => return Err(ENOENT),
        })),
        PERF_TYPE_TRACEPOINT => crate::trace::events::all()
            .iter()
            .find(|e| u64::from(e.id) == a.config)
            .map(|e| EventType::Tracepoint(e))
            .ok_or(EINVAL),
        _ => Err(ENOENT),
    }
}

/// The private data of a perf event file.
pub struct PerfEventFile {
    pub event: Arc<PerfEvent>,
    pub attr: PerfEventAttr,
    id: u64,
    /// Total enabled time, and since when the event is enabled.
    enabled_time: Mutex<(u64, Option<u64>)>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl PerfEventFile {
    fn enable(&self) {
        let mut t = self.enabled_time.lock();
        if t.1.is_none() {
            t.1 = Some(crate::kernel().clock.now_ns());
        }
        self.event.enable();
    }

    fn disable(&self) {
        self.event.disable();
        let mut t = self.enabled_time.lock();
        if let Some(since) = t.1.take() {
            t.0 += crate::kernel().clock.now_ns().saturating_sub(since);
        }
    }

    fn time_enabled(&self) -> u64 {
        let t = self.enabled_time.lock();
        t.0 + t
            .1
            .map_or(0, |s| crate::kernel().clock.now_ns().saturating_sub(s))
    }

    /// `perf_read()`'s value in the `read_format` layout.
    fn read_value(&self) -> Vec<u8> {
        let rf = self.attr.read_format;
        let mut v = self.event.read().to_le_bytes().to_vec();
        let t = self.time_enabled();
        if rf & PERF_FORMAT_TOTAL_TIME_ENABLED != 0 {
            v.extend_from_slice(&t.to_le_bytes());
        }
        if rf & PERF_FORMAT_TOTAL_TIME_RUNNING != 0 {
            v.extend_from_slice(&t.to_le_bytes());
        }
        if rf & PERF_FORMAT_ID != 0 {
            v.extend_from_slice(&self.id.to_le_bytes());
        }
        v
    }
}

fn perf_file(file: &File) -> Result<&PerfEventFile, Errno> {
    file.private::<PerfEventFile>().ok_or(EINVAL)
}

/// `perf_read()`.
fn perf_read(file: &File, buf: &mut UBuf<'_>, _pos: &mut i64) -> Result<usize, Errno> {
    let pf = perf_file(file)?;
    let data = if pf.event.is_sampling() {
        pf.event.take_samples(buf.len())?
    } else {
        let v = pf.read_value();
        if buf.len() < v.len() {
            return Err(ENOSPC);
        }
        v
    };
    buf.copy_to(0, &data)?;
    Ok(data.len())
}

/// `perf_ioctl()`.
fn perf_ioctl(file: &File, cmd: u32, arg: u64, _mem: &dyn UserMemory) -> Result<i64, Errno> {
    let pf = perf_file(file)?;
    match cmd {
        PERF_EVENT_IOC_ENABLE | PERF_EVENT_IOC_DISABLE | PERF_EVENT_IOC_RESET => {
            if arg & !PERF_IOC_FLAG_GROUP != 0 {
                return Err(EINVAL);
            }
            match cmd {
                PERF_EVENT_IOC_ENABLE => pf.enable(),
                PERF_EVENT_IOC_DISABLE => pf.disable(),
                _ => pf.event.reset(),
            }
            Ok(0)
        }
        // refresh is for overflow-limited sampling, which needs the ring
        // buffer's wakeups
        PERF_EVENT_IOC_REFRESH => Err(EINVAL),
        _ => Err(ENOTTY),
    }
}

/// `perf_release()`: the event goes with its file.
fn perf_release(_inode: &Arc<Inode>, file: &File) {
    if let Ok(pf) = perf_file(file) {
        pf.disable();
    }
}

pub static PERF_FOPS: FileOperations = FileOperations {
    read: Some(perf_read),
    unlocked_ioctl: Some(perf_ioctl),
    release: Some(perf_release),
    ..FileOperations::EMPTY
};

/// Check an attr and build what it describes: the event type, and the
/// sampling configuration of a sampling event.
fn check_attr(a: &PerfEventAttr) -> Result<(EventType, Option<SampleConfig>), Errno> {
    if a.flags & !ATTR_KNOWN != 0 {
        return Err(EINVAL);
    }
    if a.sample_period & (1 << 63) != 0 {
        return Err(EINVAL);
    }
    if a.sample_type & !SAMPLE_SUPPORTED != 0 {
        return Err(EINVAL);
    }
    if a.read_format & !READ_FORMAT_SUPPORTED != 0 {
        return Err(EINVAL);
    }
    if a.flags & (ATTR_FREQ | ATTR_ENABLE_ON_EXEC) != 0 {
        return Err(EINVAL);
    }
    if usize::from(a.sample_max_stack) > super::callchain::PERF_MAX_STACK_DEPTH {
        return Err(EINVAL);
    }
    let ty = attr_event(a)?;
    let sample = (a.sample_period > 0).then(|| SampleConfig {
        period: a.sample_period,
        sample_type: a.sample_type,
        callchain_kernel: a.flags & ATTR_EXCLUDE_CALLCHAIN_KERNEL == 0,
        callchain_user: a.flags & ATTR_EXCLUDE_CALLCHAIN_USER == 0,
        max_stack: if a.sample_max_stack == 0 {
            super::callchain::PERF_MAX_STACK_DEPTH
        } else {
            usize::from(a.sample_max_stack)
        },
        comm: a.flags & ATTR_COMM != 0,
    });
    Ok((ty, sample))
}

/// `perf_event_open(attr, pid, cpu, group_fd, flags)`.
pub fn sys_perf_event_open(
    uattr: u64,
    pid: u64,
    cpu: u64,
    group_fd: u64,
    flags: u64,
) -> Result<i64, Errno> {
    let c = crate::fs::syscalls::caller()?;
    let (pid, cpu, group_fd) = (pid as u32 as i32, cpu as u32 as i32, group_fd as u32 as i32);
    if flags
        & !(PERF_FLAG_FD_NO_GROUP
            | PERF_FLAG_FD_OUTPUT
            | PERF_FLAG_PID_CGROUP
            | PERF_FLAG_FD_CLOEXEC)
        != 0
    {
        return Err(EINVAL);
    }
    let attr = perf_copy_attr(&c.mm, uattr)?;
    if flags & PERF_FLAG_PID_CGROUP != 0 {
        // no perf cgroup controller
        return Err(EINVAL);
    }
    let (ty, sample) = check_attr(&attr)?;
    if group_fd != -1 {
        // a real perf event as leader would make a group, which usk lacks
        return Err(match c.files.fget(group_fd) {
            Ok(_) => EINVAL,
            Err(e) => e,
        });
    }
    if pid == -1 && cpu == -1 || pid < -1 || cpu < -1 {
        return Err(EINVAL);
    }
    let k = crate::kernel();
    if cpu >= 0 && cpu as usize >= k.nr_cpus() {
        return Err(EINVAL);
    }
    let scope = match (pid, cpu) {
        (-1, c) => Scope::Cpu(c as usize),
        (0, _) => Scope::Task(crate::current().pid),
        (p, _) => Scope::Task(p),
    };
    let event = PerfEvent::create_with(ty, scope, attr.flags & ATTR_INHERIT != 0, sample)?;
    let pf = PerfEventFile {
        event,
        attr,
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        enabled_time: Mutex::new((0, None)),
    };
    if attr.flags & ATTR_DISABLED == 0 {
        pf.enable();
    }
    let file = anon_inode_getfile(Arc::new(pf))?;
    let fl = if flags & PERF_FLAG_FD_CLOEXEC != 0 {
        uapi::fcntl::O_CLOEXEC
    } else {
        0
    };
    c.files.install(file, fl).map(i64::from)
}

/// `anon_inode_getfile("[perf_event]", &perf_fops, event, O_RDWR)`.
fn anon_inode_getfile(pf: Arc<PerfEventFile>) -> Result<Arc<File>, Errno> {
    let k = crate::kernel();
    let mnt = k.vfs.pipe_mnt()?;
    let inode = Inode::new(
        &mnt.mnt_sb,
        0,
        0o600,
        0,
        &InodeOperations::EMPTY,
        &PERF_FOPS,
        Box::new(()),
    );
    let dentry = crate::fs::dcache::Dentry::alloc(&mnt.mnt_root, "[perf_event]");
    dentry.instantiate(Arc::clone(&inode));
    let path = Path {
        mnt: Arc::clone(&mnt),
        dentry,
    };
    let f = File::new(
        path,
        inode,
        &PERF_FOPS,
        uapi::fcntl::O_RDWR,
        crate::fs::file::FMODE_STREAM,
    );
    f.set_private(pf)?;
    f.do_open()?;
    Ok(Arc::new(f))
}
