//! `usk exp fragmentation`: Mel Gorman's high-order allocation test from
//! seed 003 ("Yet another approach to memory fragmentation"), run against
//! each grouping policy of usk's buddy allocator.
//!
//! Mechanism. For each policy a kernel with 1 GiB of RAM (room for 256
//! order-10 blocks) is booted (`page_alloc=<policy>`, deterministic mode
//! with the experiment's seed, so a run is reproducible) and, as its init,
//! a seeded, memory-thrashing workload runs (it never sleeps, so in
//! deterministic mode kswapd gets no CPU time and all reclaim is direct): "processes" fault in bursts of movable anonymous
//! pages, read files into the page cache (movable; clean file pages are
//! dropped and long-lived anonymous pages swapped out by LRU reclaim — the
//! seed's USERRCLM), and make the kernel allocate unmovable memory (page tables,
//! order-2 kernel stacks, network buffers up to order 3) and reclaimable
//! slab pages (dentries, inodes). Occupancy swings between 60 % of RAM and
//! exhaustion (allocations failing, reclaim running) while ~3 × RAM is allocated and freed in random order. A small
//! fraction of every kind is long-lived — it stays allocated when the
//! workload ends, scattered wherever the allocator put it, the way
//! real workloads leave pins. Then 160 order-10 allocations are attempted
//! (`GFP_KERNEL|__GFP_NOWARN`, kept when they succeed), with direct reclaim
//! of page-cache pages available to every policy (2005 kernels had it) and
//! direct compaction for `pageblock` only (it did not exist in 2005).
//!
//! What it reports: successes per policy beside the seed's figures
//! (vanilla 3/160, Gorman's patch 81/160), /proc/buddyinfo before and after
//! the attempts, the number of mixed pageblocks (order-9 blocks holding live
//! allocations of more than one mobility type) after the workload, and an
//! SVG plot of free blocks per order per policy.
//!
//! Invariants: the workload is a pure function of the seed (same seed, same
//! sequence of requests for every policy); every policy's allocator passes
//! `Mm::verify` after the run.

use indicatif::{ProgressBar, ProgressStyle};
use kernel::mm::migrate::{MigrateError, MovableId, MovableOps};
use kernel::mm::slab::Shrinker;
use kernel::mm::*;
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Experiment parameters.
#[derive(Clone, Debug)]
pub struct Options {
    pub mem_mb: u64,
    pub seed: u64,
    pub attempts: usize,
    /// (policy, compaction override) per row.
    pub policies: Vec<(GroupingPolicy, Option<bool>)>,
    pub plot: Option<PathBuf>,
    pub progress: bool,
    /// Boot a kernel per policy (deterministic mode, seeded) and run the
    /// test as its init, kswapd and all; `false` drives a bare allocator.
    pub boot: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mem_mb: 1024,
            seed: 2005,
            attempts: 160,
            policies: vec![
                (GroupingPolicy::Vanilla, None),
                (GroupingPolicy::Gorman2005, None),
                (GroupingPolicy::Pageblock, Some(false)),
                (GroupingPolicy::Pageblock, Some(true)),
            ],
            plot: Some(PathBuf::from("fragmentation.svg")),
            progress: true,
            boot: true,
        }
    }
}

/// One policy's result.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub policy: GroupingPolicy,
    pub compaction: bool,
    pub attempts: usize,
    pub successes: usize,
    pub buddyinfo_before: String,
    pub buddyinfo_after: String,
    /// Order-9 blocks holding live allocations of more than one type.
    pub mixed_blocks: usize,
    /// Long-lived pages left by the workload: unmovable, movable, reclaimable.
    pub pinned: [usize; 3],
    /// Free blocks per order (all zones) after the workload.
    pub free_per_order: [usize; MAX_ORDER],
    pub pages_reclaimed: usize,
    pub pages_migrated: u64,
    pub elapsed: Duration,
}

/// The page cache and anonymous memory of the simulated processes: owns the
/// movable pages, can migrate them (compaction) and reclaim clean file
/// pages in LRU order (direct reclaim calls it as a shrinker).
#[derive(Default)]
struct PageCache {
    st: Mutex<PcState>,
}

