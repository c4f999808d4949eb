//! The pre-assessment queue in the catalogue: which items get jobs, the order they run
//! in, and results that stop counting when the item they were computed on changed.

use std::fs;

use sr_catalog::{
    BatchKind, Catalog, Format, ImportOptions, Job, JobKind, JobResult, MATCH_END, MATCH_START,
    ModelStamp, ProbeOutcome, Role, WorklistQuery, WorklistRow,
};
use sr_test_support as support;

/// Catalogues a folder and opens every new item, as an import does.
fn import(catalog: &mut Catalog, root: &std::path::Path, kind: BatchKind) {
    catalogue(catalog, root, kind);
    open_new_items(catalog);
}

/// Catalogues a folder; its items are not opened yet.
fn catalogue(catalog: &mut Catalog, root: &std::path::Path, kind: BatchKind) {
    catalog
        .import_dir(
            root,
            &ImportOptions {
                default_kind: kind,
                source: "test".into(),
            },
        )
        .unwrap();
}

/// Records every item not yet opened as one viewable frame.
fn open_new_items(catalog: &mut Catalog) {
    let probed: Vec<(i64, ProbeOutcome)> = catalog
        .pending_probes()
        .unwrap()
        .into_iter()
        .map(|p| (p.id, Ok((1, serde_json::json!({})))))
        .collect();
    catalog.record_probes(&probed).unwrap();
}

fn result(version: &str) -> Result<JobResult, String> {
    Ok(JobResult {
        model: ModelStamp {
            id: "m".into(),
            version: version.into(),
            sha256: Some("ab".repeat(32)),
        },
        result: serde_json::json!({"label": "x"}),
        heatmap: None,
        text: None,
    })
}

/// A coding job's result: the document's text and the codes it suggested.
fn coded(text: &str, present: &[&str]) -> Result<JobResult, String> {
    let suggestions: Vec<_> = present
        .iter()
        .map(|c| serde_json::json!({"code": c, "status": "present"}))
        .chain([serde_json::json!({"code": "R07.9", "status": "negated"})])
        .collect();
    Ok(JobResult {
        model: ModelStamp {
            id: "icd10cm-coding".into(),
            version: "1".into(),
            sha256: None,
        },
        result: serde_json::json!({ "suggestions": suggestions }),
        heatmap: None,
        text: Some(text.into()),
    })
}

fn coder_list(catalog: &Catalog, text: Option<&str>) -> Vec<WorklistRow> {
    catalog
        .worklist(
            &WorklistQuery {
                text: text.map(str::to_string),
                ..WorklistQuery::for_role(Role::Coder)
            },
            &sr_catalog::TenantScope::Every,
        )
        .unwrap()
        .rows
}

