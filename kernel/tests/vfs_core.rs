//! The VFS driven through its kernel API on a booted kernel: path walks
//! and their errnos, the ramfs root and /proc, read/write/readv/writev in
//! both seed-001 routes (/dev/null scalar-only, /dev/zero and ramfs
//! vectored-only), lseek, getdents64, stat, descriptor tables and fcntl.

use kernel::fs::iov_iter::{IoVec, KernelUserMemory};
use kernel::fs::namei::{do_truncate, path_lookupat};
use kernel::fs::readdir::vfs_readdir_all;
use kernel::fs::*;
use kernel::testing::{config, run};
use std::sync::Arc;
use uapi::errno::*;
use uapi::fcntl::*;

fn init_fs() -> Arc<FsStruct> {
    kernel::kernel().vfs.init_fs().expect("root mounted")
}

fn names(dir: &str) -> Vec<String> {
    let f = vfs_open(dir, O_RDONLY | O_DIRECTORY, 0).unwrap();
    let mut v: Vec<String> = vfs_readdir_all(&f)
        .unwrap()
        .into_iter()
        .map(|d| d.d_name)
        .collect();
    v.sort();
    v
}

#[test]
fn root_layout_and_path_walk_errnos() {
    let (r, _) = run(config(2), || {
        let mut out = Vec::new();
        out.push(format!("{:?}", names("/")));
        for d in ["/bin", "/sbin", "/dev", "/proc", "/tmp", "/etc"] {
            assert!(vfs_stat(d).unwrap().mode & S_IFMT == S_IFDIR, "{d}");
        }
        assert_eq!(vfs_stat("/tmp").unwrap().mode & 0o7777, 0o1777);
        vfs_mkdir("/tmp/a", 0o755).unwrap();
        vfs_mkdir("/tmp/a/b", 0o755).unwrap();
        let f = vfs_open("/tmp/a/file", O_CREAT | O_WRONLY, 0o644).unwrap();
        assert_eq!(kernel_write(&f, b"hello").unwrap(), 5);
        drop(f);
        // Walks with . and .., extra slashes, from a cwd.
        assert_eq!(vfs_stat("/tmp/a/b/../file").unwrap().size, 5);
        assert_eq!(vfs_stat("//tmp///a/./file").unwrap().size, 5);
        assert_eq!(vfs_stat("/../../tmp/a/file").unwrap().size, 5);
        let fs = init_fs().copy();
        vfs_chdir(&fs, None, "/tmp/a/b").unwrap();
        assert_eq!(vfs_getcwd(&fs).unwrap(), "/tmp/a/b");
        assert_eq!(vfs_stat_at(&fs, None, "../file").unwrap().size, 5);
        assert_eq!(vfs_stat_at(&fs, None, ".").unwrap().mode & S_IFMT, S_IFDIR);
        // Errnos.
        let e = |r: Result<Kstat, Errno>| r.err();
        assert_eq!(e(vfs_stat("")), Some(ENOENT));
        assert_eq!(e(vfs_stat("/nope")), Some(ENOENT));
        assert_eq!(e(vfs_stat("/tmp/a/file/x")), Some(ENOTDIR));
        assert_eq!(e(vfs_stat("/tmp/a/file/")), Some(ENOTDIR));
        assert_eq!(
            e(vfs_stat(&format!("/tmp/{}", "x".repeat(256)))),
            Some(ENAMETOOLONG)
        );
        assert_eq!(e(vfs_stat(&"/a".repeat(2048))), Some(ENAMETOOLONG));
        assert_eq!(vfs_mkdir("/tmp/a", 0o755), Err(EEXIST));
        assert_eq!(vfs_mkdir("/tmp/a/file", 0o755), Err(EEXIST));
        assert_eq!(vfs_mkdir("/tmp/none/x", 0o755), Err(ENOENT));
        assert_eq!(vfs_mkdir("/", 0o755), Err(EEXIST));
        assert_eq!(vfs_open("/tmp/a", O_WRONLY, 0).err(), Some(EISDIR));
        assert_eq!(
            vfs_open("/tmp/a/file", O_RDONLY | O_DIRECTORY, 0).err(),
            Some(ENOTDIR)
        );
        assert_eq!(
            vfs_open("/tmp/a/file", O_CREAT | O_EXCL | O_RDWR, 0o600).err(),
            Some(EEXIST)
        );
        assert_eq!(
            vfs_open("/tmp/newdir/", O_CREAT | O_RDWR, 0o600).err(),
            Some(EISDIR)
        );
        assert_eq!(vfs_unlink("/tmp/a/b"), Err(EISDIR));
        assert_eq!(vfs_unlink("/tmp/a/nope"), Err(ENOENT));
        assert_eq!(vfs_rmdir("/tmp/a"), Err(ENOTEMPTY));
        assert_eq!(vfs_rmdir("/tmp/a/file"), Err(ENOTDIR));
        assert_eq!(vfs_rmdir("/tmp/a/b/."), Err(EINVAL));
        assert_eq!(vfs_rmdir("/tmp/a/b/.."), Err(ENOTEMPTY));
        assert_eq!(vfs_rmdir("/proc"), Err(EBUSY));
        // nlink: a directory has 2 + subdirectories.
        assert_eq!(vfs_stat("/tmp/a").unwrap().nlink, 3);
        // Removing the cwd: getcwd fails, lookups in it find nothing.
        vfs_rmdir("/tmp/a/b").unwrap();
        assert_eq!(vfs_stat("/tmp/a").unwrap().nlink, 2);
        assert_eq!(vfs_getcwd(&fs), Err(ENOENT));
        assert_eq!(vfs_mkdir_at(&fs, None, "x", 0o755), Err(ENOENT));
        vfs_unlink("/tmp/a/file").unwrap();
        vfs_rmdir("/tmp/a").unwrap();
        assert_eq!(vfs_stat("/tmp/a").err(), Some(ENOENT));
        out
    });
    assert_eq!(
        r[0],
        r#"[".", "..", "bin", "dev", "etc", "lib", "proc", "sbin", "sys", "tmp"]"#
    );
}

