//! Full-text search of note bodies. Every word of the query must occur in the
//! note, whole or as the start of a longer word, case-insensitively; the
//! results are the same on both databases.
//!
//! On PostgreSQL that is a `tsquery` of prefix terms over a GIN index (very
//! common words checked on the notes the others found: see [`split`]). On
//! SQLite it is FTS5, where the plan matters more than the index: a prefix
//! query makes FTS5 merge every matching doclist in memory, and a common word
//! matches most notes. So a search there is planned in two steps:
//!
//! 1. Each word becomes the whole terms of the index that start with it (from
//!    the `notes_fts_vocab` table): `stress` → `("stress" OR "stressful")`.
//!    FTS5 streams whole terms instead of merging them. A word that starts
//!    more than [`MAX_EXPANSIONS`] terms (someone typed two letters) stays a
//!    prefix query.
//! 2. How many notes match is estimated from the newest 2 000 (and counted
//!    exactly when that says "rare"), and one of three plans chosen (costs
//!    measured on 100 000 notes; the crossovers grow with the square root of
//!    the number of notes):
//!    - few: look the matches up and sort them;
//!    - many: collect the matching rowids, then walk the notes in page order
//!      and stop when the page is full;
//!    - most: walk the notes in page order and ask the index about each one.
use sea_orm::{
    sea_query::{Alias, BinOper, Expr, Func, SimpleExpr},
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryResult, QueryTrait, RuntimeErr, Select, Statement,
};

use crate::kernel::error::ApiResult;

/// How many of the newest notes are looked at to tell how common a match is.
const SAMPLE: i64 = 2000;

/// A word that starts more index terms than this is searched as a prefix.
pub const MAX_EXPANSIONS: usize = 16;
/// Most words in one query; the rest are ignored.
const MAX_TERMS: usize = 8;

/// The words of a query, lower-cased, split at anything not a letter or digit.
pub fn terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .take(MAX_TERMS)
        .collect()
}

/// What a search adds to the query of a page of notes.
pub struct Matching {
    /// The condition on `notes` that keeps the notes matching every term.
    pub condition: SimpleExpr,
    /// Whether to collect and sort every match instead of letting the
    /// database walk the notes newest first (PostgreSQL; see
    /// [`sorts_matches`]). [`newest_first`] orders the page either way.
    pub sort: bool,
}

/// The search for `terms`. `page` is how many notes the query asks for;
/// `scope` which notes the rest of the query keeps, as far as the plan needs
/// to know.
pub async fn condition(
    db: &DatabaseConnection,
    terms: &[String],
    page: u64,
    scope: Scope,
) -> ApiResult<Matching> {
    Ok(match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let common = common_words(db).await;
            Matching {
                condition: postgres(terms, &common),
                sort: sorts_matches(terms, &common, page),
            }
        }
        _ => Matching {
            condition: sqlite(db, terms, page, scope).await?,
            sort: false,
        },
    })
}

/// Orders a page of notes newest observation first (ties by id). With
/// `sort`, the time is an expression no index is ordered by, so PostgreSQL
/// cannot walk the time index and has to collect the matches the text index
/// finds and sort them (the same order: adding no time changes no time).
pub fn newest_first(sel: Select<entity::note::Entity>, sort: bool) -> Select<entity::note::Entity> {
    use entity::note::Column;
    use sea_orm::{Order, QueryOrder};
    let sel = if sort {
        sel.order_by(
            Expr::cust("\"notes\".\"observed_at\" + interval '0 seconds'"),
            Order::Desc,
        )
    } else {
        sel.order_by_desc(Column::ObservedAt)
    };
    sel.order_by_desc(Column::Id)
}

/// Runs a search: the page `sel` selects, with [`condition`] among its
/// filters.
///
/// On PostgreSQL the statement is sent unnamed, so it is planned for this
/// query's words every time. A named (cached) statement would be planned
/// for its first five queries' words, and PostgreSQL then keeps a generic
/// plan when that looks no dearer than those five did: on a connection whose
/// first searches were for middling words, the generic plan (sort every
/// match) stayed, and a word in every note then sorted all 100 000 notes
/// (0.75 s instead of 0.2 ms). The cost is one parse per search.
pub async fn page<E: EntityTrait>(
    db: &DatabaseConnection,
    sel: Select<E>,
) -> ApiResult<Vec<E::Model>> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(sel.all(db).await?);
    }
    let stmt = sel.build(DatabaseBackend::Postgres);
    let rows = sqlx::query_with(
        &stmt.sql,
        sea_query_binder::SqlxValues(stmt.values.unwrap_or(sea_orm::Values(Vec::new()))),
    )
    .persistent(false)
    .fetch_all(db.get_postgres_connection_pool())
    .await
    .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(e)))?;
    Ok(rows
        .into_iter()
        .map(|r| E::Model::from_query_result(&QueryResult::from(r), ""))
        .collect::<Result<_, _>>()?)
}