#[test]
fn documents_get_coding_jobs_and_their_text_is_searchable_until_the_file_changes() {
    let src = tempfile::tempdir().unwrap();
    let docs = src.path().join("clinic/d1");
    fs::create_dir_all(&docs).unwrap();
    fs::write(docs.join("letter.pdf"), b"%PDF letter").unwrap();
    fs::write(docs.join("scan.tif"), b"II* scan").unwrap();
    let images = tempfile::tempdir().unwrap();
    fs::create_dir_all(images.path().join("clinic/b1")).unwrap();
    fs::write(images.path().join("clinic/b1/a.png"), b"image").unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut catalog = support::open_catalog(data.path());
    import(&mut catalog, src.path(), BatchKind::Coding);
    import(&mut catalog, images.path(), BatchKind::Imaging);

    let added = catalog
        .enqueue_jobs(&[(JobKind::Quality, "q"), (JobKind::Coding, "icd10cm-coding")])
        .unwrap();
    assert_eq!(
        added, 3,
        "the image its quality check, each document its coding"
    );
    let jobs: Vec<Job> = catalog
        .due_jobs(10, None)
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == JobKind::Coding)
        .collect();
    assert_eq!(jobs.len(), 2);
    let letter = jobs
        .iter()
        .find(|j| j.format == Format::Pdf)
        .unwrap()
        .clone();
    let scan = jobs
        .iter()
        .find(|j| j.format == Format::Tiff)
        .unwrap()
        .clone();
    catalog
        .finish_jobs(&[
            (
                letter.clone(),
                coded("Admitted with pneumonia. Denies chest pain.", &["J18.9"]),
            ),
            (scan.clone(), coded("Type 2 diabetes mellitus.", &["E11.9"])),
        ])
        .unwrap();

    let rows = coder_list(&catalog, None);
    let codes = |rows: &[WorklistRow], id: i64| {
        rows.iter()
            .find(|r| r.id == id)
            .and_then(|r| r.local_codes.clone())
    };
    assert_eq!(
        codes(&rows, letter.item_id),
        Some(vec!["J18.9".to_string()])
    );
    assert!(rows.iter().all(|r| r.text_match.is_none()));

    let found = coder_list(&catalog, Some("pneumon"));
    assert_eq!(found.len(), 1, "a word's beginning finds it");
    assert_eq!(found[0].id, letter.item_id);
    let passage = found[0].text_match.clone().unwrap();
    assert!(
        passage.contains(&format!("{MATCH_START}pneumonia{MATCH_END}")),
        "{passage:?}"
    );
    assert_eq!(coder_list(&catalog, Some("diabetes")).len(), 1);
    assert!(
        coder_list(&catalog, Some("pneumonia diabetes")).is_empty(),
        "every word must be there"
    );
    assert_eq!(
        coder_list(&catalog, Some("\"*)(")).len(),
        2,
        "no searchable words: no filter"
    );

    // The letter is replaced: its old text no longer finds it, nor do its old codes show.
    fs::write(docs.join("letter.pdf"), b"%PDF another letter").unwrap();
    import(&mut catalog, src.path(), BatchKind::Coding);
    assert!(coder_list(&catalog, Some("pneumonia")).is_empty());
    assert_eq!(codes(&coder_list(&catalog, None), letter.item_id), None);
}

#[test]
fn only_viewable_images_are_queued_and_the_opened_item_goes_first() {
    let src = tempfile::tempdir().unwrap();
    let images = src.path().join("clinic/b1");
    fs::create_dir_all(&images).unwrap();
    for n in 0..4 {
        fs::write(images.join(format!("img-{n}.png")), format!("image {n}")).unwrap();
    }
    fs::write(images.join("empty.png"), b"").unwrap();
    let docs = tempfile::tempdir().unwrap();
    fs::create_dir_all(docs.path().join("clinic/d1")).unwrap();
    fs::write(docs.path().join("clinic/d1/letter.pdf"), b"%PDF").unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut catalog = support::open_catalog(data.path());
    import(&mut catalog, src.path(), BatchKind::Imaging);
    import(&mut catalog, docs.path(), BatchKind::Coding);

    let added = catalog
        .enqueue_jobs(&[(JobKind::Quality, "q"), (JobKind::Diagnosis, "m")])
        .unwrap();
    assert_eq!(
        added, 8,
        "four images × two jobs; not the empty file, not the letter"
    );
    assert_eq!(catalog.enqueue_jobs(&[(JobKind::Quality, "q")]).unwrap(), 0);

    let due = catalog.due_jobs(100, None).unwrap();
    let last = due.last().unwrap().item_id;
    catalog.prioritise_jobs(last).unwrap();
    let due = catalog.due_jobs(2, None).unwrap();
    assert!(due.iter().all(|j| j.item_id == last), "{due:?}");
}

