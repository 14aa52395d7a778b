//! Small statistics helpers: percentiles, least-squares trend, rounding.

/// Nearest-rank percentile (`p` in 0..=100) of values sorted ascending.
pub fn percentile_sorted(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Sorts a copy and takes the percentile.
pub fn percentile(values: &[u64], p: f64) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    percentile_sorted(&sorted, p)
}

/// Relative change across a series from its least-squares line: the fitted
/// last value minus the fitted first, divided by the mean. 0 for fewer than
/// three points or a zero mean.
pub fn trend_pct(series: &[u64]) -> f64 {
    let n = series.len();
    if n < 3 {
        return 0.0;
    }
    let nf = n as f64;
    let mean_x = (nf - 1.0) / 2.0;
    let mean_y = series.iter().map(|&v| v as f64).sum::<f64>() / nf;
    if mean_y <= 0.0 {
        return 0.0;
    }
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, &v) in series.iter().enumerate() {
        let dx = i as f64 - mean_x;
        sxy += dx * (v as f64 - mean_y);
        sxx += dx * dx;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    round(slope * (nf - 1.0) / mean_y, 3)
}

/// `rising` / `falling` / `stable` (within ±10 %).
pub fn trend_label(pct: f64) -> &'static str {
    if pct > 0.1 {
        "rising"
    } else if pct < -0.1 {
        "falling"
    } else {
        "stable"
    }
}

pub fn round(x: f64, digits: i32) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// `a / b`, 0 when `b` is 0.
pub fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 95.0), 95);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[7], 95.0), 7);
        assert_eq!(percentile(&[], 95.0), 0);
    }

    #[test]
    fn trend_is_relative_change_of_the_fitted_line() {
        assert_eq!(trend_pct(&[100, 100, 100, 100]), 0.0);
        // 100 → 200 linearly: fitted change 100 over a mean of 150.
        assert_eq!(trend_pct(&[100, 125, 150, 175, 200]), 0.667);
        assert_eq!(trend_label(0.667), "rising");
        assert_eq!(trend_label(-0.2), "falling");
        assert_eq!(trend_label(0.05), "stable");
    }
}
