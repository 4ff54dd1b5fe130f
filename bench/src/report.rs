//! Formatting results: a plain-text table printed while the benchmarks run,
//! and a Markdown table for BENCHMARKS.md.

use crate::measure::{Failure, Timing};
use std::time::Duration;

/// The outcome of one workload on both engines.
pub struct Row {
    /// Workload name.
    pub name: &'static str,
    /// Size argument it ran with.
    pub arg: i32,
    /// wasp's measurement (`None` when not run).
    pub wasp: Option<Result<Timing, Failure>>,
    /// wasmi's measurement (`None` when not run).
    pub wasmi: Option<Result<Timing, Failure>>,
}

impl Row {
    /// wasp time / wasmi time, when both succeeded.
    pub fn ratio(&self) -> Option<f64> {
        match (&self.wasp, &self.wasmi) {
            (Some(Ok(a)), Some(Ok(b))) => Some(a.best.as_secs_f64() / b.best.as_secs_f64()),
            _ => None,
        }
    }

    /// The checksum the engines agreed on (or the one that ran).
    pub fn checksum(&self) -> Option<i64> {
        [&self.wasmi, &self.wasp]
            .into_iter()
            .find_map(|m| m.as_ref().and_then(|r| r.as_ref().ok()).map(|t| t.checksum))
    }
}

fn cell(m: &Option<Result<Timing, Failure>>) -> String {
    match m {
        None => "-".to_string(),
        Some(Ok(t)) => ms(t.best),
        Some(Err(_)) => "error".to_string(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn ratio_cell(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{r:.2}x"))
}

/// Header of the plain-text table.
pub fn header() -> String {
    format!(
        "{:<18} {:>10} {:>12} {:>12} {:>11}  {}",
        "workload", "arg", "wasp ms", "wasmi ms", "wasp/wasmi", "checksum"
    )
}

/// One plain-text line.
pub fn line(row: &Row) -> String {
    format!(
        "{:<18} {:>10} {:>12} {:>12} {:>11}  {}",
        row.name,
        row.arg,
        cell(&row.wasp),
        cell(&row.wasmi),
        ratio_cell(row.ratio()),
        row.checksum()
            .map_or_else(|| "-".to_string(), |c| format!("{:#018x}", c as u64)),
    )
}

/// The errors behind "error" cells, one line each.
pub fn errors(rows: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    for row in rows {
        for (engine, m) in [("wasp", &row.wasp), ("wasmi", &row.wasmi)] {
            if let Some(Err(Failure::Error(msg))) = m {
                out.push(format!("{}: {engine}: {msg}", row.name));
            }
        }
    }
    out
}

/// The whole result as a Markdown table (best time, ms), geometric mean last.
pub fn markdown(rows: &[Row], geomean: Option<f64>) -> String {
    let mut s = String::from(
        "| workload | arg | wasp (ms) | wasmi (ms) | wasp/wasmi |\n|---|---:|---:|---:|---:|\n",
    );
    for row in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            row.name,
            row.arg,
            cell(&row.wasp),
            cell(&row.wasmi),
            ratio_cell(row.ratio())
        ));
    }
    s.push_str(&format!(
        "| **geometric mean** | | | | **{}** |\n",
        ratio_cell(geomean)
    ));
    s
}
