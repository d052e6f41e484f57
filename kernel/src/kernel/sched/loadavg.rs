//! The load average (`/proc/loadavg`), computed as Linux does: every
//! `LOAD_FREQ` (5 s + 1 tick) the number of runnable plus uninterruptible
//! tasks is folded into three exponentially decaying averages in 11-bit
//! fixed point (`FSHIFT`), with decay factors `EXP_1`, `EXP_5`, `EXP_15`.

use std::sync::atomic::{AtomicU64, Ordering};

pub const FSHIFT: u32 = 11;
pub const FIXED_1: u64 = 1 << FSHIFT;
pub const EXP_1: u64 = 1884;
pub const EXP_5: u64 = 2014;
pub const EXP_15: u64 = 2037;

/// `calc_load()`.
pub fn calc_load(load: u64, exp: u64, active: u64) -> u64 {
    let mut newload = load * exp + active * (FIXED_1 - exp);
    if active >= load {
        newload += FIXED_1 - 1;
    }
    newload / FIXED_1
}

#[derive(Default)]
pub struct LoadAvg {
    pub avenrun: [AtomicU64; 3],
    /// Jiffies of the next fold.
    pub calc_load_update: AtomicU64,
}

impl LoadAvg {
    /// Fold `active` tasks into the averages.
    pub fn fold(&self, active: u64) {
        let a = active * FIXED_1;
        for (i, exp) in [EXP_1, EXP_5, EXP_15].into_iter().enumerate() {
            let old = self.avenrun[i].load(Ordering::Relaxed);
            self.avenrun[i].store(calc_load(old, exp, a), Ordering::Relaxed);
        }
    }

    /// The three averages as `LOAD_INT.LOAD_FRAC` strings ("0.42").
    pub fn formatted(&self) -> [String; 3] {
        std::array::from_fn(|i| {
            let v = self.avenrun[i].load(Ordering::Relaxed) + FIXED_1 / 200;
            format!(
                "{}.{:02}",
                v >> FSHIFT,
                ((v & (FIXED_1 - 1)) * 100) >> FSHIFT
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_busy_task_converges_to_one() {
        let l = LoadAvg::default();
        for _ in 0..200 {
            l.fold(1);
        }
        assert_eq!(l.formatted()[0], "1.00");
        let l = LoadAvg::default();
        l.fold(1);
        // One fold of EXP_1 from zero: (2048-1884)/2048 = 0.08.
        assert_eq!(l.formatted()[0], "0.08");
    }
}
