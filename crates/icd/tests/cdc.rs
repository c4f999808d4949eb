//! The table built from the real CDC tabular list of the simple-icd-10-cm wheel
//! (April 2026; make fetches it): every code of the release is there, billable flags as
//! the release counts them, and a coder's searches find what they would look for.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sr_icd::{IcdTable, build};

fn data(name: &str) -> PathBuf {
    let dir = std::env::var_os("SECONDREAD_ICD_SOURCE")
        .expect("SECONDREAD_ICD_SOURCE names the folder of the CDC files (make does this)");
    Path::new(&dir).join(name)
}

/// Built once for all tests of this file.
fn table() -> IcdTable {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("icd10cm.sqlite");
        let summary = build(
            &data("icd10c-tabular-April-1-2026.xml"),
            &data("code-list-April-2026.txt"),
            &path,
        )
        .unwrap();
        // simple-icd-10-cm's own leaf count is 74,714: it takes B20, F99, P84, R99 and
        // Z66 for the blocks of the same name, but each is a billable code.
        assert_eq!(summary.billable, 74_719, "{summary:?}");
        assert_eq!(summary.codes, 98_186, "{summary:?}");
        (dir, path)
    });
    IcdTable::open(path).unwrap()
}

#[test]
fn every_code_of_the_release_is_in_the_table() {
    let table = table();
    let listed: BTreeSet<String> = std::fs::read_to_string(data("code-list-April-2026.txt"))
        .unwrap()
        .lines()
        // The list also names chapters (numbers) and blocks (A00-A09).
        .filter(|l| !l.contains('-') && l.len() >= 3 && !l.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    for code in &listed {
        assert!(table.get(code).unwrap().is_some(), "{code} is missing");
    }
    // A 7th character the release rules out (S06: no later encounter after death).
    assert!(table.get("S06.1X7A").unwrap().is_some());
    assert!(table.get("S06.1X7D").unwrap().is_none());
    let hip = table.get("S72.001A").unwrap().unwrap();
    assert!(hip.billable);
    assert!(hip.title.contains("initial encounter"), "{hip:?}");
    assert!(!table.get("E11").unwrap().unwrap().billable);
    assert!(table.get("B20").unwrap().unwrap().billable);
}

#[test]
fn coders_find_codes_by_number_and_by_words() {
    let table = table();
    let by_number = table.search("e11.6", 50).unwrap();
    assert!(by_number.iter().any(|h| h.code == "E11.65" && h.billable));
    assert!(by_number.iter().all(|h| h.code.starts_with("E11.6")));
    assert_eq!(table.search("E1165", 5).unwrap()[0].code, "E11.65");

    let words = table.search("type 2 diabetes hyperglycemia", 10).unwrap();
    assert_eq!(words[0].code, "E11.65", "{words:?}");
    let hypertension = table.search("essential hypertension", 5).unwrap();
    assert_eq!(hypertension[0].code, "I10", "{hypertension:?}");
    // An inclusion term finds its code and says which term matched.
    let hip = table.search("fracture of hip", 20).unwrap();
    assert!(
        hip.iter()
            .any(|h| h.code == "S72.00" && h.matched.is_some()),
        "{hip:?}"
    );
    assert!(table.search("zzzz qqqq", 5).unwrap().is_empty());
    assert!(table.search("  ", 5).unwrap().is_empty());
}

#[test]
fn excludes1_pairs_are_found_through_ancestors() {
    let table = table();
    // J18 (pneumonia, unspecified organism) excludes congenital pneumonia (P23.0).
    let why = table.excludes1_conflict("J18.9", "P23.0").unwrap();
    assert!(
        why.as_deref()
            .unwrap_or("")
            .contains("congenital pneumonia"),
        "{why:?}"
    );
    assert!(
        table
            .excludes1_conflict("P23.0", "J18.9")
            .unwrap()
            .is_some()
    );
    assert!(table.excludes1_conflict("J18.9", "I10").unwrap().is_none());

    // Among a document's codes, only the barred pairs, each once.
    let pairs: Vec<(usize, usize)> = table
        .excludes1_pairs(&["J18.9", "I10", "P23.0", "E10.9", "E11.9"])
        .unwrap()
        .into_iter()
        .map(|(a, b, _)| (a, b))
        .collect();
    assert_eq!(pairs, vec![(0, 2), (3, 4)]);
    // What a coder may type that is no code bars nothing, and is no error.
    assert!(
        table
            .excludes1_pairs(&["not a code", "J18.9", "'; DROP TABLE codes; --"])
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_file_that_is_not_a_table_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = IcdTable::open(&dir.path().join("none.sqlite"))
        .err()
        .unwrap();
    assert!(missing.to_string().contains("does not exist"), "{missing}");
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, b"not sqlite at all, just words").unwrap();
    assert!(IcdTable::open(&junk).is_err());
    let xml = dir.path().join("page.xml");
    std::fs::write(&xml, "<html><body>a web page</body></html>").unwrap();
    let list = data("code-list-April-2026.txt");
    let refused = build(&xml, &list, &dir.path().join("out.sqlite"))
        .err()
        .unwrap();
    assert!(
        refused
            .to_string()
            .contains("not an ICD-10-CM tabular list"),
        "{refused}"
    );
    assert!(!dir.path().join("out.sqlite").exists());
}

proptest::proptest! {
    /// Whatever a coder types in the code field or the search box (any script, FTS5's
    /// own syntax, stray dots) is answered, with hits or none: never an error or a panic.
    #[test]
    fn whatever_a_coder_types_is_answered(
        typed in r#"\PC{0,24}|[A-Za-z][0-9][0-9A-Za-z.]{0,6}|[a-z "*()^:+.-]{0,24}|(NEAR|AND|OR|NOT) \w{0,8}"#
    ) {
        let table = table();
        table.search(&typed, 10).unwrap();
        table.get(&typed).unwrap();
    }
}
