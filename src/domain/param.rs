//! A model input that is either a number or a distribution.
//!
//! In a case file any yield, price or cost may be written as a plain number
//! or as an inline table naming a distribution:
//!
//! ```toml
//! output_per_year = 10500
//! output_per_year = { dist = "pert", min = 7000, mode = 10500, max = 12500, name = "avocado_yield" }
//! price = { dist = "lognormal", mean = 60, sigma = 0.25 }
//! ```
//!
//! Kinds and their keys: `fixed` (value), `uniform` (min, max), `normal`
//! (mean, sd), `lognormal` (mean, sigma; the mean is preserved, F48),
//! `triangular` and `pert` (min, mode, max; F47), `empirical` (values,
//! each equally likely), `discrete` (values, probabilities). `name` is
//! optional and lets `[risk.correlation]` refer to the input. A random input
//! is drawn afresh each project year; its mean is what the deterministic
//! appraisal uses. Bad parameters are refused while the file is read, so
//! the error carries the line.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::MAX_MAGNITUDE;
use crate::error::compact;
use crate::math::dist::{Dist, Pert};

/// Whether `x` may be a number of a model input (see [`MAX_MAGNITUDE`]).
fn within(x: f64) -> bool {
    x.is_finite() && x.abs() <= MAX_MAGNITUDE
}

/// A plain number as a fixed input, if it is within bounds; the error
/// quotes it as written (`written`: an integer stays an integer).
fn fixed<E: de::Error>(x: f64, written: impl fmt::Display) -> Result<Param, E> {
    if within(x) {
        Ok(Param::fixed(x))
    } else {
        Err(E::custom(format!(
            "expected a finite number within ±1e15, found {}",
            compact(written)
        )))
    }
}

/// A model input: a distribution (possibly a fixed number) and an optional
/// name for correlations.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Name used in `[risk.correlation]`, if any.
    pub name: Option<String>,
    /// Its distribution.
    pub dist: Dist,
}

impl Param {
    /// A fixed number.
    pub fn fixed(x: f64) -> Param {
        Param {
            name: None,
            dist: Dist::Fixed(x),
        }
    }

    /// The value a deterministic appraisal uses: the mean.
    pub fn base(&self) -> f64 {
        self.dist.mean()
    }

    /// Whether the input is random.
    pub fn is_random(&self) -> bool {
        self.dist.is_random()
    }

    /// The input multiplied by `k ≥ 0`, same shape and name (see
    /// [`Dist::scaled`]).
    #[must_use]
    pub fn scaled(&self, k: f64) -> Param {
        Param {
            name: self.name.clone(),
            dist: self.dist.scaled(k),
        }
    }
}

impl Default for Param {
    fn default() -> Self {
        Param::fixed(0.0)
    }
}

