//! PHI at rest: nothing the catalogue or the blob cache writes is readable without the
//! workstation's key, a blob damaged, cut short or swapped on disk is refused, and a
//! data dir an earlier version left in plaintext is encrypted in place.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use base64::Engine as _;
use sr_catalog::{
    BatchKind, Catalog, CatalogError, Decision, DiagnosisDecision, ImportOptions, NewVerdict,
    Protection, Reviewer, Role, StoreKey, WorklistQuery,
};
use sr_test_support::{self as support, sha256_hex};

/// A synthetic subject's name and a report phrase, as PHI would appear.
const NAME: &str = "Zebulon Quartermaine";
const PHRASE: &str = "opacity in the left lower lobe";

/// 300 KB of content with the name in it: several sealed chunks.
fn scan_bytes() -> Vec<u8> {
    let mut bytes = format!("%PDF-1.4 patient {NAME}\n").into_bytes();
    bytes.extend((0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    bytes.extend_from_slice(PHRASE.as_bytes());
    bytes
}

/// A batch of one image and one document, decided with a note that names the subject.
fn fill(catalog: &mut Catalog) -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    let batch = src.path().join("clinic-a").join("b1");
    fs::create_dir_all(&batch).unwrap();
    fs::write(batch.join("chest.png"), format!("PNG {NAME} {PHRASE}")).unwrap();
    fs::write(batch.join("scan.tif"), scan_bytes()).unwrap();
    catalog
        .import_dir(
            src.path(),
            &ImportOptions {
                default_kind: BatchKind::Imaging,
                source: "test".into(),
            },
        )
        .unwrap();
    let id = rows(catalog)[0].0;
    catalog
        .record_verdict(NewVerdict {
            item_id: id,
            decision: Decision::Diagnosis(DiagnosisDecision::Amend),
            note: format!("{NAME}: {PHRASE}"),
            reviewer: Reviewer {
                subject: "s".into(),
                username: "dr".into(),
            },
            role: Role::Doctor,
            time_spent_ms: 900,
        })
        .unwrap();
    src
}

fn rows(catalog: &Catalog) -> Vec<(i64, String)> {
    catalog
        .worklist(
            &WorklistQuery::for_role(Role::Doctor),
            &sr_catalog::TenantScope::Every,
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| (r.id, r.key))
        .collect()
}

/// Every file under `dir` that holds `needle` in plain, UTF-16 or base64 form.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let forms: Vec<Vec<u8>> = vec![
        needle.as_bytes().to_vec(),
        needle.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        base64::engine::general_purpose::STANDARD
            .encode(needle)
            .trim_end_matches('=')
            .as_bytes()
            .to_vec(),
    ];
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = fs::read(&path).unwrap();
        if forms
            .iter()
            .any(|form| bytes.windows(form.len()).any(|w| w == form))
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn nothing_on_disk_names_the_subject_and_the_same_scan_finds_them_unencrypted() {
    let data = tempfile::tempdir().unwrap();
    let mut catalog = support::open_catalog(data.path());
    let _src = fill(&mut catalog);
    drop(catalog);
    for needle in [NAME, PHRASE] {
        assert_eq!(files_holding(data.path(), needle), Vec::<String>::new());
    }

    let plain = tempfile::tempdir().unwrap();
    let mut catalog = Catalog::open(plain.path(), &Protection::Plaintext).unwrap();
    let _src = fill(&mut catalog);
    drop(catalog);
    let found = files_holding(plain.path(), NAME);
    assert!(
        found.iter().any(|f| f.contains("blobs")) && found.iter().any(|f| f.contains("catalogue")),
        "the scan finds the name in plaintext blobs and catalogue: {found:?}"
    );
}

#[test]
fn a_sealed_blob_reads_back_whole_and_from_any_offset() {
    let data = tempfile::tempdir().unwrap();
    let catalog = support::open_catalog(data.path());
    let bytes = scan_bytes();
    let blob = catalog
        .blobs()
        .put(bytes.as_slice(), Some(&sha256_hex(&bytes)))
        .unwrap();
    let mut whole = Vec::new();
    catalog
        .blobs()
        .open(&blob.sha256)
        .unwrap()
        .read_to_end(&mut whole)
        .unwrap();
    assert!(whole == bytes, "the plaintext comes back as it went in");

    let mut reader = catalog.blobs().open(&blob.sha256).unwrap();
    for offset in [250_000u64, 3, 65_536, 131_071] {
        reader.seek(SeekFrom::Start(offset)).unwrap();
        let mut piece = [0u8; 100];
        reader.read_exact(&mut piece).unwrap();
        assert_eq!(
            piece.as_slice(),
            &bytes[offset as usize..offset as usize + 100]
        );
    }
    assert_eq!(
        reader.seek(SeekFrom::End(0)).unwrap(),
        bytes.len() as u64,
        "the end is the plaintext's length"
    );

    let empty = catalog.blobs().put(&b""[..], None).unwrap();
    let mut nothing = Vec::new();
    catalog
        .blobs()
        .open(&empty.sha256)
        .unwrap()
        .read_to_end(&mut nothing)
        .unwrap();
    assert!(nothing.is_empty());
}