/// The queue reads only the items that changed since it last looked, and misses none:
/// a batch whose items were not yet opened, then are; a model installed later.
#[test]
fn each_look_at_the_queue_adds_what_changed_since_the_last() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    for (root, batch) in [(&first, "b1"), (&second, "b2")] {
        let dir = root.path().join("clinic").join(batch);
        fs::create_dir_all(&dir).unwrap();
        for n in 0..2 {
            fs::write(dir.join(format!("img-{n}.png")), format!("{batch} {n}")).unwrap();
        }
    }
    let data = tempfile::tempdir().unwrap();
    let mut catalog = support::open_catalog(data.path());
    import(&mut catalog, first.path(), BatchKind::Imaging);
    let quality = [(JobKind::Quality, "q")];
    assert_eq!(catalog.enqueue_jobs(&quality).unwrap(), 2);
    assert_eq!(catalog.enqueue_jobs(&quality).unwrap(), 0);

    catalogue(&mut catalog, second.path(), BatchKind::Imaging);
    assert_eq!(
        catalog.enqueue_jobs(&quality).unwrap(),
        0,
        "not opened yet: nothing says they can be read"
    );
    open_new_items(&mut catalog);
    assert_eq!(catalog.enqueue_jobs(&quality).unwrap(), 2);

    let with_model = [(JobKind::Quality, "q"), (JobKind::Diagnosis, "m")];
    assert_eq!(
        catalog.enqueue_jobs(&with_model).unwrap(),
        4,
        "a new model reads every item"
    );
    assert_eq!(catalog.enqueue_jobs(&with_model).unwrap(), 0);
    assert_eq!(catalog.job_counts().unwrap().queued, 8);
}

#[test]
fn a_result_for_a_file_that_changed_meanwhile_is_dropped_and_the_job_requeued() {
    let src = tempfile::tempdir().unwrap();
    let batch = src.path().join("clinic/b1");
    fs::create_dir_all(&batch).unwrap();
    fs::write(batch.join("a.png"), b"first capture").unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut catalog = support::open_catalog(data.path());
    import(&mut catalog, src.path(), BatchKind::Imaging);
    catalog.enqueue_jobs(&[(JobKind::Diagnosis, "m")]).unwrap();
    let [job]: [Job; 1] = catalog.due_jobs(10, None).unwrap().try_into().unwrap();

    // The capture is retaken while the model reads the old one.
    fs::write(batch.join("a.png"), b"second capture").unwrap();
    import(&mut catalog, src.path(), BatchKind::Imaging);
    catalog.finish_jobs(&[(job.clone(), result("1"))]).unwrap();
    assert!(catalog.assessments(job.item_id).unwrap().is_empty());

    catalog.enqueue_jobs(&[(JobKind::Diagnosis, "m")]).unwrap();
    let [again]: [Job; 1] = catalog.due_jobs(10, None).unwrap().try_into().unwrap();
    assert_ne!(again.sha256, job.sha256);
    catalog
        .finish_jobs(&[(again.clone(), result("1"))])
        .unwrap();
    let stored = catalog.assessments(again.item_id).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].model.version, "1");
    assert_eq!(catalog.job_counts().unwrap().done, 1);
}

#[test]
fn a_failed_job_keeps_its_reason_for_that_item_only() {
    let src = tempfile::tempdir().unwrap();
    let batch = src.path().join("clinic/b1");
    fs::create_dir_all(&batch).unwrap();
    fs::write(batch.join("a.png"), b"a").unwrap();
    fs::write(batch.join("b.png"), b"b").unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut catalog = support::open_catalog(data.path());
    import(&mut catalog, src.path(), BatchKind::Imaging);
    catalog.enqueue_jobs(&[(JobKind::Quality, "q")]).unwrap();
    let jobs = catalog.due_jobs(10, None).unwrap();
    let finished: Vec<_> = jobs
        .iter()
        .enumerate()
        .map(|(i, job)| {
            let outcome = if i == 0 {
                Err("cannot decode".to_string())
            } else {
                result("1")
            };
            (job.clone(), outcome)
        })
        .collect();
    catalog.finish_jobs(&finished).unwrap();
    let counts = catalog.job_counts().unwrap();
    assert_eq!((counts.done, counts.failed, counts.queued), (1, 1, 0));
    let failed = catalog.failed_jobs(jobs[0].item_id).unwrap();
    assert_eq!(
        failed,
        vec![(
            JobKind::Quality,
            "q".to_string(),
            "cannot decode".to_string()
        )]
    );
    assert!(catalog.failed_jobs(jobs[1].item_id).unwrap().is_empty());
}
