//! Hand-off to analysis: a REFI-QDA project (`qdpx`) and CSV files
//! (`csv`). Both stream: rows are read page by page and written as they
//! come, so memory does not grow with the study. Both are protective by
//! default: no site, no age band and no staff names unless asked for, and
//! every export is audited with its filters and counts before the first
//! byte leaves.
pub mod csv;
pub mod qdpx;

use crate::kernel::field::{not_found, FieldProblem};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::kernel::{
    access::Role,
    audit::Entry,
    ctx::Ctx,
    error::{ApiError, ApiResult, FieldError},
};

/// Rows read per query while streaming.
pub const PAGE: u64 = 500;

/// What an export covers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// One site; all the caller's sites when absent.
    pub site_id: Option<Uuid>,
    /// From this time on: notes by when they were observed, interviews
    /// (and their transcripts, postponements and sessions) by when they were
    /// scheduled, screenings by when they were done.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub to: Option<DateTime<Utc>>,
    /// What to add to the protective default, comma-separated: `site`,
    /// `age_band`, `staff_names` (staff are otherwise "Fieldworker 1",
    /// "Peer researcher 2", ...).
    #[param(
        pattern = "^((site|age_band|staff_names)(,(site|age_band|staff_names))*)?$",
        example = "site,age_band"
    )]
    pub include: Option<String>,
}

/// The CSV files there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CsvKind {
    Notes,
    Participants,
    Screenings,
    Interviews,
    Postponements,
    Sessions,
    /// The consent log: form version, method, given, withdrawn, and what
    /// was decided for the data (the reasons, free text, stay out).
    Consents,
}

impl CsvKind {
    pub const ALL: [CsvKind; 7] = [
        CsvKind::Notes,
        CsvKind::Participants,
        CsvKind::Screenings,
        CsvKind::Interviews,
        CsvKind::Postponements,
        CsvKind::Sessions,
        CsvKind::Consents,
    ];

    /// The file a name in a path asks for; an unknown name is a file that
    /// does not exist (404, naming the files there are).
    pub fn named(name: &str) -> ApiResult<CsvKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "There is no export {name}.csv. The CSV files are: {}.",
                    Self::ALL.map(|k| format!("{}.csv", k.as_str())).join(", ")
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CsvKind::Notes => "notes",
            CsvKind::Participants => "participants",
            CsvKind::Screenings => "screenings",
            CsvKind::Interviews => "interviews",
            CsvKind::Postponements => "postponements",
            CsvKind::Sessions => "sessions",
            CsvKind::Consents => "consents",
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Include {
    pub site: bool,
    pub age_band: bool,
    pub staff_names: bool,
}

/// An export's checked filters, owned, so the stream can outlive the request.
#[derive(Debug, Clone)]
pub struct Scope {
    /// `None`: every site (an admin without `site_id`).
    pub sites: Option<Vec<Uuid>>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub include: Include,
    pub exporter: Uuid,
    /// When the export was made.
    pub at: DateTime<Utc>,
    /// How the export shares the CPU with the requests.
    pub pace: std::sync::Arc<Pace>,
    /// The exporter's language, for words in the files (a screening's
    /// reasons).
    pub lang: crate::kernel::lang::Lang,
}

/// An export gives way to requests. After each page of notes, when requests
/// are being answered, it rests [`REST_PER_WORK`] times as long as it worked
/// since its last rest: with phones busy it takes at most about a
/// quarter of the CPU it could, and with none it runs at full speed. (Twelve
/// exports at once used to take the other requests from a median of 3.9 ms
/// to 327 ms; see the benchmark's phase (h).)
/// How long an export rests, when requests are being answered, per unit of
/// work.
const REST_PER_WORK: u32 = 3;

#[derive(Debug)]
pub struct Pace {
    worked_since: std::sync::Mutex<std::time::Instant>,
    steps: std::sync::atomic::AtomicU32,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            worked_since: std::sync::Mutex::new(std::time::Instant::now()),
            steps: Default::default(),
        }
    }
}

