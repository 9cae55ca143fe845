//! One variation against the baseline, as gbstats 0.8 computes it: the effect and its variance
//! (delta method for relative effects), then a frequentist two-sided t-test or a Bayesian
//! Gaussian posterior with a flat or a proper prior.

use serde::Serialize;

use super::distributions::{
    normal_cdf, normal_quantile, normal_sf, positive, student_t_quantile, student_t_sf,
};

/// One arm's sufficient statistics: users, mean and per-user variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arm {
    /// Users in the arm.
    pub users: f64,
    /// Mean per user (the conversion rate, for a binomial metric).
    pub mean: f64,
    /// Variance of the per-user values.
    pub variance: f64,
}

impl Arm {
    /// A binomial arm: `converted` of `users`; variance p(1 − p) (gbstats' `ProportionStatistic`).
    pub fn binomial(users: f64, converted: f64) -> Arm {
        let mean = if users > 0.0 { converted / users } else { 0.0 };
        Arm {
            users,
            mean,
            variance: mean * (1.0 - mean),
        }
    }

    /// A value arm from Σx and Σx²; sample variance with n − 1 (gbstats' `SampleMeanStatistic`).
    pub fn value(users: f64, sum: f64, sum_squares: f64) -> Arm {
        let mean = if users > 0.0 { sum / users } else { 0.0 };
        let variance = if users > 1.0 {
            (sum_squares - sum * sum / users) / (users - 1.0)
        } else {
            0.0
        };
        Arm {
            users,
            mean,
            variance,
        }
    }
}

/// How the effect is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Difference {
    /// (B − A) / |A|.
    Relative,
    /// B − A.
    Absolute,
}

/// Why a comparison has no numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotEnoughData {
    /// An arm has fewer than two users.
    TooFewUsers,
    /// The baseline's mean is zero, so no relative effect exists.
    BaselineZero,
    /// An arm's values do not vary (e.g. nobody converted), so there is no error to measure.
    ZeroVariance,
}

impl NotEnoughData {
    /// The reason in words, for tables and the console.
    pub fn message(self) -> &'static str {
        match self {
            NotEnoughData::TooFewUsers => "a variation has fewer than 2 users",
            NotEnoughData::BaselineZero => "the baseline's mean is 0",
            NotEnoughData::ZeroVariance => "a variation's values do not vary yet",
        }
    }
}

/// The effect's point estimate, its variance and Welch–Satterthwaite degrees of freedom
/// (gbstats' `EffectMoments`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// The estimated effect.
    pub effect: f64,
    /// Its variance.
    pub variance: f64,
    /// Welch–Satterthwaite degrees of freedom, on the per-user variances.
    pub dof: f64,
}

/// The moments of B against baseline A, or why there are none.
pub fn moments(a: Arm, b: Arm, difference: Difference) -> Result<Moments, NotEnoughData> {
    let finite = [a.users, a.mean, a.variance, b.users, b.mean, b.variance]
        .iter()
        .all(|x| x.is_finite());
    if !finite || a.users < 2.0 || b.users < 2.0 {
        return Err(NotEnoughData::TooFewUsers);
    }
    if a.mean == 0.0 && difference == Difference::Relative {
        return Err(NotEnoughData::BaselineZero);
    }
    if !positive(a.variance) || !positive(b.variance) {
        return Err(NotEnoughData::ZeroVariance);
    }
    let va = a.variance / a.users;
    let vb = b.variance / b.users;
    let (effect, variance) = match difference {
        Difference::Absolute => (b.mean - a.mean, va + vb),
        Difference::Relative => {
            // variance_of_ratios(mean_m = B, var_m = vb, mean_d = A, var_d = va, cov = 0)
            let a2 = a.mean * a.mean;
            (
                (b.mean - a.mean) / a.mean.abs(),
                vb / a2 + va * b.mean * b.mean / (a2 * a2),
            )
        }
    };
    let dof = (va + vb).powi(2) / (vb * vb / (b.users - 1.0) + va * va / (a.users - 1.0));
    if !positive(variance) || !variance.is_finite() || !effect.is_finite() || !positive(dof) {
        return Err(NotEnoughData::ZeroVariance);
    }
    Ok(Moments {
        effect,
        variance,
        dof,
    })
}

/// An effect with its uncertainty: what the results show for one variation and one metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Effect {
    /// The effect: the estimate (frequentist) or the posterior mean (Bayesian).
    pub estimate: f64,
    /// Its standard deviation (standard error, or posterior sd).
    pub stddev: f64,
    /// The interval at the analysis's confidence (a credible interval, for Bayesian).
    pub interval: [f64; 2],
    /// Two-sided p-value (frequentist only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// Probability that the variation beats the baseline (Bayesian only; for an inverse metric,
    /// that it is lower).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chance_to_win: Option<f64>,
}

