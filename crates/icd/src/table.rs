//! The table in SQLite: every code with its title, billable flag and parent; its
//! titles and inclusion terms in an FTS5 index; the ranges its Excludes1 notes name.
//! Built once (at build time, or by an admin from a newer CDC release), then only read.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::excludes::{CodeRange, ranges};
use crate::{IcdError, tabular};

/// Bumped when the tables change shape; an older file is refused.
const SCHEMA: &str = "1";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildSummary {
    pub version: String,
    pub codes: usize,
    pub billable: usize,
    pub source_sha256: String,
}

/// A code as a search or an extraction shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CodeHit {
    pub code: String,
    pub title: String,
    pub billable: bool,
    /// The inclusion term that matched, when the words were not in the title.
    pub matched: Option<String>,
}

/// A code with what a coder checks before using it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CodeInfo {
    pub code: String,
    pub title: String,
    pub billable: bool,
    pub parent: Option<String>,
    pub inclusion: Vec<String>,
    /// Excludes1 notes of the code and its ancestors.
    pub excludes1: Vec<String>,
}

/// Builds the table at `out` from the tabular XML and the release's list of valid
/// codes; written beside and renamed into place, so a reader never sees half a table.
///
/// The list is the authority on which 7th-character codes exist: a few categories'
/// notes rule some out in prose (S06: no "subsequent encounter" after death), which
/// the XML does not encode.
pub fn build(tabular_xml: &Path, code_list: &Path, out: &Path) -> Result<BuildSummary, IcdError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| IcdError::Io { path, source }
    };
    let bytes = std::fs::read(tabular_xml).map_err(io(tabular_xml))?;
    let source_sha256 = hex::encode(Sha256::digest(&bytes));
    let xml = String::from_utf8(bytes)
        .map_err(|_| IcdError::Tabular("the file is not UTF-8 text".into()))?;
    let valid: HashSet<String> = std::fs::read_to_string(code_list)
        .map_err(io(code_list))?
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|c| c.replace('.', ""))
        .collect();
    let (version, mut entries) = tabular::parse(&xml)?;
    entries.retain(|e| valid.contains(&e.code.replace('.', "")));
    // Billable means a leaf of what remains (a code whose every 7th character was ruled
    // out is itself the code to use).
    let parents: HashSet<String> = entries.iter().filter_map(|e| e.parent.clone()).collect();
    for e in &mut entries {
        e.billable = !parents.contains(&e.code);
    }
    if entries.is_empty() {
        return Err(IcdError::Tabular(format!(
            "none of its codes is in {}: not the code list of this release",
            code_list.display()
        )));
    }
    let partial = out.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let mut conn = Connection::open(&partial)?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF;
         CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
         CREATE TABLE codes(code TEXT PRIMARY KEY, title TEXT NOT NULL,
                            billable INTEGER NOT NULL, parent TEXT) WITHOUT ROWID;
         CREATE TABLE inclusion(code TEXT NOT NULL, term TEXT NOT NULL);
         CREATE INDEX inclusion_code ON inclusion(code);
         CREATE TABLE excludes1(code TEXT NOT NULL, note TEXT NOT NULL,
                                first TEXT NOT NULL, last TEXT NOT NULL);
         CREATE INDEX excludes1_code ON excludes1(code);
         CREATE VIRTUAL TABLE terms USING fts5(text, code UNINDEXED, kind UNINDEXED,
                                              tokenize = 'porter unicode61 remove_diacritics 2');",
    )?;
    let tx = conn.transaction()?;
    {
        let mut code = tx.prepare("INSERT INTO codes VALUES (?1, ?2, ?3, ?4)")?;
        let mut term = tx.prepare("INSERT INTO terms(text, code, kind) VALUES (?1, ?2, ?3)")?;
        let mut inclusion = tx.prepare("INSERT INTO inclusion VALUES (?1, ?2)")?;
        let mut excludes = tx.prepare("INSERT INTO excludes1 VALUES (?1, ?2, ?3, ?4)")?;
        for e in &entries {
            code.execute(params![e.code, e.title, e.billable, e.parent])?;
            term.execute(params![e.title, e.code, "title"])?;
            for t in &e.inclusion {
                inclusion.execute(params![e.code, t])?;
                term.execute(params![t, e.code, "inclusion"])?;
            }
            for note in &e.excludes1 {
                for r in ranges(note) {
                    excludes.execute(params![e.code, note, r.first, r.last])?;
                }
            }
        }
        let mut meta = tx.prepare("INSERT INTO meta VALUES (?1, ?2)")?;
        meta.execute(params!["schema", SCHEMA])?;
        meta.execute(params!["version", version])?;
        meta.execute(params!["source_sha256", source_sha256])?;
    }
    tx.commit()?;
    conn.execute_batch("INSERT INTO terms(terms) VALUES ('optimize'); VACUUM;")?;
    drop(conn);
    std::fs::rename(&partial, out).map_err(io(out))?;
    Ok(BuildSummary {
        version,
        codes: entries.len(),
        billable: entries.iter().filter(|e| e.billable).count(),
        source_sha256,
    })
}

