//! `include/uapi/linux/perf_event.h`: the perf_event_open(2) ABI the
//! kernel's perf events and the `perf` tool share — attr types and flag
//! bits, sample and record formats, call-chain context markers, ioctls.

// attr.type
pub const PERF_TYPE_HARDWARE: u32 = 0;
pub const PERF_TYPE_SOFTWARE: u32 = 1;
pub const PERF_TYPE_TRACEPOINT: u32 = 2;

// PERF_COUNT_SW_*
pub const PERF_COUNT_SW_CPU_CLOCK: u64 = 0;
pub const PERF_COUNT_SW_TASK_CLOCK: u64 = 1;
pub const PERF_COUNT_SW_PAGE_FAULTS: u64 = 2;
pub const PERF_COUNT_SW_CONTEXT_SWITCHES: u64 = 3;
pub const PERF_COUNT_SW_CPU_MIGRATIONS: u64 = 4;

// attr sizes
pub const PERF_ATTR_SIZE_VER0: u32 = 64;
pub const PERF_ATTR_SIZE_VER8: u32 = 136;

// attr flag bits (the bitfield at offset 40)
pub const ATTR_DISABLED: u64 = 1 << 0;
pub const ATTR_INHERIT: u64 = 1 << 1;
pub const ATTR_EXCLUDE_USER: u64 = 1 << 4;
pub const ATTR_EXCLUDE_KERNEL: u64 = 1 << 5;
pub const ATTR_COMM: u64 = 1 << 9;
pub const ATTR_FREQ: u64 = 1 << 10;
pub const ATTR_ENABLE_ON_EXEC: u64 = 1 << 12;
pub const ATTR_EXCLUDE_CALLCHAIN_KERNEL: u64 = 1 << 21;
pub const ATTR_EXCLUDE_CALLCHAIN_USER: u64 = 1 << 22;

// perf_event_open flags
pub const PERF_FLAG_FD_NO_GROUP: u64 = 1 << 0;
pub const PERF_FLAG_FD_OUTPUT: u64 = 1 << 1;
pub const PERF_FLAG_PID_CGROUP: u64 = 1 << 2;
pub const PERF_FLAG_FD_CLOEXEC: u64 = 1 << 3;

// read_format
pub const PERF_FORMAT_TOTAL_TIME_ENABLED: u64 = 1 << 0;
pub const PERF_FORMAT_TOTAL_TIME_RUNNING: u64 = 1 << 1;
pub const PERF_FORMAT_ID: u64 = 1 << 2;
pub const PERF_FORMAT_GROUP: u64 = 1 << 3;
pub const PERF_FORMAT_LOST: u64 = 1 << 4;

// ioctls: _IO('$', n)
pub const PERF_EVENT_IOC_ENABLE: u32 = 0x2400;
pub const PERF_EVENT_IOC_DISABLE: u32 = 0x2401;
pub const PERF_EVENT_IOC_REFRESH: u32 = 0x2402;
pub const PERF_EVENT_IOC_RESET: u32 = 0x2403;
/// `PERF_IOC_FLAG_GROUP`.
pub const PERF_IOC_FLAG_GROUP: u64 = 1;

// PERF_SAMPLE_* bits of `sample_type`
pub const PERF_SAMPLE_IP: u64 = 1 << 0;
pub const PERF_SAMPLE_TID: u64 = 1 << 1;
pub const PERF_SAMPLE_TIME: u64 = 1 << 2;
pub const PERF_SAMPLE_ADDR: u64 = 1 << 3;
pub const PERF_SAMPLE_READ: u64 = 1 << 4;
pub const PERF_SAMPLE_CALLCHAIN: u64 = 1 << 5;
pub const PERF_SAMPLE_ID: u64 = 1 << 6;
pub const PERF_SAMPLE_CPU: u64 = 1 << 7;
pub const PERF_SAMPLE_PERIOD: u64 = 1 << 8;
pub const PERF_SAMPLE_STREAM_ID: u64 = 1 << 9;
pub const PERF_SAMPLE_RAW: u64 = 1 << 10;

/// `PERF_RECORD_LOST`, `PERF_RECORD_COMM`, `PERF_RECORD_SAMPLE`.
pub const PERF_RECORD_LOST: u32 = 2;
pub const PERF_RECORD_COMM: u32 = 3;
pub const PERF_RECORD_SAMPLE: u32 = 9;
/// `PERF_RECORD_MISC_KERNEL`.
pub const PERF_RECORD_MISC_KERNEL: u16 = 1;

/// `PERF_CONTEXT_KERNEL`.
pub const PERF_CONTEXT_KERNEL: u64 = -128i64 as u64;
/// `PERF_CONTEXT_USER`.
pub const PERF_CONTEXT_USER: u64 = -512i64 as u64;
/// `PERF_CONTEXT_MAX`: chain entries at or above it are context markers.
pub const PERF_CONTEXT_MAX: u64 = -4095i64 as u64;
