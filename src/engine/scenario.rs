//! Scenarios: the random part of a case, drawn once per Monte Carlo path.
//!
//! [`Inputs`] is the registry of a case's model inputs ("slots"), its
//! drought chain, price processes and copula. A [`Scenario`] holds one
//! path's values: every slot for every project year, which years are dry,
//! and each price process's yearly multiplier. The deterministic appraisal
//! uses [`Inputs::base`] (every input at its mean, no drought, multipliers
//! 1), so one cash-flow builder serves both.
//!
//! Reproducibility: path `i` of seed `s` draws from a ChaCha8 stream keyed
//! by `(s, i)`, so a path's values depend on nothing else — not the thread
//! that runs it, nor the paths before it — and every product or mix
//! evaluated on path `i` sees the same scenario (common random numbers).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::sync::OnceLock;

use crate::domain::case::{Drought, PriceProcess};
use crate::domain::param::Param;
use crate::math::copula::{Copula, Repair};
use crate::math::dist::Dist;
use crate::math::stats::least_score_reaching;
use crate::Result;

/// Index of a model input in [`Inputs`].
pub type Slot = usize;

/// The shared shock an input loads on when many loans are simulated
/// together (F29): yields and drought losses on the region's weather,
/// prices on the value chain's market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shock {
    Weather,
    Market,
    None,
}

impl Shock {
    fn of(label: &str) -> Shock {
        if label.ends_with(".output_per_year") || label.ends_with("yield_loss") {
            Shock::Weather
        } else if label.ends_with(".price") {
            Shock::Market
        } else {
            Shock::None
        }
    }
}

/// Shocks a scenario shares with the other loans on the same path (F29):
/// Z_i = √ρ·F + √(1 − ρ)·e_i, per project year.
#[derive(Debug, Clone, Copy)]
pub struct Common<'a> {
    /// The region's weather factor, one standard normal per year.
    weather: &'a [f64],
    /// The value chain's price factor, one standard normal per year.
    market: &'a [f64],
    /// (√ρ, √(1 − ρ)) for the weather and the market factor, worked out
    /// once rather than for every input in every year.
    weather_loadings: (f64, f64),
    market_loadings: (f64, f64),
}

impl<'a> Common<'a> {
    /// The shared factors, with loadings `rho_weather` on the region's
    /// weather and `rho_market` on the value chain's market.
    pub fn new(weather: &'a [f64], market: &'a [f64], rho_weather: f64, rho_market: f64) -> Self {
        let loadings = |rho: f64| (rho.sqrt(), (1.0 - rho).sqrt());
        Common {
            weather,
            market,
            weather_loadings: loadings(rho_weather),
            market_loadings: loadings(rho_market),
        }
    }

    fn mix(&self, shock: Shock, year: usize, e: f64) -> f64 {
        let (f, (shared, own)) = match shock {
            Shock::Weather => (self.weather, self.weather_loadings),
            Shock::Market => (self.market, self.market_loadings),
            Shock::None => return e,
        };
        let f = f.get(year).or(f.last()).copied().unwrap_or(0.0);
        shared * f + own * e
    }
}

/// How an input's value follows from a normal score z: directly for the
/// normal and lognormal (their location worked out once, not per draw),
/// through Φ and the quantile function for the rest.
#[derive(Debug, Clone, Copy)]
enum Score {
    /// a + b·z.
    Affine(f64, f64),
    /// exp(a + b·z).
    Exp(f64, f64),
    /// quantile(Φ(z)).
    Quantile,
}

impl Score {
    fn of(d: &Dist) -> Score {
        match *d {
            Dist::Fixed(v) => Score::Affine(v, 0.0),
            Dist::Normal { mean, sd } => Score::Affine(mean, sd),
            Dist::LogNormal { mean, sigma } => Score::Exp(mean.ln() - 0.5 * sigma * sigma, sigma),
            _ => Score::Quantile,
        }
    }

