//! Medians and percentiles.

use std::time::Duration;

/// A set of samples, sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    sorted: Vec<f64>,
}

impl Stats {
    /// The samples, in any order.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut sorted: Vec<f64> = values.into_iter().collect();
        sorted.sort_by(f64::total_cmp);
        Self { sorted }
    }

    /// Durations, as seconds.
    pub fn of_durations(values: impl IntoIterator<Item = Duration>) -> Self {
        Self::of(values.into_iter().map(|d| d.as_secs_f64()))
    }

    /// How many samples.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The `p`-th percentile (0 to 100), nearest rank; NaN when empty.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.sorted.is_empty() {
            return f64::NAN;
        }
        let rank = (p / 100.0 * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    /// The median: the mean of the two middle samples when there is an even number.
    pub fn median(&self) -> f64 {
        let n = self.sorted.len();
        match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => self.sorted[n / 2],
            _ => (self.sorted[n / 2 - 1] + self.sorted[n / 2]) / 2.0,
        }
    }

    /// The 90th percentile.
    pub fn p90(&self) -> f64 {
        self.percentile(90.0)
    }

    /// The 10th percentile (for rates, where low is bad).
    pub fn p10(&self) -> f64 {
        self.percentile(10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        let s = Stats::of((1..=10).rev().map(f64::from));
        assert_eq!(s.median(), 5.5);
        assert_eq!(s.p90(), 9.0);
        assert_eq!(s.p10(), 1.0);
        assert_eq!(s.percentile(100.0), 10.0);
        assert_eq!(Stats::of([3.0, 1.0, 2.0]).median(), 2.0);
        assert!(Stats::of([]).median().is_nan());
        assert_eq!(Stats::of([7.0]).p90(), 7.0);
    }
}
