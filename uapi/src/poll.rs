//! poll(2) event bits (`include/uapi/asm-generic/poll.h`) and
//! `struct pollfd`, with Linux x86-64 values.

pub const POLLIN: u32 = 0x0001;
pub const POLLPRI: u32 = 0x0002;
pub const POLLOUT: u32 = 0x0004;
pub const POLLERR: u32 = 0x0008;
pub const POLLHUP: u32 = 0x0010;
pub const POLLNVAL: u32 = 0x0020;
pub const POLLRDNORM: u32 = 0x0040;
pub const POLLRDBAND: u32 = 0x0080;
pub const POLLWRNORM: u32 = 0x0100;
pub const POLLWRBAND: u32 = 0x0200;
pub const POLLMSG: u32 = 0x0400;
pub const POLLRDHUP: u32 = 0x2000;

/// `struct pollfd { int fd; short events; short revents; }` (8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollFd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

impl PollFd {
    pub const SIZE: usize = 8;

    pub fn to_bytes(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0..4].copy_from_slice(&self.fd.to_ne_bytes());
        b[4..6].copy_from_slice(&self.events.to_ne_bytes());
        b[6..8].copy_from_slice(&self.revents.to_ne_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; 8]) -> Self {
        PollFd {
            fd: i32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            events: i16::from_ne_bytes([b[4], b[5]]),
            revents: i16::from_ne_bytes([b[6], b[7]]),
        }
    }
}
