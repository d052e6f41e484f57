//! ioctl and the terminal calls built on it (TCGETS/TCSETS,
//! TIOCGPGRP/TIOCSPGRP), and poll.

use super::sc;
use crate::mem::Scratch;
use crate::Result;
use uapi::poll::PollFd;
use uapi::termios::{Termios, TCGETS, TCSETS, TIOCGPGRP, TIOCSPGRP};
use uapi::unistd::*;

/// The raw ioctl: `arg` is passed as is (an integer or a user address).
pub fn ioctl(fd: i32, cmd: u32, arg: u64) -> Result<i64> {
    sc(__NR_ioctl, &[fd as u64, cmd as u64, arg])
}

pub fn tcgetattr(fd: i32) -> Result<Termios> {
    let s = Scratch::new(Termios::SIZE)?;
    ioctl(fd, TCGETS, s.addr(0))?;
    let mut b = [0u8; Termios::SIZE];
    s.get(0, &mut b);
    Ok(Termios::from_bytes(&b))
}

pub fn tcsetattr(fd: i32, t: &Termios) -> Result<()> {
    let s = Scratch::new(Termios::SIZE)?;
    s.put(0, &t.to_bytes());
    ioctl(fd, TCSETS, s.addr(0)).map(drop)
}

/// True when `fd` is a terminal (TCGETS succeeds).
pub fn isatty(fd: i32) -> bool {
    tcgetattr(fd).is_ok()
}

pub fn tcgetpgrp(fd: i32) -> Result<i32> {
    let s = Scratch::new(4)?;
    ioctl(fd, TIOCGPGRP, s.addr(0))?;
    let mut b = [0u8; 4];
    s.get(0, &mut b);
    Ok(i32::from_ne_bytes(b))
}

pub fn tcsetpgrp(fd: i32, pgrp: i32) -> Result<()> {
    let s = Scratch::new(4)?;
    s.put(0, &pgrp.to_ne_bytes());
    ioctl(fd, TIOCSPGRP, s.addr(0)).map(drop)
}

/// poll(2): fills in `revents`; returns the number of ready descriptors.
pub fn poll(fds: &mut [PollFd], timeout_ms: i32) -> Result<usize> {
    let s = Scratch::new(fds.len() * PollFd::SIZE)?;
    for (i, f) in fds.iter().enumerate() {
        s.put(i * PollFd::SIZE, &f.to_bytes());
    }
    let n = sc(
        __NR_poll,
        &[s.addr(0), fds.len() as u64, timeout_ms as i64 as u64],
    )?;
    for (i, f) in fds.iter_mut().enumerate() {
        let mut b = [0u8; PollFd::SIZE];
        s.get(i * PollFd::SIZE, &mut b);
        *f = PollFd::from_bytes(&b);
    }
    Ok(n as usize)
}
