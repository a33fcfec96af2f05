//! Full-text search of note bodies. Every word of the query must occur in the
//! note, whole or as the start of a longer word, case-insensitively; the
//! results are the same on both databases.
//!
//! On PostgreSQL that is a `tsquery` of prefix terms over a GIN index. On
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
    ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement,
};

use crate::error::ApiResult;

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

/// The condition on `notes` that keeps the notes matching every term.
/// `page` is how many notes the query asks for; `scope` which notes the
/// rest of the query keeps, as far as the plan needs to know.
pub async fn condition(
    db: &DatabaseConnection,
    terms: &[String],
    page: u64,
    scope: Scope,
) -> ApiResult<SimpleExpr> {
    Ok(match db.get_database_backend() {
        DatabaseBackend::Postgres => postgres(terms),
        _ => sqlite(db, terms, page, scope).await?,
    })
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

/// On PostgreSQL, a search whose words are common is answered fastest by
/// walking the notes in page order (the time index) and testing each stored
/// `tsvector`, which stops as soon as the page is full; a rare word by the GIN
/// index, then sorting its few matches. PostgreSQL's planner cannot tell the
/// two apart for prefix queries: it guesses that about 1% of the notes match,
/// and walks. For a word in 0.1% of the notes that walk reads most of the
/// table (300 ms on 100 000 notes), and for a word in half of them the GIN
/// index returns 50 000 rows to sort. So the plan is chosen here, from what
/// PostgreSQL's own statistics say about the words ([`postgres_plan`]), and
/// forced:
///
/// - [`postgres_walk`]: the page's query without the words (`ids`: note ids
///   in page order, with `observed_at`), walked for at most `rows` notes,
///   keeping those that match. When that fills the page (`page` rows), the
///   page is final, since the walk went in page order; otherwise the words
///   were rarer here than the statistics said, and the caller goes on with
/// - [`postgres_sorted`]: every match through the GIN index, then sorted.
pub fn postgres_walk(
    ids: sea_orm::sea_query::SelectStatement,
    terms: &[String],
    page: u64,
    rows: u64,
) -> sea_orm::sea_query::SelectStatement {
    let mut inner = ids;
    inner
        .expr_as(
            Expr::col((Alias::new("notes"), Alias::new("body_search"))),
            Alias::new("body_search"),
        )
        .limit(rows);
    let walk = Alias::new("walk");
    paged(inner, walk.clone(), page)
        .and_where(matches(Expr::col((walk, Alias::new("body_search"))), terms))
        .to_owned()
}

/// How a search runs on PostgreSQL; see [`postgres_walk`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgPlan {
    /// Walk at most this many notes in page order, then sort if need be.
    Walk(u64),
    Sorted,
}

/// Costs per row, in nanoseconds, measured on 100 000 notes (2-core EPYC).
const PG_WALK_NS: f64 = 3_300.0; // walk past a note in page order and test it
const PG_SORT_NS: f64 = 8_000.0; // fetch a match found by the GIN index, and sort it

/// The plan for `terms`, from the share of notes the statistics say contain
/// each word (the sum over the most common lexemes it starts, so a lower
/// bound; a word among none of them is rare), the words taken as
/// independent, for a page of `page` notes.
pub fn pg_plan(share: f64, notes: f64, page: u64) -> PgPlan {
    if share <= 0.0 || notes <= 0.0 {
        return PgPlan::Sorted;
    }
    let walked = (page as f64 / share).min(notes);
    let walk = walked * PG_WALK_NS;
    let sort = share * notes * PG_SORT_NS;
    if walk < sort {
        // Room for the words to be four times rarer here than overall.
        PgPlan::Walk(((4.0 * walked) as u64).clamp(page, 50_000))
    } else {
        PgPlan::Sorted
    }
}

/// The statistics [`postgres_plan`] reads: PostgreSQL's most common lexemes
/// of `notes.body_search` with the share of notes holding each, and the
/// number of notes, as `ANALYZE` (or autovacuum) last found them. Read at
/// most every [`PG_STATS_TTL`] per instance.
#[derive(Debug, Default)]
pub struct PgStats {
    notes: f64,
    shares: std::collections::BTreeMap<String, f64>,
}

const PG_STATS_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// By database name (one per instance, but the tests run many).
type StatsCache = std::collections::HashMap<String, (std::time::Instant, std::sync::Arc<PgStats>)>;
static PG_STATS: std::sync::Mutex<Option<StatsCache>> = std::sync::Mutex::new(None);

impl PgStats {
    /// The share of notes holding a word that starts with `term`.
    pub fn share(&self, term: &str) -> f64 {
        self.shares
            .range(term.to_string()..)
            .take_while(|(lexeme, _)| lexeme.starts_with(term))
            .map(|(_, s)| s)
            .sum::<f64>()
            .min(1.0)
    }

    /// From the text forms of `most_common_elems` and
    /// `most_common_elem_freqs` (space-separated) and `reltuples`.
    pub fn parse(elems: &str, freqs: &str, notes: f64) -> PgStats {
        let shares = elems
            .split(' ')
            .zip(freqs.split(' ').map(|f| f.parse::<f64>().unwrap_or(0.0)))
            .filter(|(e, _)| !e.is_empty())
            .map(|(e, f)| (e.to_string(), f))
            .collect();
        PgStats { notes, shares }
    }
}