/// The notes a search runs over besides the words. Asking the index note by
/// note (the probe) only pays when the notes are walked in page order and
/// the words are common among exactly those notes; so it is only considered
/// for every site or a single one, with no other filter (with several sites
/// SQLite sorts the sites' notes instead of walking them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    AllSites,
    Site(uuid::Uuid),
    Other,
}

/// A word in at least this share of the notes is checked on the notes the
/// other words found instead of through the text index (see [`split`]).
const COMMON_SHARE: f32 = 0.05;

/// How long an instance keeps PostgreSQL's word statistics before asking
/// again (autovacuum refreshes them after about a tenth of the notes change).
const STATS_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// The most common words of the notes with the share of notes each is in,
/// sorted by word: PostgreSQL's own statistics of `notes.body_search`
/// (about the 1 000 most common), as the planner sees them; and about how
/// many notes there are.
#[derive(Debug, Default)]
pub struct CommonWords {
    words: Vec<(String, f32)>,
    /// The share of the least common of them.
    least: f32,
    notes: f64,
}

impl CommonWords {
    pub fn new(mut words: Vec<(String, f32)>, notes: f64) -> Self {
        words.sort_by(|a, b| a.0.cmp(&b.0));
        let least = words.iter().map(|(_, f)| *f).fold(f32::INFINITY, f32::min);
        Self {
            words,
            least,
            notes,
        }
    }

    /// About the share of notes with a word that starts with `prefix`, for
    /// an estimate: a word not among the common ones is taken to be in half
    /// as many notes as the least common of them.
    fn estimate(&self, prefix: &str) -> f64 {
        f64::from(self.share(prefix).max(self.least / 2.0))
    }

    /// About the share of notes with a word that starts with `prefix`: the
    /// sum over the common words (a word not among them is rare).
    fn share(&self, prefix: &str) -> f32 {
        let from = self.words.partition_point(|(w, _)| w.as_str() < prefix);
        self.words[from..]
            .iter()
            .take_while(|(w, _)| w.starts_with(prefix))
            .map(|(_, f)| f)
            .sum()
    }
}

/// The statistics of this database, kept [`STATS_TTL`] per instance (per
/// database, as the tests run many). Without statistics (a new database, or
/// an error) every word counts as rare: the search is then what PostgreSQL
/// alone would plan.
async fn common_words(db: &DatabaseConnection) -> std::sync::Arc<CommonWords> {
    use std::{
        collections::HashMap,
        sync::{Arc, Mutex},
        time::Instant,
    };
    type Cache = Mutex<HashMap<String, (Instant, Arc<CommonWords>)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let pool = db.get_postgres_connection_pool();
    let key = pool
        .connect_options()
        .get_database()
        .unwrap_or("")
        .to_string();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(mut c) = cache.lock() {
        if let Some((at, words)) = c.get_mut(&key) {
            if at.elapsed() < STATS_TTL {
                return words.clone();
            }
            // This request refreshes them; the others meanwhile keep using
            // the old ones instead of all asking PostgreSQL at once.
            *at = Instant::now();
        }
    }
    // the words, their shares of notes, and about how many notes there are
    type Stats = (Vec<String>, Vec<f32>, f64);
    let fetched: Result<Option<Stats>, _> = sqlx::query_as(
        "SELECT most_common_elems::text::text[], most_common_elem_freqs, \
         (SELECT reltuples FROM pg_class WHERE oid = to_regclass('notes'))::float8 FROM pg_stats \
         WHERE schemaname = current_schema() AND tablename = 'notes' AND attname = 'body_search' \
         AND most_common_elems IS NOT NULL",
    )
    .fetch_optional(pool)
    .await;
    let words = Arc::new(match fetched {
        // the frequencies end with three more: the least and greatest
        // frequency and the share of empty values
        Ok(Some((w, f, notes))) => CommonWords::new(w.into_iter().zip(f).collect(), notes),
        Ok(None) => CommonWords::default(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the word statistics of notes");
            CommonWords::default()
        }
    });
    if let Ok(mut c) = cache.lock() {
        c.insert(key, (Instant::now(), words.clone()));
    }
    words
}