#[test]
fn proc_is_mounted_and_readable() {
    let (r, _) = run(config(2), || {
        let f = vfs_open("/proc/uptime", O_RDONLY, 0).unwrap();
        let mut buf = vec![0u8; 256];
        let n = kernel_read(&f, &mut buf).unwrap();
        let up = String::from_utf8_lossy(&buf[..n]).to_string();
        let mounts = {
            let f = vfs_open("/proc/mounts", O_RDONLY, 0).unwrap();
            let mut b = vec![0u8; 4096];
            let n = kernel_read(&f, &mut b).unwrap();
            String::from_utf8_lossy(&b[..n]).to_string()
        };
        let self_status = {
            let f = vfs_open("/proc/self/status", O_RDONLY, 0).unwrap();
            let mut b = vec![0u8; 8192];
            let n = kernel_read(&f, &mut b).unwrap();
            String::from_utf8_lossy(&b[..n]).to_string()
        };
        let root = names("/proc");
        let st = vfs_stat("/proc/1").unwrap();
        let nope = vfs_stat("/proc/99999").err();
        // .. from /proc's root crosses back into the ramfs.
        let dd = vfs_stat("/proc/../tmp").unwrap().mode & S_IFMT;
        (up, mounts, self_status, root, st.mode & S_IFMT, nope, dd)
    });
    assert_eq!(r.0.split_whitespace().count(), 2, "{}", r.0);
    assert!(r.1.contains("rootfs / rootfs rw"), "{}", r.1);
    assert!(r.1.contains("proc /proc proc rw"), "{}", r.1);
    assert!(r.2.starts_with("Name:"), "{}", r.2);
    for n in ["uptime", "self", "1", "mounts", "filesystems", "devices"] {
        assert!(r.3.iter().any(|x| x == n), "{n} missing from {:?}", r.3);
    }
    assert_eq!(r.4, S_IFDIR);
    assert_eq!(r.5, Some(ENOENT));
    assert_eq!(r.6, S_IFDIR);
}

