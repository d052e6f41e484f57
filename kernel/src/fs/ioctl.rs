//! `ioctl(2)` (`fs/ioctl.c`): the commands every descriptor understands,
//! then the file's own `unlocked_ioctl`.
//!
//! Generic commands: `FIOCLEX`/`FIONCLEX` set and clear the descriptor's
//! close-on-exec bit, `FIONBIO` and `FIOASYNC` change the file's
//! `O_NONBLOCK`/`O_ASYNC` from an `int` at `arg`, and `FIONREAD` on a
//! regular file reports the bytes between the position and the end.
//! Anything else goes to the file (`vfs_ioctl`); a file without an ioctl
//! method gives `ENOTTY`, as Linux does.

use super::fdtable::FilesStruct;
use super::file::File;
use super::iov_iter::UserMemory;
use uapi::errno::{Errno, ENOTTY};
use uapi::fcntl::{O_ASYNC, O_NONBLOCK};
use uapi::termios::{FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD};

/// `vfs_ioctl()`: the file's `unlocked_ioctl`, `ENOTTY` without one.
pub fn vfs_ioctl(file: &File, cmd: u32, arg: u64, mem: &dyn UserMemory) -> Result<i64, Errno> {
    match file.f_op.unlocked_ioctl {
        Some(f) => f(file, cmd, arg, mem),
        None => Err(ENOTTY),
    }
}

fn get_int(mem: &dyn UserMemory, arg: u64) -> Result<i32, Errno> {
    let mut b = [0u8; 4];
    mem.copy_from_user(&mut b, arg)?;
    Ok(i32::from_ne_bytes(b))
}

/// `do_vfs_ioctl()` on descriptor `fd` of `files`.
pub fn do_vfs_ioctl(
    files: &FilesStruct,
    fd: i32,
    cmd: u32,
    arg: u64,
    mem: &dyn UserMemory,
) -> Result<i64, Errno> {
    let file = files.fget(fd)?;
    match cmd {
        FIOCLEX => files.set_close_on_exec(fd, true).map(|_| 0),
        FIONCLEX => files.set_close_on_exec(fd, false).map(|_| 0),
        FIONBIO | FIOASYNC => {
            let on = get_int(mem, arg)? != 0;
            let bit = if cmd == FIONBIO { O_NONBLOCK } else { O_ASYNC };
            let fl = file.flags();
            file.set_status_flags(if on { fl | bit } else { fl & !bit });
            Ok(0)
        }
        FIONREAD if file.f_inode.is_reg() => {
            let left = (file.f_inode.size() - file.pos()).clamp(0, i32::MAX as i64) as i32;
            mem.copy_to_user(arg, &left.to_ne_bytes())?;
            Ok(0)
        }
        _ => vfs_ioctl(&file, cmd, arg, mem),
    }
}