/// Splits the words of a PostgreSQL search (already lower-cased) into those
/// the text index looks up and those checked on the notes it found.
///
/// The text index answers a prefix (`sote:*`) by collecting every note of
/// every word that starts with it before anything else happens: 3.5 ms for a
/// word in nearly all of 100 000 notes, though a rarer word of the query
/// leaves 1 000 of them. So the rarest word always goes to the index, and a
/// word in at least [`COMMON_SHARE`] of the notes is checked on the notes
/// found instead. Over 400 benchmark searches this took a quarter to a third
/// off the time of the search query. The notes found are the same either way.
pub fn split<'t>(terms: &'t [String], common: &CommonWords) -> (Vec<&'t str>, Vec<&'t str>) {
    let mut by_share: Vec<(&str, f32)> = terms
        .iter()
        .map(|t| (t.as_str(), common.share(t)))
        .collect();
    by_share.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut indexed = Vec::new();
    let mut checked = Vec::new();
    for (i, (t, share)) in by_share.into_iter().enumerate() {
        if i == 0 || share < COMMON_SHARE {
            indexed.push(t);
        } else {
            checked.push(t);
        }
    }
    (indexed, checked)
}

/// Whether a PostgreSQL search should collect and sort every match of its
/// indexed words (see [`split`]) rather than walk the notes newest first
/// until the page is full. PostgreSQL's planner makes that choice itself,
/// but it prices checking a note's words at almost nothing (the real cost
/// of `@@` is about a hundred times its modelled cost), so for words in
/// about 1% of the notes it walked thousands of notes where sorting a
/// thousand matches was 2 – 3 times faster.
///
/// Measured on 100 000 notes: walking costs about 1 µs per note walked
/// past, `page × notes / matches` of them; sorting about 2 µs per note the
/// index finds. So with the shares of notes from the statistics (words
/// taken as independent), the matches are sorted when that is cheaper, and
/// otherwise the planner chooses. Over 400 benchmark searches this took the
/// slowest from 18 to 10 ms and the 99th percentile from 6.4 to 5.0 ms,
/// what the best plan for each search gave. Without statistics nothing is
/// forced.
pub fn sorts_matches(terms: &[String], common: &CommonWords, page: u64) -> bool {
    let notes = common.notes;
    if common.words.is_empty() || notes.is_nan() || notes < 1.0 {
        return false;
    }
    let (indexed, _) = split(terms, common);
    let found: f64 = indexed.iter().map(|t| common.estimate(t)).product::<f64>() * notes;
    let matches: f64 = terms.iter().map(|t| common.estimate(t)).product::<f64>() * notes;
    // 2 µs × found < 1 µs × page × notes / matches
    2.0 * found * matches < page as f64 * notes
}