    /// Replaces each normal score in `row` by [`Dist::from_normal_score`]
    /// of `d`, whose map this is.
    fn fill(self, d: &Dist, row: &mut [f64]) {
        match self {
            Score::Affine(a, b) => row.iter_mut().for_each(|z| *z = a + b * *z),
            Score::Exp(a, b) => row.iter_mut().for_each(|z| *z = (a + b * *z).exp()),
            Score::Quantile => d.from_normal_scores(row),
        }
    }
}

/// A drought chain ready to sample.
#[derive(Debug, Clone)]
struct DroughtChain {
    /// The chance a year is dry: the first year (the stationary share),
    /// after a dry year, after a wet one.
    p_dry: [f64; 3],
    /// The same chances as normal scores ([`least_score_reaching`]): a
    /// score below one is a uniform below its chance under Φ. Worked out on
    /// first use: only a portfolio's paths draw the chain as scores.
    z_dry: OnceLock<[f64; 3]>,
    loss: Slot,
}

/// Which of [`DroughtChain::p_dry`].
const FIRST_YEAR: usize = 0;
const AFTER_DRY: usize = 1;
const AFTER_WET: usize = 2;

/// A yearly log-OU price multiplier (F49).
#[derive(Debug, Clone, Copy)]
struct Process {
    /// e^{−κ}: the share of a deviation that survives a year.
    persistence: f64,
    /// Standard deviation of the yearly innovation.
    step_sd: f64,
    /// Stationary standard deviation of ln p.
    stationary_sd: f64,
}

/// The registry of a case's random inputs.
#[derive(Debug, Clone)]
pub struct Inputs {
    params: Vec<Param>,
    random: Vec<bool>,
    /// Whether the input is drawn as a normal score rather than a uniform.
    normal_score: Vec<bool>,
    /// The same in a portfolio, where inputs moved by a shared shock are
    /// drawn as normal scores too; kept beside it so the draw loop only
    /// reads a flag.
    normal_score_shared: Vec<bool>,
    /// How each input's value follows from a normal score.
    score: Vec<Score>,
    /// Which shared shock, if any, moves the input in a portfolio (F29).
    shock: Vec<Shock>,
    labels: Vec<String>,
    years: usize,
    drought: Option<DroughtChain>,
    processes: Vec<Process>,
    copula: Option<(Copula, Vec<Slot>)>,
    repair: Option<Repair>,
}

/// One path's draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    years: usize,
    values: Vec<f64>,
    /// Scratch: a year's normal scores of the inputs in the copula.
    w: Vec<f64>,
    /// Whether each project year is a drought year.
    pub dry: Vec<bool>,
    multipliers: Vec<f64>,
}

impl Scenario {
    /// The value of `slot` in project year `year` (0-based; later years
    /// reuse the last).
    #[inline]
    pub fn value(&self, slot: Slot, year: usize) -> f64 {
        self.values[slot * self.years + year.min(self.years - 1)]
    }

    /// The price multiplier of `process` in project year `year`.
    #[inline]
    pub fn multiplier(&self, process: usize, year: usize) -> f64 {
        self.multipliers[process * self.years + year.min(self.years - 1)]
    }

    /// Whether project year `year` is dry.
    #[inline]
    pub fn is_dry(&self, year: usize) -> bool {
        self.dry[year.min(self.years - 1)]
    }
}

impl Inputs {
    /// An empty registry for a horizon of `years` project years.
    pub fn new(years: usize) -> Inputs {
        Inputs {
            params: Vec::new(),
            random: Vec::new(),
            normal_score: Vec::new(),
            normal_score_shared: Vec::new(),
            score: Vec::new(),
            shock: Vec::new(),
            labels: Vec::new(),
            years: years.max(1),
            drought: None,
            processes: Vec::new(),
            copula: None,
            repair: None,
        }
    }

    /// Registers an input under a label (its key path) and returns its slot.
    pub fn add(&mut self, label: impl Into<String>, param: &Param) -> Slot {
        self.params.push(param.clone());
        self.random.push(param.is_random());
        self.score.push(Score::of(&param.dist));
        let normal = matches!(param.dist, Dist::Normal { .. } | Dist::LogNormal { .. });
        let label = label.into();
        let shock = Shock::of(&label);
        self.normal_score.push(normal);
        self.normal_score_shared
            .push(normal || shock != Shock::None);
        self.shock.push(shock);
        self.labels.push(label);
        self.params.len() - 1
    }