#[test]
fn read_write_seek_and_both_seed001_routes() {
    let (r, _) = run(config(2), || {
        let f = vfs_open("/tmp/f", O_CREAT | O_RDWR | O_TRUNC, 0o644).unwrap();
        // writev on a vectored-only file.
        let (a, b, c) = (b"abc".as_slice(), b"".as_slice(), b"defgh".as_slice());
        assert_eq!(
            vfs_writev(&f, &mut IovIter::kvec_source(vec![a, b, c])).unwrap(),
            8
        );
        assert_eq!(f.pos(), 8);
        assert_eq!(vfs_llseek(&f, 2, SEEK_SET).unwrap(), 2);
        let (mut x, mut y) = ([0u8; 2], [0u8; 10]);
        let n = vfs_readv(&f, &mut IovIter::kvec_dest(vec![&mut x, &mut y])).unwrap();
        assert_eq!((n, &x, &y[..4]), (6, b"cd", b"efgh".as_slice()));
        assert_eq!(vfs_llseek(&f, -3, SEEK_END).unwrap(), 5);
        assert_eq!(vfs_llseek(&f, -10, SEEK_CUR), Err(EINVAL));
        assert_eq!(vfs_llseek(&f, 0, 7), Err(EINVAL));
        let mut p = [0u8; 3];
        assert_eq!(vfs_pread(&f, &mut UBuf::KernelDest(&mut p), 1).unwrap(), 3);
        assert_eq!(&p, b"bcd");
        assert_eq!(f.pos(), 5, "pread leaves f_pos alone");
        assert_eq!(
            vfs_pread(&f, &mut UBuf::KernelDest(&mut p), -1),
            Err(EINVAL)
        );
        // O_APPEND.
        let g = vfs_open("/tmp/f", O_WRONLY | O_APPEND, 0).unwrap();
        kernel_write(&g, b"XY").unwrap();
        assert_eq!(vfs_fstat(&f).unwrap().size, 10);
        // O_TRUNC and truncate.
        do_truncate(&f.f_path, 3).unwrap();
        assert_eq!(vfs_stat("/tmp/f").unwrap().size, 3);
        drop(vfs_open("/tmp/f", O_WRONLY | O_TRUNC, 0).unwrap());
        assert_eq!(vfs_stat("/tmp/f").unwrap().size, 0);
        // EBADF on the wrong direction.
        let ro = vfs_open("/tmp/f", O_RDONLY, 0).unwrap();
        assert_eq!(kernel_write(&ro, b"x"), Err(EBADF));
        assert_eq!(kernel_read(&g, &mut p), Err(EBADF));

        // /dev/null: scalar methods only; readv/writev emulated per segment.
        let null = vfs_open("/dev/null", O_RDWR, 0).unwrap();
        assert!(null.f_op.read_iter.is_none() && null.f_op.read.is_some());
        assert_eq!(
            vfs_writev(&null, &mut IovIter::kvec_source(vec![a, c])).unwrap(),
            8
        );
        assert_eq!(kernel_read(&null, &mut p).unwrap(), 0);
        assert_eq!(
            vfs_readv(&null, &mut IovIter::kvec_dest(vec![&mut x, &mut y])).unwrap(),
            0
        );
        // /dev/zero: vectored methods only; scalar read goes through read_iter.
        let zero = vfs_open("/dev/zero", O_RDWR, 0).unwrap();
        assert!(zero.f_op.read.is_none() && zero.f_op.read_iter.is_some());
        let mut z = [7u8; 5000];
        assert_eq!(kernel_read(&zero, &mut z).unwrap(), 5000);
        assert!(z.iter().all(|&b| b == 0));
        let (mut z1, mut z2) = ([1u8; 3], [1u8; 4]);
        assert_eq!(
            vfs_readv(&zero, &mut IovIter::kvec_dest(vec![&mut z1, &mut z2])).unwrap(),
            7
        );
        assert_eq!(z1.iter().chain(z2.iter()).sum::<u8>(), 0);
        assert_eq!(kernel_write(&zero, b"abc").unwrap(), 3);
        // Devices: stat shows the device numbers.
        let st = vfs_stat("/dev/zero").unwrap();
        assert_eq!(
            (st.mode & S_IFMT, major(st.rdev), minor(st.rdev)),
            (S_IFCHR, 1, 5)
        );
        // A device number nobody registered: ENXIO.
        vfs_mknod("/dev/bogus", S_IFCHR | 0o600, makedev(250, 0)).unwrap();
        assert_eq!(vfs_open("/dev/bogus", O_RDONLY, 0).err(), Some(ENXIO));

        // User-memory iovecs: a fault in the middle ends the copy short.
        let mem = KernelUserMemory::new(0x1000, 64);
        mem.write(0x1000, b"0123456789").unwrap();
        let iov = [
            IoVec {
                iov_base: 0x1000,
                iov_len: 4,
            },
            IoVec {
                iov_base: 0x1004,
                iov_len: 6,
            },
        ];
        let h = vfs_open("/tmp/u", O_CREAT | O_RDWR, 0o600).unwrap();
        let mut it = IovIter::import_iovec(false, &mem, &iov).unwrap();
        assert_eq!(vfs_writev(&h, &mut it).unwrap(), 10);
        vfs_llseek(&h, 0, SEEK_SET).unwrap();
        let bad = [
            IoVec {
                iov_base: 0x1020,
                iov_len: 4,
            },
            IoVec {
                iov_base: 0x9000,
                iov_len: 4,
            },
        ];
        let mut it = IovIter::import_iovec(true, &mem, &bad).unwrap();
        assert_eq!(vfs_readv(&h, &mut it).unwrap(), 4);
        assert_eq!(mem.read(0x1020, 4).unwrap(), b"0123");
        let mut it = IovIter::import_iovec(true, &mem, &bad[1..]).unwrap();
        assert_eq!(vfs_readv(&h, &mut it), Err(EFAULT));
        let too_many = vec![
            IoVec {
                iov_base: 0x1000,
                iov_len: 1
            };
            1025
        ];
        assert_eq!(
            IovIter::import_iovec(true, &mem, &too_many).err(),
            Some(EINVAL)
        );
        true
    });
    assert!(r);
}