fn tsquery(terms: &[&str]) -> String {
    terms
        .iter()
        .map(|t| format!("{t}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

fn postgres(terms: &[String], common: &CommonWords) -> SimpleExpr {
    let (indexed, checked) = split(terms, common);
    let matches = |terms: &[&str]| {
        Expr::col((Alias::new("notes"), Alias::new("body_search"))).binary(
            BinOper::Custom("@@"),
            Func::cust(Alias::new("to_tsquery")).args([
                Expr::val("simple").cast_as(Alias::new("regconfig")),
                Expr::val(tsquery(terms)).into(),
            ]),
        )
    };
    if checked.is_empty() {
        return matches(&indexed);
    }
    // IS TRUE keeps the match out of the index's reach but not out of the
    // planner's estimate of how many notes pass it.
    matches(&indexed).and(Expr::cust_with_expr("($1) IS TRUE", matches(&checked)))
}

/// Notes an instance writes between two merges of the text index's pending
/// list (see [`IndexUpkeep`]): about 256 kB of pending entries.
const CLEAN_AFTER: usize = 256;
/// Least time between the starts of two merges by one instance: under a
/// burst of writes a merge takes in a second's notes, which costs
/// PostgreSQL less per note than many small merges.
const CLEAN_GAP: std::time::Duration = std::time::Duration::from_secs(1);

/// Keeps the pending list of PostgreSQL's text index short.
///
/// A GIN index takes new entries into a pending list first and moves them
/// into the index proper in bulk, when the list passes
/// `gin_pending_list_limit` (4 MB) or at VACUUM. Every search reads the whole
/// list: with 4 MB in it, 510 pages, a search for a rare word took 3.4 ms
/// instead of 0.8 (over 400 benchmark searches, 1.3 s in all instead of
/// 0.54). Writing the notes straight into the index (`fastupdate = off`) or
/// a smaller limit would move the bulk merge into the requests that write
/// notes: they wrote at 40 – 70% of the rate.
///
/// So each instance asks PostgreSQL to merge the list
/// (`gin_clean_pending_list`) once it has written [`CLEAN_AFTER`] notes
/// since the last time (at most once per [`CLEAN_GAP`]), and once when it
/// starts, in a task of its own: no request waits for it, one merge runs at
/// a time per instance, and PostgreSQL makes the merges of several
/// instances take turns.
#[derive(Debug, Default)]
pub struct IndexUpkeep {
    written: std::sync::atomic::AtomicUsize,
    busy: std::sync::atomic::AtomicBool,
    last: std::sync::Mutex<Option<std::time::Instant>>,
    /// The service's role may not (it must own the index): stop asking.
    refused: std::sync::atomic::AtomicBool,
}

impl IndexUpkeep {
    /// Counts `notes` written on PostgreSQL and starts a merge when due.
    pub fn wrote(self: &std::sync::Arc<Self>, pool: &sqlx::PgPool, notes: usize) {
        use std::sync::atomic::Ordering::{AcqRel, Relaxed};
        let total = self.written.fetch_add(notes, Relaxed).saturating_add(notes);
        if total >= CLEAN_AFTER && !self.refused.load(Relaxed) && !self.busy.swap(true, AcqRel) {
            self.written.store(0, Relaxed);
            self.start(pool);
        }
    }

    /// Merges the pending list in the background: now, or once
    /// [`CLEAN_GAP`] has passed since the last merge began (the notes
    /// written meanwhile are merged with the others).
    pub fn start(self: &std::sync::Arc<Self>, pool: &sqlx::PgPool) {
        let (me, pool) = (self.clone(), pool.clone());
        self.busy.store(true, std::sync::atomic::Ordering::Release);
        tokio::spawn(async move {
            let since = me.last.lock().ok().and_then(|l| l.map(|at| at.elapsed()));
            if let Some(since) = since {
                tokio::time::sleep(CLEAN_GAP.saturating_sub(since)).await;
            }
            if let Ok(mut l) = me.last.lock() {
                *l = Some(std::time::Instant::now());
            }
            me.clean(&pool).await;
            me.busy.store(false, std::sync::atomic::Ordering::Release);
        });
    }

    async fn clean(&self, pool: &sqlx::PgPool) {
        let started = std::time::Instant::now();
        let done = sqlx::query("SELECT gin_clean_pending_list('ix_notes_body_search'::regclass)")
            .execute(pool)
            .await;
        match done {
            Ok(_) => tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "merged the text index's pending list"
            ),
            Err(e) => {
                // 42501: insufficient privilege (not the index's owner)
                let refused = e
                    .as_database_error()
                    .and_then(|d| d.code())
                    .is_some_and(|c| c == "42501");
                if refused {
                    self.refused
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
                tracing::warn!(error = %e, refused, "cannot merge the text index's pending list; autovacuum will");
            }
        }
    }
}

/// How a search runs on SQLite; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Sort,
    Walk,
    Probe,
}

/// Costs per row, in nanoseconds, measured on 100 000 notes (2-core Xeon).
const SORT_NS: f64 = 2_000.0; // look a match up and sort it
const COLLECT_NS: f64 = 200.0; // collect a match's rowid
const WALK_NS: f64 = 150.0; // walk past a note in page order
const PROBE_NS: f64 = 25_000.0; // ask the index about one note, per term

/// The cheapest plan for about `matches` of `notes` matching a query of
/// `terms` whole terms (0 when a word stayed a prefix query, which FTS5
/// cannot answer about one note cheaply), for a page of `page` notes.
pub fn plan(matches: i64, notes: i64, terms: usize, page: u64) -> Plan {
    let m = matches.max(1) as f64;
    let visited = (page as f64 * notes.max(1) as f64 / m).min(notes.max(1) as f64);
    let sort = m * SORT_NS;
    let walk = m * COLLECT_NS + visited * WALK_NS;
    let probe = if terms == 0 {
        f64::INFINITY
    } else {
        visited * PROBE_NS * terms as f64
    };
    if sort <= walk && sort <= probe {
        Plan::Sort
    } else if walk <= probe {
        Plan::Walk
    } else {
        Plan::Probe
    }
}

/// Below this many matches sorting them all beats walking: counting them
/// exactly is then cheap.
fn sort_below(notes: i64, page: u64) -> i64 {
    // m * SORT = m * COLLECT + page * notes / m * WALK
    ((page as f64 * notes.max(1) as f64 * WALK_NS / (SORT_NS - COLLECT_NS)).sqrt() as i64).max(100)
}

/// Matches among the `notes` in scope, from `sampled` matches among the
/// `seen` notes in scope of the newest [`SAMPLE`].
fn estimate(sampled: i64, seen: i64, notes: i64) -> i64 {
    if seen <= 0 || notes <= seen {
        sampled
    } else {
        sampled * notes / seen
    }
}

async fn sqlite(
    db: &DatabaseConnection,
    terms: &[String],
    page: u64,
    scope: Scope,
) -> ApiResult<SimpleExpr> {
    let mut parts = Vec::with_capacity(terms.len());
    // whole terms in the query, or None once a word stays a prefix query
    let mut whole = Some(0);
    for (t, expanded) in terms.iter().zip(expansions(db, terms).await?) {
        match expanded {
            Some(longer) if longer.is_empty() => {
                whole = whole.map(|n| n + 1);
                parts.push(quote(t));
            }
            Some(longer) => {
                whole = whole.map(|n| n + 1 + longer.len());
                parts.push(format!(
                    "({})",
                    std::iter::once(t.as_str())
                        .chain(longer.iter().map(String::as_str))
                        .map(quote)
                        .collect::<Vec<_>>()
                        .join(" OR ")
                ));
            }
            None => {
                whole = None;
                parts.push(format!("{}*", quote(t)));
            }
        }
    }
    let query = parts.join(" AND ");
    // How common the match is, from the newest notes (FTS5 seeks straight to
    // a rowid range): the walks visit recent notes first, and counting every
    // match of a common word would cost more than the search itself.
    // (n: the highest rowid, about the number of notes; the notes in scope
    // among the newest SAMPLE; the matches among those, found from the index
    // side: CROSS JOIN keeps SQLite from asking the index note by note)
    let sample = match scope {
        Scope::Site(site) => Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "SELECT n, (SELECT count(*) FROM notes WHERE rowid > n - ? AND site_id = ?), \
             (SELECT count(*) FROM notes_fts CROSS JOIN notes ON notes.rowid = notes_fts.rowid \
              WHERE notes_fts MATCH ? AND notes_fts.rowid > n - ? AND notes.site_id = ?) \
             FROM (SELECT coalesce(max(rowid), 0) AS n FROM notes)",
            [
                SAMPLE.into(),
                site.into(),
                query.clone().into(),
                SAMPLE.into(),
                site.into(),
            ],
        ),
        _ => Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "SELECT n, min(n, ?), (SELECT count(*) FROM notes_fts WHERE notes_fts MATCH ? AND rowid > n - ?) \
             FROM (SELECT coalesce(max(rowid), 0) AS n FROM notes)",
            [SAMPLE.into(), query.clone().into(), SAMPLE.into()],
        ),
    };
    let (all, seen, sampled): (i64, i64, i64) = db
        .query_one(sample)
        .await?
        .and_then(|r| {
            Some((
                r.try_get_by_index(0).ok()?,
                r.try_get_by_index(1).ok()?,
                r.try_get_by_index(2).ok()?,
            ))
        })
        .unwrap_or((0, 0, 0));
    // the notes in scope, by their share of the newest
    let notes = if all <= SAMPLE {
        seen
    } else {
        seen * all / SAMPLE
    };
    let mut matches = estimate(sampled, seen, notes);
    let few = sort_below(notes, page);
    if matches < few && notes > seen {
        // Looks rare: make sure before sorting every match (cheap: the count
        // stops just past where sorting stops paying).
        matches = db
            .query_one(Statement::from_sql_and_values(
                DatabaseBackend::Sqlite,
                "SELECT count(*) FROM (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ? LIMIT ?)",
                [query.clone().into(), (few + 1).into()],
            ))
            .await?
            .and_then(|r| r.try_get_by_index(0).ok())
            .unwrap_or(0);
    }
    let terms = match scope {
        Scope::Other => 0,
        _ => whole.unwrap_or(0),
    };
    let plan = plan(matches, notes, terms, page);
    tracing::debug!(?plan, matches, notes, terms, "search plan");
    // The unary + keeps SQLite from driving the walk by rowid.
    let sql = match plan {
        Plan::Sort => {
            "\"notes\".\"rowid\" IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?)"
        }
        Plan::Walk => {
            "+\"notes\".\"rowid\" IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?)"
        }
        Plan::Probe => {
            "EXISTS (SELECT 1 FROM notes_fts WHERE notes_fts MATCH ? AND notes_fts.rowid = \"notes\".\"rowid\")"
        }
    };
    Ok(Expr::cust_with_values(sql, [query]))
}