/// A code as typed: `e11.65`, `E1165`, `E11.6`.
static CODE_QUERY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{0,4})$").expect("code"));

/// Normalises a typed code to the table's form: upper case, dot after the category.
pub fn normalise_code(typed: &str) -> String {
    let bare: Vec<char> = typed
        .chars()
        .filter(|c| *c != '.')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    // Split by characters, not bytes: what a coder types may be in any script.
    let (category, rest) = bare.split_at(bare.len().min(3));
    let category: String = category.iter().collect();
    if rest.is_empty() {
        category
    } else {
        format!("{category}.{}", rest.iter().collect::<String>())
    }
}

pub struct IcdTable {
    conn: Connection,
    version: String,
}

impl IcdTable {
    /// Opens a built table read-only; one of another schema, or no table at all, is
    /// refused with the reason.
    pub fn open(path: &Path) -> Result<Self, IcdError> {
        let refused = |reason: String| IcdError::Table {
            path: path.display().to_string(),
            reason,
        };
        if !path.is_file() {
            return Err(refused("the file does not exist (make builds it)".into()));
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let meta = |key: &str| -> Result<Option<String>, rusqlite::Error> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        };
        let schema = meta("schema").map_err(|e| refused(e.to_string()))?;
        if schema.as_deref() != Some(SCHEMA) {
            return Err(refused(format!(
                "it has table schema {schema:?}; this version reads {SCHEMA}"
            )));
        }
        let version = meta("version")?.unwrap_or_default();
        Ok(Self { conn, version })
    }

    /// The release, as the tabular list names it.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn get(&self, code: &str) -> Result<Option<CodeInfo>, IcdError> {
        let code = normalise_code(code);
        let row = self
            .conn
            .query_row(
                "SELECT title, billable, parent FROM codes WHERE code = ?1",
                [&code],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()?;
        let Some((title, billable, parent)) = row else {
            return Ok(None);
        };
        let inclusion = self.strings("SELECT term FROM inclusion WHERE code = ?1", &code)?;
        let mut excludes1 = Vec::new();
        for ancestor in self.lineage(&code)? {
            for note in self.strings(
                "SELECT DISTINCT note FROM excludes1 WHERE code = ?1",
                &ancestor,
            )? {
                if !excludes1.contains(&note) {
                    excludes1.push(note);
                }
            }
        }
        Ok(Some(CodeInfo {
            code,
            title,
            billable,
            parent,
            inclusion,
            excludes1,
        }))
    }