#[test]
fn getdents_positions_small_buffers_and_stat() {
    let (r, _) = run(config(2), || {
        vfs_mkdir("/tmp/d", 0o755).unwrap();
        for i in 0..40 {
            drop(vfs_open(&format!("/tmp/d/file{i:02}"), O_CREAT | O_WRONLY, 0o644).unwrap());
        }
        vfs_mkdir("/tmp/d/sub", 0o755).unwrap();
        let f = vfs_open("/tmp/d", O_RDONLY | O_DIRECTORY, 0).unwrap();
        // A buffer too small for one record: EINVAL.
        let mut tiny = [0u8; 8];
        assert_eq!(vfs_getdents(&f, &mut IovIter::dest(&mut tiny)), Err(EINVAL));
        // Read in small chunks: every entry exactly once.
        let mut all = Vec::new();
        let mut buf = [0u8; 100];
        loop {
            let n = vfs_getdents(&f, &mut IovIter::dest(&mut buf)).unwrap();
            if n == 0 {
                break;
            }
            all.extend(uapi::fcntl::LinuxDirent64::parse_all(&buf[..n]).unwrap());
        }
        assert_eq!(all.len(), 43);
        assert_eq!(all[0].d_name, ".");
        assert_eq!(all[1].d_name, "..");
        let sub = all.iter().find(|d| d.d_name == "sub").unwrap();
        assert_eq!(sub.d_type, DT_DIR);
        assert_eq!(sub.d_ino, vfs_stat("/tmp/d/sub").unwrap().ino);
        assert_eq!(all.iter().filter(|d| d.d_type == DT_REG).count(), 40);
        // Unlink while iterating: a rewind shows the new state.
        vfs_unlink("/tmp/d/file00").unwrap();
        vfs_llseek(&f, 0, SEEK_SET).unwrap();
        assert_eq!(vfs_readdir_all(&f).unwrap().len(), 42);
        // read() on a directory: EISDIR; getdents on a file: ENOTDIR.
        assert_eq!(kernel_read(&f, &mut buf), Err(EISDIR));
        let reg = vfs_open("/tmp/d/file01", O_RDONLY, 0).unwrap();
        assert_eq!(
            vfs_getdents(&reg, &mut IovIter::dest(&mut buf)),
            Err(ENOTDIR)
        );
        let st = vfs_stat("/tmp/d/file01").unwrap();
        assert_eq!(st.mode, S_IFREG | 0o644);
        assert_eq!(st.nlink, 1);
        assert_eq!(st.to_stat().st_ino, st.ino);
        true
    });
    assert!(r);
}