/// For each of `terms`, the other terms of the index that start with it, or
/// `None` when there are more than [`MAX_EXPANSIONS`] or the word may be
/// folded differently by FTS5 than by Rust (then FTS5's own prefix query is
/// used). One statement for all the words.
async fn expansions(
    db: &DatabaseConnection,
    terms: &[String],
) -> ApiResult<Vec<Option<Vec<String>>>> {
    let mut out: Vec<Option<Vec<String>>> = vec![None; terms.len()];
    let mut parts = Vec::new();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        let Some(upper) = successor(t).filter(|_| t.chars().all(folds_alike)) else {
            continue;
        };
        out[i] = Some(Vec::new());
        // Terms never hold control characters, so "t\u{1}" is the first
        // possible term after `t` itself (which would cost a walk of its
        // doclist).
        parts.push(format!(
            "SELECT {i}, term FROM (SELECT term FROM notes_fts_vocab WHERE term >= ? AND term < ? LIMIT ?)"
        ));
        values.extend([
            format!("{t}\u{1}").into(),
            upper.into(),
            (MAX_EXPANSIONS as i64 + 1).into(),
        ]);
    }
    if parts.is_empty() {
        return Ok(out);
    }
    let rows = db
        .query_all(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            parts.join(" UNION ALL "),
            values,
        ))
        .await?;
    for r in rows {
        let (Ok(i), Ok(term)) = (
            r.try_get_by_index::<i64>(0),
            r.try_get_by_index::<String>(1),
        ) else {
            continue;
        };
        if let Some(Some(longer)) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            longer.push(term);
        }
    }
    for o in &mut out {
        if o.as_ref().is_some_and(|l| l.len() > MAX_EXPANSIONS) {
            *o = None;
        }
    }
    Ok(out)
}

