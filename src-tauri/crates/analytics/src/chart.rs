//! Chart geometry shared by the HTML report and the app: the time axis
//! (a "nice" step so a 300 ms run and a three-hour run both get a handful of
//! readable, minute-aligned labels) and sparkline scaling (from zero, so a
//! flat series reads flat rather than as noise blown up). The app's
//! `ui/src/features/analytics/{scale,sparkline}.ts` draws with the same
//! rules; both are tested against `tests/fixtures/charts.json`, so an
//! exported report and the app draw the same run the same way.

/// Candidate tick steps in milliseconds, smallest first: 1/2/5 below a
/// second, then steps that land on whole seconds, minutes and hours.
const STEPS: [u64; 29] = [
    1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
    60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000,
    21_600_000, 43_200_000, 86_400_000,
];
const DAY_MS: u64 = 86_400_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Milliseconds at the right edge: the data's end rounded up to a step.
    pub domain_ms: u64,
    pub step_ms: u64,
    pub ticks: Vec<u64>,
}

/// A step giving at most `max_ticks` intervals over `span_ms`, and the ticks.
pub fn nice_axis(span_ms: u64, max_ticks: u64) -> Axis {
    let span = span_ms.max(1);
    let max_ticks = max_ticks.max(1);
    let step_ms = STEPS
        .iter()
        .copied()
        .find(|&s| span as f64 / s as f64 <= max_ticks as f64)
        .unwrap_or_else(|| (span as f64 / max_ticks as f64 / DAY_MS as f64).ceil() as u64 * DAY_MS);
    let domain_ms = span.div_ceil(step_ms) * step_ms;
    let ticks = (0..=domain_ms / step_ms).map(|i| i * step_ms).collect();
    Axis {
        domain_ms,
        step_ms,
        ticks,
    }
}

/// A tick's label, precise enough to tell it from its neighbours at `step_ms`.
pub fn tick_label(t: u64, step_ms: u64) -> String {
    if t == 0 {
        return "0".to_string();
    }
    if step_ms < 1_000 {
        if t < 1_000 {
            return format!("{t} ms");
        }
        let decimals = if step_ms % 100 == 0 {
            1
        } else if step_ms % 10 == 0 {
            2
        } else {
            3
        };
        let text = format!("{:.*}", decimals, t as f64 / 1000.0);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        return format!("{text} s");
    }
    if step_ms < 60_000 {
        if t < 60_000 {
            return format!("{} s", t as f64 / 1000.0);
        }
        let m = t / 60_000;
        let s = ((t % 60_000) as f64 / 1000.0).round() as u64;
        return format!("{m}:{s:02}");
    }
    if t < 3_600_000 {
        return format!("{} min", (t as f64 / 60_000.0).round() as u64);
    }
    let h = t / 3_600_000;
    let m = ((t % 3_600_000) as f64 / 60_000.0).round() as u64;
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m:02}")
    }
}

/// A sparkline's points in a `width` × `height` box with `pad` inside it,
/// oldest first. The y range runs from zero to the series' maximum (or
/// `ceiling`, when higher), so reference lines such as a p95 fit.
pub fn spark_points(
    series: &[f64],
    width: f64,
    height: f64,
    pad: f64,
    ceiling: Option<f64>,
) -> Vec<(f64, f64)> {
    let max = series
        .iter()
        .copied()
        .fold(ceiling.unwrap_or(0.0).max(1.0), f64::max);
    let inner_h = height - pad * 2.0;
    let n = series.len();
    let step = if n > 1 {
        (width - pad * 2.0) / (n - 1) as f64
    } else {
        0.0
    };
    series
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let x = if n > 1 {
                pad + i as f64 * step
            } else {
                width / 2.0
            };
            (x, pad + inner_h - v.max(0.0) / max * inner_h)
        })
        .collect()
}