    /// Registers a price process and returns its index.
    pub fn add_process(&mut self, p: &PriceProcess) -> usize {
        let kappa = std::f64::consts::LN_2 / p.half_life_years;
        let persistence = (-kappa).exp();
        self.processes.push(Process {
            persistence,
            step_sd: p.sigma * ((1.0 - persistence * persistence) / (2.0 * kappa)).sqrt(),
            stationary_sd: p.sigma / (2.0 * kappa).sqrt(),
        });
        self.processes.len() - 1
    }

    /// Adds the drought chain.
    pub fn set_drought(&mut self, d: &Drought) {
        let loss = self.add("risk.drought.yield_loss", &d.yield_loss);
        self.drought = Some(DroughtChain {
            p_dry: [d.stationary_share, d.p_dry_to_dry, d.p_wet_to_dry()],
            z_dry: OnceLock::new(),
            loss,
        });
    }

    /// Sets rank correlations between the named inputs; returns the repair
    /// made if the matrix was not positive semi-definite.
    pub fn set_correlation(
        &mut self,
        names: &[String],
        matrix: &[Vec<f64>],
    ) -> Result<Option<Repair>> {
        let slots: Vec<Slot> = names
            .iter()
            .filter_map(|n| {
                self.params
                    .iter()
                    .position(|p| p.name.as_deref() == Some(n.as_str()))
            })
            .collect();
        let (copula, repair) = Copula::new(matrix)?;
        for &s in &slots {
            self.normal_score[s] = true;
            self.normal_score_shared[s] = true;
        }
        self.copula = Some((copula, slots));
        self.repair = repair.clone();
        Ok(repair)
    }

    /// The repair made to the correlation matrix, if any.
    pub fn repair(&self) -> Option<&Repair> {
        self.repair.as_ref()
    }

    /// Number of registered inputs.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether no input is registered.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The input in `slot`.
    pub fn param(&self, slot: Slot) -> &Param {
        &self.params[slot]
    }

    /// The label (key path) of `slot`.
    pub fn label(&self, slot: Slot) -> &str {
        &self.labels[slot]
    }

    /// Project years covered.
    pub fn years(&self) -> usize {
        self.years
    }

    /// Whether anything is random: inputs, drought or price processes.
    pub fn is_random(&self) -> bool {
        self.drought.is_some()
            || !self.processes.is_empty()
            || self.params.iter().any(Param::is_random)
    }

    /// The base scenario: every input at its mean, no drought, multipliers 1.
    pub fn base(&self) -> Scenario {
        let mut s = self.empty();
        for (slot, p) in self.params.iter().enumerate() {
            let m = p.base();
            s.values[slot * self.years..(slot + 1) * self.years].fill(m);
        }
        s
    }

    /// A scenario buffer of the right shape, to be filled by [`Inputs::sample`].
    pub fn empty(&self) -> Scenario {
        Scenario {
            years: self.years,
            values: vec![0.0; self.params.len() * self.years],
            w: vec![0.0; self.copula.as_ref().map_or(0, |(c, _)| c.dim())],
            dry: vec![false; self.years],
            multipliers: vec![1.0; self.processes.len() * self.years],
        }
    }

    /// Draws path `path` of `seed` into `out`. `pins` fixes inputs at a
    /// cumulative probability (the tornado's P10/P90) while everything
    /// else is drawn as usual, from the same stream.
    pub fn sample(&self, seed: u64, path: u64, pins: &[(Slot, f64)], out: &mut Scenario) {
        self.sample_shared(seed, path, pins, None, out);
    }