/// Objects an export writes between two chances for requests to run.
const STEPS_PER_YIELD: u32 = 50;

impl Pace {
    /// One object written. Every [`STEPS_PER_YIELD`] it lets the requests
    /// waiting on this worker thread run: writing a page of 500 notes at
    /// once held a thread for milliseconds, and a note that came in then
    /// waited.
    async fn step(&self) {
        let n = self
            .steps
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % STEPS_PER_YIELD == STEPS_PER_YIELD - 1 {
            tokio::task::yield_now().await;
        }
    }

    async fn rest(&self) {
        let since = self
            .worked_since
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|_| std::time::Instant::now());
        // A moment with no request in flight is not an idle server (a
        // phone sends its next note a millisecond later): a rest, once
        // begun, runs its length.
        if crate::kernel::meters::requests_in_flight() {
            tokio::time::sleep(since.elapsed() * REST_PER_WORK).await;
        }
        if let Ok(mut t) = self.worked_since.lock() {
            *t = std::time::Instant::now();
        }
    }
}

impl Scope {
    /// Restricts `sel` to the export's sites through `col`.
    pub fn sites_filter<E: EntityTrait>(
        &self,
        sel: sea_orm::Select<E>,
        col: impl ColumnTrait,
    ) -> sea_orm::Select<E> {
        match &self.sites {
            Some(ids) => sel.filter(col.is_in(ids.clone())),
            None => sel,
        }
    }

    /// Restricts `sel` to the period through `col`.
    pub fn period_filter<E: EntityTrait>(
        &self,
        sel: sea_orm::Select<E>,
        col: impl ColumnTrait + Copy,
    ) -> sea_orm::Select<E> {
        let mut c = Condition::all();
        if let Some(f) = self.from {
            c = c.add(col.gte(f));
        }
        if let Some(t) = self.to {
            c = c.add(col.lt(t));
        }
        sel.filter(c)
    }

    /// The include words, for the audit log.
    pub fn include_words(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.include.site {
            v.push("site");
        }
        if self.include.age_band {
            v.push("age_band");
        }
        if self.include.staff_names {
            v.push("staff_names");
        }
        v
    }
}

/// Checks the filters and the caller (coordinators; a fieldworker cannot
/// export). A site the caller cannot see is "no such site", as a missing one.
pub fn scope(cx: &Ctx<'_>, q: &ExportQuery) -> ApiResult<Scope> {
    let mut errors = Vec::new();
    let mut include = Include::default();
    for word in q
        .include
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        match word {
            "site" => include.site = true,
            "age_band" => include.age_band = true,
            "staff_names" => include.staff_names = true,
            _ => errors.push(FieldError::new(
                "/include",
                FieldProblem::NotOneOf {
                    allowed: ["site", "age_band", "staff_names"]
                        .map(String::from)
                        .to_vec(),
                },
            )),
        }
    }
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if f >= t {
            errors.push(FieldError::new(
                "/to",
                FieldProblem::NotAfter {
                    other: "from".into(),
                },
            ));
        }
    }
    if q.site_id.is_some_and(|s| !cx.p.can_see_site(s)) {
        errors.push(FieldError::new("/site_id", not_found("site")));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let sites = match (q.site_id, cx.p.visible_sites()) {
        (Some(s), _) => Some(vec![s]),
        (None, Some(ids)) => Some(ids.to_vec()),
        (None, None) => None,
    };
    Ok(Scope {
        sites,
        from: q.from,
        to: q.to,
        include,
        exporter: cx.p.user_id,
        at: cx.now(),
        pace: Default::default(),
        lang: cx.lang,
    })
}