/// Reads a blob whole, as a decoder would, and says how it failed.
fn read_error(catalog: &Catalog, sha256: &str) -> String {
    let mut out = Vec::new();
    match catalog
        .blobs()
        .open(sha256)
        .and_then(|mut r| r.read_to_end(&mut out))
    {
        Ok(_) => panic!("a damaged blob was read as {} bytes", out.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_blob_damaged_cut_short_or_swapped_on_disk_is_refused_and_the_others_still_read() {
    let data = tempfile::tempdir().unwrap();
    let catalog = support::open_catalog(data.path());
    let put = |bytes: &[u8]| catalog.blobs().put(bytes, None).unwrap().sha256;
    let bytes = scan_bytes();
    let (damaged, short, swapped, other, intact) = (
        put(&bytes),
        put(&bytes[1..]),
        put(b"a small image"),
        put(b"another small image"),
        put(&bytes[2..]),
    );
    let path = |sha: &str| catalog.blobs().path(sha);

    let mut sealed = fs::read(path(&damaged)).unwrap();
    sealed[100_000] ^= 1;
    fs::write(path(&damaged), &sealed).unwrap();
    let sealed = fs::read(path(&short)).unwrap();
    fs::write(path(&short), &sealed[..sealed.len() - 70_000]).unwrap();
    fs::copy(path(&other), path(&swapped)).unwrap();

    for sha in [&damaged, &short, &swapped] {
        let error = read_error(&catalog, sha);
        assert!(error.contains("damaged or was replaced"), "{error}");
    }
    let mut read = Vec::new();
    catalog
        .blobs()
        .open(&intact)
        .unwrap()
        .read_to_end(&mut read)
        .unwrap();
    assert!(read == bytes[2..], "an untouched blob still reads");
}

#[test]
fn another_key_opens_nothing() {
    let data = tempfile::tempdir().unwrap();
    let mut catalog = support::open_catalog(data.path());
    let _src = fill(&mut catalog);
    drop(catalog);
    let other = Protection::Encrypted(StoreKey::generate());
    assert!(matches!(
        Catalog::open(data.path(), &other),
        Err(CatalogError::WrongKey(_))
    ));
    assert!(matches!(
        Catalog::open(data.path(), &Protection::Plaintext),
        Err(CatalogError::WrongKey(_))
    ));
    assert_eq!(
        rows(&support::open_catalog(data.path())).len(),
        2,
        "the right key still opens it"
    );
}

#[test]
fn a_plaintext_data_dir_is_encrypted_in_place_and_an_interrupted_sealing_resumes() {
    let data = tempfile::tempdir().unwrap();
    let mut catalog = Catalog::open(data.path(), &Protection::Plaintext).unwrap();
    let _src = fill(&mut catalog);
    let before = rows(&catalog);
    let verdicts = catalog.verdicts(None).unwrap().len();
    drop(catalog);
    // A kill during an earlier try at the export left its half-written copy.
    fs::write(data.path().join("catalogue.sqlite3.sealing"), b"half").unwrap();

    let catalog = support::open_catalog(data.path());
    assert_eq!(rows(&catalog), before, "every item is still there");
    assert_eq!(catalog.verdicts(None).unwrap().len(), verdicts);
    assert!(!sr_catalog::is_plaintext(&data.path().join("catalogue.sqlite3")).unwrap());
    for needle in [NAME, PHRASE] {
        assert_eq!(files_holding(data.path(), needle), Vec::<String>::new());
    }

    // Killed after the catalogue was sealed and before this blob was: the next open
    // seals it, and a decoder reads it as before.
    let plain = fs::read_dir(data.path().join("blobs"))
        .unwrap()
        .map(|shard| shard.unwrap().path())
        .filter(|shard| shard.is_dir())
        .flat_map(|shard| fs::read_dir(shard).unwrap().map(|e| e.unwrap().path()))
        .next()
        .unwrap();
    let plain_sha = plain.file_name().unwrap().to_string_lossy().into_owned();
    let original = scan_bytes();
    let content = if sha256_hex(&original) == plain_sha {
        original
    } else {
        format!("PNG {NAME} {PHRASE}").into_bytes()
    };
    drop(catalog);
    fs::write(&plain, &content).unwrap();
    fs::write(data.path().join("blobs").join(".sealing"), b"").unwrap();
    let catalog = support::open_catalog(data.path());
    assert_eq!(files_holding(data.path(), NAME), Vec::<String>::new());
    assert!(!data.path().join("blobs").join(".sealing").exists());
    let mut read = Vec::new();
    catalog
        .blobs()
        .open(&plain_sha)
        .unwrap()
        .read_to_end(&mut read)
        .unwrap();
    assert!(read == content);
}
