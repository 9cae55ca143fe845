//! The distributions the tests need: normal, Student t and chi-square, to double precision.
//!
//! Everything rests on two regularized special functions, each computed the classic way (a
//! power series where it converges fast, a continued fraction by the modified Lentz method
//! elsewhere): the incomplete gamma function (normal CDF through erfc, chi-square survival)
//! and the incomplete beta function (Student t). Tails are computed directly, never as
//! `1 - cdf`, so small p-values keep their relative precision. Non-finite or out-of-range
//! arguments give NaN, never a panic; callers check before trusting a value.

use std::f64::consts::PI;

/// Relative precision the series and continued fractions stop at.
const EPSILON: f64 = 1e-16;
/// Smallest magnitude a Lentz denominator may take (avoids dividing by zero).
const TINY: f64 = 1e-300;
/// Iteration cap for series and continued fractions (large parameters need O(sqrt(a)) steps).
const MAX_ITERATIONS: usize = 100_000;

/// ln Γ(x) for x > 0: Stirling's series after shifting x up to at least 15.
pub fn ln_gamma(x: f64) -> f64 {
    if !positive(x) || !x.is_finite() {
        return f64::NAN;
    }
    let mut shift = 0.0;
    let mut z = x;
    while z < 15.0 {
        shift += z.ln();
        z += 1.0;
    }
    (z - 0.5) * z.ln() - z + 0.5 * (2.0 * PI).ln() + stirling_correction(z) - shift
}

/// The tail of Stirling's series, ln Γ(z) − ((z − ½) ln z − z + ½ ln 2π), for z >= 15:
/// Bernoulli terms B₂ₖ / (2k (2k − 1) z²ᵏ⁻¹), k = 1..6.
fn stirling_correction(z: f64) -> f64 {
    let inv = 1.0 / z;
    let inv2 = inv * inv;
    inv * (1.0 / 12.0
        + inv2
            * (-1.0 / 360.0
                + inv2
                    * (1.0 / 1260.0
                        + inv2
                            * (-1.0 / 1680.0
                                + inv2 * (1.0 / 1188.0 + inv2 * (-691.0 / 360360.0))))))
}

/// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), without the cancellation of the three large
/// terms when one argument is large (Student t with many degrees of freedom).
fn ln_beta(a: f64, b: f64) -> f64 {
    let (small, large) = if a < b { (a, b) } else { (b, a) };
    if large < 15.0 {
        return ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    }
    // ln Γ(large + small) − ln Γ(large) from Stirling's series, written with ln1p.
    let sum = large + small;
    let ratio = (large - 0.5) * (small / large).ln_1p() + small * sum.ln() - small
        + stirling_correction(sum)
        - stirling_correction(large);
    ln_gamma(small) - ratio
}

/// x > 0, false for NaN (the parameter checks read better with it than `!(x > 0.0)`).
pub fn positive(x: f64) -> bool {
    x > 0.0
}

/// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if !positive(a) || x.is_nan() || x < 0.0 || !a.is_finite() {
        return f64::NAN;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    let log_prefix = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // Series for P(a, x); Q = 1 - P is not small here, so nothing is lost.
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut denominator = a;
        for _ in 0..MAX_ITERATIONS {
            denominator += 1.0;
            term *= x / denominator;
            sum += term;
            if term.abs() < sum.abs() * EPSILON {
                break;
            }
        }
        1.0 - sum * log_prefix.exp()
    } else {
        // Continued fraction for Q(a, x), evaluated directly.
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_ITERATIONS {
            let i = i as f64;
            let an = -i * (i - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < EPSILON {
                break;
            }
        }
        log_prefix.exp() * h
    }
}

