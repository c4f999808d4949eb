//! The pull's progress on the terminal: one line redrawn in place, on stderr, only when
//! stderr is a terminal (or when asked), so pipes and `--json` output stay clean.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use sr_engine::pull::{ProgressSnapshot, PullPhase, PullProgress};

/// Draws `progress` every 200 ms until dropped.
pub struct ProgressLine {
    stop: Option<mpsc::Sender<()>>,
    drawer: Option<JoinHandle<()>>,
}

impl ProgressLine {
    pub fn start(progress: std::sync::Arc<PullProgress>, forced: bool) -> Self {
        let stderr = std::io::stderr();
        let in_place = stderr.is_terminal();
        if !in_place && !forced {
            return Self {
                stop: None,
                drawer: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let drawer = std::thread::spawn(move || {
            let end = if in_place { "\r" } else { "\n" };
            loop {
                let line = render(&progress.snapshot());
                let _ = write!(stderr.lock(), "{line:<100}{end}");
                match stopped.recv_timeout(Duration::from_millis(if in_place { 200 } else { 1000 }))
                {
                    Err(RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            }
            let line = render(&progress.snapshot());
            let _ = writeln!(stderr.lock(), "{line:<100}");
        });
        Self {
            stop: Some(stop),
            drawer: Some(drawer),
        }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
    }
}

/// `[#########-----]  42/120 items  1.2/3.4 GB  35.0 MB/s  ETA 1:02`
pub fn render(s: &ProgressSnapshot) -> String {
    if s.phase == PullPhase::Listing {
        return "listing the source…".into();
    }
    let fraction = if s.bytes_total > 0 {
        s.bytes_done as f64 / s.bytes_total as f64
    } else if s.items_total > 0 {
        s.items_done as f64 / s.items_total as f64
    } else {
        1.0
    };
    let filled = (fraction.clamp(0.0, 1.0) * 30.0).round() as usize;
    let eta = s
        .eta_seconds
        .map(|t| format!("  ETA {}:{:02}", t / 60, t % 60))
        .unwrap_or_default();
    format!(
        "[{}{}] {}/{} items  {}/{}  {}/s{}",
        "#".repeat(filled),
        "-".repeat(30 - filled),
        s.items_done,
        s.items_total,
        human_bytes(s.bytes_done),
        human_bytes(s.bytes_total),
        human_bytes(s.bytes_per_second),
        eta
    )
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_items_bytes_rate_and_eta() {
        let line = render(&ProgressSnapshot {
            phase: PullPhase::Fetching,
            batches: 2,
            items_done: 42,
            items_total: 120,
            bytes_done: 1_200_000_000,
            bytes_total: 3_400_000_000,
            elapsed_ms: 34_000,
            bytes_per_second: 35_000_000,
            eta_seconds: Some(62),
        });
        assert!(line.contains("42/120 items"), "{line}");
        assert!(line.contains("1.2 GB/3.4 GB"), "{line}");
        assert!(line.contains("35.0 MB/s"), "{line}");
        assert!(line.contains("ETA 1:02"), "{line}");
        assert!(line.starts_with("[###########-"), "35 % of the bar: {line}");
    }
}
