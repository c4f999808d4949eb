//! Role worklists: which items a role reviews, where each stands, and the counts.

use rusqlite::{ToSql, params_from_iter};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Format, ItemState};
use crate::{Catalog, CatalogError, TenantScope};
use crate::{Decision, Role, Verdict};

#[derive(Debug, Clone, Deserialize, TS)]
pub struct WorklistQuery {
    pub role: Role,
    pub tenant: Option<String>,
    pub batch: Option<String>,
    pub state: Option<ItemState>,
    /// At most this many rows come back; counts always cover the whole filter.
    pub limit: u32,
    #[serde(default)]
    pub sort: WorklistSort,
    /// Words a document's text must hold (each word, or a word it begins).
    #[serde(default)]
    pub text: Option<String>,
}

impl WorklistQuery {
    /// A role's whole worklist, in arrival order, at most 100 rows: the query the app
    /// opens with, for the filters to narrow.
    pub fn for_role(role: Role) -> Self {
        Self {
            role,
            tenant: None,
            batch: None,
            state: None,
            limit: 100,
            sort: WorklistSort::default(),
            text: None,
        }
    }
}

/// Marks around the matched words in [`WorklistRow::text_match`]; characters no OCR
/// or text layer gives.
pub const MATCH_START: char = '\u{2}';
pub const MATCH_END: char = '\u{3}';

/// A full-text query in which every word of what was typed must appear, as a word or
/// the beginning of one; none when nothing searchable was typed.
fn text_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The order of a worklist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WorklistSort {
    /// Tenant, batch, item: the order they arrived in.
    #[default]
    Arrival,
    /// The local model's strongest findings first; items it has not read last.
    Finding,
    /// Captures that fail the quality checks first, blurriest first.
    QualityWorst,
}

