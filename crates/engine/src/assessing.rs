//! Runs the pre-assessment queue: each item's file decoded once, then every model it is
//! due for; results stored a chunk at a time so a kill loses only the chunk in flight.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use sr_catalog::{Job, JobKind, JobResult, ModelStamp, QueueCounts};
use sr_models::Task;
use ts_rs::TS;

use crate::documents::CODING_MODEL;
use crate::stored_file::StoredFile;
use crate::wakeup::Wakeup;
use crate::{Engine, EngineError, decode_format};

/// The queue's thread's name, which the threads it starts (ONNX Runtime's pool, the
/// per-core workers) inherit on Linux: they are told apart by it in `top -H`.
pub const ASSESS_THREAD: &str = "sr-assess";

/// How long the queue stays idle, by default, before the models it opened close.
pub const MODELS_QUIET: Duration = Duration::from_secs(60);

/// The built-in capture-quality measure, named like a model in stored results.
pub const QUALITY_MODEL: &str = "capture-quality";

/// Jobs taken from the queue at a time; the queue's order is read again between chunks,
/// so an item the reviewer opens is assessed next.
const CHUNK: u32 = 16;

/// Counters a front end reads while the queue runs.
#[derive(Debug, Default)]
pub struct AssessProgress {
    done: AtomicU32,
    failed: AtomicU32,
}

/// The app's background queue runner: woken when items become viewable, and once a
/// minute in case a model was added.
#[derive(Debug)]
pub struct Assessor {
    wakeup: Wakeup,
    running: AtomicBool,
    progress: AssessProgress,
}

impl Default for Assessor {
    fn default() -> Self {
        Self {
            wakeup: Wakeup::new(true),
            running: AtomicBool::new(false),
            progress: AssessProgress::default(),
        }
    }
}

/// What the Models screen shows of the queue.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AssessStatus {
    pub queue: QueueCounts,
    /// A pass runs, or one is owed (from the start, or since a pull or an import woke
    /// the queue): results may still land although nothing is queued yet.
    pub running: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AssessReport {
    /// Jobs that ran and stored a result in this run.
    pub ran: u32,
    /// Jobs that failed in this run (their items show why).
    pub failed: u32,
    /// The whole queue after the run.
    pub queue: QueueCounts,
}

impl Engine {
    /// Runs the queue whenever there may be work, for the life of the process, on cores
    /// the reviewer leaves free.
    /// Models held open close once the queue has had nothing to do for the engine's
    /// quiet period, and their memory goes back to the system.
    pub fn assess_forever(&self) {
        // The catalogue opens (and the keyring's D-Bus connection with its helper
        // threads starts) before this thread gives way: threads started from here
        // inherit its class, and those serve sign-in and sync as well.
        if let Err(e) = self.catalog() {
            tracing::warn!(code = %e.code(), "the catalogue did not open for the queue: {e}");
        }
        crate::background::yield_to_reviewer();
        let mut last_work = Instant::now();
        loop {
            self.assessor
                .wakeup
                .wait(self.models_quiet.min(Duration::from_secs(60)));
            if last_work.elapsed() >= self.models_quiet && self.models.close_all() {
                crate::background::give_back_freed_memory();
                tracing::info!(
                    quiet_s = self.models_quiet.as_secs_f32(),
                    "models closed: the queue was quiet"
                );
            }
            self.assessor.running.store(true, Ordering::Relaxed);
            match self.assess(None, &self.assessor.progress) {
                Ok(report) if report.ran + report.failed > 0 => last_work = Instant::now(),
                Ok(_) => {}
                Err(e) => tracing::error!(code = %e.code(), "assessing items failed: {e}"),
            }
            self.assessor.running.store(false, Ordering::Relaxed);
        }
    }

    /// Tells the background runner that new items may need assessing.
    pub(crate) fn wake_assessor(&self) {
        self.assessor.wakeup.wake();
    }

    pub fn assess_status(&self) -> Result<AssessStatus, EngineError> {
        Ok(AssessStatus {
            queue: self.catalog()?.job_counts()?,
            running: self.assessor.running.load(Ordering::Relaxed) || self.assessor.wakeup.is_due(),
        })
    }

