//! Loadable modules (kernel/module/): registration, `init_module` /
//! `delete_module`, reference counts, parameters, `/proc/modules`, and the
//! detection of code that runs after its module was unloaded.
//!
//! usk's modules are Rust components linked into the binary and *loaded*
//! by name (the registry of built-in module images is [`MODULE_IMAGES`]).
//! What makes them modules is their life cycle: `init` runs at load, `exit`
//! at unload, `try_module_get` pins them, and everything their code leaves
//! behind — RCU callbacks, kernel threads — is tagged with the module it
//! came from. Each loaded module is given a text address range like Linux's
//! module area (`0xffffffffc0000000` upwards). When a tagged callback comes
//! due after its module was unloaded, usk does not run it: the CPU would be
//! jumping into freed module text, and usk reports exactly that oops
//! (`BUG: unable to handle page fault`, `#PF: supervisor instruction fetch`,
//! `[last unloaded: name]`) — in softirq context that is fatal, as in Linux.
//! This is the failure the seed's `rcu_barrier()` exists to prevent.

use crate::init::kernel::{kernel, Kernel};
use crate::kernel::percpu::PerCpu;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::Arc;
use uapi::errno::{
    Errno, EBADF, EBUSY, EEXIST, EFAULT, EFBIG, EINVAL, ENAMETOOLONG, ENOENT, ENOEXEC, ENOSPC,
    EWOULDBLOCK,
};

/// `O_TRUNC` as `delete_module` flag: force removal (`rmmod -f`).
pub const O_TRUNC: u32 = 0o1000;
/// `O_NONBLOCK` as `delete_module` flag.
pub const O_NONBLOCK: u32 = 0o4000;

const MODULES_VADDR: u64 = 0xffff_ffff_c000_0000;

/// A module parameter (`module_param(name, type, perm)` + `MODULE_PARM_DESC`).
pub struct ParamInfo {
    pub name: &'static str,
    pub ty: &'static str,
    pub default: &'static str,
    pub desc: &'static str,
}

/// A built-in module image: what `modinfo` shows and what loading runs.
pub struct ModuleInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub author: &'static str,
    pub license: &'static str,
    pub params: &'static [ParamInfo],
    pub init: fn() -> Result<(), Errno>,
    pub exit: fn(),
    /// Size of its (notional) text, for /proc/modules.
    pub size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ModuleState {
    Live = 0,
    Coming = 1,
    Going = 2,
    /// Unloaded: its text is gone.
    Gone = 3,
}

pub struct Module {
    pub info: &'static ModuleInfo,
    state: AtomicU8,
    refcnt: AtomicI64,
    params: Mutex<BTreeMap<String, String>>,
    pub base: u64,
    /// The module's global variables (its `.data`/`.bss`).
    pub data: Mutex<Option<Arc<dyn std::any::Any + Send + Sync>>>,
}

impl Module {
    pub fn name(&self) -> &'static str {
        self.info.name
    }

    pub fn state(&self) -> ModuleState {
        match self.state.load(Ordering::Acquire) {
            0 => ModuleState::Live,
            1 => ModuleState::Coming,
            2 => ModuleState::Going,
            _ => ModuleState::Gone,
        }
    }

    fn set_state(&self, s: ModuleState) {
        self.state.store(s as u8, Ordering::Release);
    }

    pub fn refcnt(&self) -> i64 {
        self.refcnt.load(Ordering::Acquire)
    }

    /// The module's globals, typed.
    pub fn data<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.data
            .lock()
            .clone()
            .and_then(|d| d.downcast::<T>().ok())
    }

    /// A parameter parsed as `T`, falling back to the default.
    pub fn param_as<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.param(name).and_then(|v| v.parse().ok())
    }

    /// The value of parameter `name` (given at load, else its default).
    pub fn param(&self, name: &str) -> Option<String> {
        self.params.lock().get(name).cloned().or_else(|| {
            self.info
                .params
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.default.to_string())
        })
    }
}

/// The kernel's module list.
pub struct Modules {
    list: Mutex<Vec<Arc<Module>>>,
    last_unloaded: Mutex<Option<&'static str>>,
    next_base: Mutex<u64>,
    /// Per-CPU: the module whose callback this CPU is running, overriding
    /// the current task's (set around callback invocation).
    exec: PerCpu<Mutex<Option<Option<Arc<Module>>>>>,
}

impl Modules {
    pub fn new(nr_cpus: usize) -> Self {
        Modules {
            list: Mutex::new(Vec::new()),
            last_unloaded: Mutex::new(None),
            next_base: Mutex::new(MODULES_VADDR),
            exec: PerCpu::new(nr_cpus, |_| Mutex::new(None)),
        }
    }

