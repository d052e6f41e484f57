//! GFP ("get free pages") flags: Linux's `include/linux/gfp_types.h`.
//!
//! Bit values are today's Linux x86-64 values, so a mask printed by usk
//! (`mask 0xcc0(GFP_KERNEL)`) means the same thing as one printed by Linux,
//! and `%pGg` formatting ([`format_gfp`]) uses Linux's name table in Linux's
//! order (composite names first, then single bits, then the leftover as hex).
//! `gfp_migratetype` maps `__GFP_MOVABLE`/`__GFP_RECLAIMABLE` to the mobility
//! type the grouping policies use (seed 003: USERRCLM/KERNRCLM/unreclaimable).

use super::mmzone::MigrateType;

/// A GFP mask (`gfp_t`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Gfp(pub u32);

impl std::fmt::Debug for Gfp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}({})", self.0, format_gfp(*self))
    }
}

impl std::ops::BitOr for Gfp {
    type Output = Gfp;
    fn bitor(self, o: Gfp) -> Gfp {
        Gfp(self.0 | o.0)
    }
}
impl std::ops::BitAnd for Gfp {
    type Output = Gfp;
    fn bitand(self, o: Gfp) -> Gfp {
        Gfp(self.0 & o.0)
    }
}
impl std::ops::Not for Gfp {
    type Output = Gfp;
    fn not(self) -> Gfp {
        Gfp(!self.0)
    }
}

impl Gfp {
    pub const fn contains(self, o: Gfp) -> bool {
        self.0 & o.0 == o.0
    }
    pub const fn intersects(self, o: Gfp) -> bool {
        self.0 & o.0 != 0
    }
    pub const fn union(self, o: Gfp) -> Gfp {
        Gfp(self.0 | o.0)
    }
}

pub const __GFP_DMA: Gfp = Gfp(0x01);
pub const __GFP_HIGHMEM: Gfp = Gfp(0x02);
pub const __GFP_DMA32: Gfp = Gfp(0x04);
pub const __GFP_MOVABLE: Gfp = Gfp(0x08);
pub const __GFP_RECLAIMABLE: Gfp = Gfp(0x10);
pub const __GFP_HIGH: Gfp = Gfp(0x20);
pub const __GFP_IO: Gfp = Gfp(0x40);
pub const __GFP_FS: Gfp = Gfp(0x80);
pub const __GFP_ZERO: Gfp = Gfp(0x100);
pub const __GFP_DIRECT_RECLAIM: Gfp = Gfp(0x400);
pub const __GFP_KSWAPD_RECLAIM: Gfp = Gfp(0x800);
pub const __GFP_WRITE: Gfp = Gfp(0x1000);
pub const __GFP_NOWARN: Gfp = Gfp(0x2000);
pub const __GFP_RETRY_MAYFAIL: Gfp = Gfp(0x4000);
pub const __GFP_NOFAIL: Gfp = Gfp(0x8000);
pub const __GFP_NORETRY: Gfp = Gfp(0x10000);
pub const __GFP_MEMALLOC: Gfp = Gfp(0x20000);
pub const __GFP_COMP: Gfp = Gfp(0x40000);
pub const __GFP_NOMEMALLOC: Gfp = Gfp(0x80000);
pub const __GFP_HARDWALL: Gfp = Gfp(0x100000);
pub const __GFP_THISNODE: Gfp = Gfp(0x200000);
pub const __GFP_ACCOUNT: Gfp = Gfp(0x400000);

