//! Pipe semantics under real concurrency: a reader blocked on one CPU is
//! woken by a writer on the other; several writers' PIPE_BUF-sized
//! writes never interleave; O_NONBLOCK gives EAGAIN; no readers gives
//! EPIPE; no writers gives end of file; poll masks follow the state and
//! a poller sleeping in do_poll is woken by a write.

use kernel::fs::pipe::{file_pipe, PIPE_DEF_SIZE};
use kernel::fs::select::{do_poll, PollEntry};
use kernel::fs::*;
use kernel::kernel::kthread::kthread_create_on_cpu;
use kernel::kernel::sched::completion::Completion;
use kernel::kernel::sched::wake_up_process;
use kernel::kernel::time::msleep;
use kernel::testing::{config, run};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use uapi::errno::*;
use uapi::fcntl::*;
use uapi::poll::*;

/// Run `f` on a kernel thread pinned to `cpu`; the completion fires when
/// it returns.
fn spawn_on(cpu: usize, name: &str, f: impl FnOnce() + Send + 'static) -> Arc<Completion> {
    let done = Arc::new(Completion::new());
    let d2 = Arc::clone(&done);
    let t = kthread_create_on_cpu(
        move || {
            f();
            d2.complete();
            0
        },
        cpu,
        name,
    );
    wake_up_process(&t);
    done
}

#[test]
fn blocked_reader_is_woken_by_writer_on_another_cpu() {
    let (r, _) = run(config(2), || {
        let (rd, wr) = do_pipe2(0).unwrap();
        let got = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let (g2, rd2) = (Arc::clone(&got), Arc::clone(&rd));
        let reader_cpu = Arc::new(AtomicUsize::new(99));
        let rc = Arc::clone(&reader_cpu);
        let done = spawn_on(1, "pipe_reader", move || {
            rc.store(kernel::smp_processor_id(), Ordering::SeqCst);
            let mut buf = [0u8; 64];
            let n = kernel_read(&rd2, &mut buf).unwrap();
            g2.lock().extend_from_slice(&buf[..n]);
        });
        // Wait until the reader sleeps on the pipe.
        let pipe = file_pipe(&rd).unwrap();
        for _ in 0..2000 {
            if !pipe.rd_wait.is_empty() {
                break;
            }
            msleep(1);
        }
        let was_blocked = !pipe.rd_wait.is_empty() && got.lock().is_empty();
        kernel::kernel::sched::set_cpus_allowed(&kernel::current(), 1).unwrap();
        let writer_cpu = kernel::smp_processor_id();
        kernel_write(&wr, b"wake up").unwrap();
        done.wait_for_completion();
        let v = got.lock().clone();
        (
            was_blocked,
            reader_cpu.load(Ordering::SeqCst),
            writer_cpu,
            v,
        )
    });
    assert!(r.0, "reader was not blocked before the write");
    assert_eq!(r.1, 1);
    assert_eq!(r.2, 0);
    assert_eq!(r.3, b"wake up");
}