async fn pg_stats(db: &DatabaseConnection) -> ApiResult<std::sync::Arc<PgStats>> {
    let key = db
        .get_postgres_connection_pool()
        .connect_options()
        .get_database()
        .unwrap_or_default()
        .to_string();
    let cached = PG_STATS.lock().ok().and_then(|c| {
        c.as_ref()?
            .get(&key)
            .filter(|(at, _)| at.elapsed() < PG_STATS_TTL)
            .map(|(_, s)| s.clone())
    });
    if let Some(s) = cached {
        return Ok(s);
    }
    let row = db
        .query_one(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT coalesce(array_to_string(s.most_common_elems::text::text[], ' '), '') AS elems, \
                    coalesce(array_to_string(s.most_common_elem_freqs, ' '), '') AS freqs, \
                    (SELECT reltuples FROM pg_class WHERE oid = 'notes'::regclass)::float8 AS notes \
             FROM (SELECT 1) AS one LEFT JOIN pg_stats AS s \
               ON s.schemaname = current_schema() AND s.tablename = 'notes' AND s.attname = 'body_search'",
        ))
        .await?;
    let stats = std::sync::Arc::new(match row {
        Some(r) => PgStats::parse(
            &r.try_get::<String>("", "elems")?,
            &r.try_get::<String>("", "freqs")?,
            r.try_get::<f64>("", "notes")?,
        ),
        None => PgStats::default(),
    });
    if let Ok(mut c) = PG_STATS.lock() {
        c.get_or_insert_with(Default::default)
            .insert(key, (std::time::Instant::now(), stats.clone()));
    }
    Ok(stats)
}

/// The plan for a search of `terms` for a page of `page` notes.
pub async fn postgres_plan(
    db: &DatabaseConnection,
    terms: &[String],
    page: u64,
) -> ApiResult<PgPlan> {
    let stats = pg_stats(db).await?;
    let share: f64 = terms.iter().map(|t| stats.share(t)).product();
    Ok(pg_plan(share, stats.notes, page))
}

/// Step 2 of a search on PostgreSQL (see [`postgres_walk`]): every match,
/// then the page of them. The inner query has no order and an `OFFSET`, which
/// PostgreSQL never flattens into the outer one, so it cannot walk the time
/// index and must use the GIN index.
pub fn postgres_sorted(
    ids: sea_orm::sea_query::SelectStatement,
    terms: &[String],
    page: u64,
) -> sea_orm::sea_query::SelectStatement {
    let mut inner = ids;
    inner
        .and_where(postgres(terms))
        .clear_order_by()
        .reset_limit()
        .offset(0);
    paged(inner, Alias::new("matched"), page)
}

/// `SELECT id FROM (inner) AS alias ORDER BY observed_at DESC, id DESC LIMIT page`.
fn paged(
    inner: sea_orm::sea_query::SelectStatement,
    alias: Alias,
    page: u64,
) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Order, Query};
    Query::select()
        .column((alias.clone(), Alias::new("id")))
        .from_subquery(inner, alias.clone())
        .order_by((alias.clone(), Alias::new("observed_at")), Order::Desc)
        .order_by((alias, Alias::new("id")), Order::Desc)
        .limit(page)
        .to_owned()
}

fn postgres(terms: &[String]) -> SimpleExpr {
    matches(
        Expr::col((Alias::new("notes"), Alias::new("body_search"))),
        terms,
    )
}

/// `tsv @@ to_tsquery('simple', 'w1:* & w2:*')`.
fn matches(tsv: Expr, terms: &[String]) -> SimpleExpr {
    let query = terms
        .iter()
        .map(|t| format!("{t}:*"))
        .collect::<Vec<_>>()
        .join(" & ");
    tsv.binary(
        BinOper::Custom("@@"),
        Func::cust(Alias::new("to_tsquery")).args([
            Expr::val("simple").cast_as(Alias::new("regconfig")),
            Expr::val(query).into(),
        ]),
    )
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
    fn postgres_shares_add_up_over_the_lexemes_a_prefix_starts() {
        let stats = PgStats::parse(
            "bafi basa bero sote sotei",
            "0.1 0.2 0.05 0.9 0.3 0.05 0.9",
            1000.0,
        );
        assert!((stats.share("ba") - 0.3).abs() < 1e-9);
        assert!((stats.share("bafi") - 0.1).abs() < 1e-9);
        // at most every note
        assert_eq!(stats.share("sote"), 1.0);
        // not among the common lexemes: rare
        assert_eq!(stats.share("zz"), 0.0);
        // the trailing minimum and maximum are no lexemes' shares
        assert_eq!(stats.shares.len(), 5);
    }

    #[test]
    fn postgres_walks_for_common_words_and_sorts_rare_ones() {
        // no statistics yet, or a word none of the common lexemes start
        assert_eq!(pg_plan(0.0, 100_000.0, 51), PgPlan::Sorted);
        assert_eq!(pg_plan(0.5, 0.0, 51), PgPlan::Sorted);
        // in half the notes: walk about 100, with room for four times rarer
        assert_eq!(pg_plan(0.5, 100_000.0, 51), PgPlan::Walk(408));
        // in 0.5% of them: 500 matches to sort beat 10 000 notes to walk
        assert_eq!(pg_plan(0.005, 100_000.0, 51), PgPlan::Sorted);
        // a walk never goes beyond 50 000 notes
        assert_eq!(pg_plan(0.02, 10_000_000.0, 51), PgPlan::Walk(10_200));
        assert_eq!(pg_plan(0.0001, 1e12, 51), PgPlan::Walk(50_000));
    }

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
    fn quotes_are_doubled() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
