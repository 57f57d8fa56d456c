//! A region's participation, by one definition that the public region boards and the staff
//! statistics both use:
//!
//! - **participants**: the region's residents with at least one finished attempt in the campaign
//!   (exactly the entries of the region's board);
//! - **average score**: the mean of those participants' standings on the campaign board (their
//!   best attempt, or under `Ranking::Total` the sum of their attempts), to one decimal;
//! - **participation rate**: participants ÷ the region's registered residents (as the bureau
//!   entered them), to four decimals; none while the residents are not known.

/// The mean standing of `participants` whose standings add up to `points_sum`.
pub fn average_score(participants: u64, points_sum: i64) -> Option<f64> {
    (participants > 0).then(|| (points_sum as f64 / participants as f64 * 10.0).round() / 10.0)
}

/// `participants` of `residents`, or none while the residents are not known.
pub fn participation_rate(participants: u64, residents: u32) -> Option<f64> {
    (residents > 0).then(|| (participants as f64 / f64::from(residents) * 10_000.0).round() / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_and_rates_round_and_stay_empty_without_data() {
        assert_eq!(average_score(3, 200), Some(66.7));
        assert_eq!(average_score(0, 0), None);
        assert_eq!(participation_rate(1, 3), Some(0.3333));
        assert_eq!(participation_rate(5, 0), None);
    }
}