#[test]
fn pipe_buf_writes_are_atomic_with_several_writers() {
    const WRITERS: usize = 4;
    const WRITES: usize = 40;
    let (r, _) = run(config(2), || {
        let (rd, wr) = do_pipe2(0).unwrap();
        let mut dones = Vec::new();
        for w in 0..WRITERS {
            let wr = Arc::clone(&wr);
            dones.push(spawn_on(w % 2, &format!("pw{w}"), move || {
                // Each record: PIPE_BUF bytes of the writer's letter.
                let rec = vec![b'a' + w as u8; PIPE_BUF];
                for _ in 0..WRITES {
                    assert_eq!(kernel_write(&wr, &rec).unwrap(), PIPE_BUF);
                }
            }));
        }
        drop(wr);
        // Read everything with odd-sized reads, then check every aligned
        // PIPE_BUF block holds one letter only.
        let mut all = Vec::new();
        let mut buf = vec![0u8; 3000];
        loop {
            let n = kernel_read(&rd, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        for d in dones {
            d.wait_for_completion();
        }
        let mut torn = 0;
        for block in all.chunks(PIPE_BUF) {
            if block.iter().any(|&b| b != block[0]) {
                torn += 1;
            }
        }
        (all.len(), torn)
    });
    assert_eq!(r.0, WRITERS * WRITES * PIPE_BUF);
    assert_eq!(r.1, 0, "a PIPE_BUF write was interleaved");
}

#[test]
fn nonblocking_epipe_eof_and_capacity() {
    let (r, _) = run(config(2), || {
        assert_eq!(do_pipe2(O_DIRECT).err(), Some(EINVAL));
        let (rd, wr) = do_pipe2(O_NONBLOCK).unwrap();
        assert_eq!(rd.flags() & O_ACCMODE, O_RDONLY);
        assert_eq!(wr.flags() & O_NONBLOCK, O_NONBLOCK);
        let mut buf = vec![0u8; 100_000];
        // Empty with a writer: EAGAIN.
        assert_eq!(kernel_read(&rd, &mut buf), Err(EAGAIN));
        // Fill to exactly 64 KiB; then a write fails with EAGAIN.
        let big = vec![7u8; 100_000];
        assert_eq!(kernel_write(&wr, &big).unwrap(), PIPE_DEF_SIZE);
        assert_eq!(kernel_write(&wr, b"x"), Err(EAGAIN));
        // Room for 100 bytes: a PIPE_BUF write must not go in partly...
        assert_eq!(kernel_read(&rd, &mut buf[..100]).unwrap(), 100);
        assert_eq!(kernel_write(&wr, &big[..200]), Err(EAGAIN));
        // ... but a larger-than-PIPE_BUF write may.
        assert_eq!(kernel_write(&wr, &big[..5000]).unwrap(), 100);
        // No position: lseek/pread fail with ESPIPE.
        assert_eq!(vfs_llseek(&rd, 0, SEEK_SET), Err(ESPIPE));
        assert_eq!(
            vfs_pread(&rd, &mut UBuf::KernelDest(&mut buf[..1]), 0),
            Err(ESPIPE)
        );
        // readv and writev go through read_iter/write_iter.
        assert_eq!(kernel_read(&rd, &mut buf).unwrap(), PIPE_DEF_SIZE);
        let (a, b) = (b"ab".as_slice(), b"cde".as_slice());
        assert_eq!(
            vfs_writev(&wr, &mut IovIter::kvec_source(vec![a, b])).unwrap(),
            5
        );
        let (mut x, mut y) = ([0u8; 4], [0u8; 4]);
        assert_eq!(
            vfs_readv(&rd, &mut IovIter::kvec_dest(vec![&mut x, &mut y])).unwrap(),
            5
        );
        assert_eq!((&x, &y[..1]), (b"abcd", b"e".as_slice()));
        // Writer gone: end of file (0), not EAGAIN.
        kernel_write(&wr, b"tail").unwrap();
        drop(wr);
        assert_eq!(kernel_read(&rd, &mut buf).unwrap(), 4);
        assert_eq!(kernel_read(&rd, &mut buf).unwrap(), 0);
        // Reader gone: EPIPE.
        let (rd2, wr2) = do_pipe2(0).unwrap();
        drop(rd2);
        let epipe = kernel_write(&wr2, b"x");
        // F_SETPIPE_SZ / F_GETPIPE_SZ.
        let files = FilesStruct::new();
        let (r3, w3) = do_pipe2(0).unwrap();
        let fd = files.install(w3, 0).unwrap();
        let sz0 = files.fcntl(fd, F_GETPIPE_SZ, 0).unwrap();
        let sz1 = files.fcntl(fd, F_SETPIPE_SZ, 5000).unwrap();
        let w3 = files.fget(fd).unwrap();
        assert_eq!(kernel_write(&w3, &big[..8192]).unwrap(), 8192);
        let shrink = files.fcntl(fd, F_SETPIPE_SZ, 4096);
        drop(r3);
        files.close_all();
        (epipe, sz0, sz1, shrink)
    });
    assert_eq!(r.0, Err(EPIPE));
    assert_eq!(r.1, 65536);
    assert_eq!(r.2, 8192);
    assert_eq!(r.3, Err(EBUSY));
}

#[test]
fn blocked_writer_is_woken_and_epipe_wakes_it_too() {
    let (r, _) = run(config(2), || {
        let (rd, wr) = do_pipe2(0).unwrap();
        let big = vec![1u8; PIPE_DEF_SIZE];
        kernel_write(&wr, &big).unwrap();
        let res = Arc::new(parking_lot::Mutex::new(None));
        let (w2, r2) = (Arc::clone(&wr), Arc::clone(&res));
        let done = spawn_on(1, "pipe_writer", move || {
            *r2.lock() = Some(kernel_write(&w2, b"more"));
        });
        let pipe = file_pipe(&rd).unwrap();
        for _ in 0..2000 {
            if !pipe.wr_wait.is_empty() {
                break;
            }
            msleep(1);
        }
        let blocked = res.lock().is_none();
        // Free room: the writer completes.
        let mut buf = vec![0u8; 10];
        kernel_read(&rd, &mut buf).unwrap();
        done.wait_for_completion();
        let first = res.lock().take();
        // Full again, then the reader goes away: the writer gets EPIPE.
        let (w3, r3) = (Arc::clone(&wr), Arc::clone(&res));
        kernel_write(&wr, &big[..6]).unwrap();
        let done = spawn_on(1, "pipe_writer2", move || {
            *r3.lock() = Some(kernel_write(&w3, b"x"));
        });
        for _ in 0..2000 {
            if !pipe.wr_wait.is_empty() {
                break;
            }
            msleep(1);
        }
        drop(rd);
        done.wait_for_completion();
        let second = res.lock().take();
        (blocked, first, second)
    });
    assert!(r.0);
    assert_eq!(r.1, Some(Ok(4)));
    assert_eq!(r.2, Some(Err(EPIPE)));
}

#[test]
fn poll_masks_and_poll_wakeup() {
    let (r, _) = run(config(2), || {
        let (rd, wr) = do_pipe2(0).unwrap();
        let mask = |f: &Arc<File>| vfs_poll(f, None);
        let m0 = (mask(&rd), mask(&wr));
        kernel_write(&wr, b"x").unwrap();
        let m1 = mask(&rd);
        // A poller sleeping in do_poll is woken by a write on CPU 1.
        let mut buf = [0u8; 1];
        kernel_read(&rd, &mut buf).unwrap();
        let w2 = Arc::clone(&wr);
        let done = spawn_on(1, "poke", move || {
            msleep(20);
            kernel_write(&w2, b"y").unwrap();
        });
        let mut entries = vec![
            PollEntry {
                file: Some(Arc::clone(&rd)),
                events: POLLIN,
                revents: 0,
            },
            PollEntry {
                file: None,
                events: POLLIN,
                revents: 0,
            },
        ];
        // The bad entry makes it return at once: poll only the pipe.
        let n_bad = do_poll(&mut entries, Some(0)).unwrap();
        let mut only = vec![PollEntry {
            file: Some(Arc::clone(&rd)),
            events: POLLIN,
            revents: 0,
        }];
        let n = do_poll(&mut only, None).unwrap();
        done.wait_for_completion();
        let woke = only[0].revents;
        // Timeout with nothing ready.
        kernel_read(&rd, &mut buf).unwrap();
        let t = do_poll(&mut only, Some(2)).unwrap();
        drop(wr);
        let hup = mask(&rd);
        let (rd2, wr2) = do_pipe2(0).unwrap();
        drop(rd2);
        let err = mask(&wr2);
        (m0, m1, n_bad, entries[1].revents, n, woke, t, hup, err)
    });
    assert_eq!(r.0, (0, POLLOUT | POLLWRNORM));
    assert_eq!(r.1, POLLIN | POLLRDNORM);
    assert_eq!((r.2, r.3), (1, POLLNVAL));
    assert_eq!((r.4, r.5), (1, POLLIN));
    assert_eq!(r.6, 0);
    assert_eq!(r.7, POLLHUP);
    assert_eq!(r.8 & POLLERR, POLLERR);
}

#[test]
fn a_signal_ends_a_blocked_read_with_erestartsys() {
    let (r, _) = run(config(2), || {
        let (rd, _wr) = do_pipe2(0).unwrap();
        let res = Arc::new(parking_lot::Mutex::new(None));
        let (r2, rd2) = (Arc::clone(&res), Arc::clone(&rd));
        let done = Arc::new(Completion::new());
        let d2 = Arc::clone(&done);
        let t = kthread_create_on_cpu(
            move || {
                let mut b = [0u8; 8];
                *r2.lock() = Some(kernel_read(&rd2, &mut b));
                d2.complete();
                0
            },
            1,
            "sig_reader",
        );
        wake_up_process(&t);
        let pipe = file_pipe(&rd).unwrap();
        for _ in 0..2000 {
            if !pipe.rd_wait.is_empty() {
                break;
            }
            msleep(1);
        }
        t.signal_wake_up(false);
        done.wait_for_completion();
        let got = res.lock().take();
        got
    });
    assert_eq!(r, Some(Err(ERESTARTSYS)));
}

#[test]
fn pipe_ping_pong_is_reproducible_in_deterministic_mode() {
    fn once(seed: u64) -> Vec<u8> {
        let mut cfg = config(2);
        cfg.deterministic = true;
        cfg.seed = seed;
        let (r, _) = run(cfg, || {
            let (rd, wr) = do_pipe2(0).unwrap();
            let (rd2, wr2) = do_pipe2(0).unwrap();
            // Echo server on CPU 1: reads a byte, answers byte + 1.
            let done = spawn_on(1, "echo", move || {
                let mut b = [0u8; 1];
                while kernel_read(&rd, &mut b).unwrap() == 1 {
                    kernel_write(&wr2, &[b[0] + 1]).unwrap();
                }
            });
            let mut seen = Vec::new();
            let mut b = [0u8; 1];
            for i in 0..20u8 {
                kernel_write(&wr, &[i * 2]).unwrap();
                assert_eq!(kernel_read(&rd2, &mut b).unwrap(), 1);
                seen.push(b[0]);
            }
            drop(wr);
            done.wait_for_completion();
            seen
        });
        r
    }
    let a = once(7);
    assert_eq!(a, (0..20u8).map(|i| i * 2 + 1).collect::<Vec<_>>());
    assert_eq!(once(7), a);
}