impl From<f64> for Param {
    fn from(x: f64) -> Self {
        Param::fixed(x)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    dist: String,
    name: Option<String>,
    value: Option<f64>,
    min: Option<f64>,
    mode: Option<f64>,
    max: Option<f64>,
    mean: Option<f64>,
    sd: Option<f64>,
    sigma: Option<f64>,
    values: Option<Vec<f64>>,
    probabilities: Option<Vec<f64>>,
}

const KINDS: &str = "fixed, uniform, normal, lognormal, triangular, pert, empirical, discrete";

impl Table {
    fn into_param(self) -> Result<Param, String> {
        let need = |v: Option<f64>, key: &str| -> Result<f64, String> {
            match v {
                Some(x) if within(x) => Ok(x),
                Some(x) => Err(format!(
                    "`{key}` must be a finite number within ±1e15, found {}",
                    compact(x)
                )),
                None => Err(format!("`dist = \"{}\"` needs `{key}`", self.dist)),
            }
        };
        let range = |min: f64, mode: f64, max: f64| -> Result<(), String> {
            if min <= mode && mode <= max {
                Ok(())
            } else {
                Err(format!(
                    "expected min ≤ mode ≤ max, found min {min}, mode {mode}, max {max}"
                ))
            }
        };
        let extra = |allowed: &[&str]| -> Result<(), String> {
            let present = [
                ("value", self.value.is_some()),
                ("min", self.min.is_some()),
                ("mode", self.mode.is_some()),
                ("max", self.max.is_some()),
                ("mean", self.mean.is_some()),
                ("sd", self.sd.is_some()),
                ("sigma", self.sigma.is_some()),
                ("values", self.values.is_some()),
                ("probabilities", self.probabilities.is_some()),
            ];
            match present.iter().find(|(k, p)| *p && !allowed.contains(k)) {
                Some((k, _)) => Err(format!(
                    "`{k}` does not apply to `dist = \"{}\"`, which takes {}",
                    self.dist,
                    allowed.join(", ")
                )),
                None => Ok(()),
            }
        };
        let dist = match self.dist.as_str() {
            "fixed" => {
                extra(&["value"])?;
                Dist::Fixed(need(self.value, "value")?)
            }
            "uniform" => {
                extra(&["min", "max"])?;
                let (min, max) = (need(self.min, "min")?, need(self.max, "max")?);
                if min > max {
                    return Err(format!("expected min ≤ max, found min {min}, max {max}"));
                }
                Dist::Uniform { min, max }
            }
            "normal" => {
                extra(&["mean", "sd"])?;
                let sd = need(self.sd, "sd")?;
                if sd < 0.0 {
                    return Err(format!("`sd` must be ≥ 0, found {sd}"));
                }
                Dist::Normal {
                    mean: need(self.mean, "mean")?,
                    sd,
                }
            }
            "lognormal" => {
                extra(&["mean", "sigma"])?;
                let (mean, sigma) = (need(self.mean, "mean")?, need(self.sigma, "sigma")?);
                if mean <= 0.0 || !(0.0..=5.0).contains(&sigma) {
                    return Err(format!(
                        "expected mean > 0 and sigma in [0, 5], found mean {mean}, sigma {sigma}"
                    ));
                }
                Dist::LogNormal { mean, sigma }
            }
            "triangular" | "pert" => {
                extra(&["min", "mode", "max"])?;
                let (min, mode, max) = (
                    need(self.min, "min")?,
                    need(self.mode, "mode")?,
                    need(self.max, "max")?,
                );
                range(min, mode, max)?;
                if self.dist == "pert" {
                    Dist::Pert(Pert::new(min, mode, max))
                } else {
                    Dist::Triangular { min, mode, max }
                }
            }
            "empirical" => {
                extra(&["values"])?;
                let mut v = self
                    .values
                    .clone()
                    .ok_or("`dist = \"empirical\"` needs `values`")?;
                if v.is_empty() || !v.iter().all(|x| within(*x)) {
                    return Err(
                        "`values` must be a non-empty list of finite numbers within ±1e15".into(),
                    );
                }
                v.sort_by(f64::total_cmp);
                Dist::Empirical(v)
            }
            "discrete" => {
                extra(&["values", "probabilities"])?;
                let v = self
                    .values
                    .clone()
                    .ok_or("`dist = \"discrete\"` needs `values`")?;
                let p = self
                    .probabilities
                    .clone()
                    .ok_or("`dist = \"discrete\"` needs `probabilities`")?;
                if v.is_empty() {
                    return Err("expected at least one value, found `values = []`".into());
                }
                if v.len() != p.len() {
                    return Err(format!(
                        "expected as many probabilities as values, found {} values and {} probabilities",
                        v.len(),
                        p.len()
                    ));
                }
                if !v.iter().all(|x| within(*x)) {
                    return Err("`values` must be finite numbers within ±1e15".into());
                }
                if let Some(bad) = p.iter().find(|x| !(0.0..=1.0).contains(*x)) {
                    return Err(format!(
                        "probabilities must be in [0, 1], found {}",
                        compact(bad)
                    ));
                }
                let total: f64 = p.iter().sum();
                if (total - 1.0).abs() > 1e-9 {
                    return Err(format!(
                        "probabilities must sum to 1, found a sum of {total}"
                    ));
                }
                let mut pairs: Vec<(f64, f64)> = v.into_iter().zip(p).collect();
                pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut acc = 0.0;
                let cumulative: Vec<f64> = pairs
                    .iter()
                    .map(|(_, q)| {
                        acc += q;
                        acc
                    })
                    .collect();
                let mut cumulative = cumulative;
                if let Some(last) = cumulative.last_mut() {
                    *last = 1.0;
                }
                Dist::Discrete {
                    values: pairs.into_iter().map(|(x, _)| x).collect(),
                    cumulative,
                }
            }
            other => {
                return Err(format!(
                    "unknown `dist = \"{other}\"`; expected one of {KINDS}"
                ))
            }
        };
        Ok(Param {
            name: self.name,
            dist,
        })
    }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ParamVisitor)
    }
}