pub const __GFP_RECLAIM: Gfp = __GFP_DIRECT_RECLAIM.union(__GFP_KSWAPD_RECLAIM);
pub const GFP_ATOMIC: Gfp = __GFP_HIGH.union(__GFP_KSWAPD_RECLAIM);
pub const GFP_KERNEL: Gfp = __GFP_RECLAIM.union(__GFP_IO).union(__GFP_FS);
pub const GFP_KERNEL_ACCOUNT: Gfp = GFP_KERNEL.union(__GFP_ACCOUNT);
pub const GFP_NOWAIT: Gfp = __GFP_KSWAPD_RECLAIM;
pub const GFP_NOIO: Gfp = __GFP_RECLAIM;
pub const GFP_NOFS: Gfp = __GFP_RECLAIM.union(__GFP_IO);
pub const GFP_USER: Gfp = GFP_KERNEL.union(__GFP_HARDWALL);
pub const GFP_DMA: Gfp = __GFP_DMA;
pub const GFP_DMA32: Gfp = __GFP_DMA32;
pub const GFP_HIGHUSER: Gfp = GFP_USER.union(__GFP_HIGHMEM);
pub const GFP_HIGHUSER_MOVABLE: Gfp = GFP_HIGHUSER.union(__GFP_MOVABLE);
pub const GFP_TRANSHUGE_LIGHT: Gfp = Gfp(GFP_HIGHUSER_MOVABLE
    .union(__GFP_COMP)
    .union(__GFP_NOMEMALLOC)
    .union(__GFP_NOWARN)
    .0
    & !__GFP_RECLAIM.0);
pub const GFP_TRANSHUGE: Gfp = GFP_TRANSHUGE_LIGHT.union(__GFP_DIRECT_RECLAIM);

/// Every bit usk knows; anything else in a caller's mask is invalid.
pub const __GFP_BITS_MASK: u32 = (1 << 23) - 1;
pub const GFP_MOVABLE_MASK: Gfp = __GFP_RECLAIMABLE.union(__GFP_MOVABLE);

/// `gfp_migratetype()`: the mobility type an allocation belongs to.
pub fn gfp_migratetype(gfp: Gfp) -> MigrateType {
    match gfp.0 & GFP_MOVABLE_MASK.0 {
        0x08 => MigrateType::Movable,
        0x10 => MigrateType::Reclaimable,
        // both bits set is a caller bug Linux VM_WARNs about; treat as movable
        0x18 => MigrateType::Movable,
        _ => MigrateType::Unmovable,
    }
}

/// `gfpflag_names` (include/trace/events/mmflags.h), in Linux's order.
const GFP_NAMES: &[(u32, &str)] = &[
    (GFP_TRANSHUGE.0, "GFP_TRANSHUGE"),
    (GFP_TRANSHUGE_LIGHT.0, "GFP_TRANSHUGE_LIGHT"),
    (GFP_HIGHUSER_MOVABLE.0, "GFP_HIGHUSER_MOVABLE"),
    (GFP_HIGHUSER.0, "GFP_HIGHUSER"),
    (GFP_USER.0, "GFP_USER"),
    (GFP_KERNEL_ACCOUNT.0, "GFP_KERNEL_ACCOUNT"),
    (GFP_KERNEL.0, "GFP_KERNEL"),
    (GFP_NOFS.0, "GFP_NOFS"),
    (GFP_ATOMIC.0, "GFP_ATOMIC"),
    (GFP_NOIO.0, "GFP_NOIO"),
    (GFP_NOWAIT.0, "GFP_NOWAIT"),
    (GFP_DMA.0, "GFP_DMA"),
    (__GFP_HIGHMEM.0, "__GFP_HIGHMEM"),
    (GFP_DMA32.0, "GFP_DMA32"),
    (__GFP_HIGH.0, "__GFP_HIGH"),
    (__GFP_IO.0, "__GFP_IO"),
    (__GFP_FS.0, "__GFP_FS"),
    (__GFP_NOWARN.0, "__GFP_NOWARN"),
    (__GFP_RETRY_MAYFAIL.0, "__GFP_RETRY_MAYFAIL"),
    (__GFP_NOFAIL.0, "__GFP_NOFAIL"),
    (__GFP_NORETRY.0, "__GFP_NORETRY"),
    (__GFP_COMP.0, "__GFP_COMP"),
    (__GFP_ZERO.0, "__GFP_ZERO"),
    (__GFP_NOMEMALLOC.0, "__GFP_NOMEMALLOC"),
    (__GFP_MEMALLOC.0, "__GFP_MEMALLOC"),
    (__GFP_HARDWALL.0, "__GFP_HARDWALL"),
    (__GFP_THISNODE.0, "__GFP_THISNODE"),
    (__GFP_RECLAIMABLE.0, "__GFP_RECLAIMABLE"),
    (__GFP_MOVABLE.0, "__GFP_MOVABLE"),
    (__GFP_ACCOUNT.0, "__GFP_ACCOUNT"),
    (__GFP_WRITE.0, "__GFP_WRITE"),
    (__GFP_RECLAIM.0, "__GFP_RECLAIM"),
    (__GFP_DIRECT_RECLAIM.0, "__GFP_DIRECT_RECLAIM"),
    (__GFP_KSWAPD_RECLAIM.0, "__GFP_KSWAPD_RECLAIM"),
];

