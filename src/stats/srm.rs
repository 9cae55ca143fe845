//! Sample-ratio mismatch: do the users per variation fit the traffic split? A chi-square
//! goodness-of-fit test (gbstats' `check_srm`), judged as GrowthBook's health check does.

use serde::Serialize;

use super::distributions::{chi_square_sf, positive};

/// Below this p-value the split is suspicious (GrowthBook's `DEFAULT_SRM_THRESHOLD`).
pub const SRM_THRESHOLD: f64 = 0.001;
/// The check needs on average this many users per variation (GrowthBook's
/// `DEFAULT_SRM_MINIMINUM_COUNT_PER_VARIATION`).
pub const SRM_MIN_USERS_PER_VARIATION: u64 = 8;

/// The sample-ratio check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SrmStatus {
    /// The users fit the split.
    Ok,
    /// p below 0.001: assignment or tracking is likely broken, so the results are suspect.
    Warning,
    /// Fewer than 8 users per variation on average, or fewer than two variations.
    NotEnoughData,
}

/// The sample-ratio check: its p-value (when it could be computed) and verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Srm {
    /// P(a split at least this uneven | the intended weights).
    pub p_value: Option<f64>,
    /// What it means.
    pub status: SrmStatus,
}

/// gbstats' `check_srm`: X² = Σ (O − E)² / E over the variations with a weight above 0,
/// p = P(χ²(k − 1) > X²) with k the number of variations; no users gives p = 1.
pub fn srm_p_value(users: &[u64], weights: &[f64]) -> Option<f64> {
    if users.len() < 2 || users.len() != weights.len() {
        return None;
    }
    let total_weight: f64 = weights.iter().sum();
    if !positive(total_weight) || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
        return None;
    }
    let total = users.iter().map(|u| *u as f64).sum::<f64>();
    if total == 0.0 {
        return Some(1.0);
    }
    let chi_square: f64 = users
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(observed, w)| {
            let expected = w / total_weight * total;
            (*observed as f64 - expected).powi(2) / expected
        })
        .sum();
    let p = chi_square_sf(chi_square, (users.len() - 1) as f64);
    p.is_finite().then_some(p)
}

/// The check as the results show it: the p-value, judged only with enough users
/// (GrowthBook's `getSRMHealthData`: at least 8 per variation on average).
pub fn srm(users: &[u64], weights: &[f64]) -> Srm {
    let p_value = srm_p_value(users, weights);
    let total = users.iter().fold(0u64, |sum, u| sum.saturating_add(*u));
    let enough = users.len() >= 2 && total >= SRM_MIN_USERS_PER_VARIATION * users.len() as u64;
    let status = match p_value {
        Some(p) if enough && p < SRM_THRESHOLD => SrmStatus::Warning,
        Some(_) if enough => SrmStatus::Ok,
        _ => SrmStatus::NotEnoughData,
    };
    Srm { p_value, status }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn research_note_examples() {
        assert_eq!(srm_p_value(&[5000, 5000], &[0.5, 0.5]), Some(1.0));
        let p = srm_p_value(&[4850, 5150], &[0.5, 0.5]).unwrap();
        assert!((p - 0.0026998).abs() < 1e-7, "{p}");
        assert_eq!(srm(&[4850, 5150], &[0.5, 0.5]).status, SrmStatus::Ok);
        let third = 1.0 / 3.0;
        let p = srm_p_value(&[1000, 1100, 900], &[third; 3]).unwrap();
        assert!((p - 4.54e-5).abs() < 1e-7, "{p}");
        assert_eq!(
            srm(&[1000, 1100, 900], &[third; 3]).status,
            SrmStatus::Warning
        );
    }

    #[test]
    fn judged_only_with_eight_users_per_variation() {
        // 15 users, all in one arm: p is tiny, but 15 < 2 × 8.
        let few = srm(&[15, 0], &[0.5, 0.5]);
        assert!(few.p_value.unwrap() < SRM_THRESHOLD);
        assert_eq!(few.status, SrmStatus::NotEnoughData);
        // 16 users: now it counts.
        assert_eq!(srm(&[16, 0], &[0.5, 0.5]).status, SrmStatus::Warning);
        assert_eq!(srm(&[8, 8], &[0.5, 0.5]).status, SrmStatus::Ok);
        assert_eq!(srm(&[100], &[1.0]).status, SrmStatus::NotEnoughData);
        assert_eq!(
            srm(&[0, 0], &[0.5, 0.5]),
            Srm {
                p_value: Some(1.0),
                status: SrmStatus::NotEnoughData
            }
        );
        assert_eq!(srm_p_value(&[10, 10], &[0.0, 0.0]), None);
        assert_eq!(srm_p_value(&[10, 10], &[0.5, f64::NAN]), None);
        assert_eq!(srm_p_value(&[10, 10], &[0.5]), None);
        // Counts near u64::MAX neither overflow nor panic.
        assert_eq!(
            srm(&[u64::MAX, u64::MAX], &[0.5, 0.5]).status,
            SrmStatus::Ok
        );
    }

    #[test]
    fn a_zero_weight_variation_is_left_out_of_the_sum() {
        // gbstats skips w = 0 terms but keeps k − 1 degrees of freedom.
        let with_zero = srm_p_value(&[50, 50, 3], &[0.5, 0.5, 0.0]).unwrap();
        let chi_square = 2.0 * 1.5f64.powi(2) / 51.5;
        assert!(
            (with_zero - (-chi_square / 2.0).exp()).abs() < 1e-12,
            "{with_zero}"
        );
    }
}