/// gbstats' `TwoSidedTTest`: t = effect / se, p = 2 P(T > |t|), interval effect ± t* se.
pub fn frequentist(m: Moments, alpha: f64) -> Effect {
    let se = m.variance.sqrt();
    let t = m.effect / se;
    let p_value = (2.0 * student_t_sf(t.abs(), m.dof)).min(1.0);
    let half = student_t_quantile(1.0 - alpha / 2.0, m.dof) * se;
    Effect {
        estimate: m.effect,
        stddev: se,
        interval: [m.effect - half, m.effect + half],
        p_value: Some(p_value),
        chance_to_win: None,
    }
}

/// gbstats' `EffectBayesianABTest`: the effect's normal likelihood times a prior N(0, sd²) on
/// the relative effect (rescaled by the baseline mean for absolute effects; `None` is the flat
/// prior), the posterior's chance to win and central credible interval.
pub fn bayesian(
    m: Moments,
    baseline_mean: f64,
    difference: Difference,
    prior_stddev: Option<f64>,
    alpha: f64,
    inverse: bool,
) -> Effect {
    let prior_variance = prior_stddev.map(|sd| match difference {
        Difference::Relative => sd * sd,
        Difference::Absolute => sd * sd * baseline_mean * baseline_mean,
    });
    // A prior of zero width (absolute effect, baseline mean 0) carries no information gbstats
    // could use either: treat it as flat.
    let prior_precision = prior_variance
        .filter(|v| *v > 0.0 && v.is_finite())
        .map_or(0.0, |v| 1.0 / v);
    let precision = 1.0 / m.variance + prior_precision;
    // The prior's mean is 0, so it adds nothing to the numerator.
    let mean = (m.effect / m.variance) / precision;
    let sd = (1.0 / precision).sqrt();
    let above_zero = normal_sf(-mean / sd);
    let below_zero = normal_cdf(-mean / sd);
    let z = normal_quantile(1.0 - alpha / 2.0);
    Effect {
        estimate: mean,
        stddev: sd,
        interval: [mean - z * sd, mean + z * sd],
        p_value: None,
        chance_to_win: Some(if inverse { below_zero } else { above_zero }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn research_note_row_one_by_hand() {
        // 100/1000 vs 120/1000: Var = 0.01056 + 0.01296 = 0.02352.
        let a = Arm::binomial(1000.0, 100.0);
        let b = Arm::binomial(1000.0, 120.0);
        let m = moments(a, b, Difference::Relative).unwrap();
        assert!((m.effect - 0.2).abs() < 1e-12);
        assert!((m.variance - 0.02352).abs() < 1e-12);
        let f = frequentist(m, 0.05);
        assert!((f.p_value.unwrap() - 0.192350).abs() < 1e-6, "{f:?}");
        let flat = bayesian(m, a.mean, Difference::Relative, None, 0.05, false);
        assert!((flat.chance_to_win.unwrap() - 0.903900).abs() < 1e-6);
        let proper = bayesian(m, a.mean, Difference::Relative, Some(0.3), 0.05, false);
        assert!((proper.estimate - 0.158562).abs() < 1e-6);
        assert!((proper.stddev - 0.136554).abs() < 1e-6);
        assert!((proper.chance_to_win.unwrap() - 0.877214).abs() < 1e-6);
        let inverse = bayesian(m, a.mean, Difference::Relative, Some(0.3), 0.05, true);
        let sum = inverse.chance_to_win.unwrap() + proper.chance_to_win.unwrap();
        assert!((sum - 1.0).abs() < 1e-12);
    }

    #[test]
    fn no_numbers_without_data() {
        let some = Arm::binomial(100.0, 10.0);
        let none = Arm::binomial(0.0, 0.0);
        assert_eq!(
            moments(none, some, Difference::Relative),
            Err(NotEnoughData::TooFewUsers)
        );
        assert_eq!(
            moments(some, none, Difference::Absolute),
            Err(NotEnoughData::TooFewUsers)
        );
        let zero = Arm::binomial(100.0, 0.0);
        assert_eq!(
            moments(zero, some, Difference::Relative),
            Err(NotEnoughData::BaselineZero)
        );
        assert_eq!(
            moments(zero, some, Difference::Absolute),
            Err(NotEnoughData::ZeroVariance)
        );
        let all = Arm::binomial(100.0, 100.0);
        assert_eq!(
            moments(some, all, Difference::Relative),
            Err(NotEnoughData::ZeroVariance)
        );
        let constant = Arm::value(50.0, 500.0, 5000.0);
        assert_eq!(constant.variance, 0.0);
        assert_eq!(
            moments(some, constant, Difference::Absolute),
            Err(NotEnoughData::ZeroVariance)
        );
        let nan = Arm {
            mean: f64::NAN,
            ..some
        };
        assert_eq!(
            moments(nan, some, Difference::Absolute),
            Err(NotEnoughData::TooFewUsers)
        );
        let one = Arm::value(1.0, 5.0, 25.0);
        assert_eq!(
            moments(some, one, Difference::Absolute),
            Err(NotEnoughData::TooFewUsers)
        );
        // Σx² below (Σx)²/n is impossible data: a negative variance is refused, not used.
        let impossible = Arm::value(10.0, 100.0, 10.0);
        assert_eq!(
            moments(some, impossible, Difference::Absolute),
            Err(NotEnoughData::ZeroVariance)
        );
    }
}