/// Records the export (who, which, filters, counts), durable before the
/// first byte is sent.
pub async fn audit(
    cx: &Ctx<'_>,
    q: &ExportQuery,
    which: &str,
    s: &Scope,
    counts: serde_json::Value,
) -> ApiResult<()> {
    cx.log(Entry {
        action: "export.download",
        object_type: "export",
        object_id: Some(which.to_string()),
        site_id: q.site_id,
        detail: Some(serde_json::json!({
            "format": which,
            "from": q.from,
            "to": q.to,
            "include": s.include_words(),
            "counts": counts,
        })),
    })
    .await
}

/// How staff appear in an export: their names when asked for, else their
/// role and a number ("Fieldworker 1", "Peer researcher 2"), numbered in
/// the order they joined.
pub struct Staff {
    pub names: HashMap<Uuid, String>,
    /// Users in the order they joined.
    pub order: Vec<Uuid>,
}

impl Staff {
    /// The staff among `only` (everyone when `None`).
    pub async fn load(
        db: &impl ConnectionTrait,
        named: bool,
        only: Option<&std::collections::HashSet<Uuid>>,
    ) -> ApiResult<Staff> {
        let users: Vec<entity::user::Model> = entity::user::Entity::find()
            .order_by_asc(entity::user::Column::CreatedAt)
            .order_by_asc(entity::user::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .filter(|u| only.is_none_or(|o| o.contains(&u.id)))
            .collect();
        let mut seen: HashMap<&'static str, u32> = HashMap::new();
        let mut names = HashMap::new();
        let mut order = Vec::new();
        for u in &users {
            let label = if named {
                u.display_name.clone()
            } else {
                let kind = match (Role::parse(&u.role), u.peer_researcher) {
                    (_, true) => "Peer researcher",
                    (Some(Role::Admin), _) => "Admin",
                    (Some(Role::Coordinator), _) => "Coordinator",
                    _ => "Fieldworker",
                };
                let n = seen.entry(kind).or_default();
                *n += 1;
                format!("{kind} {n}")
            };
            names.insert(u.id, label);
            order.push(u.id);
        }
        Ok(Staff { names, order })
    }

    pub fn name(&self, id: Option<Uuid>) -> &str {
        id.and_then(|i| self.names.get(&i))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Codes by id, with their name paths ("Benefits > Access to medical heroin").
pub struct Codebook {
    pub codes: Vec<entity::code::Model>,
    pub paths: HashMap<Uuid, String>,
}

impl Codebook {
    pub async fn load(db: &impl ConnectionTrait) -> ApiResult<Codebook> {
        let codes = crate::codebook::codes::all_codes(db).await?;
        let by_id: HashMap<Uuid, &entity::code::Model> = codes.iter().map(|c| (c.id, c)).collect();
        let mut paths = HashMap::new();
        for c in &codes {
            let mut parts = vec![c.name.as_str()];
            let mut at = c.parent_id;
            let mut guard = 0;
            while let Some(p) = at.and_then(|id| by_id.get(&id)) {
                parts.push(p.name.as_str());
                at = p.parent_id;
                guard += 1;
                if guard > 64 {
                    break;
                }
            }
            parts.reverse();
            paths.insert(c.id, parts.join(" > "));
        }
        Ok(Codebook { codes, paths })
    }
}

/// Participants of the export's sites: pseudonyms and the rest, by id.
pub async fn participants(
    db: &impl ConnectionTrait,
    s: &Scope,
) -> ApiResult<Vec<entity::participant::Model>> {
    let sel = s.sites_filter(
        entity::participant::Entity::find(),
        entity::participant::Column::SiteId,
    );
    Ok(sel
        .order_by_asc(entity::participant::Column::Pseudonym)
        .order_by_asc(entity::participant::Column::Id)
        .all(db)
        .await?)
}

/// The waves each participant completed an interview in.
pub async fn waves_done(
    db: &impl ConnectionTrait,
    s: &Scope,
) -> ApiResult<HashMap<Uuid, std::collections::BTreeSet<i32>>> {
    let sel = s.sites_filter(
        entity::interview::Entity::find().filter(entity::interview::Column::Status.eq("completed")),
        entity::interview::Column::SiteId,
    );
    let mut out: HashMap<Uuid, std::collections::BTreeSet<i32>> = HashMap::new();
    for i in sel.all(db).await? {
        out.entry(i.participant_id).or_default().insert(i.wave);
    }
    Ok(out)
}

/// Site names by id.
pub async fn site_names(
    db: &impl ConnectionTrait,
) -> ApiResult<HashMap<Uuid, entity::site::Model>> {
    Ok(entity::site::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

/// The notes of an export: not deleted, at its sites, observed in its period.
pub fn notes_query(s: &Scope) -> sea_orm::Select<entity::note::Entity> {
    use entity::note::{Column, Entity};
    let sel = s.sites_filter(Entity::find(), Column::SiteId);
    s.period_filter(sel, Column::ObservedAt)
        .filter(Column::DeletedAt.is_null())
}

/// The interviews of an export: at its sites, scheduled in its period.
pub fn interviews_query(s: &Scope) -> sea_orm::Select<entity::interview::Entity> {
    use entity::interview::{Column, Entity};
    let sel = s.sites_filter(Entity::find(), Column::SiteId);
    s.period_filter(sel, Column::ScheduledAt)
}

/// The consents of the export's sites given in its period.
pub fn consents_query(s: &Scope) -> sea_orm::Select<entity::consent::Entity> {
    use entity::consent::{Column, Entity};
    let sel = s.sites_filter(Entity::find(), Column::SiteId);
    s.period_filter(sel, Column::ObtainedAt)
}

/// The transcripts of the export's interviews.
pub fn transcripts_query(s: &Scope) -> sea_orm::Select<entity::transcript::Entity> {
    use entity::transcript::{Column, Entity};
    let ivs = interviews_query(s)
        .select_only()
        .column(entity::interview::Column::Id)
        .into_query();
    Entity::find().filter(Column::InterviewId.in_subquery(ivs))
}

/// One page of notes after `after` (observed_at, id), oldest first.
pub async fn notes_page(
    db: &DatabaseConnection,
    s: &Scope,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> ApiResult<Vec<entity::note::Model>> {
    use entity::note::Column;
    s.pace.rest().await;
    let mut sel = notes_query(s);
    if let Some((t, id)) = after {
        // The plain bound lets the index start at `t`; without it PostgreSQL
        // walks the index from its start for every page.
        sel = sel.filter(Column::ObservedAt.gte(t)).filter(
            Condition::any().add(Column::ObservedAt.gt(t)).add(
                Condition::all()
                    .add(Column::ObservedAt.eq(t))
                    .add(Column::Id.gt(id)),
            ),
        );
    }
    Ok(sel
        .order_by_asc(Column::ObservedAt)
        .order_by_asc(Column::Id)
        .limit(PAGE)
        .all(db)
        .await?)
}

/// Participant and code links of `notes`.
pub async fn note_links(
    db: &impl ConnectionTrait,
    notes: &[Uuid],
) -> ApiResult<(HashMap<Uuid, Vec<Uuid>>, HashMap<Uuid, Vec<Uuid>>)> {
    let mut parts: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for l in entity::note_participant::Entity::find()
        .filter(entity::note_participant::Column::NoteId.is_in(notes.to_vec()))
        .all(db)
        .await?
    {
        parts.entry(l.note_id).or_default().push(l.participant_id);
    }
    let mut codes: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for l in entity::note_code::Entity::find()
        .filter(entity::note_code::Column::NoteId.is_in(notes.to_vec()))
        .all(db)
        .await?
    {
        codes.entry(l.note_id).or_default().push(l.code_id);
    }
    for v in parts.values_mut().chain(codes.values_mut()) {
        v.sort();
    }
    Ok((parts, codes))
}

/// Anchored passage codings of these notes or transcripts, in text order.
pub async fn passage_codings(
    db: &impl ConnectionTrait,
    notes: &[Uuid],
    transcripts: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<entity::coding::Model>>> {
    use entity::coding::{Column, Entity};
    let mut cond = Condition::any();
    if !notes.is_empty() {
        cond = cond.add(Column::NoteId.is_in(notes.to_vec()));
    }
    if !transcripts.is_empty() {
        cond = cond.add(Column::TranscriptId.is_in(transcripts.to_vec()));
    }
    if notes.is_empty() && transcripts.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out: HashMap<Uuid, Vec<entity::coding::Model>> = HashMap::new();
    for c in Entity::find()
        .filter(cond)
        .filter(Column::Anchored.eq(true))
        .order_by_asc(Column::StartPos)
        .order_by_asc(Column::Id)
        .all(db)
        .await?
    {
        let key = c.note_id.or(c.transcript_id).unwrap_or_default();
        out.entry(key).or_default().push(c);
    }
    Ok(out)
}

/// Counts for the audit log and the caller.
pub async fn count_notes(db: &impl ConnectionTrait, s: &Scope) -> ApiResult<u64> {
    Ok(notes_query(s).count(db).await?)
}

/// Unanchored codings left out of an export (they may point at other words).
pub async fn count_unanchored(db: &impl ConnectionTrait, s: &Scope) -> ApiResult<u64> {
    use entity::coding::{Column, Entity};
    let notes = notes_query(s)
        .select_only()
        .column(entity::note::Column::Id)
        .into_query();
    let trs = transcripts_query(s)
        .select_only()
        .column(entity::transcript::Column::Id)
        .into_query();
    Ok(Entity::find()
        .filter(Column::Anchored.eq(false))
        .filter(
            Condition::any()
                .add(Column::NoteId.in_subquery(notes))
                .add(Column::TranscriptId.in_subquery(trs)),
        )
        .count(db)
        .await?)
}

/// How many exports run at once on this instance. An export reads the whole
/// study and writes it out; twelve at once took the other requests from a
/// median of 3.9 ms to 327 ms. More than the limit are answered 429
/// (`export_busy`, with `Retry-After`) at once, before anything is read.
/// Exports read through connections of their own (`db`), so a running
/// export never holds a connection a request is waiting for.
#[derive(Clone)]
pub struct ExportSlots {
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    db: DatabaseConnection,
}

/// Seconds a refused export is told to wait.
pub const EXPORT_RETRY_SECS: u64 = 60;

impl ExportSlots {
    pub fn new(slots: usize, db: DatabaseConnection) -> Self {
        ExportSlots {
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(slots)),
            db,
        }
    }

    /// A slot, held until the export's last byte is written (or its client
    /// goes away), or `export_busy`.
    fn take(&self) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
        self.slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::TooManyRequests {
                code: "export_busy",
                detail: format!(
                    "Other exports are running on this server. Try again in {EXPORT_RETRY_SECS} seconds."
                ),
                retry_after_secs: EXPORT_RETRY_SECS,
            })
    }
}

/// A file on its way out: the response streams `body` while a task writes it.
pub struct Download {
    pub filename: String,
    pub content_type: &'static str,
    pub body: tokio_util::io::ReaderStream<tokio::io::DuplexStream>,
}

/// Runs `write` in its own task into a pipe the response reads. A client
/// that goes away closes the pipe, and the task stops at its next write.
/// The pipe holds the export's slot until the export ends.
fn spawn_writer<F, Fut>(
    slot: tokio::sync::OwnedSemaphorePermit,
    write: F,
) -> tokio_util::io::ReaderStream<tokio::io::DuplexStream>
where
    F: FnOnce(SlotWriter) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let (w, r) = tokio::io::duplex(256 * 1024);
    let task = write(SlotWriter {
        slot: Some(slot),
        pipe: w,
    });
    tokio::spawn(async move {
        if let Err(e) = task.await {
            tracing::warn!(error = %e, "an export stopped before its end");
        }
    });
    tokio_util::io::ReaderStream::with_capacity(r, 64 * 1024)
}

/// The pipe an export writes into, holding the export's slot. The slot is
/// given back before the pipe closes (on shutdown, or dropped first), so a
/// client that asks for the next export on the last byte of this one finds
/// the slot free.
pub struct SlotWriter {
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
    pipe: tokio::io::DuplexStream,
}

impl tokio::io::AsyncWrite for SlotWriter {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().pipe).poll_write(cx, buf)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().pipe).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let me = self.get_mut();
        me.slot.take();
        std::pin::Pin::new(&mut me.pipe).poll_shutdown(cx)
    }
}