#[derive(Default)]
struct PcState {
    by_key: HashMap<u64, usize>,
    by_pfn: HashMap<usize, u64>,
    file_lru: VecDeque<u64>,
    reclaimed: usize,
}

impl MovableOps for PageCache {
    fn migrate_page(&self, old: usize, new: usize) -> Result<(), MigrateError> {
        let mut st = self.st.lock();
        let key = st.by_pfn.remove(&old).ok_or(MigrateError::Gone)?;
        st.by_pfn.insert(new, key);
        st.by_key.insert(key, new);
        Ok(())
    }
}

impl Shrinker for PageCache {
    fn count_objects(&self) -> usize {
        self.st.lock().file_lru.len()
    }
    fn scan_objects(&self, mm: &Mm, nr: usize) -> usize {
        let mut victims = Vec::new();
        {
            let mut st = self.st.lock();
            while victims.len() < nr {
                let Some(k) = st.file_lru.pop_front() else {
                    break;
                };
                if let Some(pfn) = st.by_key.remove(&k) {
                    st.by_pfn.remove(&pfn);
                    victims.push(pfn);
                }
            }
            st.reclaimed += victims.len();
        }
        for &pfn in &victims {
            mm.clear_page_movable(pfn);
            mm.put_page(pfn);
        }
        victims.len()
    }
}

/// Share of slab allocations (dentries, inodes) still cached at the end.
const RECLAIMABLE_LONG: f64 = 0.25;
/// Share of unmovable allocations still held at the end.
const UNMOVABLE_LONG: f64 = 0.05;

#[derive(Clone, Copy)]
enum Held {
    /// unmovable or reclaimable: (pfn, order, type)
    Kernel(usize, u32, MigrateType),
    /// movable: page-cache key
    Movable(u64),
}

struct Workload<'a> {
    mm: &'a Mm,
    pc: Arc<PageCache>,
    id: MovableId,
    rng: ChaCha8Rng,
    short: Vec<Held>,
    long: Vec<Held>,
    next_key: u64,
    in_use: usize,
}

impl Workload<'_> {
    fn alloc_kernel(&mut self, mt: MigrateType, order: u32, long: bool) {
        let gfp = match mt {
            MigrateType::Reclaimable => GFP_KERNEL | __GFP_RECLAIMABLE,
            _ => GFP_KERNEL,
        } | __GFP_NOWARN;
        if let Some(pfn) = self.mm.alloc_pages(gfp, order) {
            self.in_use += 1 << order;
            let h = Held::Kernel(pfn, order, mt);
            if long {
                self.long.push(h)
            } else {
                self.short.push(h)
            }
        }
    }

    fn alloc_movable(&mut self, long: bool) {
        let Some(pfn) = self.mm.alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 0) else {
            return;
        };
        self.mm.set_page_movable(pfn, self.id);
        let key = self.next_key;
        self.next_key += 1;
        {
            let mut st = self.pc.st.lock();
            st.by_key.insert(key, pfn);
            st.by_pfn.insert(pfn, key);
            // clean file pages are dropped, long-lived anonymous pages are
            // swapped out: both are USERRCLM in the seed's terms
            if long {
                st.file_lru.push_back(key);
            }
        }
        self.in_use += 1;
        if long {
            self.long.push(Held::Movable(key))
        } else {
            self.short.push(Held::Movable(key))
        }
    }

    fn free(&mut self, h: Held) {
        match h {
            Held::Kernel(pfn, order, _) => {
                self.mm.__free_pages(pfn, order);
                self.in_use -= 1 << order;
            }
            Held::Movable(key) => {
                let pfn = {
                    let mut st = self.pc.st.lock();
                    let p = st.by_key.remove(&key);
                    if let Some(p) = p {
                        st.by_pfn.remove(&p);
                    }
                    p
                };
                if let Some(pfn) = pfn {
                    self.mm.clear_page_movable(pfn);
                    self.mm.put_page(pfn);
                }
                self.in_use -= 1;
            }
        }
    }

    /// One workload event: a process faults, reads, or the kernel allocates.
    fn event(&mut self) {
        let r: f64 = self.rng.gen();
        if r < 0.55 {
            // anonymous memory: a burst of faults
            let n = self.rng.gen_range(1..=32);
            let long = self.rng.gen_bool(0.01);
            for _ in 0..n {
                self.alloc_movable(long);
            }
        } else if r < 0.70 {
            // file read into the page cache
            let n = self.rng.gen_range(1..=16);
            let long = self.rng.gen_bool(0.06);
            for _ in 0..n {
                self.alloc_movable(long);
            }
        } else if r < 0.85 {
            // slab: dentries and inodes
            let order = if self.rng.gen_bool(0.9) { 0 } else { 1 };
            let long = self.rng.gen_bool(RECLAIMABLE_LONG);
            self.alloc_kernel(MigrateType::Reclaimable, order, long);
        } else {
            // page tables, kernel stacks, skbs
            let order = [0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 3][self.rng.gen_range(0..12)];
            let long = self.rng.gen_bool(UNMOVABLE_LONG);
            self.alloc_kernel(MigrateType::Unmovable, order, long);
        }
    }

    fn free_random(&mut self) {
        if self.short.is_empty() {
            return;
        }
        let i = self.rng.gen_range(0..self.short.len());
        let h = self.short.swap_remove(i);
        self.free(h);
    }
}

