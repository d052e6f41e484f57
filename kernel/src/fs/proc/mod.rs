//! The proc filesystem's tree of entries (`struct proc_dir_entry`), used for
//! /proc and, as a second instance, for debugfs (/sys/kernel/debug).
//!
//! Entries are directories or files; a file renders through a `'static`
//! seq_operations table or a single `show` function, and may accept writes
//! (sysctl-style knobs). /proc/<pid>/ directories are not stored: they are
//! looked up in the task table on every access, as `proc_pid_lookup` does.

pub mod array;
pub mod base;
pub mod misc;

use super::seq_file::{seq_read, SeqOperations, SeqSource, ShowFn};
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::Arc;
use uapi::errno::{Errno, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR};

/// Write handler of a writable entry.
pub type WriteFn = fn(&str) -> Result<(), Errno>;

/// Private data attached to an entry (`proc_create_data`'s `data`).
pub type Private = Arc<dyn std::any::Any + Send + Sync>;

/// Write handler of an entry with private data.
pub type PrivWriteFn = fn(&Private, &str) -> Result<(), Errno>;

#[derive(Clone)]
enum Source {
    Seq(&'static dyn SeqSource),
    Single(ShowFn),
    Private(ShowFn, Private),
}

impl Source {
    fn read(self) -> String {
        match self {
            Source::Seq(s) => seq_read(s, None),
            Source::Single(show) => {
                let mut m = super::seq_file::SeqFile::new(None);
                let _ = show(&mut m);
                m.into_string()
            }
            Source::Private(show, p) => {
                let mut m = super::seq_file::SeqFile::new(Some(p));
                let _ = show(&mut m);
                m.into_string()
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Writer {
    Plain(WriteFn),
    Private(PrivWriteFn),
}

enum Node {
    Dir(BTreeMap<String, Node>),
    File {
        mode: u32,
        source: Source,
        write: Option<Writer>,
    },
}

/// One mounted instance (procfs or debugfs).
pub struct ProcFs {
    root: RwLock<Node>,
    /// Whether /<pid> directories appear (procfs yes, debugfs no).
    with_pids: bool,
}

/// A file's metadata as `stat` would see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub is_dir: bool,
    pub mode: u32,
}

/// Follow `parts` from `root` (`lookup` along the path).
fn walk<'a>(root: &'a Node, parts: &[&str]) -> Result<&'a Node, Errno> {
    let mut cur = root;
    for p in parts {
        match cur {
            Node::Dir(c) => cur = c.get(*p).ok_or(ENOENT)?,
            Node::File { .. } => return Err(ENOTDIR),
        }
    }
    Ok(cur)
}

fn split(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

impl ProcFs {
    pub fn new(with_pids: bool) -> Self {
        ProcFs {
            root: RwLock::new(Node::Dir(BTreeMap::new())),
            with_pids,
        }
    }

    fn insert(&self, path: &str, node: Node) -> Result<(), Errno> {
        let parts = split(path);
        let (name, dirs) = parts.split_last().ok_or(EINVAL)?;
        let mut root = self.root.write();
        let mut cur = &mut *root;
        for d in dirs {
            let Node::Dir(children) = cur else {
                return Err(ENOTDIR);
            };
            cur = children
                .entry((*d).to_string())
                .or_insert_with(|| Node::Dir(BTreeMap::new()));
        }
        let Node::Dir(children) = cur else {
            return Err(ENOTDIR);
        };
        if children.contains_key(*name) {
            return Err(EEXIST);
        }
        children.insert((*name).to_string(), node);
        Ok(())
    }

    /// `proc_mkdir`.
    pub fn mkdir(&self, path: &str) -> Result<(), Errno> {
        self.insert(path, Node::Dir(BTreeMap::new()))
    }

    /// `proc_create_single(name, mode, parent, show)`.
    pub fn create_single(&self, path: &str, mode: u32, show: ShowFn) -> Result<(), Errno> {
        self.insert(
            path,
            Node::File {
                mode,
                source: Source::Single(show),
                write: None,
            },
        )
    }

    /// `proc_create_seq(name, mode, parent, ops)`.
    pub fn create_seq<T: 'static>(
        &self,
        path: &str,
        mode: u32,
        ops: &'static SeqOperations<T>,
    ) -> Result<(), Errno> {
        self.insert(
            path,
            Node::File {
                mode,
                source: Source::Seq(ops),
                write: None,
            },
        )
    }

    /// A file that can also be written (`/proc/sys/...`).
    pub fn create_rw(
        &self,
        path: &str,
        mode: u32,
        show: ShowFn,
        write: WriteFn,
    ) -> Result<(), Errno> {
        self.insert(
            path,
            Node::File {
                mode,
                source: Source::Single(show),
                write: Some(Writer::Plain(write)),
            },
        )
    }

    /// `proc_create_data()`: a file whose show (and optional write) handler
    /// receives `private` (as `m.private` for show).
    pub fn create_private(
        &self,
        path: &str,
        mode: u32,
        show: ShowFn,
        write: Option<PrivWriteFn>,
        private: Private,
    ) -> Result<(), Errno> {
        self.insert(
            path,
            Node::File {
                mode,
                source: Source::Private(show, private),
                write: write.map(Writer::Private),
            },
        )
    }

    /// `remove_proc_entry`.
    pub fn remove(&self, path: &str) -> Result<(), Errno> {
        let parts = split(path);
        let (name, dirs) = parts.split_last().ok_or(EINVAL)?;
        let mut root = self.root.write();
        let mut cur = &mut *root;
        for d in dirs {
            match cur {
                Node::Dir(c) => cur = c.get_mut(*d).ok_or(ENOENT)?,
                _ => return Err(ENOTDIR),
            }
        }
        match cur {
            Node::Dir(c) => c.remove(*name).map(|_| ()).ok_or(ENOENT),
            _ => Err(ENOTDIR),
        }
    }

    fn pid_of(&self, first: &str) -> Option<i32> {
        if !self.with_pids {
            return None;
        }
        if first == "self" {
            return Some(crate::current().tgid);
        }
        if first == "thread-self" {
            return Some(crate::current().pid);
        }
        first.parse::<i32>().ok()
    }

    /// Read the whole text of the file at `path`.
    pub fn read(&self, path: &str) -> Result<String, Errno> {
        let parts = split(path);
        if let Some(pid) = parts.first().and_then(|f| self.pid_of(f)) {
            return base::read_pid_file(pid, &parts[1..]);
        }
        let root = self.root.read();
        let cur = walk(&root, &parts)?;
        match cur {
            Node::Dir(_) => Err(EISDIR),
            Node::File { source, .. } => {
                let source = source.clone();
                drop(root);
                Ok(source.read())
            }
        }
    }

    /// Write `data` to a writable file.
    pub fn write(&self, path: &str, data: &str) -> Result<(), Errno> {
        let parts = split(path);
        let root = self.root.read();
        let cur = walk(&root, &parts)?;
        match cur {
            Node::Dir(_) => Err(EISDIR),
            Node::File {
                write: Some(w),
                source,
                ..
            } => {
                let (w, source) = (*w, source.clone());
                drop(root);
                match (w, source) {
                    (Writer::Plain(f), _) => f(data),
                    (Writer::Private(f), Source::Private(_, p)) => f(&p, data),
                    (Writer::Private(_), _) => Err(EINVAL),
                }
            }
            Node::File { .. } => Err(uapi::errno::EACCES),
        }
    }

    /// Names in the directory at `path`.
    pub fn readdir(&self, path: &str) -> Result<Vec<String>, Errno> {
        let parts = split(path);
        if let Some(pid) = parts.first().and_then(|f| self.pid_of(f)) {
            return base::readdir_pid(pid, &parts[1..]);
        }
        let root = self.root.read();
        let cur = walk(&root, &parts)?;
        match cur {
            Node::Dir(c) => {
                let mut names: Vec<String> = c.keys().cloned().collect();
                if parts.is_empty() && self.with_pids {
                    names.push("self".into());
                    names.extend(crate::kernel().pids().iter().map(|p| p.to_string()));
                }
                Ok(names)
            }
            Node::File { .. } => Err(ENOTDIR),
        }
    }

    /// `stat` of the entry at `path`.
    pub fn stat(&self, path: &str) -> Result<ProcStat, Errno> {
        let parts = split(path);
        if let Some(pid) = parts.first().and_then(|f| self.pid_of(f)) {
            return base::stat_pid(pid, &parts[1..]);
        }
        let root = self.root.read();
        let cur = walk(&root, &parts)?;
        Ok(match cur {
            Node::Dir(_) => ProcStat {
                is_dir: true,
                mode: 0o555,
            },
            Node::File { mode, .. } => ProcStat {
                is_dir: false,
                mode: *mode,
            },
        })
    }
}

/// `/sys/kernel/debug/rcu/`.
pub(crate) fn rcu_debugfs_init(k: &crate::init::kernel::Kernel) {
    k.debugfs
        .create_single(
            "rcu/rcu_data",
            0o444,
            crate::kernel::rcu::tree::show_rcu_data,
        )
        .expect("fresh debugfs");
}

/// Shared handle type stored in the kernel.
pub type ProcFsRef = Arc<ProcFs>;