#[test]
fn fd_tables_dup_fcntl_cloexec_and_limits() {
    let (r, _) = run(config(2), || {
        let files = FilesStruct::new();
        let f = vfs_open("/dev/null", O_RDWR, 0).unwrap();
        assert_eq!(files.install(Arc::clone(&f), 0).unwrap(), 0);
        assert_eq!(files.install(Arc::clone(&f), O_CLOEXEC).unwrap(), 1);
        assert_eq!(files.dup(0).unwrap(), 2);
        assert!(files.get_close_on_exec(1).unwrap());
        assert!(
            !files.get_close_on_exec(2).unwrap(),
            "dup clears FD_CLOEXEC"
        );
        // Lowest free descriptor.
        files.close_fd(1).unwrap();
        assert_eq!(files.close_fd(1), Err(EBADF));
        assert_eq!(files.dup(0).unwrap(), 1);
        // dup2 / dup3.
        assert_eq!(files.dup2(0, 0).unwrap(), 0);
        assert_eq!(files.dup2(7, 7), Err(EBADF));
        assert_eq!(files.dup2(0, 10).unwrap(), 10);
        assert_eq!(files.dup3(0, 0, 0), Err(EINVAL));
        assert_eq!(files.dup3(0, 11, O_NONBLOCK), Err(EINVAL));
        assert_eq!(files.dup3(0, 11, O_CLOEXEC).unwrap(), 11);
        assert!(files.get_close_on_exec(11).unwrap());
        assert_eq!(files.dup2(0, 1024), Err(EBADF));
        assert_eq!(files.dup2(0, -1), Err(EBADF));
        // fcntl.
        assert_eq!(files.fcntl(0, F_DUPFD, 5).unwrap(), 5);
        assert_eq!(files.fcntl(0, F_DUPFD, 10).unwrap(), 12);
        assert_eq!(files.fcntl(0, F_DUPFD_CLOEXEC, 0).unwrap(), 3);
        assert_eq!(files.fcntl(3, F_GETFD, 0).unwrap(), FD_CLOEXEC as i64);
        files.fcntl(3, F_SETFD, 0).unwrap();
        assert_eq!(files.fcntl(3, F_GETFD, 0).unwrap(), 0);
        assert_eq!(files.fcntl(0, F_DUPFD, 1024), Err(EINVAL));
        assert_eq!(
            files.fcntl(0, F_GETFL, 0).unwrap() as u32,
            O_RDWR | O_LARGEFILE
        );
        files
            .fcntl(
                0,
                F_SETFL,
                (O_NONBLOCK | O_APPEND | O_RDONLY | O_CREAT) as u64,
            )
            .unwrap();
        // Status flags live in the shared file: visible through every dup.
        assert_eq!(
            files.fcntl(10, F_GETFL, 0).unwrap() as u32,
            O_RDWR | O_LARGEFILE | O_NONBLOCK | O_APPEND
        );
        assert_eq!(files.fcntl(99, F_GETFL, 0), Err(EBADF));
        assert_eq!(files.fcntl(0, 9999, 0), Err(EINVAL));
        // fork copies, CLONE_FILES shares.
        let copy = files.dup_fd();
        let shared = Arc::clone(&files);
        files.close_fd(5).unwrap();
        assert!(copy.fget(5).is_ok());
        assert_eq!(shared.fget(5).err(), Some(EBADF));
        // exec closes close-on-exec descriptors only.
        let before = files.open_fds().len();
        assert_eq!(files.do_close_on_exec(), 1);
        assert_eq!(files.open_fds().len(), before - 1);
        assert_eq!(files.fget(11).err(), Some(EBADF));
        // EMFILE at RLIMIT_NOFILE.
        let mut n = files.open_fds().len();
        loop {
            match files.dup(0) {
                Ok(_) => n += 1,
                Err(e) => {
                    assert_eq!(e, EMFILE);
                    break;
                }
            }
        }
        assert_eq!(n, 1024);
        // Reserve, then install.
        files.close_fd(7).unwrap();
        let fd = files.get_unused_fd_flags(0).unwrap();
        assert_eq!(fd, 7);
        assert_eq!(files.dup2(0, 7), Err(EBUSY));
        files.fd_install(fd, Arc::clone(&f));
        files.close_all();
        copy.close_all();
        assert!(files.open_fds().is_empty());
        Arc::strong_count(&f)
    });
    assert_eq!(r, 1, "every descriptor dropped its reference");
}