fn mixed_blocks(mm: &Mm, w: &Workload) -> usize {
    let mut types: HashMap<usize, u8> = HashMap::new();
    let mut mark = |pfn: usize, order: u32, t: MigrateType| {
        for p in (pfn..pfn + (1 << order)).step_by(512) {
            *types.entry(p >> 9).or_default() |= 1 << t as u8;
        }
        *types.entry((pfn + (1 << order) - 1) >> 9).or_default() |= 1 << t as u8;
    };
    let st = w.pc.st.lock();
    for h in w.long.iter().chain(w.short.iter()) {
        match *h {
            Held::Kernel(pfn, o, t) => mark(pfn, o, t),
            Held::Movable(k) => {
                if let Some(&pfn) = st.by_key.get(&k) {
                    mark(pfn, 0, MigrateType::Movable)
                }
            }
        }
    }
    let _ = mm;
    types.values().filter(|m| m.count_ones() > 1).count()
}

/// Runs the test on one policy.
pub fn run_policy(
    policy: GroupingPolicy,
    compaction: Option<bool>,
    opt: &Options,
    pb: &ProgressBar,
) -> Result<Outcome, MmError> {
    if !opt.boot {
        let mm = Mm::new(&MmConfig {
            mem_bytes: opt.mem_mb << 20,
            policy,
            nr_cpus: 1,
            compaction,
            ..Default::default()
        })?;
        return run_workload(&mm, opt, pb);
    }
    // boot a kernel with this policy and run the test as its init
    let slot: Arc<Mutex<Option<Result<Outcome, MmError>>>> = Arc::new(Mutex::new(None));
    let (s2, o2, pb2) = (slot.clone(), opt.clone(), pb.clone());
    let mut cmdline = format!("quiet page_alloc={}", policy.name());
    if let Some(c) = compaction {
        cmdline.push_str(if c {
            " compaction=on"
        } else {
            " compaction=off"
        });
    }
    let cfg = kernel::BootConfig {
        cpus: 2,
        mem_bytes: opt.mem_mb << 20,
        seed: opt.seed,
        deterministic: true,
        cmdline,
        console: kernel::kernel::printk::Console::Silent,
        init: Some(Box::new(move || {
            let k = kernel::kernel();
            *s2.lock() = Some(run_workload(&k.mm, &o2, &pb2));
            0
        })),
        ..Default::default()
    };
    let out = kernel::init::boot(cfg).map_err(|e| MmError::Invalid(e.to_string()))?;
    if let kernel::init::kernel::ExitReason::Panic(m) = out.exit {
        return Err(MmError::Invalid(format!("kernel panic: {m}")));
    }
    let r = slot.lock().take();
    r.unwrap_or_else(|| Err(MmError::Invalid("the test did not run".into())))
}

