//! Latency samples, error counts and the percentiles the reports print.
//!
//! Samples are kept whole (microseconds as `u32`, 4 bytes each) and sorted once at the end:
//! exact percentiles, and 10 million samples cost only 40 MB.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http::{HttpError, Response};

/// The measured part of a run: requests sent in `[start, end)` count.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

impl Window {
    pub fn contains(&self, t: Instant) -> bool {
        t >= self.start && t < self.end
    }

    pub fn secs(&self) -> f64 {
        (self.end - self.start).as_secs_f64()
    }
}

/// What one virtual user (or story) saw; merged into one at the end.
#[derive(Debug, Default)]
pub struct Recorder {
    latencies: HashMap<&'static str, Vec<u32>>,
    /// (endpoint, HTTP status or 0 for transport errors, error code) → count.
    errors: HashMap<(&'static str, u16, String), u64>,
    /// Named counters: quizzes, answers_ok, answers_ok_all, resumed, …
    counters: HashMap<&'static str, u64>,
}

impl Recorder {
    pub fn latency(&mut self, endpoint: &'static str, took: Duration) {
        let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        self.latencies.entry(endpoint).or_default().push(micros);
    }

    pub fn error(&mut self, endpoint: &'static str, status: u16, code: &str) {
        *self.errors.entry((endpoint, status, code.to_owned())).or_default() += 1;
    }

    pub fn transport_error(&mut self, endpoint: &'static str, err: HttpError) {
        self.error(endpoint, 0, err.code());
    }

    /// Records an unexpected HTTP answer by its status and pufa's `error.code`.
    pub fn http_error(&mut self, endpoint: &'static str, response: &Response) {
        let code = response.error_code().unwrap_or_else(|| "-".to_owned());
        self.error(endpoint, response.status, &code);
    }

    pub fn count(&mut self, name: &'static str, n: u64) {
        *self.counters.entry(name).or_default() += n;
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    pub fn merge(&mut self, other: Recorder) {
        for (endpoint, mut samples) in other.latencies {
            self.latencies.entry(endpoint).or_default().append(&mut samples);
        }
        for (key, n) in other.errors {
            *self.errors.entry(key).or_default() += n;
        }
        for (name, n) in other.counters {
            *self.counters.entry(name).or_default() += n;
        }
    }

    /// Percentiles of one endpoint (sorts its samples).
    pub fn summary(&mut self, endpoint: &str) -> Summary {
        self.latencies.get_mut(endpoint).map_or_else(Summary::default, |samples| Summary::of(samples))
    }

    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Errors sorted by endpoint, status and code.
    pub fn error_rows(&self) -> Vec<(&'static str, u16, String, u64)> {
        let mut rows: Vec<_> = self.errors.iter().map(|((e, s, c), n)| (*e, *s, c.clone(), *n)).collect();
        rows.sort();
        rows
    }

    pub fn errors_json(&self) -> Value {
        Value::Array(
            self.error_rows()
                .into_iter()
                .map(|(endpoint, status, code, count)| {
                    json!({"endpoint": endpoint, "status": status, "code": code, "count": count})
                })
                .collect(),
        )
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub count: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Summary {
    pub fn of(samples: &mut [u32]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let at = |q: f64| {
            // Nearest rank: the smallest sample with at least q of all samples at or below it.
            let rank = (q * samples.len() as f64).ceil() as usize;
            f64::from(samples[rank.clamp(1, samples.len()) - 1]) / 1000.0
        };
        let sum: u64 = samples.iter().map(|s| u64::from(*s)).sum();
        Self {
            count: samples.len() as u64,
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: f64::from(samples[samples.len() - 1]) / 1000.0,
            mean: sum as f64 / samples.len() as f64 / 1000.0,
        }
    }

    pub fn json(&self, secs: f64) -> Value {
        json!({
            "count": self.count,
            "per_sec": round2(rate(self.count, secs)),
            "p50_ms": round2(self.p50),
            "p95_ms": round2(self.p95),
            "p99_ms": round2(self.p99),
            "max_ms": round2(self.max),
            "mean_ms": round2(self.mean),
        })
    }
}

pub fn rate(count: u64, secs: f64) -> f64 {
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A plain text table: a header row, then rows; columns padded to their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let render = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                // First column left-aligned (names), the rest right-aligned (numbers).
                if i == 0 { format!("{c:<w$}") } else { format!("{c:>w$}") }
            })
            .collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    let mut out = render(header.iter().map(|h| (*h).to_owned()).collect());
    out.push_str(&render(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for row in rows {
        out.push_str(&render(row.clone()));
    }
    out
}

/// The latency table rows of some endpoints.
pub fn latency_rows(rec: &mut Recorder, endpoints: &[&'static str], secs: f64) -> Vec<Vec<String>> {
    endpoints
        .iter()
        .map(|e| {
            let s = rec.summary(e);
            vec![
                (*e).to_owned(),
                s.count.to_string(),
                format!("{:.1}", rate(s.count, secs)),
                format!("{:.2}", s.p50),
                format!("{:.2}", s.p95),
                format!("{:.2}", s.p99),
                format!("{:.2}", s.max),
            ]
        })
        .collect()
}

pub const LATENCY_HEADER: [&str; 7] = ["endpoint", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"];

/// Status code → count, for the login flood.
pub type StatusCounts = BTreeMap<u16, u64>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut samples: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        let s = Summary::of(&mut samples);
        assert_eq!(s.count, 100);
        assert!((s.p50 - 50.0).abs() < 1e-9);
        assert!((s.p99 - 99.0).abs() < 1e-9);
        assert!((s.max - 100.0).abs() < 1e-9);
        assert_eq!(Summary::of(&mut []).count, 0);
    }
}