/// The regularized incomplete beta function I_x(a, b), given both x and y = 1 − x so a caller
/// who knows y more precisely than 1 − x (x close to 1) loses nothing to the subtraction.
pub fn beta_inc(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if !positive(a) || !positive(b) || !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
        return f64::NAN;
    }
    if x == 0.0 {
        return 0.0;
    }
    if y == 0.0 {
        return 1.0;
    }
    let (ln_x, ln_y) = if x > 0.5 {
        ((-y).ln_1p(), y.ln())
    } else {
        (x.ln(), (-x).ln_1p())
    };
    let log_prefix = a * ln_x + b * ln_y - ln_beta(a, b);
    // The continued fraction converges fast below the distribution's mean; above it, use the
    // symmetry I_x(a, b) = 1 - I_(1-x)(b, a) (then the value is large and the subtraction safe).
    if x < (a + 1.0) / (a + b + 2.0) {
        log_prefix.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - log_prefix.exp() * beta_fraction(b, a, y) / b
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    // One Lentz step with the partial numerator `aa`: the factor it multiplies `h` by.
    let mut step = |aa: f64| {
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        d * c
    };
    for m in 1..MAX_ITERATIONS {
        let m = m as f64;
        let m2 = 2.0 * m;
        h *= step(m * (b - m) * x / ((qam + m2) * (a + m2)));
        let delta = step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)));
        h *= delta;
        if (delta - 1.0).abs() < EPSILON {
            break;
        }
    }
    h
}

/// The standard normal CDF Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    // Φ(x) = erfc(-x/√2)/2 and erfc(z) = Q(1/2, z²) for z >= 0.
    let tail = 0.5 * gamma_q(0.5, 0.5 * x * x);
    if x < 0.0 { tail } else { 1.0 - tail }
}

/// The standard normal survival function 1 - Φ(x), accurate in the upper tail.
pub fn normal_sf(x: f64) -> f64 {
    normal_cdf(-x)
}

/// The standard normal density.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// The standard normal quantile Φ⁻¹(p): Acklam's rational approximation, refined by Halley's
/// method against [`normal_cdf`] to full precision.
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    const LOW: f64 = 0.02425;
    let tail = |q: f64| {
        let q = (-2.0 * q.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let mut x = if p < LOW {
        tail(p)
    } else if p > 1.0 - LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    for _ in 0..2 {
        // Halley steps on the side whose tail is small, so the error is measured relatively.
        let error = if x < 0.0 {
            normal_cdf(x) - p
        } else {
            (1.0 - p) - normal_sf(x)
        };
        let u = error / normal_pdf(x);
        x -= u / (1.0 + 0.5 * x * u);
    }
    x
}

/// P(T > t) for Student's t with `df` degrees of freedom.
pub fn student_t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || !positive(df) {
        return f64::NAN;
    }
    if df.is_infinite() {
        return normal_sf(t);
    }
    let t2 = t * t;
    let tail = 0.5 * beta_inc(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2));
    if t > 0.0 { tail } else { 1.0 - tail }
}

/// The density of Student's t with `df` degrees of freedom.
fn student_t_pdf(t: f64, df: f64) -> f64 {
    // Γ((ν+1)/2) / (Γ(ν/2) √(νπ)) = 1 / (B(ν/2, 1/2) √ν).
    let log = -ln_beta(0.5 * df, 0.5) - 0.5 * df.ln() - 0.5 * (df + 1.0) * (t * t / df).ln_1p();
    log.exp()
}

/// The quantile of Student's t with `df` degrees of freedom: Newton's method on
/// [`student_t_sf`], started from the normal quantile and kept inside a bracket.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) || !positive(df) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if df.is_infinite() {
        return normal_quantile(p);
    }
    let q = 1.0 - p; // the upper tail we aim for, kept small for precision
    // A bracket: the t quantile is at least the normal one; grow the upper end until it holds.
    let mut low = normal_quantile(p).max(0.0);
    let mut high = low.max(1.0);
    while student_t_sf(high, df) > q && high < 1e300 {
        high *= 2.0;
    }
    let mut x = 0.5 * (low + high);
    for _ in 0..200 {
        let error = student_t_sf(x, df) - q; // decreasing in x
        if error == 0.0 {
            break;
        }
        if error > 0.0 {
            low = x;
        } else {
            high = x;
        }
        let step = error / student_t_pdf(x, df);
        let next = x + step;
        let next = if next > low && next < high && next.is_finite() {
            next
        } else {
            0.5 * (low + high)
        };
        if (next - x).abs() <= 1e-15 * x.abs() {
            x = next;
            break;
        }
        x = next;
    }
    x
}