    pub fn find(&self, name: &str) -> Option<Arc<Module>> {
        self.list.lock().iter().find(|m| m.name() == name).cloned()
    }

    pub fn loaded(&self) -> Vec<Arc<Module>> {
        self.list.lock().clone()
    }

    /// "Modules linked in: a b [last unloaded: c]".
    pub fn linked_in(&self) -> String {
        let mut s: Vec<&str> = self.list.lock().iter().map(|m| m.name()).collect();
        s.reverse();
        let mut out = s.join(" ");
        if let Some(l) = *self.last_unloaded.lock() {
            let _ = write!(
                out,
                "{}[last unloaded: {l}]",
                if out.is_empty() { "" } else { " " }
            );
        }
        out
    }
}

/// The modules built into this usk binary.
pub static MODULE_IMAGES: &[&ModuleInfo] = &[
    &crate::kernel::rcu::rcutorture::RCUTORTURE,
    &crate::kernel::rcu::rcu_demo::RCU_DEMO_LEAKY,
    &crate::kernel::rcu::rcu_demo::RCU_DEMO_FIXED,
];

/// `modinfo`: the image named `name`.
pub fn find_image(name: &str) -> Option<&'static ModuleInfo> {
    let name = name.replace('-', "_");
    MODULE_IMAGES.iter().copied().find(|m| m.name == name)
}