/// The workload and the 160 attempts, on `mm` (a booted kernel's or a bare
/// allocator's).
fn run_workload(mm: &Mm, opt: &Options, pb: &ProgressBar) -> Result<Outcome, MmError> {
    let start = Instant::now();
    let policy = mm.policy;
    let pc = Arc::new(PageCache::default());
    let id = mm.movable.register(pc.clone());
    mm.register_shrinker(pc.clone());
    let total = mm.totalram_pages() as usize;
    let mut w = Workload {
        mm,
        pc: pc.clone(),
        id,
        rng: ChaCha8Rng::seed_from_u64(opt.seed),
        short: Vec::new(),
        long: Vec::new(),
        next_key: 0,
        in_use: 0,
    };
    // thrash: allocate ~3x RAM in waves between 60% and 95% occupancy
    let churn_goal = 3 * total;
    let mut churned = 0usize;
    let mut high = true;
    let mut last = 0;
    while churned < churn_goal {
        let target = if high { total } else { total * 60 / 100 };
        if w.in_use < target {
            let before = w.in_use;
            w.event();
            churned += w.in_use.saturating_sub(before);
            if w.in_use == before {
                // memory is exhausted: switch to freeing
                high = false;
            }
        } else {
            w.free_random();
        }
        if !high && w.in_use <= total * 60 / 100 {
            high = true;
        }
        if churned - last > 4096 {
            pb.inc(((churned - last) * 100 / churn_goal) as u64);
            last = churned;
        }
    }
    // the workload exits: everything short-lived is freed
    let mixed = mixed_blocks(mm, &w);
    while let Some(h) = w.short.pop() {
        w.free(h);
    }
    let mut pinned = [0usize; 3];
    {
        let st = pc.st.lock();
        for h in &w.long {
            match *h {
                Held::Kernel(_, o, t) => pinned[t as usize] += 1 << o,
                Held::Movable(k) => pinned[1] += st.by_key.contains_key(&k) as usize,
            }
        }
    }
    mm.drain_all_pages();
    let before = mm.buddyinfo();
    let mut free_per_order = [0usize; MAX_ORDER];
    for n in &mm.nodes {
        for z in n.zones.iter().filter(|z| z.populated()) {
            let s = mm.zone_snapshot(z);
            for (o, c) in s.nr_free.iter().enumerate() {
                free_per_order[o] += c;
            }
        }
    }
    // the test: 160 order-10 allocations, kept on success
    let mut successes = 0;
    for _ in 0..opt.attempts {
        if mm.alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10).is_some() {
            successes += 1;
        }
        pb.inc(1);
    }
    let after = mm.buddyinfo();
    mm.drain_all_pages();
    mm.verify().map_err(MmError::Invalid)?;
    let ev = mm.events.all();
    let reclaimed = pc.st.lock().reclaimed;
    Ok(Outcome {
        policy,
        compaction: mm.compaction_enabled(),
        attempts: opt.attempts,
        successes,
        buddyinfo_before: before,
        buddyinfo_after: after,
        mixed_blocks: mixed,
        pinned,
        free_per_order,
        pages_reclaimed: reclaimed,
        pages_migrated: ev[kernel::mm::vmstat::VmEvent::PGMIGRATE_SUCCESS as usize],
        elapsed: start.elapsed(),
    })
}

/// The seed's figure for a policy, as text.
fn seed_figure(p: GroupingPolicy, compaction: bool) -> &'static str {
    match (p, compaction) {
        (GroupingPolicy::Vanilla, false) => "3/160 (vanilla 2.6.11)",
        (GroupingPolicy::Gorman2005, false) => "81/160 (Gorman's patch)",
        (GroupingPolicy::Pageblock, true) => "- (goal >= 140/160)",
        _ => "-",
    }
}

/// Runs every requested policy and returns the results.
pub fn run(opt: &Options) -> Result<Vec<Outcome>, MmError> {
    let pb = if opt.progress {
        let pb = ProgressBar::new((opt.policies.len() * (100 + opt.attempts)) as u64);
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb
    } else {
        ProgressBar::hidden()
    };
    let mut out = Vec::new();
    for &(p, c) in &opt.policies {
        pb.set_message(format!("page_alloc={}", p.name()));
        out.push(run_policy(p, c, opt, &pb)?);
    }
    pb.finish_and_clear();
    Ok(out)
}