/// Characters that Rust's `to_lowercase` and FTS5's unicode61 tokenizer fold
/// to the same thing: ASCII letters and digits and Latin-1 small letters
/// (Norwegian æ, ø, å among them).
fn folds_alike(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, 'à'..='ö' | 'ø'..='ÿ')
}

/// The smallest string greater than every string that starts with `t`.
fn successor(t: &str) -> Option<String> {
    let mut chars: Vec<char> = t.chars().collect();
    let last = chars.pop()?;
    chars.push(char::from_u32(last as u32 + 1)?);
    Some(chars.into_iter().collect())
}

/// An FTS5 string: double quotes around, inner quotes doubled.
fn quote(t: &str) -> String {
    format!("\"{}\"", t.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_and_lowered() {
        assert_eq!(terms("Take-home, KØEN!"), vec!["take", "home", "køen"]);
        assert!(terms(" , ").is_empty());
        assert_eq!(terms(&"a ".repeat(20)).len(), MAX_TERMS);
    }

    #[test]
    fn successor_bounds_every_longer_word() {
        assert_eq!(successor("sote").as_deref(), Some("sotf"));
        assert_eq!(successor("kø").as_deref(), Some("kù"));
        let upper = successor("sote").expect("successor");
        for w in ["sote", "sotez", "sote\u{10ffff}", "soteøæå"] {
            assert!(w >= "sote" && w < upper.as_str(), "{w}");
        }
        assert!("sotf" >= upper.as_str());
        assert_eq!(successor(""), None);
    }

    #[test]
    fn only_safe_characters_are_expanded() {
        assert!("køen2".chars().all(folds_alike));
        assert!(!"straße".chars().all(folds_alike));
        assert!(!"i̇".chars().all(folds_alike));
    }

    #[test]
    fn plans_follow_the_share_of_matching_notes() {
        let n = 100_000;
        assert_eq!(plan(0, n, 1, 51), Plan::Sort);
        assert_eq!(plan(400, n, 1, 51), Plan::Sort);
        assert_eq!(sort_below(n, 51), 651);
        assert_eq!(plan(5_000, n, 1, 51), Plan::Walk);
        // a word in a third of the notes: asking the index about the ~150
        // notes walked past beats collecting 33 000 matches, unless the word
        // became several terms
        assert_eq!(plan(33_000, n, 1, 51), Plan::Probe);
        assert_eq!(plan(33_000, n, 2, 51), Plan::Walk);
        assert_eq!(plan(95_000, n, 2, 51), Plan::Probe);
        // a prefix query is never probed
        assert_eq!(plan(95_000, n, 0, 51), Plan::Walk);
        // a small database sorts
        assert_eq!(plan(10, 600, 1, 51), Plan::Sort);
    }

    #[test]
    fn the_sample_scales_to_all_notes() {
        assert_eq!(estimate(7, 1_500, 1_500), 7);
        assert_eq!(estimate(500, 2_000, 100_000), 25_000);
        assert_eq!(estimate(0, 2_000, 100_000), 0);
        // a site with a tenth of the newest notes
        assert_eq!(estimate(50, 200, 10_000), 2_500);
        assert_eq!(estimate(3, 0, 0), 3);
    }

    #[test]
    fn common_words_are_checked_not_looked_up() {
        let common = CommonWords::new(
            vec![
                ("sote".into(), 0.99),
                ("sotez".into(), 0.01),
                ("saga".into(), 0.03),
                ("sagax".into(), 0.03),
                ("kale".into(), 0.02),
            ],
            100_000.0,
        );
        assert!((common.share("sot") - 1.0).abs() < 1e-6);
        assert!((common.share("saga") - 0.06).abs() < 1e-6);
        assert_eq!(common.share("feinu"), 0.0);
        let t = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // the rarest word goes to the index, the common ones are checked
        assert_eq!(
            split(&t(&["sote", "feinu", "saga"]), &common),
            (vec!["feinu"], vec!["saga", "sote"])
        );
        // a word under the share stays in the index
        assert_eq!(
            split(&t(&["kale", "feinu"]), &common),
            (vec!["feinu", "kale"], vec![])
        );
        // all common: the least common is still looked up
        assert_eq!(
            split(&t(&["sote", "saga"]), &common),
            (vec!["saga"], vec!["sote"])
        );
        // no statistics: all looked up, as PostgreSQL alone would
        assert_eq!(
            split(&t(&["sote", "feinu"]), &CommonWords::default()),
            (vec!["sote", "feinu"], vec![])
        );
        assert_eq!(tsquery(&["a", "b"]), "a:* & b:*");
    }

    #[test]
    fn matches_are_sorted_when_walking_would_cost_more() {
        let t = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let common = CommonWords::new(
            vec![
                ("sote".into(), 0.997),
                ("nosezufu".into(), 0.0089),
                ("zifa".into(), 0.061),
                ("dizo".into(), 0.043),
                ("feinu".into(), 0.012),
                ("least".into(), 0.0036),
            ],
            100_000.0,
        );
        // a word in nearly every note: walk (the page fills at once)
        assert!(!sorts_matches(&t(&["sote"]), &common, 51));
        // a word in 1% of notes: sort its 890 matches rather than walk 5 700
        assert!(sorts_matches(&t(&["nosezufu"]), &common, 51));
        // two words of 4 – 6%: the index finds 4 300, the walk would pass
        // about 19 000
        assert!(sorts_matches(&t(&["zifa", "dizo"]), &common, 51));
        // a common word with a 1% one: 1 200 found, walk 4 300: sort
        assert!(sorts_matches(&t(&["sote", "feinu"]), &common, 51));
        // a rare word (not among the common ones) is always sorted
        assert!(sorts_matches(&t(&["qqq"]), &common, 51));
        // a small page fills after a short walk
        assert!(!sorts_matches(&t(&["feinu"]), &common, 5));
        // no statistics: the planner chooses
        assert!(!sorts_matches(&t(&["qqq"]), &CommonWords::default(), 51));
    }

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