/// `%pGg`: `GFP_KERNEL|__GFP_COMP`, leftover bits as `0x…`, `none` for 0.
pub fn format_gfp(gfp: Gfp) -> String {
    format_flags(gfp.0 as u64, GFP_NAMES.iter().map(|&(m, n)| (m as u64, n)))
}

/// lib/vsprintf.c `format_flags()`: names whose whole mask is set, in table
/// order, separated by `|`; remaining bits as `0x%lx`.
pub(crate) fn format_flags<'a>(
    mut flags: u64,
    names: impl IntoIterator<Item = (u64, &'a str)>,
) -> String {
    if flags == 0 {
        return "none".into();
    }
    let mut out = String::new();
    for (mask, name) in names {
        if mask != 0 && flags & mask == mask {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name);
            flags &= !mask;
            if flags == 0 {
                break;
            }
        }
    }
    if flags != 0 {
        if !out.is_empty() {
            out.push('|');
        }
        out.push_str(&format!("{flags:#x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_values() {
        assert_eq!(GFP_KERNEL.0, 0xcc0);
        assert_eq!(GFP_ATOMIC.0, 0x820);
        assert_eq!(GFP_HIGHUSER_MOVABLE.0, 0x100cca);
        assert_eq!(GFP_NOWAIT.0, 0x800);
        assert_eq!(GFP_TRANSHUGE_LIGHT.0, 0x1c20ca);
        assert_eq!(GFP_TRANSHUGE.0, 0x1c24ca);
    }

    #[test]
    fn pgg_format() {
        assert_eq!(format_gfp(GFP_KERNEL), "GFP_KERNEL");
        assert_eq!(format_gfp(GFP_KERNEL | __GFP_COMP), "GFP_KERNEL|__GFP_COMP");
        assert_eq!(format_gfp(GFP_HIGHUSER_MOVABLE), "GFP_HIGHUSER_MOVABLE");
        assert_eq!(
            format_gfp(GFP_KERNEL | __GFP_RECLAIMABLE | __GFP_ZERO),
            "GFP_KERNEL|__GFP_ZERO|__GFP_RECLAIMABLE"
        );
        assert_eq!(
            format_gfp(GFP_ATOMIC | __GFP_NOWARN),
            "GFP_ATOMIC|__GFP_NOWARN"
        );
        assert_eq!(format_gfp(Gfp(0)), "none");
        assert_eq!(format_gfp(Gfp(0x800000)), "0x800000");
    }

    #[test]
    fn migratetypes() {
        assert_eq!(gfp_migratetype(GFP_KERNEL), MigrateType::Unmovable);
        assert_eq!(gfp_migratetype(GFP_HIGHUSER_MOVABLE), MigrateType::Movable);
        assert_eq!(
            gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE),
            MigrateType::Reclaimable
        );
    }
}
