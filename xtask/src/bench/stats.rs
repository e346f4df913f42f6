//! The few statistics the benchmark reports: median, min, max and mean of
//! wall times in milliseconds.

/// A summary of one engine's samples for one scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    /// How many samples.
    pub n: usize,
    /// The middle sample (the mean of the middle two for an even count).
    pub median: f64,
    /// The fastest sample.
    pub min: f64,
    /// The slowest sample.
    pub max: f64,
    /// The arithmetic mean.
    pub mean: f64,
}

/// Summarizes `samples`; `None` when there are none (or only NaNs).
pub(crate) fn summarize(samples: &[f64]) -> Option<Summary> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|s| !s.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some(Summary {
        n,
        median,
        min: sorted[0],
        max: sorted[n - 1],
        mean: sorted.iter().sum::<f64>() / n as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_count_takes_the_middle_sample_whatever_the_order() {
        let s = summarize(&[9.0, 1.0, 5.0, 3.0, 7.0]).unwrap();
        assert_eq!(s.n, 5);
        assert_eq!(s.median, 5.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 9.0);
        assert_eq!(s.mean, 5.0);
    }

    #[test]
    fn even_count_averages_the_middle_two() {
        let s = summarize(&[4.0, 1.0, 10.0, 2.0]).unwrap();
        assert_eq!(s.median, 3.0);
        assert_eq!(s.mean, 4.25);
    }

    #[test]
    fn an_outlier_does_not_move_the_median() {
        let s = summarize(&[10.0, 11.0, 12.0, 5000.0, 10.5]).unwrap();
        assert_eq!(s.median, 11.0);
        assert_eq!(s.max, 5000.0);
    }

    #[test]
    fn nothing_to_summarize() {
        assert_eq!(summarize(&[]), None);
        assert_eq!(summarize(&[f64::NAN]), None);
        assert_eq!(summarize(&[f64::NAN, 2.0]).unwrap().median, 2.0);
    }
}
