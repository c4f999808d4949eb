//! How far a pull has got, shared between the pull and whoever shows it (the app's
//! progress bar, the terminal line). Counters are atomics so the pull never waits on a
//! reader; rate and ETA are computed here once so every front end shows the same.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum PullPhase {
    /// Listing the bucket and reading manifests.
    Listing,
    /// Downloading what the cache lacks.
    Fetching,
    Done,
}

/// Counters of one pull; created before it starts, read at any time.
#[derive(Debug)]
pub struct PullProgress {
    started: Mutex<Instant>,
    phase: AtomicU8,
    batches_total: AtomicU64,
    items_total: AtomicU64,
    items_done: AtomicU64,
    bytes_total: AtomicU64,
    bytes_done: AtomicU64,
    /// Milliseconds the fetching took, once it is over; the rate stays what it was.
    finished_ms: AtomicU64,
}

/// What a front end shows: items, bytes, rate and time left.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProgressSnapshot {
    pub phase: PullPhase,
    pub batches: u64,
    /// Objects to download in this pull (cached ones are not counted).
    pub items_done: u64,
    pub items_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub elapsed_ms: u64,
    pub bytes_per_second: u64,
    /// Seconds left at the rate so far; absent until there is a rate to go by.
    pub eta_seconds: Option<u64>,
}

impl Default for PullProgress {
    fn default() -> Self {
        Self {
            started: Mutex::new(Instant::now()),
            phase: AtomicU8::new(0),
            batches_total: AtomicU64::new(0),
            items_total: AtomicU64::new(0),
            items_done: AtomicU64::new(0),
            bytes_total: AtomicU64::new(0),
            bytes_done: AtomicU64::new(0),
            finished_ms: AtomicU64::new(0),
        }
    }
}

impl PullProgress {
    pub(crate) fn planned(&self, batches: u64, items: u64, bytes: u64) {
        self.batches_total.store(batches, Ordering::Relaxed);
        self.items_total.store(items, Ordering::Relaxed);
        self.bytes_total.store(bytes, Ordering::Relaxed);
        *self
            .started
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Instant::now();
        self.phase.store(1, Ordering::Release);
    }

    pub(crate) fn bytes(&self, n: u64) {
        self.bytes_done.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn item_done(&self) {
        self.items_done.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self) {
        let elapsed = self
            .started
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .elapsed();
        self.finished_ms
            .store(elapsed.as_millis().max(1) as u64, Ordering::Relaxed);
        self.phase.store(2, Ordering::Release);
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let phase = match self.phase.load(Ordering::Acquire) {
            0 => PullPhase::Listing,
            1 => PullPhase::Fetching,
            _ => PullPhase::Done,
        };
        let elapsed = match self.finished_ms.load(Ordering::Relaxed) {
            0 => self
                .started
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .elapsed(),
            ms => Duration::from_millis(ms),
        };
        let bytes_done = self.bytes_done.load(Ordering::Relaxed);
        let bytes_total = self.bytes_total.load(Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        let rate = if phase == PullPhase::Listing || (phase == PullPhase::Fetching && seconds < 0.2)
        {
            0.0
        } else {
            bytes_done as f64 / seconds
        };
        ProgressSnapshot {
            phase,
            batches: self.batches_total.load(Ordering::Relaxed),
            items_done: self.items_done.load(Ordering::Relaxed),
            items_total: self.items_total.load(Ordering::Relaxed),
            bytes_done,
            bytes_total,
            elapsed_ms: elapsed.as_millis() as u64,
            bytes_per_second: rate as u64,
            eta_seconds: (rate > 0.0 && phase == PullPhase::Fetching)
                .then(|| (bytes_total.saturating_sub(bytes_done) as f64 / rate).ceil() as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_eta_before_there_is_a_rate() {
        let progress = PullProgress::default();
        assert_eq!(progress.snapshot().phase, PullPhase::Listing);
        assert_eq!(progress.snapshot().eta_seconds, None);
        progress.planned(1, 2, 1000);
        std::thread::sleep(std::time::Duration::from_millis(250));
        progress.bytes(500);
        let snap = progress.snapshot();
        assert!(snap.bytes_per_second > 0);
        let eta = snap.eta_seconds.expect("a rate gives an ETA");
        assert!(
            eta >= 1,
            "half the bytes in ≥ 0.25 s leaves ≥ 0.25 s: {eta}"
        );
        progress.finished();
        let done = progress.snapshot();
        assert_eq!(done.eta_seconds, None);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(
            progress.snapshot().bytes_per_second,
            done.bytes_per_second,
            "the rate stays that of the pull once it is over"
        );
    }
}
