//! Control groups: scalable resource counters and a memory controller
//! (seed 004, "Resource counters").
//!
//! `ResCounter` is Balbir Singh's scalable resource counter: `usage` is a
//! per-CPU counter, so charging and uncharging stay CPU-local; the limit
//! check uses the cheap approximate read and falls back to an exact sum
//! only near the limit. A charge that would take usage over the limit
//! fails (`failcnt` counts it); charges propagate to the parent group and
//! are rolled back if an ancestor refuses.
//!
//! The memory controller is a tree of groups mounted at
//! `/sys/fs/cgroup/memory` (filesystem type `cgroup`) with Linux's
//! cgroup-v1 files `memory.usage_in_bytes`, `memory.limit_in_bytes`,
//! `memory.max_usage_in_bytes` and `memory.failcnt` (writing 0 to the last
//! two resets them), and `cgroup.procs`/`tasks` (writing a pid moves that
//! process in). Pages are charged in bytes: a process's private resident
//! pages are charged to its address space's group when they are mapped
//! and uncharged when unmapped, so a group's usage is exactly its
//! processes' private RSS; a page fault that would pass the limit fails
//! and runs the group's OOM killer. The root group is not limited and not
//! charged, as in Linux.

use crate::init::kernel::Kernel;
use crate::lib::percpu_counter::PercpuCounter;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use uapi::errno::{Errno, EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM, ESRCH};

/// `RES_COUNTER_MAX`/`PAGE_COUNTER_MAX` shown as Linux does for "no limit".
pub const RESOURCE_MAX: i64 = 0x7fff_ffff_ffff_f000;

pub struct ResCounter {
    pub usage: PercpuCounter,
    limit: AtomicI64,
    max_usage: AtomicI64,
    failcnt: AtomicU64,
    parent: Option<Arc<ResCounter>>,
}

impl ResCounter {
    pub fn new(nr_cpus: usize, parent: Option<Arc<ResCounter>>) -> Self {
        ResCounter {
            usage: PercpuCounter::new(nr_cpus, 0),
            limit: AtomicI64::new(RESOURCE_MAX),
            max_usage: AtomicI64::new(0),
            failcnt: AtomicU64::new(0),
            parent,
        }
    }

    fn charge_one(&self, val: i64) -> Result<(), Errno> {
        let limit = self.limit.load(Ordering::Acquire);
        // Cheap check first; exact only when close to the limit.
        if self.usage.read() + val + self.usage.error_bound() > limit
            && self.usage.compare(limit - val) == std::cmp::Ordering::Greater
        {
            self.failcnt.fetch_add(1, Ordering::Relaxed);
            return Err(ENOMEM);
        }
        self.add_usage(val);
        Ok(())
    }

    /// Add `val` to the usage and keep `max_usage` (exact only when the
    /// cheap read says a new maximum may have been reached).
    fn add_usage(&self, val: i64) {
        self.usage.add(val);
        if self.usage.read() > self.max_usage.load(Ordering::Relaxed) {
            self.max_usage
                .fetch_max(self.usage.sum(), Ordering::Relaxed);
        }
    }