struct ParamVisitor;

impl<'de> Visitor<'de> for ParamVisitor {
    type Value = Param;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a number or a distribution table such as {{ dist = \"pert\", min = 1, mode = 2, max = 4 }}")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Param, E> {
        fixed(v, v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Param, E> {
        fixed(v as f64, v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Param, E> {
        fixed(v as f64, v)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Param, A::Error> {
        let table = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
        table.into_param().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        x: Param,
    }

    fn parse(s: &str) -> Result<Param, String> {
        toml::from_str::<T>(s)
            .map(|t| t.x)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_and_tables_read_as_params() {
        assert_eq!(parse("x = 3").unwrap(), Param::fixed(3.0));
        assert_eq!(parse("x = 2.5").unwrap().base(), 2.5);
        let p = parse("x = { dist = \"pert\", min = 80, mode = 100, max = 150, name = \"y\" }")
            .unwrap();
        assert_eq!(p.name.as_deref(), Some("y"));
        assert!((p.base() - 105.0).abs() < 1e-12);
        assert!(p.is_random());
        let p = parse("x = { dist = \"discrete\", values = [10, 0], probabilities = [0.7, 0.3] }")
            .unwrap();
        assert!((p.base() - 7.0).abs() < 1e-12);
    }

    #[test]
    fn bad_parameters_say_what_was_expected_and_found() {
        let e = parse("x = { dist = \"pert\", min = 120, mode = 100, max = 150 }").unwrap_err();
        assert!(e.contains("min ≤ mode ≤ max") && e.contains("120"), "{e}");
        let e = parse("x = { dist = \"discrete\", values = [], probabilities = [] }").unwrap_err();
        assert!(e.contains("at least one value"), "{e}");
        let e = parse("x = { dist = \"uniform\", min = 3, max = 2 }").unwrap_err();
        assert!(e.contains("expected min ≤ max, found min 3, max 2"), "{e}");
        let e = parse("x = { dist = \"normal\", mean = 1, sd = -2 }").unwrap_err();
        assert!(e.contains("`sd` must be ≥ 0, found -2"), "{e}");
        let e = parse("x = { dist = \"discrete\", values = [1, 2], probabilities = [0.5, 0.6] }")
            .unwrap_err();
        assert!(e.contains("sum to 1"), "{e}");
        let e = parse("x = { dist = \"discrete\", values = [1, 2], probabilities = [1.5, -0.5] }")
            .unwrap_err();
        assert!(e.contains("[0, 1]"), "{e}");
        let e = parse("x = { dist = \"gamma\", mean = 1 }").unwrap_err();
        assert!(e.contains("unknown") && e.contains("pert"), "{e}");
        let e = parse("x = { dist = \"pert\", min = 1, max = 2 }").unwrap_err();
        assert!(e.contains("needs `mode`"), "{e}");
        let e = parse("x = { dist = \"normal\", mean = 1, sd = 1, mode = 3 }").unwrap_err();
        assert!(e.contains("`mode` does not apply"), "{e}");
        let e = parse("x = { dist = \"normal\", mean = 1, sdd = 1 }").unwrap_err();
        assert!(e.contains("sdd"), "{e}");
        assert!(parse("x = nan").is_err());
    }

    #[test]
    fn numbers_beyond_a_quadrillion_are_refused_in_exponent_form() {
        assert_eq!(parse("x = 1e15").unwrap().base(), 1e15);
        assert_eq!(parse("x = -1000000000000000").unwrap().base(), -1e15);
        let e = parse("x = 1e308").unwrap_err();
        assert!(e.contains("within ±1e15, found 1e308"), "{e}");
        let e = parse("x = 9223372036854775807").unwrap_err();
        assert!(e.contains("found 9223372036854775807"), "{e}");
        let e = parse("x = { dist = \"pert\", min = 0, mode = 1, max = 1e300 }").unwrap_err();
        assert!(
            e.contains("`max` must be a finite number within ±1e15, found 1e300"),
            "{e}"
        );
        let e = parse("x = { dist = \"empirical\", values = [1, -2e15] }").unwrap_err();
        assert!(e.contains("within ±1e15"), "{e}");
        let e = parse("x = { dist = \"discrete\", values = [1, 2], probabilities = [1e300, 0] }")
            .unwrap_err();
        assert!(e.contains("found 1e300"), "{e}");
    }
}