/// The report: table beside the seed's numbers, then buddyinfo per policy.
pub fn report(opt: &Options, res: &[Outcome]) -> String {
    let mut s = format!(
        "usk exp fragmentation: {} MiB RAM, seed {}, {} order-10 attempts after a thrashing workload\n\n",
        opt.mem_mb, opt.seed, opt.attempts
    );
    s.push_str(&format!(
        "{:<11} {:<10} {:>9}  {:<24} {:>6} {:>22} {:>9} {:>9} {:>7}\n",
        "policy",
        "compaction",
        "success",
        "seed (LWN, 2005)",
        "mixed",
        "pinned pages U/M/E",
        "reclaimed",
        "migrated",
        "time"
    ));
    for r in res {
        s.push_str(&format!(
            "{:<11} {:<10} {:>9}  {:<24} {:>6} {:>22} {:>9} {:>9} {:>6.1}s\n",
            r.policy.name(),
            if r.compaction { "yes" } else { "no" },
            format!("{}/{}", r.successes, r.attempts),
            seed_figure(r.policy, r.compaction),
            r.mixed_blocks,
            format!("{}/{}/{}", r.pinned[0], r.pinned[1], r.pinned[2]),
            r.pages_reclaimed,
            r.pages_migrated,
            r.elapsed.as_secs_f64()
        ));
    }
    s.push_str(
        "\nsuccess: order-10 allocations that succeeded; mixed: order-9 blocks holding live\n\
         allocations of more than one mobility type at the end of the workload; pinned: pages\n\
         the workload left allocated (Unmovable/Movable/Reclaimable); reclaimed: page-cache\n\
         and swappable pages dropped by direct reclaim; migrated: pages moved by compaction.\n",
    );
    for r in res {
        s.push_str(&format!(
            "\n== page_alloc={}{} ==\n/proc/buddyinfo after the workload:\n{}/proc/buddyinfo after the attempts:\n{}",
            r.policy.name(),
            if r.compaction { " + compaction" } else { "" },
            r.buddyinfo_before,
            r.buddyinfo_after
        ));
    }
    s
}

fn label(r: &Outcome) -> String {
    format!(
        "{}{}",
        r.policy.name(),
        if r.compaction { "+compaction" } else { "" }
    )
}

