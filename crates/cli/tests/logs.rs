//! The log file: JSON lines in the data dir, ours from INFO and the libraries' from
//! WARN; a panic in any thread is in it, with where it happened.

use std::fs;

#[test]
fn a_panic_is_logged_with_where_it_happened() {
    let data = tempfile::tempdir().unwrap();
    sr_cli::logs::init(data.path(), false);
    tracing::info!(target: "sr_engine::assessing", item = 7, "assessment stored");
    tracing::info!(target: "dicom_pixeldata", "a library's chatter");
    let worker = std::thread::Builder::new()
        .name("assessing".into())
        .spawn(|| panic!("model output had no rows"))
        .unwrap();
    assert!(worker.join().is_err());

    let dir = sr_cli::logs::log_dir(data.path());
    let files: Vec<_> = fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "one file for today: {files:?}");
    let text = fs::read_to_string(files[0].path()).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(records.iter().any(|r| r["fields"]["item"] == 7));
    assert!(
        !text.contains("chatter"),
        "libraries log from WARN only: {text}"
    );
    let panic = records
        .iter()
        .find(|r| r["target"] == "panic")
        .expect("the panic is logged");
    assert_eq!(panic["level"], "ERROR");
    assert_eq!(panic["fields"]["thread"], "assessing");
    assert!(
        panic["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("model output had no rows")
    );
    assert!(
        panic["fields"]["location"]
            .as_str()
            .unwrap()
            .contains("logs.rs:")
    );
}
