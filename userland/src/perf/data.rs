//! `perf.data` as usk writes it: not Linux's file layout, but the same
//! records, plus what `perf report`/`perf script` need to stay readable
//! in a later boot (Linux keeps the same things in its header features:
//! event attrs, tracing data, kallsyms via the build-id cache).
//!
//! Layout, little endian:
//! ```text
//! "USKPERF1"
//! u32 nr_events, then per event: u32 type, u64 config, u64 sample_type,
//!     u64 sample_period, u32 len + name, u32 len + tracefs format text
//! u32 nr_syms, then per symbol: u64 address, u32 len + "name+0xoff"
//! u32 nr_streams, then per stream: u32 event index, u64 len + records
//!     (struct perf_event_header framed: PERF_RECORD_SAMPLE/COMM/LOST)
//! ```
//! Invariant: a reader rejects anything short or inconsistent with an
//! error, never reads past the end.

use std::collections::HashMap;
pub use ulib::uapi::perf_event::*;

pub const MAGIC: &[u8; 8] = b"USKPERF1";

#[derive(Clone, Debug, Default)]
pub struct EventDesc {
    pub ty: u32,
    pub config: u64,
    pub sample_type: u64,
    pub period: u64,
    pub name: String,
    pub format: String,
}

#[derive(Clone, Debug, Default)]
pub struct PerfData {
    pub events: Vec<EventDesc>,
    pub syms: HashMap<u64, String>,
    pub streams: Vec<(u32, Vec<u8>)>,
}

fn put_str(v: &mut Vec<u8>, s: &str) {
    v.extend_from_slice(&(s.len() as u32).to_le_bytes());
    v.extend_from_slice(s.as_bytes());
}

impl PerfData {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&(self.events.len() as u32).to_le_bytes());
        for e in &self.events {
            v.extend_from_slice(&e.ty.to_le_bytes());
            v.extend_from_slice(&e.config.to_le_bytes());
            v.extend_from_slice(&e.sample_type.to_le_bytes());
            v.extend_from_slice(&e.period.to_le_bytes());
            put_str(&mut v, &e.name);
            put_str(&mut v, &e.format);
        }
        let mut syms: Vec<_> = self.syms.iter().collect();
        syms.sort();
        v.extend_from_slice(&(syms.len() as u32).to_le_bytes());
        for (a, n) in syms {
            v.extend_from_slice(&a.to_le_bytes());
            put_str(&mut v, n);
        }
        v.extend_from_slice(&(self.streams.len() as u32).to_le_bytes());
        for (i, s) in &self.streams {
            v.extend_from_slice(&i.to_le_bytes());
            v.extend_from_slice(&(s.len() as u64).to_le_bytes());
            v.extend_from_slice(s);
        }
        v
    }

    pub fn parse(b: &[u8]) -> Result<PerfData, String> {
        let mut r = Reader { b, pos: 0 };
        if r.take(8)? != MAGIC {
            return Err("not a perf.data file written by usk's perf".into());
        }
        let mut d = PerfData::default();
        for _ in 0..r.u32()? {
            d.events.push(EventDesc {
                ty: r.u32()?,
                config: r.u64()?,
                sample_type: r.u64()?,
                period: r.u64()?,
                name: r.str()?,
                format: r.str()?,
            });
        }
        for _ in 0..r.u32()? {
            let a = r.u64()?;
            d.syms.insert(a, r.str()?);
        }
        for _ in 0..r.u32()? {
            let i = r.u32()?;
            if i as usize >= d.events.len() {
                return Err("stream of an unknown event".into());
            }
            let n = usize::try_from(r.u64()?).map_err(|_| "bad length")?;
            d.streams.push((i, r.take(n)?.to_vec()));
        }
        Ok(d)
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| "perf.data is truncated".to_string())?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4")))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
}

/// One decoded sample.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub event: usize,
    pub ip: u64,
    pub pid: i32,
    pub tid: i32,
    pub time: u64,
    pub cpu: u32,
    pub period: u64,
    pub chain: Vec<u64>,
    pub raw: Vec<u8>,
    pub comm: String,
}

/// Decode every stream: samples in time order, and the lost count.
pub fn samples(d: &PerfData) -> Result<(Vec<Sample>, u64), String> {
    let mut out = Vec::new();
    let mut lost = 0;
    let mut comms: HashMap<i32, String> = HashMap::new();
    for (ev, s) in &d.streams {
        let st = d.events[*ev as usize].sample_type;
        let mut off = 0;
        while off + 8 <= s.len() {
            let ty = u32::from_le_bytes(s[off..off + 4].try_into().expect("4"));
            let size = u16::from_le_bytes(s[off + 6..off + 8].try_into().expect("2")) as usize;
            if size < 8 || off + size > s.len() {
                return Err("bad record in perf.data".into());
            }
            let mut r = Reader {
                b: &s[off + 8..off + size],
                pos: 0,
            };
            match ty {
                PERF_RECORD_LOST => {
                    r.u64()?;
                    lost += r.u64()?;
                }
                PERF_RECORD_COMM => {
                    r.u32()?;
                    let tid = r.u32()? as i32;
                    let rest = &r.b[r.pos..];
                    let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
                    comms.insert(tid, String::from_utf8_lossy(&rest[..end]).into_owned());
                }
                PERF_RECORD_SAMPLE => {
                    let mut x = Sample {
                        event: *ev as usize,
                        ..Default::default()
                    };
                    if st & PERF_SAMPLE_IP != 0 {
                        x.ip = r.u64()?;
                    }
                    if st & PERF_SAMPLE_TID != 0 {
                        x.pid = r.u32()? as i32;
                        x.tid = r.u32()? as i32;
                    }
                    if st & PERF_SAMPLE_TIME != 0 {
                        x.time = r.u64()?;
                    }
                    if st & PERF_SAMPLE_CPU != 0 {
                        x.cpu = r.u32()?;
                        r.u32()?;
                    }
                    if st & PERF_SAMPLE_PERIOD != 0 {
                        x.period = r.u64()?;
                    }
                    if st & PERF_SAMPLE_CALLCHAIN != 0 {
                        let n = r.u64()?;
                        for _ in 0..n {
                            x.chain.push(r.u64()?);
                        }
                    }
                    if st & PERF_SAMPLE_RAW != 0 {
                        let n = r.u32()? as usize;
                        x.raw = r.take(n)?.to_vec();
                    }
                    x.comm = comms
                        .get(&x.tid)
                        .cloned()
                        .unwrap_or_else(|| ":".to_string() + &x.tid.to_string());
                    out.push(x);
                }
                _ => {}
            }
            off += size;
        }
    }
    out.sort_by_key(|s| s.time);
    Ok((out, lost))
}

/// A frame of a sample: address, kernel?
pub fn frames(s: &Sample) -> Vec<(u64, bool)> {
    let mut v = Vec::new();
    let mut kernel = true;
    for &a in &s.chain {
        match a {
            PERF_CONTEXT_KERNEL => kernel = true,
            PERF_CONTEXT_USER => kernel = false,
            a if a >= PERF_CONTEXT_MAX => {}
            a => v.push((a, kernel)),
        }
    }
    if v.is_empty() && s.ip != 0 {
        v.push((s.ip, true));
    }
    v
}