#[test]
fn mount_and_umount_ramfs() {
    let (r, _) = run(config(1), || {
        let k = kernel::kernel();
        vfs_mkdir("/tmp/m", 0o755).unwrap();
        drop(vfs_open("/tmp/m/under", O_CREAT | O_WRONLY, 0o644).unwrap());
        let fs = init_fs();
        let at = path_lookupat(&fs, None, "/tmp/m").unwrap();
        let root = k.vfs.do_mount("ramfs", "none", &at).unwrap();
        let hidden = vfs_stat("/tmp/m/under").err();
        drop(vfs_open("/tmp/m/over", O_CREAT | O_WRONLY, 0o644).unwrap());
        let busy = vfs_rmdir("/tmp/m");
        let up = vfs_stat("/tmp/m/..").unwrap().ino == vfs_stat("/tmp").unwrap().ino;
        k.vfs.umount(&root).unwrap();
        let back = vfs_stat("/tmp/m/under").is_ok() && vfs_stat("/tmp/m/over").is_err();
        (hidden, busy, up, back)
    });
    assert_eq!(r, (Some(ENOENT), Err(EBUSY), true, true));
}

/// Run `f(i)` on `n` kernel threads spread over the CPUs; wait for all.
fn on_threads(n: usize, f: impl Fn(usize) + Send + Sync + 'static) {
    use kernel::kernel::kthread::kthread_create_on_cpu;
    use kernel::kernel::sched::completion::Completion;
    let f = Arc::new(f);
    let cpus = kernel::kernel().nr_cpus();
    let dones: Vec<_> = (0..n)
        .map(|i| {
            let done = Arc::new(Completion::new());
            let (d2, f2) = (Arc::clone(&done), Arc::clone(&f));
            let t = kthread_create_on_cpu(
                move || {
                    f2(i);
                    d2.complete();
                    0
                },
                i % cpus,
                &format!("vfs_worker/{i}"),
            );
            kernel::kernel::sched::wake_up_process(&t);
            done
        })
        .collect();
    for d in dones {
        d.wait_for_completion();
    }
}