impl WorklistSort {
    fn order_by(self) -> &'static str {
        match self {
            WorklistSort::Arrival => "b.tenant, b.batch_key, i.key",
            WorklistSort::Finding => {
                "json_extract(d.result, '$.flag_probability') DESC NULLS LAST, b.tenant, b.batch_key, i.key"
            }
            WorklistSort::QualityWorst => {
                "json_array_length(q.result, '$.flags') DESC NULLS LAST,
                 json_extract(q.result, '$.laplacian_variance') ASC, b.tenant, b.batch_key, i.key"
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct WorklistRow {
    pub id: i64,
    pub tenant: String,
    pub batch: String,
    pub key: String,
    pub format: Option<Format>,
    pub subject: Option<String>,
    pub frames: Option<u32>,
    pub state: ItemState,
    pub error: Option<String>,
    /// The AI's first read, as the batch delivered it.
    pub ai_finding: Option<String>,
    pub ai_confidence: Option<f32>,
    /// The local diagnosis model's finding, once it has read the item.
    pub local_finding: Option<String>,
    /// Its flag label's probability, and whether that raised the flag.
    pub local_flag_probability: Option<f32>,
    pub local_flagged: Option<bool>,
    /// What the capture-quality check found wrong (empty: it passes), once assessed.
    pub quality_issues: Option<Vec<String>>,
    /// The codes local coding found present in a document, once it has read it.
    pub local_codes: Option<Vec<String>>,
    /// Where the document's text holds the searched words, the words between
    /// [`MATCH_START`] and [`MATCH_END`].
    pub text_match: Option<String>,
    /// The latest decision of this role's kind, if any.
    pub decision: Option<Decision>,
    pub decided_at: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct StateCounts {
    pub new: u32,
    pub in_review: u32,
    pub decided: u32,
    pub error: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BatchSummary {
    pub tenant: String,
    pub batch: String,
    pub items: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Worklist {
    pub rows: Vec<WorklistRow>,
    /// Counts for the tenant and batch filter, whatever the state filter.
    pub counts: StateCounts,
    /// The batches this role can see, for the filters.
    pub batches: Vec<BatchSummary>,
    /// Items of this role's kind on the workstation from tenants the person does not
    /// review for: not shown, only counted, so that nobody wonders where they went.
    pub hidden: u32,
}

const STATE_SQL: &str = "CASE WHEN i.error IS NOT NULL THEN 'error'
     WHEN r.latest_verdict IS NOT NULL THEN 'decided'
     WHEN r.opened_at IS NOT NULL THEN 'in_review' ELSE 'new' END";

/// Reads back what `STATE_SQL` computed.
fn state_of(name: &str) -> ItemState {
    ItemState::parse(name).unwrap_or(ItemState::New)
}

impl Catalog {
    /// The state counts for `filter`, from three small reads instead of one pass over
    /// every item: the live and failed items come from their partial indexes, and only
    /// the items someone opened are joined to their reviews.
    fn state_counts(
        &self,
        joins: &str,
        filter: &str,
        args: &[Box<dyn ToSql>],
    ) -> Result<StateCounts, CatalogError> {
        let count = |extra: &str| -> Result<u32, CatalogError> {
            Ok(self.conn.query_row(
                &format!(
                    "SELECT count(*) FROM items i JOIN batches b ON b.id = i.batch_id
                     WHERE {filter}{extra}"
                ),
                params_from_iter(args.iter()),
                |r| r.get(0),
            )?)
        };
        let live = count("")?;
        let mut counts = StateCounts {
            error: count(" AND i.error IS NOT NULL")?,
            ..StateCounts::default()
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {STATE_SQL} AS state, count(*) {joins}
             WHERE r.item_id IS NOT NULL AND {filter} GROUP BY state"
        ))?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        while let Some(row) = rows.next()? {
            let n: u32 = row.get(1)?;
            match state_of(&row.get::<_, String>(0)?) {
                ItemState::Decided => counts.decided = n,
                ItemState::InReview => counts.in_review = n,
                ItemState::Error | ItemState::New => {}
            }
        }
        // Three reads, not one snapshot: another process's write between them must not
        // underflow the difference.
        counts.new = live.saturating_sub(counts.error + counts.decided + counts.in_review);
        Ok(counts)
    }

    /// The role's worklist, of the tenants in `scope` only.
    pub fn worklist(
        &self,
        query: &WorklistQuery,
        scope: &TenantScope,
    ) -> Result<Worklist, CatalogError> {
        let kind = query.role.verdict_kind().as_str();
        let batch_kind = query.role.batch_kind().as_str();
        let mut filter = String::from("b.kind = ?2 AND i.purged_at IS NULL");
        let mut args: Vec<Box<dyn ToSql>> =
            vec![Box::new(kind.to_string()), Box::new(batch_kind.to_string())];
        let tenants = scope.as_json();
        if let Some(tenants) = &tenants {
            args.push(Box::new(tenants.clone()));
            filter.push_str(&format!(
                " AND b.tenant IN (SELECT value FROM json_each(?{}))",
                args.len()
            ));
        }
        if let Some(tenant) = &query.tenant {
            args.push(Box::new(tenant.clone()));
            filter.push_str(&format!(" AND b.tenant = ?{}", args.len()));
        }
        if let Some(batch) = &query.batch {
            args.push(Box::new(batch.clone()));
            filter.push_str(&format!(" AND b.batch_key = ?{}", args.len()));
        }
        let text = query.text.as_deref().and_then(text_query);
        let mut snippet = String::from("NULL");
        if let Some(text) = text {
            args.push(Box::new(text));
            let n = args.len();
            filter.push_str(&format!(
                " AND i.id IN (SELECT rowid FROM document_text WHERE document_text MATCH ?{n})"
            ));
            snippet = format!(
                "(SELECT snippet(document_text, 0, '{MATCH_START}', '{MATCH_END}', '…', 10)
                  FROM document_text WHERE document_text MATCH ?{n} AND rowid = i.id)"
            );
        }
        let joins = "FROM items i JOIN batches b ON b.id = i.batch_id
             LEFT JOIN item_reviews r ON r.item_id = i.id AND r.kind = ?1";

        let counts = self.state_counts(joins, &filter, &args)?;

        let mut state_filter = String::new();
        if let Some(state) = query.state {
            args.push(Box::new(state.as_str()));
            // What the state implies, said outright so that SQLite starts from the few
            // reviewed or failed items instead of walking every item in order.
            let implied = match state {
                ItemState::Decided | ItemState::InReview => " AND r.item_id IS NOT NULL",
                ItemState::Error => " AND i.error IS NOT NULL",
                ItemState::New => "",
            };
            state_filter = format!(" AND ({STATE_SQL}) = ?{}{implied}", args.len());
        }
        args.push(Box::new(query.limit));
        let sql = format!(
            "SELECT i.id, b.tenant, b.batch_key, i.key, i.format, i.subject, i.frames,
                    {STATE_SQL}, i.error, v.body, v.uuid,
                    (SELECT a.result FROM assessments a WHERE a.item_id = i.id AND a.kind = 'batch'
                     ORDER BY a.id DESC LIMIT 1),
                    d.result, q.result,
                    (SELECT (SELECT json_group_array(json_extract(s.value, '$.code'))
                             FROM json_each(c.result, '$.suggestions') s
                             WHERE json_extract(s.value, '$.status') = 'present')
                     FROM assessments c WHERE c.item_id = i.id AND c.kind = 'coding'),
                    {snippet}
             {joins} LEFT JOIN verdict_events v ON v.uuid = r.latest_verdict
             LEFT JOIN assessments d ON d.id = (SELECT a.id FROM assessments a
                 WHERE a.item_id = i.id AND a.kind = 'diagnosis' ORDER BY a.model_id LIMIT 1)
             LEFT JOIN assessments q ON q.item_id = i.id AND q.kind = 'quality'
             WHERE {filter}{state_filter}
             ORDER BY {} LIMIT ?{}",
            query.sort.order_by(),
            args.len()
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let state = state_of(&row.get::<_, String>(7)?);
            let latest = match row.get::<_, Option<String>>(9)? {
                Some(body) => Some(serde_json::from_str::<Verdict>(&body).map_err(|source| {
                    CatalogError::CorruptVerdict {
                        uuid: row.get(10).unwrap_or_default(),
                        source,
                    }
                })?),
                None => None,
            };
            let json = |index: usize| -> rusqlite::Result<Option<serde_json::Value>> {
                Ok(row
                    .get::<_, Option<String>>(index)?
                    .and_then(|text| serde_json::from_str(&text).ok()))
            };
            let (ai, local, quality, codes) = (json(11)?, json(12)?, json(13)?, json(14)?);
            out.push(WorklistRow {
                id: row.get(0)?,
                tenant: row.get(1)?,
                batch: row.get(2)?,
                key: row.get(3)?,
                format: row
                    .get::<_, Option<String>>(4)?
                    .and_then(|f| Format::parse(&f)),
                subject: row.get(5)?,
                frames: row.get(6)?,
                state,
                error: row.get(8)?,
                ai_finding: ai
                    .as_ref()
                    .and_then(|a| a.get("finding")?.as_str().map(str::to_owned)),
                ai_confidence: ai
                    .as_ref()
                    .and_then(|a| a.get("confidence")?.as_f64())
                    .map(|c| c as f32),
                local_finding: local
                    .as_ref()
                    .and_then(|f| f.get("label")?.as_str().map(str::to_owned)),
                local_flag_probability: local
                    .as_ref()
                    .and_then(|f| f.get("flag_probability")?.as_f64())
                    .map(|p| p as f32),
                local_flagged: local.as_ref().and_then(|f| f.get("flagged")?.as_bool()),
                quality_issues: quality.as_ref().and_then(|q| {
                    q.get("flags")?
                        .as_array()?
                        .iter()
                        .map(|f| f.get("issue")?.as_str().map(str::to_owned))
                        .collect()
                }),
                local_codes: codes.and_then(|c| serde_json::from_value(c).ok()),
                text_match: row.get(15)?,
                decided_at: latest.as_ref().map(|v| v.decided_at.clone()),
                decision: latest.map(|v| v.decision),
            });
        }

        let mut stmt = self.conn.prepare(
            "SELECT b.tenant, b.batch_key, count(i.id) FROM batches b
             LEFT JOIN items i ON i.batch_id = b.id AND i.purged_at IS NULL
             WHERE b.kind = ?1 AND (?2 IS NULL OR b.tenant IN (SELECT value FROM json_each(?2)))
             GROUP BY b.id
             HAVING count(i.id) > 0
                 OR NOT EXISTS (SELECT 1 FROM items p WHERE p.batch_id = b.id)
             ORDER BY b.tenant, b.batch_key",
        )?;
        let batches = stmt
            .query_map(rusqlite::params![batch_kind, tenants], |r| {
                Ok(BatchSummary {
                    tenant: r.get(0)?,
                    batch: r.get(1)?,
                    items: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;

        let hidden = match &tenants {
            None => 0,
            Some(tenants) => self.conn.query_row(
                "SELECT count(*) FROM items i JOIN batches b ON b.id = i.batch_id
                 WHERE b.kind = ?1 AND i.purged_at IS NULL
                   AND b.tenant NOT IN (SELECT value FROM json_each(?2))",
                rusqlite::params![batch_kind, tenants],
                |r| r.get(0),
            )?,
        };
        Ok(Worklist {
            rows: out,
            counts,
            batches,
            hidden,
        })
    }
}
