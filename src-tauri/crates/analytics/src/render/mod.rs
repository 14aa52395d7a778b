//! Reports as text (terminal tables), Markdown, and a self-contained HTML
//! page (inline CSS and SVG: a Gantt chart of the run, sparklines of
//! trends; no scripts, no external URLs).
//!
//! `markdown(&report)`, `html(&report)` and `text(&report)` take either a
//! [`RunReport`] or a [`TrendReport`].

mod gantt;
mod html;
mod markdown;
mod table;

use super::report::{RunReport, StepReport, TrendReport};

/// Something the renderers know how to draw.
pub trait Render {
    fn render_markdown(&self) -> String;
    fn render_text(&self) -> String;
    fn render_html(&self) -> String;
}

impl Render for RunReport {
    fn render_markdown(&self) -> String {
        markdown::run(self, table::Style::Markdown)
    }
    fn render_text(&self) -> String {
        markdown::run(self, table::Style::Text)
    }
    fn render_html(&self) -> String {
        html::run(self)
    }
}

impl Render for TrendReport {
    fn render_markdown(&self) -> String {
        markdown::trend(self, table::Style::Markdown)
    }
    fn render_text(&self) -> String {
        markdown::trend(self, table::Style::Text)
    }
    fn render_html(&self) -> String {
        html::trend(self)
    }
}

/// GitHub-flavoured Markdown.
pub fn markdown(report: &impl Render) -> String {
    report.render_markdown()
}

/// Plain text with aligned tables, for a terminal.
pub fn text(report: &impl Render) -> String {
    report.render_text()
}

/// One self-contained HTML file.
pub fn html(report: &impl Render) -> String {
    report.render_html()
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A step's figures as the run table shows them, in column order: status,
/// duration, queued, execution, retries, join wait, slack, attempts (the
/// text, Markdown and HTML reports lay out the same cells).
pub fn step_figures(s: &StepReport) -> [String; 8] {
    [
        s.status.as_str().to_string(),
        fmt_ms(s.duration_ms),
        fmt_ms(s.queued_ms),
        fmt_ms(s.exec_ms),
        fmt_ms(s.retry_ms),
        fmt_ms(s.join_wait_ms),
        s.slack_ms.map_or("—".to_string(), fmt_ms),
        s.attempts.to_string(),
    ]
}

/// Durations are written by the one formatter every front end shares.
pub use braid_model::human::duration_ms as fmt_ms;

/// `10000` → `10,000`.
pub fn fmt_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A relative change: `+12 %`, `-3 %`, `±0 %`.
pub fn fmt_change(x: f64) -> String {
    let pct = (x * 100.0).round();
    if pct == 0.0 {
        "±0 %".to_string()
    } else {
        format!("{pct:+.0} %")
    }
}

/// `0.81` → `81 %`.
pub fn fmt_pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// Unicode block sparkline of a series.
pub fn spark_text(series: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (Some(&min), Some(&max)) = (series.iter().min(), series.iter().max()) else {
        return String::new();
    };
    // At most 40 characters: average buckets of a longer series.
    let buckets = series.len().min(40);
    (0..buckets)
        .map(|b| {
            let lo = b * series.len() / buckets;
            let hi = ((b + 1) * series.len() / buckets).max(lo + 1);
            let chunk = &series[lo..hi];
            let v = chunk.iter().sum::<u64>() / chunk.len() as u64;
            if max == min {
                BARS[3]
            } else {
                BARS[(((v - min) * 7 + (max - min) / 2) / (max - min)).min(7) as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_ms(0), "0 ms");
        assert_eq!(fmt_ms(850), "850 ms");
        assert_eq!(fmt_ms(1250), "1.25 s");
        assert_eq!(fmt_ms(12_340), "12.3 s");
        assert_eq!(fmt_ms(185_000), "3 min 05 s");
        assert_eq!(fmt_ms(3_720_000), "1 h 02 min");
        assert_eq!(fmt_count(10_000), "10,000");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1_234_567), "1,234,567");
    }

    #[test]
    fn sparklines_span_the_range() {
        assert_eq!(spark_text(&[1, 2, 3, 4, 5, 6, 7, 8]), "▁▂▃▄▅▆▇█");
        assert_eq!(spark_text(&[5, 5]), "▄▄");
        assert_eq!(spark_text(&[]), "");
        assert_eq!(
            spark_text(&(0..400).collect::<Vec<_>>()).chars().count(),
            40
        );
    }
}