fn stamp(s: &Scope) -> String {
    s.at.format("%Y-%m-%d").to_string()
}

/// The REFI-QDA project (coordinators).
pub async fn project(cx: &Ctx<'_>, slots: &ExportSlots, q: &ExportQuery) -> ApiResult<Download> {
    let s = scope(cx, q)?;
    let slot = slots.take()?;
    let notes = count_notes(cx.read, &s).await?;
    let transcripts = transcripts_query(&s).count(cx.read).await?;
    let participants = participants(cx.read, &s).await?.len();
    let left_out = count_unanchored(cx.read, &s).await?;
    audit(
        cx,
        q,
        "qdpx",
        &s,
        serde_json::json!({
            "notes": notes, "transcripts": transcripts, "cases": participants,
            "unanchored_codings_left_out": left_out,
        }),
    )
    .await?;
    let filename = format!("fieldnotes-{}.qdpx", stamp(&s));
    let db = slots.db.clone();
    let body = spawn_writer(slot, move |w| qdpx::write(db, s, w));
    Ok(Download {
        filename,
        content_type: "application/zip",
        body,
    })
}

/// Rows a CSV file will hold, for the audit log.
async fn count_rows(db: &impl ConnectionTrait, s: &Scope, kind: CsvKind) -> ApiResult<u64> {
    let ivs = || {
        interviews_query(s)
            .select_only()
            .column(entity::interview::Column::Id)
            .into_query()
    };
    Ok(match kind {
        CsvKind::Notes => count_notes(db, s).await?,
        CsvKind::Participants => participants(db, s).await?.len() as u64,
        CsvKind::Screenings => {
            let sel = s.sites_filter(
                entity::screening::Entity::find(),
                entity::screening::Column::SiteId,
            );
            s.period_filter(sel, entity::screening::Column::PerformedAt)
                .count(db)
                .await?
        }
        CsvKind::Interviews => interviews_query(s).count(db).await?,
        CsvKind::Postponements => {
            entity::postponement::Entity::find()
                .filter(entity::postponement::Column::InterviewId.in_subquery(ivs()))
                .count(db)
                .await?
        }
        CsvKind::Sessions => {
            entity::interview_session::Entity::find()
                .filter(entity::interview_session::Column::InterviewId.in_subquery(ivs()))
                .count(db)
                .await?
        }
        CsvKind::Consents => consents_query(s).count(db).await?,
    })
}

/// A CSV file (coordinators).
pub async fn csv_file(
    cx: &Ctx<'_>,
    slots: &ExportSlots,
    kind: CsvKind,
    q: &ExportQuery,
) -> ApiResult<Download> {
    let s = scope(cx, q)?;
    let slot = slots.take()?;
    let rows = count_rows(cx.read, &s, kind).await?;
    audit(
        cx,
        q,
        &format!("{}.csv", kind.as_str()),
        &s,
        serde_json::json!({"rows": rows}),
    )
    .await?;
    let filename = format!("fieldnotes-{}-{}.csv", kind.as_str(), stamp(&s));
    let db = slots.db.clone();
    let body = spawn_writer(slot, move |w| csv::write(db, s, kind, w));
    Ok(Download {
        filename,
        content_type: "text/csv; charset=utf-8",
        body,
    })
}