    fn strings(&self, sql: &str, key: &str) -> Result<Vec<String>, IcdError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([key], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The code and its ancestors, nearest first.
    fn lineage(&self, code: &str) -> Result<Vec<String>, IcdError> {
        let mut chain = vec![code.to_string()];
        let mut stmt = self
            .conn
            .prepare_cached("SELECT parent FROM codes WHERE code = ?1")?;
        while let Some(parent) = stmt
            .query_row(
                [chain.last().map(String::as_str).unwrap_or_default()],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten()
        {
            chain.push(parent);
        }
        Ok(chain)
    }

    /// Whether an Excludes1 note of either code (or their ancestors) names the other:
    /// the two are never coded together.
    pub fn excludes1_conflict(&self, a: &str, b: &str) -> Result<Option<String>, IcdError> {
        Ok(self
            .excludes1_pairs(&[a, b])?
            .into_iter()
            .next()
            .map(|(_, _, note)| note))
    }

    /// Every pair of `codes` (by index, the first lower) that an Excludes1 note bars
    /// from going together, with the note. Each code's notes are read once, however
    /// many codes a long document brings.
    pub fn excludes1_pairs(&self, codes: &[&str]) -> Result<Vec<(usize, usize, String)>, IcdError> {
        let notes: Vec<Vec<(String, String, CodeRange)>> = codes
            .iter()
            .map(|code| self.excludes1_notes(code))
            .collect::<Result<_, _>>()?;
        let codes: Vec<String> = codes.iter().map(|c| normalise_code(c)).collect();
        let bars = |i: usize, j: usize| {
            notes[i]
                .iter()
                .find(|(_, _, range)| range.contains(&codes[j]))
                .map(|(owner, note, _)| format!("{owner} Excludes1: {note}"))
        };
        let mut pairs = Vec::new();
        for i in 0..codes.len() {
            for j in i + 1..codes.len() {
                if let Some(note) = bars(i, j).or_else(|| bars(j, i)) {
                    pairs.push((i, j, note));
                }
            }
        }
        Ok(pairs)
    }

    /// The Excludes1 notes of a code and its ancestors, nearest first: which code
    /// carries each, its text, and the range it names.
    fn excludes1_notes(&self, code: &str) -> Result<Vec<(String, String, CodeRange)>, IcdError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT note, first, last FROM excludes1 WHERE code = ?1")?;
        let mut notes = Vec::new();
        for ancestor in self.lineage(&normalise_code(code))? {
            let rows = stmt.query_map([&ancestor], |r| {
                Ok((
                    ancestor.clone(),
                    r.get::<_, String>(0)?,
                    CodeRange {
                        first: r.get(1)?,
                        last: r.get(2)?,
                    },
                ))
            })?;
            for row in rows {
                notes.push(row?);
            }
        }
        Ok(notes)
    }

    /// Codes by number (a typed code or its beginning) or by words (every word must
    /// appear, word beginnings count), best first; billable codes before headers on
    /// equal footing.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<CodeHit>, IcdError> {
        let query = query.trim();
        if CODE_QUERY.is_match(query) {
            let prefix = normalise_code(query);
            let hits = self.by_prefix(&prefix, limit)?;
            if !hits.is_empty() {
                return Ok(hits);
            }
        }
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| format!("\"{}\"*", w.to_lowercase()))
            .collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        self.by_words(&words.join(" "), limit)
    }

    fn by_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<CodeHit>, IcdError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, title, billable FROM codes WHERE code >= ?1 AND code < ?1 || '~'
             ORDER BY length(code), code LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![prefix, limit as i64], |r| {
            Ok(CodeHit {
                code: r.get(0)?,
                title: r.get(1)?,
                billable: r.get(2)?,
                matched: None,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// An FTS5 query over titles and inclusion terms; each code once, at its best.
    pub fn by_words(&self, fts_query: &str, limit: usize) -> Result<Vec<CodeHit>, IcdError> {
        let mut best: HashMap<String, (f64, CodeHit)> = HashMap::new();
        for term in self.terms(fts_query, (limit * 8).max(64), false)? {
            let hit = CodeHit {
                code: term.code.clone(),
                title: term.title,
                billable: term.billable,
                matched: term.inclusion.then_some(term.text),
            };
            let entry = best.entry(term.code).or_insert((term.rank, hit.clone()));
            if term.rank < entry.0 {
                *entry = (term.rank, hit);
            }
        }
        let mut hits: Vec<(f64, CodeHit)> = best.into_values().collect();
        hits.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(b.1.billable.cmp(&a.1.billable))
                .then(a.1.code.cmp(&b.1.code))
        });
        Ok(hits.into_iter().take(limit).map(|(_, h)| h).collect())
    }

    /// Every title and inclusion term an FTS5 query finds, best (lowest bm25) first:
    /// the candidates code extraction weighs against a sentence.
    pub fn terms(
        &self,
        fts_query: &str,
        limit: usize,
        billable_only: bool,
    ) -> Result<Vec<Term>, IcdError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.code, t.kind, t.text, c.title, c.billable, bm25(terms) AS rank
             FROM terms t JOIN codes c ON c.code = t.code
             WHERE terms MATCH ?1 AND (c.billable OR NOT ?3) ORDER BY rank LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![fts_query, limit as i64, billable_only], |r| {
            Ok(Term {
                code: r.get(0)?,
                inclusion: r.get::<_, String>(1)? == "inclusion",
                text: r.get(2)?,
                title: r.get(3)?,
                billable: r.get(4)?,
                rank: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// One title or inclusion term of a code, as an FTS5 query found it.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub code: String,
    /// The words that matched: the code's title, or one of its inclusion terms.
    pub text: String,
    pub inclusion: bool,
    pub title: String,
    pub billable: bool,
    /// bm25: lower is better.
    pub rank: f64,
}

#[cfg(test)]
mod tests {
    use super::normalise_code;

    #[test]
    fn typed_codes_take_the_tables_form_in_any_script() {
        assert_eq!(normalise_code("e119"), "E11.9");
        assert_eq!(normalise_code("E11.9"), "E11.9");
        assert_eq!(normalise_code("i1"), "I1");
        // Found by the property test: a byte split cut 'é' in two.
        assert_eq!(normalise_code("ééé1"), "ééé.1");
    }
}