    /// `res_counter_charge()`: charge this counter and its ancestors.
    pub fn charge(&self, val: i64) -> Result<(), Errno> {
        self.charge_one(val)?;
        if let Some(p) = &self.parent {
            if let Err(e) = p.charge(val) {
                self.usage.add(-val);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Charge without the limit check, here and in the ancestors: memory
    /// that is already in use (a fork's shared pages, the resident set of
    /// a task moving into the group).
    pub fn charge_force(&self, val: i64) {
        self.add_usage(val);
        if let Some(p) = &self.parent {
            p.charge_force(val);
        }
    }

    /// `res_counter_uncharge()`.
    pub fn uncharge(&self, val: i64) {
        self.usage.add(-val);
        if let Some(p) = &self.parent {
            p.uncharge(val);
        }
    }

    pub fn usage_exact(&self) -> i64 {
        self.usage.sum_positive()
    }

    pub fn limit(&self) -> i64 {
        self.limit.load(Ordering::Acquire)
    }

    /// Setting a limit below the current usage fails with `EBUSY`, as the
    /// v1 memory controller does when it cannot reclaim.
    pub fn set_limit(&self, limit: i64) -> Result<(), Errno> {
        if limit < 0 {
            return Err(EINVAL);
        }
        if self.usage.sum() > limit {
            return Err(EBUSY);
        }
        self.limit.store(limit, Ordering::Release);
        Ok(())
    }

    pub fn max_usage(&self) -> i64 {
        self.max_usage
            .load(Ordering::Relaxed)
            .max(self.usage_exact())
    }

    pub fn failcnt(&self) -> u64 {
        self.failcnt.load(Ordering::Relaxed)
    }
}

/// A memory cgroup.
pub struct MemCgroup {
    pub path: String,
    pub res: Arc<ResCounter>,
    children: Mutex<BTreeMap<String, Arc<MemCgroup>>>,
}

impl MemCgroup {
    /// `mem_cgroup_charge()`: charge `pages` pages.
    pub fn charge_pages(&self, pages: u64) -> Result<(), Errno> {
        self.res
            .charge((pages * crate::mm::PAGE_SIZE as u64) as i64)
    }

    pub fn uncharge_pages(&self, pages: u64) {
        self.res
            .uncharge((pages * crate::mm::PAGE_SIZE as u64) as i64)
    }
}

pub struct Cgroups {
    pub root: Arc<MemCgroup>,
    nr_cpus: usize,
}

const FILES: [&str; 6] = [
    "cgroup.procs",
    "memory.failcnt",
    "memory.limit_in_bytes",
    "memory.max_usage_in_bytes",
    "memory.usage_in_bytes",
    "tasks",
];

/// The user tasks whose address space charges `cg` (the root group: those
/// charging nowhere); thread-group leaders only when `leaders`.
fn members(cg: &Arc<MemCgroup>, root: bool, leaders: bool) -> Vec<i32> {
    let k = crate::kernel();
    let tasks = k.tasks.read();
    tasks
        .values()
        .filter(|t| !leaders || t.pid == t.tgid)
        .filter(|t| {
            t.process().is_some_and(|p| {
                p.exit_state() == 0
                    && p.mm().is_some_and(|mm| match mm.memcg() {
                        Some(g) => Arc::ptr_eq(&g, cg),
                        None => root,
                    })
            })
        })
        .map(|t| t.pid)
        .collect()
}

/// Move the process owning task `pid` into `cg` (`None`: the root).
fn attach(pid: i32, cg: Option<Arc<MemCgroup>>) -> Result<(), Errno> {
    let t = crate::kernel().find_task(pid).ok_or(ESRCH)?;
    let p = t.process().ok_or(EINVAL)?;
    let mm = p.mm().ok_or(ESRCH)?;
    mm.set_memcg(cg);
    Ok(())
}

impl Cgroups {
    pub fn new(nr_cpus: usize) -> Self {
        Cgroups {
            root: Arc::new(MemCgroup {
                path: String::new(),
                res: Arc::new(ResCounter::new(nr_cpus, None)),
                children: Mutex::new(BTreeMap::new()),
            }),
            nr_cpus,
        }
    }

    /// The group at `path` ("" or "/" is the root; "a/b").
    pub fn lookup(&self, path: &str) -> Option<Arc<MemCgroup>> {
        let mut cur = Arc::clone(&self.root);
        for c in path.split('/').filter(|c| !c.is_empty()) {
            let next = cur.children.lock().get(c).cloned()?;
            cur = next;
        }
        Some(cur)
    }

    /// `mkdir` in the cgroup filesystem.
    pub fn mkdir(&self, path: &str) -> Result<Arc<MemCgroup>, Errno> {
        let path = path.trim_matches('/');
        let (parent, name) = match path.rsplit_once('/') {
            Some((p, n)) => (p, n),
            None => ("", path),
        };
        if name.is_empty() || FILES.contains(&name) || name.starts_with('.') {
            return Err(EINVAL);
        }
        let p = self.lookup(parent).ok_or(ENOENT)?;
        let mut ch = p.children.lock();
        if ch.contains_key(name) {
            return Err(EEXIST);
        }
        let cg = Arc::new(MemCgroup {
            path: path.to_string(),
            res: Arc::new(ResCounter::new(self.nr_cpus, Some(Arc::clone(&p.res)))),
            children: Mutex::new(BTreeMap::new()),
        });
        ch.insert(name.to_string(), Arc::clone(&cg));
        Ok(cg)
    }

    /// `rmdir`: only an empty group with no charges.
    pub fn rmdir(&self, path: &str) -> Result<(), Errno> {
        let path = path.trim_matches('/');
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        let p = self.lookup(parent).ok_or(ENOENT)?;
        let mut ch = p.children.lock();
        let cg = ch.get(name).ok_or(ENOENT)?;
        if !cg.children.lock().is_empty()
            || cg.res.usage_exact() != 0
            || !members(cg, false, false).is_empty()
        {
            return Err(EBUSY);
        }
        ch.remove(name);
        Ok(())
    }

    /// Read a control file: `path` is "<group>/<file>".
    pub fn read_file(&self, path: &str) -> Result<String, Errno> {
        let (grp, file) = path
            .trim_matches('/')
            .rsplit_once('/')
            .unwrap_or(("", path));
        let cg = self.lookup(grp).ok_or(ENOENT)?;
        if file == "cgroup.procs" || file == "tasks" {
            let mut pids = members(&cg, cg.path.is_empty(), file == "cgroup.procs");
            pids.sort_unstable();
            return Ok(pids.iter().map(|p| format!("{p}\n")).collect());
        }
        let v = match file {
            "memory.usage_in_bytes" => cg.res.usage_exact(),
            "memory.limit_in_bytes" => cg.res.limit(),
            "memory.max_usage_in_bytes" => cg.res.max_usage(),
            "memory.failcnt" => cg.res.failcnt() as i64,
            _ => return Err(ENOENT),
        };
        Ok(format!("{v}\n"))
    }

    /// Write a control file (sizes accept K/M/G suffixes, -1 = no limit).
    pub fn write_file(&self, path: &str, data: &str) -> Result<(), Errno> {
        let (grp, file) = path
            .trim_matches('/')
            .rsplit_once('/')
            .unwrap_or(("", path));
        let cg = self.lookup(grp).ok_or(ENOENT)?;
        let data = data.trim();
        match file {
            "cgroup.procs" | "tasks" => {
                let pid: i32 = data.parse().map_err(|_| EINVAL)?;
                let pid = if pid == 0 { crate::current().tgid } else { pid };
                attach(pid, (!cg.path.is_empty()).then(|| Arc::clone(&cg)))
            }
            "memory.limit_in_bytes" => {
                if cg.path.is_empty() {
                    return Err(EINVAL); // the root group has no limit
                }
                let v = if data == "-1" {
                    RESOURCE_MAX
                } else {
                    crate::init::kernel::parse_size(data).ok_or(EINVAL)? as i64
                };
                cg.res.set_limit(v & !4095)
            }
            "memory.max_usage_in_bytes" | "memory.failcnt" if data == "0" => {
                if file == "memory.failcnt" {
                    cg.res.failcnt.store(0, Ordering::Relaxed);
                } else {
                    cg.res
                        .max_usage
                        .store(cg.res.usage_exact(), Ordering::Relaxed);
                }
                Ok(())
            }
            "memory.usage_in_bytes" | "memory.max_usage_in_bytes" | "memory.failcnt" => Err(EINVAL),
            _ => Err(ENOENT),
        }
    }

    /// What `path` is: a group directory, a control file (with its mode),
    /// or nothing.
    pub fn stat(&self, path: &str) -> Result<(bool, u32), Errno> {
        if self.lookup(path).is_some() {
            return Ok((true, 0o555));
        }
        let (grp, file) = path
            .trim_matches('/')
            .rsplit_once('/')
            .unwrap_or(("", path));
        self.lookup(grp).ok_or(ENOENT)?;
        match file {
            "memory.usage_in_bytes" => Ok((false, 0o444)),
            f if FILES.contains(&f) => Ok((false, 0o644)),
            _ => Err(ENOENT),
        }
    }

    /// Entries of a group directory.
    pub fn readdir(&self, path: &str) -> Result<Vec<String>, Errno> {
        let cg = self.lookup(path).ok_or(ENOENT)?;
        let mut v: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
        v.extend(cg.children.lock().keys().cloned());
        Ok(v)
    }
}

pub(crate) fn cgroup_init(k: &Kernel) {
    crate::pr_info!(
        "cgroup: memory controller with scalable resource counters (batch {})",
        crate::lib::percpu_counter::percpu_counter_batch(k.nr_cpus())
    );
}