fn parse_args(info: &ModuleInfo, args: &str) -> Result<BTreeMap<String, String>, Errno> {
    let mut out = BTreeMap::new();
    for word in args.split_whitespace() {
        let (k, v) = word.split_once('=').unwrap_or((word, "1"));
        let Some(p) = info.params.iter().find(|p| p.name == k) else {
            crate::pr_warn!("{}: unknown parameter '{k}' ignored", info.name);
            continue;
        };
        let ok = match p.ty {
            "int" => v.parse::<i64>().is_ok(),
            "uint" => v.parse::<u64>().is_ok(),
            "bool" => matches!(v, "0" | "1" | "y" | "n" | "Y" | "N"),
            _ => true,
        };
        if !ok {
            crate::pr_err!("{}: '{v}' invalid for parameter '{k}'", info.name);
            return Err(EINVAL);
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

/// `init_module()`/`finit_module()`: load the module image `name` with
/// parameters `args` ("a=1 b=2").
pub fn load_module(name: &str, args: &str) -> Result<(), Errno> {
    let k = kernel();
    let info = find_image(name).ok_or(ENOENT)?;
    if k.modules.find(info.name).is_some() {
        return Err(EEXIST);
    }
    let params = parse_args(info, args)?;
    let base = {
        let mut nb = k.modules.next_base.lock();
        let b = *nb;
        *nb += info.size.div_ceil(4096) * 4096 + 0x1000;
        b
    };
    let m = Arc::new(Module {
        info,
        state: AtomicU8::new(ModuleState::Coming as u8),
        refcnt: AtomicI64::new(0),
        params: Mutex::new(params),
        base,
        data: Mutex::new(None),
    });
    k.modules.list.lock().insert(0, Arc::clone(&m));
    crate::trace::trace(&crate::trace::events::MODULE_LOAD, |w| {
        w.u32(8, 0).str(12, 32, info.name);
    });
    let r = run_in_module(&m, info.init);
    match r {
        Ok(()) => {
            m.set_state(ModuleState::Live);
            Ok(())
        }
        Err(e) => {
            m.set_state(ModuleState::Gone);
            k.modules.list.lock().retain(|x| !Arc::ptr_eq(x, &m));
            Err(e)
        }
    }
}

/// Run `f` as the module's code in the current task.
fn run_in_module<R>(m: &Arc<Module>, f: impl FnOnce() -> R) -> R {
    let me = crate::current();
    let saved = me.module.lock().replace(Arc::clone(m));
    let r = f();
    *me.module.lock() = saved;
    r
}

/// `delete_module()`: refuse with `EWOULDBLOCK` while the module is in use
/// (unless forced), run its exit, and free its text.
pub fn delete_module(name: &str, flags: u32) -> Result<(), Errno> {
    let k = kernel();
    let m = k.modules.find(&name.replace('-', "_")).ok_or(ENOENT)?;
    if m.state() != ModuleState::Live {
        return Err(EBUSY);
    }
    if m.refcnt() > 0 && flags & O_TRUNC == 0 {
        return Err(EWOULDBLOCK);
    }
    m.set_state(ModuleState::Going);
    run_in_module(&m, m.info.exit);
    m.set_state(ModuleState::Gone);
    k.modules.list.lock().retain(|x| !Arc::ptr_eq(x, &m));
    *k.modules.last_unloaded.lock() = Some(m.info.name);
    crate::trace::trace(&crate::trace::events::MODULE_FREE, |w| {
        w.str(8, 32, m.info.name);
    });
    Ok(())
}

/// Linux's `mod->refcnt` starts at `MODULE_REF_BASE` (1) and the
/// `module_get`/`module_put` events record that raw counter; usk's count
/// has no base, so the events add it.
const MODULE_REF_BASE: i64 = 1;

/// `module:module_get` / `module:module_put` with the caller's address.
#[inline(always)]
/// `fp`: the traced function's `frame_address()`, for its `_RET_IP_`.
fn trace_module_refcnt(ev: &'static crate::trace::TraceEvent, m: &Module, fp: usize, refs: i64) {
    crate::trace::trace(ev, |w| {
        w.u64(8, crate::lib::stacktrace::return_address(fp) as u64)
            .i32(16, (refs + MODULE_REF_BASE) as i32)
            .str(20, 32, m.info.name);
    });
}

/// `try_module_get()`: pin a live module.
#[inline(never)]
pub fn try_module_get(m: &Arc<Module>) -> bool {
    let fp = crate::lib::stacktrace::frame_address();
    if m.state() != ModuleState::Live {
        return false;
    }
    let refs = m.refcnt.fetch_add(1, Ordering::AcqRel) + 1;
    trace_module_refcnt(&crate::trace::events::MODULE_GET, m, fp, refs);
    true
}

/// `module_put()`.
#[inline(never)]
pub fn module_put(m: &Arc<Module>) {
    let fp = crate::lib::stacktrace::frame_address();
    let old = m.refcnt.fetch_sub(1, Ordering::AcqRel);
    trace_module_refcnt(&crate::trace::events::MODULE_PUT, m, fp, old - 1);
    crate::WARN_ON!(old <= 0);
}

/// The module whose code is running: a callback's owner, else the task's.
pub fn current_module() -> Option<Arc<Module>> {
    let k = kernel();
    if let Some(ov) = k.modules.exec.this_cpu().lock().clone() {
        return ov;
    }
    crate::current().module.lock().clone()
}

/// Run `f` with `owner` as the executing module on this CPU.
pub fn with_module_context<R>(owner: Option<Arc<Module>>, f: impl FnOnce() -> R) -> R {
    let k = kernel();
    let slot = k.modules.exec.this_cpu();
    let saved = slot.lock().replace(owner);
    let r = f();
    *k.modules.exec.this_cpu().lock() = saved;
    r
}

/// The module's code is about to run from `caller`: if the module was
/// unloaded, the CPU would execute freed memory — report that oops.
pub fn module_text_check(m: &Arc<Module>, caller: &str) {
    if m.state() != ModuleState::Gone {
        return;
    }
    let k = kernel();
    let addr = m.base + 0x40;
    crate::pr_alert!(
        "BUG: unable to handle page fault for address: {addr:016x}\n#PF: supervisor instruction fetch in kernel mode\n#PF: error_code(0x0010) - not-present page\nPGD 2a0e067 P4D 2a0e067 PUD 2a10067 PMD 0\nModules linked in: {}\nRIP: 0010:0x{addr:x}\nCode: Unable to access opcode bytes at 0x{:x}.\ncalled from {caller} for a callback of module {}",
        k.modules.linked_in(),
        addr - 0x16,
        m.name()
    );
    crate::kernel::panic::oops_quiet("Oops: 0010");
}

/// `/proc/modules`: `name size refcount deps state address`.
pub fn show_modules(m: &mut crate::fs::seq_file::SeqFile) -> std::fmt::Result {
    use std::fmt::Write;
    let k = kernel();
    for md in k.modules.loaded() {
        let st = match md.state() {
            ModuleState::Live => "Live",
            ModuleState::Coming => "Loading",
            _ => "Unloading",
        };
        writeln!(
            m,
            "{} {} {} - {} 0x{:016x}",
            md.name(),
            md.info.size,
            md.refcnt(),
            st,
            md.base
        )?;
    }
    Ok(())
}

/// `modinfo name`.
pub fn modinfo(name: &str) -> Option<String> {
    let i = find_image(name)?;
    let mut s = format!(
        "filename:       (builtin)/{}.ko\ndescription:    {}\nauthor:         {}\nlicense:        {}\nname:           {}\n",
        i.name, i.description, i.author, i.license, i.name
    );
    for p in i.params {
        let _ = writeln!(s, "parm:           {}:{} ({})", p.name, p.desc, p.ty);
    }
    Some(s)
}

pub(crate) fn modules_init(k: &Kernel) {
    k.procfs
        .create_single("modules", 0o444, show_modules)
        .expect("fresh procfs");
}

/// Where the module files live in the root filesystem
/// (`/lib/modules/$(uname -r)`).
pub fn modules_dir() -> String {
    format!("/lib/modules/{}", crate::kernel::panic::UTS_RELEASE)
}

/// The first line of a module file: `#!module NAME` (usk's `.ko` format;
/// the `.modinfo` text follows, as `modinfo` prints it).
pub const MODULE_MAGIC: &[u8] = b"#!module ";

/// The file image of a built-in module: header line and modinfo text.
pub fn module_file_image(info: &ModuleInfo) -> Vec<u8> {
    let mut v = MODULE_MAGIC.to_vec();
    v.extend_from_slice(info.name.as_bytes());
    v.push(b'\n');
    if let Some(text) = modinfo(info.name) {
        let path = format!("{}/{}.ko", modules_dir(), info.name);
        v.extend_from_slice(
            text.replace(&format!("(builtin)/{}.ko", info.name), &path)
                .as_bytes(),
        );
    }
    v
}

/// `load_module()`'s image check: the module name an image carries.
fn image_name(image: &[u8]) -> Result<String, Errno> {
    let rest = image.strip_prefix(MODULE_MAGIC).ok_or(ENOEXEC)?;
    let line = rest.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let name = std::str::from_utf8(line).map_err(|_| ENOEXEC)?.trim();
    if name.is_empty() {
        return Err(ENOEXEC);
    }
    find_image(name).map(|i| i.name.to_string()).ok_or(ENOEXEC)
}

fn module_params(mm: &crate::mm::MmStruct, uargs: u64) -> Result<String, Errno> {
    if uargs == 0 {
        return Ok(String::new());
    }
    let b =
        mm.strncpy_from_user(uargs, 4096)
            .map_err(|e| if e == ENAMETOOLONG { ENOSPC } else { e })?;
    String::from_utf8(b).map_err(|_| EINVAL)
}

/// `init_module(2)`: load the module in the image at `umod`.
pub fn sys_init_module(umod: u64, len: u64, uargs: u64) -> Result<i64, Errno> {
    crate::kernel::sys::require_cap(crate::kernel::process::CAP_SYS_MODULE)?;
    let mm = crate::kernel::process::current_mm().ok_or(EFAULT)?;
    if len > 64 << 20 {
        return Err(EFBIG);
    }
    let mut image = vec![0u8; len as usize];
    mm.copy_from_user(&mut image, umod)?;
    let name = image_name(&image)?;
    let args = module_params(&mm, uargs)?;
    load_module(&name, &args).map(|_| 0)
}

/// `finit_module(2)`: load the module in the file open at `fd`.
pub fn sys_finit_module(fd: i32, uargs: u64, flags: u64) -> Result<i64, Errno> {
    crate::kernel::sys::require_cap(crate::kernel::process::CAP_SYS_MODULE)?;
    if flags & !0x7 != 0 {
        return Err(EINVAL);
    }
    let me = crate::current();
    let p = me.process().ok_or(EINVAL)?;
    let file = p.files().fget(fd)?;
    if !file.readable() {
        return Err(EBADF);
    }
    let mut image = vec![0u8; 64 << 10];
    let n = crate::fs::read_write::kernel_read(&file, &mut image)?;
    image.truncate(n);
    let name = image_name(&image)?;
    let args = module_params(&*p.mm().ok_or(EFAULT)?, uargs)?;
    load_module(&name, &args).map(|_| 0)
}

/// `delete_module(2)`: `flags` O_NONBLOCK (required, as in today's
/// Linux: blocking removal is gone) and O_TRUNC (force).
pub fn sys_delete_module(uname: u64, flags: u64) -> Result<i64, Errno> {
    crate::kernel::sys::require_cap(crate::kernel::process::CAP_SYS_MODULE)?;
    let mm = crate::kernel::process::current_mm().ok_or(EFAULT)?;
    let name =
        mm.strncpy_from_user(uname, 56)
            .map_err(|e| if e == ENAMETOOLONG { ENOENT } else { e })?;
    let name = String::from_utf8(name).map_err(|_| ENOENT)?;
    if flags & !(O_NONBLOCK | O_TRUNC) as u64 != 0 {
        return Err(EINVAL);
    }
    delete_module(&name, flags as u32).map(|_| 0)
}