    /// Every job the installed models call for: capture quality, each usable diagnosis
    /// model's (classify, detect, segment) finding, and documents' coding. None while
    /// ONNX Runtime is missing or for a model it refuses: they are queued once that is
    /// mended, rather than failing every item (the Models screen says why).
    fn wanted_jobs(&self) -> Vec<(JobKind, String)> {
        let mut wanted = vec![(JobKind::Quality, QUALITY_MODEL.to_string())];
        self.models.probe_image_models();
        let models = self.models.view();
        if models.runtime_error.is_some() {
            return wanted;
        }
        if self.can_code() {
            wanted.push((JobKind::Coding, CODING_MODEL.to_string()));
        }
        wanted.extend(
            models
                .models
                .into_iter()
                .filter(|m| {
                    m.usable
                        && m.open_error.is_none()
                        && matches!(m.task, Task::Classify | Task::Detect | Task::Segment)
                })
                .map(|m| (JobKind::Diagnosis, m.id)),
        );
        wanted
    }

    /// Queues what new items need, then runs every due job (or only `item`'s).
    pub fn assess(
        &self,
        item: Option<i64>,
        progress: &AssessProgress,
    ) -> Result<AssessReport, EngineError> {
        // Capture quality needs no model opened: it is queued before the models open, so
        // an item opened as the app starts is seen to be assessed (and goes first).
        self.catalog()?
            .enqueue_jobs(&[(JobKind::Quality, QUALITY_MODEL)])?;
        let wanted = self.wanted_jobs();
        let wanted: Vec<(JobKind, &str)> = wanted.iter().map(|(k, m)| (*k, m.as_str())).collect();
        self.catalog()?.enqueue_jobs(&wanted)?;
        let blobs = self.catalog()?.blobs().clone();
        let start = (
            progress.done.load(Ordering::Relaxed),
            progress.failed.load(Ordering::Relaxed),
        );
        loop {
            let jobs = self.catalog()?.due_jobs(CHUNK, item)?;
            if jobs.is_empty() {
                break;
            }
            let finished = self.run_jobs(&blobs, jobs);
            for (job, outcome) in &finished {
                let counter = match outcome {
                    Ok(_) => &progress.done,
                    Err(reason) => {
                        tracing::warn!(
                            item = job.item_id,
                            kind = job.kind.as_str(),
                            model = %job.model_id,
                            "assessment failed: {reason}"
                        );
                        &progress.failed
                    }
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
            self.catalog()?.finish_jobs(&finished)?;
        }
        Ok(AssessReport {
            ran: progress.done.load(Ordering::Relaxed) - start.0,
            failed: progress.failed.load(Ordering::Relaxed) - start.1,
            queue: self.catalog()?.job_counts()?,
        })
    }

    /// Runs a chunk of jobs, one item per worker at a time.
    fn run_jobs(
        &self,
        blobs: &sr_catalog::BlobStore,
        jobs: Vec<Job>,
    ) -> Vec<(Job, Result<JobResult, String>)> {
        let mut by_item: BTreeMap<i64, Vec<Job>> = BTreeMap::new();
        for job in jobs {
            by_item.entry(job.item_id).or_default().push(job);
        }
        let items: Vec<Vec<Job>> = by_item.into_values().collect();
        crate::parallel::map_on_all_cores(&items, |jobs| self.run_item(blobs, jobs))
            .into_iter()
            .flatten()
            .collect()
    }

    /// Runs one item's jobs: an image's first frame is decoded once, by the first job
    /// that needs it; a document is read page by page by its coding job.
    fn run_item(
        &self,
        blobs: &sr_catalog::BlobStore,
        jobs: &[Job],
    ) -> Vec<(Job, Result<JobResult, String>)> {
        let Some(first) = jobs.first() else {
            return Vec::new();
        };
        let file = StoredFile::new(blobs.clone(), &first.sha256);
        let frame = OnceCell::new();
        jobs.iter()
            .map(|job| (job.clone(), self.run_job(job, &file, &frame)))
            .collect()
    }

    /// A document's text and suggested codes, its text kept for the worklist's search.
    fn code_job(&self, file: &StoredFile, format: sr_catalog::Format) -> Result<JobResult, String> {
        let coding = self
            .code_document(file, decode_format(format))
            .map_err(|e| e.to_string())?;
        Ok(JobResult {
            model: ModelStamp {
                id: CODING_MODEL.to_string(),
                version: format!("{} (ICD-10-CM {})", sr_coding::VERSION, coding.icd_version),
                sha256: None,
            },
            text: Some(coding.text.plain()),
            result: serde_json::to_value(&coding).map_err(|e| e.to_string())?,
            heatmap: None,
        })
    }

    /// Capture quality with the installed check (BRISQUE included), or sharpness and
    /// exposure alone under the built-in thresholds when it is missing or refused.
    pub(crate) fn quality_of_frame(
        &self,
        frame: &sr_decode::Frame,
        format: sr_catalog::Format,
    ) -> (sr_assess::QualityReport, ModelStamp) {
        let capture = match format {
            sr_catalog::Format::Dicom => sr_assess::Capture::Modality,
            _ => sr_assess::Capture::Photograph,
        };
        match self.models.quality().as_ref() {
            Ok(check) => (
                check.assess(frame, capture),
                ModelStamp {
                    id: check.id.clone(),
                    version: check.version.clone(),
                    sha256: Some(check.sha256.clone()),
                },
            ),
            Err(_) => (
                sr_assess::assess_quality(frame, &sr_assess::QualityThresholds::default()),
                ModelStamp {
                    id: QUALITY_MODEL.to_string(),
                    version: sr_assess::VERSION.to_string(),
                    sha256: None,
                },
            ),
        }
    }

    fn run_job(
        &self,
        job: &Job,
        file: &StoredFile,
        frame: &OnceCell<Result<sr_decode::Frame, String>>,
    ) -> Result<JobResult, String> {
        let to_json = |v: serde_json::Result<serde_json::Value>| v.map_err(|e| e.to_string());
        let frame = || {
            frame
                .get_or_init(|| {
                    self.decoder
                        .frame(file, decode_format(job.format), 0)
                        .map_err(|e| e.to_string())
                })
                .as_ref()
                .map_err(Clone::clone)
        };
        match job.kind {
            JobKind::Quality => {
                let (report, model) = self.quality_of_frame(frame()?, job.format);
                Ok(JobResult {
                    model,
                    result: to_json(serde_json::to_value(&report))?,
                    heatmap: None,
                    text: None,
                })
            }
            JobKind::Diagnosis => {
                let model = self.models.open(&job.model_id).map_err(|e| e.to_string())?;
                let finding = sr_assess::diagnose(&model, frame()?).map_err(|e| e.to_string())?;
                Ok(JobResult {
                    model: ModelStamp {
                        id: finding.model.id.clone(),
                        version: finding.model.version.clone(),
                        sha256: Some(finding.model.sha256.clone()),
                    },
                    result: to_json(serde_json::to_value(&finding))?,
                    heatmap: finding.heatmap.as_ref().map(sr_assess::HeatMap::png),
                    text: None,
                })
            }
            JobKind::Coding => self.code_job(file, job.format),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{AtRest, EngineConfig};

    /// A worklist read before the queue's first pass has queued anything keeps following
    /// the queue: the status says a pass is owed from the start, and says nothing is once
    /// the pass has run.
    #[test]
    fn the_queue_owes_a_pass_from_the_start_until_it_has_run() {
        let data = tempfile::tempdir().unwrap();
        let engine = Arc::new(
            Engine::open(EngineConfig {
                at_rest: AtRest::Plaintext,
                ..EngineConfig::new(data.path().to_owned())
            })
            .unwrap(),
        );
        let before = engine.assess_status().unwrap();
        assert_eq!(before.queue.queued, 0);
        assert!(before.running, "the first pass is owed");

        let runner = Arc::clone(&engine);
        std::thread::spawn(move || runner.assess_forever());
        let deadline = Instant::now() + Duration::from_secs(60);
        while engine.assess_status().unwrap().running {
            assert!(Instant::now() < deadline, "the first pass never ended");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