#[test]
fn concurrent_namespace_changes_and_shared_positions() {
    let (r, _) = run(config(2), || {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // Racing mkdirs of one name: exactly one wins.
        let won = Arc::new(AtomicUsize::new(0));
        let lost = Arc::new(AtomicUsize::new(0));
        let (w, l) = (Arc::clone(&won), Arc::clone(&lost));
        on_threads(8, move |_| match vfs_mkdir("/tmp/race", 0o755) {
            Ok(()) => {
                w.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                assert_eq!(e, EEXIST);
                l.fetch_add(1, Ordering::SeqCst);
            }
        });
        // Racing creates of distinct names in one directory.
        on_threads(8, |i| {
            for j in 0..25 {
                drop(
                    vfs_open(
                        &format!("/tmp/race/f{i}_{j}"),
                        O_CREAT | O_EXCL | O_WRONLY,
                        0o600,
                    )
                    .unwrap(),
                );
            }
        });
        let entries = names("/tmp/race").len();
        // O_APPEND writers on both CPUs: every record lands whole.
        on_threads(4, |i| {
            let f = vfs_open("/tmp/log", O_CREAT | O_WRONLY | O_APPEND, 0o644).unwrap();
            let rec = vec![b'a' + i as u8; 100];
            for _ in 0..50 {
                assert_eq!(kernel_write(&f, &rec).unwrap(), 100);
            }
        });
        let f = vfs_open("/tmp/log", O_RDONLY, 0).unwrap();
        let mut all = vec![0u8; 30_000];
        let n = kernel_read(&f, &mut all).unwrap();
        let whole = all[..n].chunks(100).all(|c| c.iter().all(|&b| b == c[0]));
        // One shared file, readers on both CPUs: f_pos_lock hands each
        // read a distinct range, so every byte is read exactly once.
        let shared = vfs_open("/tmp/log", O_RDONLY, 0).unwrap();
        let total = Arc::new(AtomicUsize::new(0));
        let (s2, t2) = (Arc::clone(&shared), Arc::clone(&total));
        on_threads(4, move |_| {
            let mut b = [0u8; 100];
            loop {
                let k = kernel_read(&s2, &mut b).unwrap();
                if k == 0 {
                    break;
                }
                t2.fetch_add(k, Ordering::SeqCst);
            }
        });
        (
            won.load(Ordering::SeqCst),
            lost.load(Ordering::SeqCst),
            entries,
            n,
            whole,
            total.load(Ordering::SeqCst),
        )
    });
    assert_eq!((r.0, r.1), (1, 7));
    assert_eq!(r.2, 2 + 8 * 25);
    assert_eq!(r.3, 4 * 50 * 100);
    assert!(r.4, "an O_APPEND record was torn");
    assert_eq!(r.5, 4 * 50 * 100);
}

/// A ramfs file cannot grow past the machine's RAM (`s_maxbytes`): a
/// write at a huge offset is EFBIG instead of a host allocation of that
/// size (found by the syscall fuzzer), a write crossing the limit is cut
/// short, and a truncate past it is EFBIG.
#[test]
fn ramfs_files_stop_at_maxbytes() {
    let (r, _) = run(config(1), || {
        let f = vfs_open("/tmp/big", O_CREAT | O_RDWR, 0o644).unwrap();
        let max = kernel::fs::ramfs::ramfs_maxbytes() as i64;
        let far = vfs_pwrite(&f, &mut UBuf::KernelSource(b"x"), 1 << 40).err();
        let at_max = vfs_pwrite(&f, &mut UBuf::KernelSource(b"x"), max).err();
        let crossing = vfs_pwrite(&f, &mut UBuf::KernelSource(b"abcd"), max - 2);
        let path = path_lookupat(&init_fs(), None, "/tmp/big").unwrap();
        let trunc = do_truncate(&path, max + 1).err();
        (far, at_max, crossing, trunc)
    });
    assert_eq!(r, (Some(EFBIG), Some(EFBIG), Ok(2), Some(EFBIG)));
}