    /// As [`Inputs::sample`], with yields, drought and prices loaded on
    /// shocks shared with other loans (F29). Inputs with a shared shock are
    /// then drawn as normal scores.
    pub fn sample_shared(
        &self,
        seed: u64,
        path: u64,
        pins: &[(Slot, f64)],
        common: Option<&Common>,
        out: &mut Scenario,
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(path);
        let years = self.years;
        // Inputs that need a normal score (normal and lognormal inputs, and
        // any input in the copula) get a standard normal; the rest a
        // uniform, which their quantile function takes directly.
        let normal = if common.is_some() {
            &self.normal_score_shared
        } else {
            &self.normal_score
        };
        let values = &mut out.values;
        // The draws, in the stream's order: one per input per year, always
        // made, so that pinning or fixing one input never shifts another's
        // draws. Each lands in its input's row, to be turned into a value
        // below.
        for year in 0..years {
            for (slot, &normal) in normal.iter().enumerate() {
                values[slot * years + year] = if normal {
                    rng.sample(StandardNormal)
                } else {
                    rng.random::<f64>()
                };
            }
            if let Some((copula, slots)) = &self.copula {
                out.w.resize(copula.dim(), 0.0);
                for (wi, &s) in out.w.iter_mut().zip(slots) {
                    *wi = values[s * years + year];
                }
                copula.correlate(&mut out.w);
                for (wi, &s) in out.w.iter().zip(slots) {
                    values[s * years + year] = *wi;
                }
            }
        }
        // Draws to values an input at a time: its distribution is matched
        // once and its quantile table stays in cache for all its years.
        for (slot, p) in self.params.iter().enumerate() {
            let row = &mut values[slot * years..(slot + 1) * years];
            if !self.random[slot] {
                row.fill(p.base());
            } else if let Some((_, u)) = pins.iter().find(|(s, _)| *s == slot) {
                row.fill(p.dist.quantile(u.clamp(1e-12, 1.0 - 1e-12)));
            } else if normal[slot] {
                if let Some(c) = common {
                    for (year, z) in row.iter_mut().enumerate() {
                        *z = c.mix(self.shock[slot], year, *z);
                    }
                }
                self.score[slot].fill(&p.dist, row);
            } else {
                row.iter_mut()
                    .for_each(|u| *u = u.clamp(1e-12, 1.0 - 1e-12));
                p.dist.quantiles(row);
            }
        }
        match &self.drought {
            Some(d) => {
                // A year is dry when its uniform falls below the chain's
                // probability. In a portfolio the uniform is Φ of a score
                // mixed with the region's weather factor, so dry years
                // coincide across a region; the score is compared with the
                // probability's own score instead, the same answer without Φ.
                let mut happens = |y: usize, k: usize| match common {
                    Some(c) => {
                        let z_dry = d.z_dry.get_or_init(|| d.p_dry.map(least_score_reaching));
                        c.mix(Shock::Weather, y, rng.sample(StandardNormal)) < z_dry[k]
                    }
                    None => rng.random::<f64>() < d.p_dry[k],
                };
                let mut dry = happens(0, FIRST_YEAR);
                for y in 0..self.years {
                    if y > 0 {
                        dry = happens(y, if dry { AFTER_DRY } else { AFTER_WET });
                    }
                    out.dry[y] = dry;
                }
            }
            None => out.dry.fill(false),
        }
        for (k, p) in self.processes.iter().enumerate() {
            let mut x = p.stationary_sd * rng.sample::<f64, _>(StandardNormal);
            let shift = 0.5 * p.stationary_sd * p.stationary_sd;
            for y in 0..self.years {
                if y > 0 {
                    x = x * p.persistence + p.step_sd * rng.sample::<f64, _>(StandardNormal);
                }
                out.multipliers[k * self.years + y] = (x - shift).exp();
            }
        }
    }

    /// The drought chain's loss slot, if there is a drought chain.
    pub fn drought_loss(&self) -> Option<Slot> {
        self.drought.as_ref().map(|d| d.loss)
    }
}

impl Scenario {
    /// Multiplies every year's value of `slot` by `k` (switching values).
    pub fn scale(&mut self, slot: Slot, k: f64) {
        for v in &mut self.values[slot * self.years..(slot + 1) * self.years] {
            *v *= k;
        }
    }
}