/// P(X² > x) for a chi-square distribution with `df` degrees of freedom.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    if !positive(df) || x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    gamma_q(0.5 * df, 0.5 * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, relative: f64) {
        assert!(
            (actual - expected).abs() <= relative * expected.abs(),
            "{actual} vs {expected}"
        );
    }

    #[test]
    fn gamma_matches_factorials_and_half_integers() {
        assert!(ln_gamma(1.0).abs() < 1e-15 && ln_gamma(2.0).abs() < 1e-15);
        close(ln_gamma(5.0).exp(), 24.0, 1e-14);
        close(ln_gamma(0.5).exp(), PI.sqrt(), 1e-14);
        close(ln_gamma(171.5), 709.1431630309282, 1e-14);
        // ln B(a, ½) for large a, against the direct sum at a size where that is still exact
        // enough, and against the asymptote √(π/a) far out.
        close(
            ln_beta(40.0, 0.5),
            ln_gamma(40.0) + ln_gamma(0.5) - ln_gamma(40.5),
            1e-13,
        );
        close(
            ln_beta(5e8, 0.5),
            0.5 * (PI / 5e8).ln() + (1.0 / (8.0 * 5e8)),
            1e-12,
        );
        close(beta_inc(2.0, 3.0, 0.4, 0.6), 0.5248, 1e-13);
        assert!(ln_gamma(0.0).is_nan() && ln_gamma(-1.0).is_nan() && ln_gamma(f64::NAN).is_nan());
    }

    #[test]
    fn normal_values_and_tails() {
        // Reference values computed with mpmath at 40 digits.
        close(normal_cdf(0.0), 0.5, 1e-15);
        close(normal_cdf(1.959963984540054), 0.975, 1e-14);
        close(normal_cdf(-1.0), 0.15865525393145707, 1e-13);
        close(normal_sf(8.0), 6.22096057427178e-16, 1e-10);
        close(normal_cdf(-20.0), 2.7536241186062337e-89, 1e-9);
        close(normal_quantile(0.975), 1.959963984540054, 1e-14);
        close(normal_quantile(0.025), -1.959963984540054, 1e-14);
        close(normal_quantile(1e-10), -6.361340902404056, 1e-12);
        close(normal_quantile(0.7), 0.5244005127080407, 1e-13);
        assert!(normal_quantile(1.5).is_nan() && normal_cdf(f64::NAN).is_nan());
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn student_t_values_and_quantiles() {
        // Reference values computed with mpmath at 40 digits.
        close(student_t_sf(-2.0, 5.0), 0.9490302605850709, 1e-13);
        close(student_t_sf(3.5, 10.0), 0.002863252714942608, 1e-11);
        close(student_t_sf(2.0, 1.0), 0.14758361765043326, 1e-13);
        close(student_t_quantile(0.975, 1.0), 12.706204736174705, 1e-12);
        close(student_t_quantile(0.975, 10.0), 2.228138851986275, 1e-12);
        close(student_t_quantile(0.975, 398.5), 1.9659348004925129, 1e-12);
        close(student_t_quantile(0.025, 30.0), -2.0422724563012373, 1e-12);
        // Far out the continued fraction runs near the distribution's mean and gathers rounding
        // error: still 1e-8 at a billion degrees of freedom (the vectors need 1e-6).
        close(student_t_quantile(0.975, 1e9), 1.9599639869123255, 1e-8);
        close(student_t_sf(1.96, 1e7), 0.024997909012657094, 1e-9);
        assert!(student_t_quantile(0.975, 0.0).is_nan());
        assert!(student_t_sf(1.0, f64::NAN).is_nan());
    }

    #[test]
    fn chi_square_survival() {
        // Reference values computed with mpmath at 40 digits.
        close(chi_square_sf(3.841458820694124, 1.0), 0.05, 1e-12);
        close(chi_square_sf(1.0, 2.0), (-0.5f64).exp(), 1e-14);
        close(chi_square_sf(100.0, 3.0), 1.554_159_431_389_605e-21, 1e-9);
        assert_eq!(chi_square_sf(0.0, 1.0), 1.0);
        assert!(chi_square_sf(1.0, 0.0).is_nan());
    }
}