/// Writes the plot: left, free blocks per order after the workload, per
/// policy (log scale); right, order-10 successes per policy beside the
/// seed's figures.
pub fn plot(path: &std::path::Path, res: &[Outcome]) -> Result<(), String> {
    use plotters::prelude::*;
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::new(path, (1200, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let (left, right) = root.split_horizontally(760);
    let colors = [RED, BLUE, MAGENTA, GREEN];
    let max = res
        .iter()
        .flat_map(|r| r.free_per_order.iter())
        .copied()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut chart = ChartBuilder::on(&left)
        .caption(
            "Free blocks per order after the workload",
            ("sans-serif", 20),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..10.5f64, (0.5f64..max * 3.0).log_scale())
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("order")
        .y_desc("free blocks (log scale)")
        .x_labels(11)
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .disable_x_mesh()
        .draw()
        .map_err(|x| e(&x))?;
    let w = 0.8 / res.len().max(1) as f64;
    for (i, r) in res.iter().enumerate() {
        let c = colors[i % colors.len()];
        chart
            .draw_series(r.free_per_order.iter().enumerate().map(|(o, &n)| {
                let x0 = o as f64 - 0.4 + i as f64 * w;
                Rectangle::new([(x0, 0.5), (x0 + w, (n as f64).max(0.5))], c.filled())
            }))
            .map_err(|x| e(&x))?
            .label(label(r))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))?;

    let attempts = res.iter().map(|r| r.attempts).max().unwrap_or(160).max(1) as f64;
    let mut bars = ChartBuilder::on(&right)
        .caption("Order-10 allocations that succeeded", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(-0.5f64..(res.len() as f64 - 0.5), 0f64..attempts * 1.1)
        .map_err(|x| e(&x))?;
    let names: Vec<String> = res.iter().map(label).collect();
    bars.configure_mesh()
        .x_labels(res.len())
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(format!("successes of {attempts}"))
        .disable_x_mesh()
        .draw()
        .map_err(|x| e(&x))?;
    for (i, r) in res.iter().enumerate() {
        let c = colors[i % colors.len()];
        let x = i as f64;
        bars.draw_series(std::iter::once(Rectangle::new(
            [(x - 0.3, 0.0), (x + 0.3, r.successes as f64)],
            c.filled(),
        )))
        .map_err(|x| e(&x))?;
        bars.draw_series(std::iter::once(Text::new(
            format!("{}", r.successes),
            (x - 0.1, r.successes as f64 + attempts * 0.03),
            ("sans-serif", 15),
        )))
        .map_err(|x| e(&x))?;
        // the seed's figure for this policy, as a black tick
        let seed = match (r.policy, r.compaction) {
            (GroupingPolicy::Vanilla, false) => Some(3.0),
            (GroupingPolicy::Gorman2005, false) => Some(81.0),
            _ => None,
        };
        if let Some(s) = seed {
            bars.draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.4, s), (x + 0.4, s)],
                BLACK.stroke_width(3),
            )))
            .map_err(|x| e(&x))?;
            bars.draw_series(std::iter::once(Text::new(
                format!("seed: {s}"),
                (x + 0.32, s + attempts * 0.02),
                ("sans-serif", 13),
            )))
            .map_err(|x| e(&x))?;
        }
    }
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// `usk exp fragmentation [--mem MB] [--seed N] [--attempts N]
/// [--policy P [--compaction on|off]]... [--plot FILE|--no-plot] [--no-progress]
/// [--no-boot]`.
pub fn main(args: &[String]) -> Result<(), String> {
    let mut opt = Options::default();
    let mut policies = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--mem" => {
                opt.mem_mb = MmConfig::parse_size(&val("--mem")?).map_err(|e| e.to_string())? >> 20
            }
            "--seed" => opt.seed = val("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--attempts" => {
                opt.attempts = val("--attempts")?
                    .parse()
                    .map_err(|e| format!("--attempts: {e}"))?
            }
            "--policy" => {
                let v = val("--policy")?;
                policies.push((
                    GroupingPolicy::parse(&v).ok_or(format!(
                        "--policy {v}: expected vanilla, gorman2005 or pageblock"
                    ))?,
                    None,
                ));
            }
            "--compaction" => {
                let v = val("--compaction")?;
                let on = match v.as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err(format!("--compaction {v}: expected on or off")),
                };
                match policies.last_mut() {
                    Some((_, c)) => *c = Some(on),
                    None => return Err("--compaction applies to the --policy before it".into()),
                }
            }
            "--plot" => opt.plot = Some(PathBuf::from(val("--plot")?)),
            "--no-plot" => opt.plot = None,
            "--no-progress" => opt.progress = false,
            "--no-boot" => opt.boot = false,
            other => return Err(format!("exp fragmentation: unknown option {other}")),
        }
    }
    if !policies.is_empty() {
        opt.policies = policies;
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        opt.progress = false;
    }
    let res = run(&opt).map_err(|e| e.to_string())?;
    let mut text = report(&opt, &res);
    if let Some(p) = &opt.plot {
        plot(p, &res).map_err(|e| format!("plot {}: {e}", p.display()))?;
        text.push_str(&format!("\nplot written to {}\n", p.display()));
    }
    crate::page_owner_sort::write_stdout(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_run_is_deterministic_and_consistent() {
        let opt = Options {
            mem_mb: 64,
            attempts: 8,
            progress: false,
            plot: None,
            boot: false,
            ..Default::default()
        };
        let a = run(&opt).unwrap();
        // the same test inside booted kernels agrees with itself too
        let booted = Options {
            boot: true,
            policies: vec![(GroupingPolicy::Pageblock, None)],
            ..opt.clone()
        };
        let x = run(&booted).unwrap();
        let y = run(&booted).unwrap();
        assert_eq!(x[0].successes, y[0].successes);
        assert_eq!(x[0].buddyinfo_after, y[0].buddyinfo_after);
        let b = run(&opt).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.successes, y.successes);
            assert_eq!(x.buddyinfo_after, y.buddyinfo_after);
        }
        let r = report(&opt, &a);
        assert!(r.contains("vanilla") && r.contains("gorman2005") && r.contains("pageblock"));
        let dir = std::env::temp_dir().join(format!("usk-frag-{}.svg", std::process::id()));
        plot(&dir, &a).unwrap();
        assert!(std::fs::read_to_string(&dir).unwrap().contains("<svg"));
        let _ = std::fs::remove_file(dir);
    }
}
