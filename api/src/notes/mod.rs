//! Field notes: idempotent creation (one path for `POST /notes` and
//! `/notes/sync`), loading with links, and their version history.
pub mod edits;
pub mod group_commit;
pub mod reads;
pub mod routes;
pub mod search;
pub mod sync;

use crate::kernel::field::{not_found, FieldProblem};
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, QueryFilter, QueryTrait, Set, Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::kernel::{
    access::{tokens::sha256_hex, Principal},
    audit::{self, Actor, Entry},
    error::{ApiError, ApiResult, FieldError},
};

/// Longest note body, in characters.
pub const MAX_BODY_CHARS: usize = 100_000;
/// Most notes in one `/notes/sync` request.
pub const MAX_SYNC: usize = 1000;
/// How far `observed_at` may be ahead of the server's clock.
pub const CLOCK_SKEW_MINUTES: i64 = 5;
const MAX_LINKS: usize = 50;

/// Where in or around the clinic something was observed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Location {
    WaitingRoom,
    ScreeningRoom,
    InjectionRoom,
    ObservationRoom,
    Outside,
    Other,
}

crate::kernel::names::stored_names!(Location, "location");

/// A note as a phone sends it. The phone makes the id (a UUID) when the note
/// is written, so sending it again is recognised as the same note.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    pub id: Uuid,
    pub site_id: Uuid,
    /// When it happened; may be hours before the upload, never in the future.
    pub observed_at: DateTime<Utc>,
    pub location: Location,
    /// 1 to 100 000 characters.
    #[schema(min_length = 1, max_length = 100000)]
    pub body: String,
    /// Participants at the note's site (pseudonymous ids).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub participant_ids: Vec<Uuid>,
    /// Codes of the codebook.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub code_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteOut {
    pub id: Uuid,
    pub site_id: Uuid,
    pub author_id: Uuid,
    pub observed_at: DateTime<Utc>,
    pub location: Location,
    pub body: String,
    pub participant_ids: Vec<Uuid>,
    pub code_ids: Vec<Uuid>,
    /// Starts at 1; every change adds 1. The ETag is `"<version>"`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the note is deleted (it can be restored).
    pub deleted_at: Option<DateTime<Utc>>,
}

impl NoteOut {
    pub fn etag(&self) -> String {
        crate::kernel::precondition::of_version(self.version)
    }
    pub fn from_parts(
        m: entity::note::Model,
        participant_ids: Vec<Uuid>,
        code_ids: Vec<Uuid>,
    ) -> Result<Self, crate::kernel::names::Unknown> {
        Ok(NoteOut {
            id: m.id,
            site_id: m.site_id,
            author_id: m.author_id,
            observed_at: m.observed_at,
            location: Location::parse(&m.location)?,
            body: m.body,
            participant_ids,
            code_ids,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            deleted_at: m.deleted_at,
        })
    }
}

/// Sorted, without duplicates: links are sets.
pub fn normalise(ids: &[Uuid]) -> Vec<Uuid> {
    let mut v = ids.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Identifies a note's creation content, so a retry is told from a clash.
pub fn content_hash(n: &NoteIn) -> String {
    let canonical = serde_json::json!([
        n.site_id,
        n.observed_at.timestamp_micros(),
        n.location.as_str(),
        n.body,
        normalise(&n.participant_ids),
        normalise(&n.code_ids),
    ]);
    sha256_hex(&canonical.to_string())
}

/// What became of one note of a batch.
pub enum Applied {
    Created(NoteOut),
    Unchanged(NoteOut),
    Rejected(ApiError),
}

/// Field checks that need no database. Pointers are relative to the note.
pub fn check_fields(
    errors: &mut Vec<FieldError>,
    body: Option<&str>,
    observed_at: Option<DateTime<Utc>>,
    participant_ids: Option<&[Uuid]>,
    code_ids: Option<&[Uuid]>,
    now: DateTime<Utc>,
) {
    if let Some(b) = body {
        if b.trim().is_empty() {
            errors.push(FieldError::new("/body", FieldProblem::Required));
        } else if b.chars().count() > MAX_BODY_CHARS {
            errors.push(FieldError::new(
                "/body",
                FieldProblem::TooLong {
                    max: MAX_BODY_CHARS as u64,
                },
            ));
        }
    }
    if observed_at.is_some_and(|t| t > now + Duration::minutes(CLOCK_SKEW_MINUTES)) {
        errors.push(FieldError::new("/observed_at", FieldProblem::InFuture));
    }
    if participant_ids.is_some_and(|v| v.len() > MAX_LINKS) {
        errors.push(FieldError::new(
            "/participant_ids",
            FieldProblem::TooMany {
                max: MAX_LINKS as u64,
            },
        ));
    }
    if code_ids.is_some_and(|v| v.len() > MAX_LINKS) {
        errors.push(FieldError::new(
            "/code_ids",
            FieldProblem::TooMany {
                max: MAX_LINKS as u64,
            },
        ));
    }
}

/// Participants (with their sites) and codes that exist among `pids`/`cids`.
pub struct Known {
    pub sites: HashSet<Uuid>,
    pub participants: HashMap<Uuid, Uuid>,
    pub codes: HashSet<Uuid>,
}

/// Ids bound in one lookup statement.
const LOOKUP_CHUNK: usize = 10_000;

pub async fn lookup(
    db: &impl ConnectionTrait,
    sites: Vec<Uuid>,
    pids: Vec<Uuid>,
    cids: Vec<Uuid>,
) -> ApiResult<Known> {
    // A sync may name up to 50 000 ids; SQLite binds at most 32 766
    // parameters a statement.
    let mut known_sites = HashSet::new();
    for chunk in sites.chunks(LOOKUP_CHUNK) {
        known_sites.extend(
            entity::site::Entity::find()
                .filter(entity::site::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|s| s.id),
        );
    }
    let mut participants = HashMap::new();
    for chunk in pids.chunks(LOOKUP_CHUNK) {
        participants.extend(
            entity::participant::Entity::find()
                .filter(entity::participant::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|p| (p.id, p.site_id)),
        );
    }
    let mut codes = HashSet::new();
    for chunk in cids.chunks(LOOKUP_CHUNK) {
        codes.extend(
            entity::code::Entity::find()
                .filter(entity::code::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|c| c.id),
        );
    }
    let sites = known_sites;
    Ok(Known {
        sites,
        participants,
        codes,
    })
}

/// Checks links against what exists: participants must be at the note's
/// site (another site's participant reads as "no such participant").
pub fn check_links(
    errors: &mut Vec<FieldError>,
    known: &Known,
    site_id: Uuid,
    participant_ids: Option<&[Uuid]>,
    code_ids: Option<&[Uuid]>,
) {
    for (i, pid) in participant_ids.unwrap_or_default().iter().enumerate() {
        if known.participants.get(pid) != Some(&site_id) {
            errors.push(FieldError::new(
                format!("/participant_ids/{i}"),
                not_found("participant"),
            ));
        }
    }
    for (i, cid) in code_ids.unwrap_or_default().iter().enumerate() {
        if !known.codes.contains(cid) {
            errors.push(FieldError::new(format!("/code_ids/{i}"), not_found("code")));
        }
    }
}

fn prefixed(prefix: &str, errors: Vec<FieldError>) -> ApiError {
    ApiError::Validation(errors.into_iter().map(|e| e.under(prefix)).collect())
}

/// Validates a batch; `prefix(i)` is the JSON pointer of note `i` in the
/// request (`""` for a single note, `/notes/3` in a sync).
pub async fn validate(
    db: &impl ConnectionTrait,
    known_sites: &crate::sites::KnownSites,
    p: &Principal,
    notes: Vec<Result<NoteIn, ApiError>>,
    prefix: impl Fn(usize) -> String,
) -> ApiResult<Vec<Result<NoteIn, ApiError>>> {
    let now = Utc::now();
    let mut sites = Vec::new();
    let mut pids = Vec::new();
    let mut cids = Vec::new();
    for n in notes.iter().flatten() {
        sites.push(n.site_id);
        pids.extend(&n.participant_ids);
        cids.extend(&n.code_ids);
    }
    // Sites are never deleted: one seen once (or one the caller is assigned
    // to, which the foreign key guarantees) needs no lookup again.
    let (seen, unseen): (Vec<Uuid>, Vec<Uuid>) = normalise(&sites)
        .into_iter()
        .partition(|s| p.site_ids.contains(s) || known_sites.contains(s));
    let mut known = lookup(db, unseen, normalise(&pids), normalise(&cids)).await?;
    known_sites.extend(known.sites.iter().copied());
    known.sites.extend(seen);
    // Field checks first. Only a note that fails them is looked up, in case
    // it is the retry of a note stored while it was valid: what was stored
    // stays stored whatever changed since, so that retry is let through (and
    // answered `unchanged`).
    let mut out: Vec<Result<NoteIn, ApiError>> = Vec::with_capacity(notes.len());
    let mut failed: Vec<(usize, NoteIn)> = Vec::new();
    for (i, n) in notes.into_iter().enumerate() {
        let mut n = match n {
            Ok(n) => n,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        n.observed_at = n.observed_at.trunc_subsecs(6);
        let mut errors = Vec::new();
        check_fields(
            &mut errors,
            Some(&n.body),
            Some(n.observed_at),
            Some(&n.participant_ids),
            Some(&n.code_ids),
            now,
        );
        if !known.sites.contains(&n.site_id) || !p.can_see_site(n.site_id) {
            errors.push(FieldError::new("/site_id", not_found("site")));
        } else {
            check_links(
                &mut errors,
                &known,
                n.site_id,
                Some(&n.participant_ids),
                Some(&n.code_ids),
            );
        }
        if errors.is_empty() {
            out.push(Ok(n));
        } else {
            out.push(Err(prefixed(&prefix(i), errors)));
            failed.push((i, n));
        }
    }
    if !failed.is_empty() {
        let stored: HashMap<Uuid, (Uuid, String)> = entity::note::Entity::find()
            .filter(
                entity::note::Column::Id
                    .is_in(failed.iter().map(|(_, n)| n.id).collect::<Vec<_>>()),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, (m.author_id, m.create_hash)))
            .collect();
        for (i, n) in failed {
            if stored.get(&n.id) == Some(&(p.user_id, content_hash(&n))) {
                out[i] = Ok(n);
            }
        }
    }
    Ok(out)
}

fn id_clash(id: Uuid) -> ApiError {
    ApiError::conflict(
        "note_id_conflict",
        "A different note already has this id. Keep your note and send it again with a new id.",
    )
    .with("id", serde_json::json!(id))
}

async fn insert_links(
    txn: &DatabaseTransaction,
    note_id: Uuid,
    pids: &[Uuid],
    cids: &[Uuid],
) -> ApiResult<()> {
    if !pids.is_empty() {
        entity::note_participant::Entity::insert_many(pids.iter().map(|pid| {
            entity::note_participant::ActiveModel {
                note_id: Set(note_id),
                participant_id: Set(*pid),
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    if !cids.is_empty() {
        entity::note_code::Entity::insert_many(cids.iter().map(|cid| {
            entity::note_code::ActiveModel {
                note_id: Set(note_id),
                code_id: Set(*cid),
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

fn version_row(note: &NoteOut, action: &str, by: Uuid) -> entity::note_version::ActiveModel {
    entity::note_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        note_id: Set(note.id),
        version: Set(note.version),
        action: Set(action.into()),
        site_id: Set(note.site_id),
        observed_at: Set(note.observed_at),
        location: Set(note.location.as_str().into()),
        body: Set(note.body.clone()),
        participant_ids: Set(serde_json::json!(note.participant_ids)),
        code_ids: Set(serde_json::json!(note.code_ids)),
        changed_by: Set(Some(by)),
        changed_at: Set(note.updated_at),
    }
}

/// Appends a version row describing `note` as it now is.
pub async fn record_version(
    txn: &DatabaseTransaction,
    note: &NoteOut,
    action: &str,
    by: Uuid,
) -> ApiResult<()> {
    entity::note_version::Entity::insert(version_row(note, action, by))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// One request's notes, by one author.
pub struct Batch {
    pub user_id: Uuid,
    pub actor: Actor,
    pub notes: Vec<Result<NoteIn, ApiError>>,
    /// Audit entries written in the same transaction.
    pub audit: Vec<entity::audit_log::ActiveModel>,
}

/// The creation of one or more requests' notes as a handful of multi-row
/// statements whatever their number, built once for both ways of running
/// them (a sea-orm transaction here, the SQLite group writer in
/// `notes::group_commit`): first the notes' insert-or-nothing, which returns the ids
/// that went in (`note_inserts`); then the links, first versions and audit
/// entries of those (`follow_ups`); last the notes whose id already existed
/// are loaded and compared (`finish`): the same author and creation content
/// is a retry (`Unchanged`), anything else a clash.
pub struct GroupWrite<'a> {
    batches: &'a [Batch],
    now: DateTime<Utc>,
    out: Vec<Vec<Applied>>,
    /// (batch, slot, note, creation hash) of every valid note not yet placed
    valid: Vec<(usize, usize, &'a NoteIn, String)>,
    inserted: HashSet<Uuid>,
    created: Vec<(usize, usize, NoteOut)>,
    existing: Vec<(usize, usize, Uuid, String)>,
}

impl<'a> GroupWrite<'a> {
    pub fn new(batches: &'a [Batch]) -> Self {
        let mut out: Vec<Vec<Applied>> = Vec::with_capacity(batches.len());
        let mut valid = Vec::new();
        for (b, batch) in batches.iter().enumerate() {
            let mut results = Vec::with_capacity(batch.notes.len());
            for n in &batch.notes {
                match n {
                    Ok(n) => {
                        valid.push((b, results.len(), n, content_hash(n)));
                        results.push(Applied::Rejected(ApiError::Unavailable));
                    }
                    Err(e) => results.push(Applied::Rejected(e.duplicate())),
                }
            }
            out.push(results);
        }
        GroupWrite {
            batches,
            now: Utc::now().trunc_subsecs(6),
            out,
            valid,
            inserted: HashSet::new(),
            created: Vec::new(),
            existing: Vec::new(),
        }
    }

    /// Insert-or-nothing of every valid note, `RETURNING id` (SQLite takes
    /// at most 32 766 parameters a statement: 1000 rows of 12). Hand each
    /// statement's returned ids to `inserted`.
    pub fn note_inserts(&self, backend: DbBackend) -> Vec<Statement> {
        let rows: Vec<entity::note::ActiveModel> = self
            .valid
            .iter()
            .map(|(b, _, n, hash)| entity::note::ActiveModel {
                id: Set(n.id),
                site_id: Set(n.site_id),
                author_id: Set(self.batches[*b].user_id),
                observed_at: Set(n.observed_at),
                location: Set(n.location.as_str().into()),
                body: Set(n.body.clone()),
                create_hash: Set(hash.clone()),
                version: Set(1),
                created_at: Set(self.now),
                updated_at: Set(self.now),
                deleted_at: Set(None),
                deleted_by: Set(None),
            })
            .collect();
        rows.chunks(1000)
            .map(|chunk| {
                let mut q = entity::note::Entity::insert_many(chunk.to_vec())
                    .on_conflict(
                        OnConflict::column(entity::note::Column::Id)
                            .do_nothing()
                            .to_owned(),
                    )
                    .into_query();
                q.returning_col(entity::note::Column::Id);
                backend.build(&q)
            })
            .collect()
    }

    pub fn inserted(&mut self, ids: impl IntoIterator<Item = Uuid>) {
        self.inserted.extend(ids);
    }

    /// Splits the valid notes, once `inserted` has the ids that went in,
    /// into created ones and ones whose id existed before.
    pub fn place(&mut self) {
        for (b, slot, n, hash) in std::mem::take(&mut self.valid) {
            // The first occurrence of an id is the one inserted.
            if self.inserted.remove(&n.id) {
                let note = self.note_out(b, n);
                self.created.push((b, slot, note));
            } else {
                self.existing.push((b, slot, n.id, hash));
            }
        }
    }

    /// Note `n` of batch `b` as created by this group.
    fn note_out(&self, b: usize, n: &NoteIn) -> NoteOut {
        NoteOut {
            id: n.id,
            site_id: n.site_id,
            author_id: self.batches[b].user_id,
            observed_at: n.observed_at,
            location: n.location,
            body: n.body.clone(),
            participant_ids: normalise(&n.participant_ids),
            code_ids: normalise(&n.code_ids),
            version: 1,
            created_at: self.now,
            updated_at: self.now,
            deleted_at: None,
        }
    }

    /// Links, first versions and audit entries of the notes that went in,
    /// and the requests' own audit entries.
    pub fn follow_ups(&mut self, backend: DbBackend) -> Vec<Statement> {
        self.place();
        let batches = self.batches;
        let mut out = Vec::new();
        let links: Vec<entity::note_participant::ActiveModel> = self
            .created
            .iter()
            .flat_map(|(_, _, n)| {
                n.participant_ids
                    .iter()
                    .map(|p| entity::note_participant::ActiveModel {
                        note_id: Set(n.id),
                        participant_id: Set(*p),
                    })
            })
            .collect();
        out.extend(insert_statements(&links, 5000, backend));
        let codings: Vec<entity::note_code::ActiveModel> = self
            .created
            .iter()
            .flat_map(|(_, _, n)| {
                n.code_ids.iter().map(|c| entity::note_code::ActiveModel {
                    note_id: Set(n.id),
                    code_id: Set(*c),
                })
            })
            .collect();
        out.extend(insert_statements(&codings, 5000, backend));
        let versions: Vec<entity::note_version::ActiveModel> = self
            .created
            .iter()
            .map(|(b, _, n)| version_row(n, "create", batches[*b].user_id))
            .collect();
        out.extend(insert_statements(&versions, 1000, backend));
        let audit: Vec<entity::audit_log::ActiveModel> = self
            .created
            .iter()
            .map(|(b, _, n)| {
                audit::row(
                    &batches[*b].actor,
                    Entry::new("note.create", "note", n.id).site(Some(n.site_id)),
                )
            })
            .chain(batches.iter().flat_map(|b| b.audit.iter().cloned()))
            .collect();
        out.extend(insert_statements(&audit, 2000, backend));
        out
    }

    /// The whole group as one PostgreSQL statement: the notes'
    /// insert-or-nothing and, as data-modifying CTEs joined to the ids that
    /// went in, their links, first versions and audit entries, plus the
    /// requests' own audit entries. One round trip and one (implicit)
    /// transaction instead of a begin, five inserts and a commit; the rows
    /// travel as arrays, so the text is the same whatever the group's size
    /// and each connection prepares it once. Afterwards the notes are placed
    /// as `follow_ups` places them.
    pub async fn write_postgres(&mut self, pool: &sqlx::PgPool) -> ApiResult<()> {
        let mut pg = PgRows::default();
        let mut seen = HashSet::new();
        for (b, _, n, hash) in &self.valid {
            // Only an id's first occurrence is offered (as `note_inserts`
            // inserts only that one); later ones find it existing.
            if !seen.insert(n.id) {
                continue;
            }
            let batch = &self.batches[*b];
            // The links as `note_out` (and so the answer) has them; the
            // body is borrowed, not copied.
            let (pids, cids) = (normalise(&n.participant_ids), normalise(&n.code_ids));
            pg.id.push(n.id);
            pg.site_id.push(n.site_id);
            pg.author_id.push(batch.user_id);
            pg.observed_at.push(n.observed_at);
            pg.location.push(n.location.as_str());
            pg.body.push(n.body.as_str());
            pg.create_hash.push(hash.as_str());
            pg.version_id.push(Uuid::now_v7());
            pg.participants.push(serde_json::json!(pids));
            pg.codes.push(serde_json::json!(cids));
            for p in &pids {
                pg.link_note.push(n.id);
                pg.link_participant.push(*p);
            }
            for c in &cids {
                pg.coding_note.push(n.id);
                pg.coding_code.push(*c);
            }
            let row = audit::row(
                &batch.actor,
                Entry::new("note.create", "note", n.id).site(Some(n.site_id)),
            );
            pg.audit(row, Some(n.id))?;
        }
        for batch in self.batches {
            for row in &batch.audit {
                pg.audit(row.clone(), None)?;
            }
        }
        let ids: Vec<(Uuid,)> = sqlx::query_as(PG_GROUP)
            .bind(pg.id)
            .bind(pg.site_id)
            .bind(pg.author_id)
            .bind(pg.observed_at)
            .bind(pg.location)
            .bind(pg.body)
            .bind(pg.create_hash)
            .bind(pg.version_id)
            .bind(pg.participants)
            .bind(pg.codes)
            .bind(self.now)
            .bind(pg.link_note)
            .bind(pg.link_participant)
            .bind(pg.coding_note)
            .bind(pg.coding_code)
            .bind(pg.audit_id)
            .bind(pg.audit_at)
            .bind(pg.audit_user)
            .bind(pg.audit_key)
            .bind(pg.audit_action)
            .bind(pg.audit_object_type)
            .bind(pg.audit_object_id)
            .bind(pg.audit_site)
            .bind(pg.audit_request)
            .bind(pg.audit_ip)
            .bind(pg.audit_detail)
            .bind(pg.audit_if_created)
            .bind(pg.audit_change)
            .fetch_all(pool)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        self.inserted(ids.into_iter().map(|(id,)| id));
        self.place();
        Ok(())
    }

    /// Ids that existed before: load these (with `load`) for `finish`.
    pub fn existing_ids(&self) -> Vec<Uuid> {
        self.existing.iter().map(|(_, _, id, _)| *id).collect()
    }

    /// The results, given the notes that existed (`None` when they could not
    /// be loaded: those notes are answered 503, to be sent again).
    pub fn finish(
        mut self,
        found: Option<&HashMap<Uuid, (entity::note::Model, NoteOut)>>,
    ) -> Vec<Vec<Applied>> {
        for (b, slot, note) in std::mem::take(&mut self.created) {
            self.out[b][slot] = Applied::Created(note);
        }
        for (b, slot, id, hash) in std::mem::take(&mut self.existing) {
            let Some(found) = found else {
                self.out[b][slot] = Applied::Rejected(ApiError::Unavailable);
                continue;
            };
            self.out[b][slot] = match found.get(&id) {
                Some((m, note))
                    if m.author_id == self.batches[b].user_id && m.create_hash == hash =>
                {
                    Applied::Unchanged(note.clone())
                }
                _ => Applied::Rejected(id_clash(id)),
            };
        }
        self.out
    }
}

/// `GroupWrite::write_postgres`'s statement. `$11` is the group's time.
/// Foreign keys are checked at the end of the statement, when the notes are in.
const PG_GROUP: &str = "
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::text[],
                         $6::text[], $7::text[], $8::uuid[], $9::jsonb[], $10::jsonb[])
        AS t(id, site_id, author_id, observed_at, location, body, create_hash, version_id,
             participant_ids, code_ids)
), ins AS (
    INSERT INTO notes (id, site_id, author_id, observed_at, location, body, create_hash,
                       version, created_at, updated_at)
    SELECT id, site_id, author_id, observed_at, location, body, create_hash, 1, $11, $11
    FROM input
    ON CONFLICT (id) DO NOTHING
    RETURNING id
), versions AS (
    INSERT INTO note_versions (id, note_id, version, action, site_id, observed_at, location,
                               body, participant_ids, code_ids, changed_by, changed_at)
    SELECT i.version_id, i.id, 1, 'create', i.site_id, i.observed_at, i.location, i.body,
           i.participant_ids::json, i.code_ids::json, i.author_id, $11
    FROM input i JOIN ins ON ins.id = i.id
), participants AS (
    INSERT INTO note_participants (note_id, participant_id)
    SELECT l.note_id, l.other FROM unnest($12::uuid[], $13::uuid[]) AS l(note_id, other)
    JOIN ins ON ins.id = l.note_id
), codings AS (
    INSERT INTO note_codes (note_id, code_id)
    SELECT l.note_id, l.other FROM unnest($14::uuid[], $15::uuid[]) AS l(note_id, other)
    JOIN ins ON ins.id = l.note_id
), audit AS (
    INSERT INTO audit_log (id, at, actor_user_id, actor_api_key_id, action, object_type,
                           object_id, site_id, request_id, ip, detail, change_type)
    SELECT a.id, a.at, a.user_id, a.key_id, a.action, a.object_type, a.object_id, a.site_id,
           a.request_id, a.ip, a.detail::json, a.change_type
    FROM unnest($16::uuid[], $17::timestamptz[], $18::uuid[], $19::uuid[], $20::text[],
                $21::text[], $22::text[], $23::uuid[], $24::text[], $25::text[], $26::jsonb[],
                $27::uuid[], $28::text[])
        AS a(id, at, user_id, key_id, action, object_type, object_id, site_id, request_id, ip,
             detail, if_created, change_type)
    WHERE a.if_created IS NULL OR a.if_created IN (SELECT id FROM ins)
)
SELECT id FROM ins";

/// The columns of `PG_GROUP`'s arrays.
#[derive(Default)]
struct PgRows<'a> {
    id: Vec<Uuid>,
    site_id: Vec<Uuid>,
    author_id: Vec<Uuid>,
    observed_at: Vec<DateTime<Utc>>,
    location: Vec<&'a str>,
    body: Vec<&'a str>,
    create_hash: Vec<&'a str>,
    version_id: Vec<Uuid>,
    participants: Vec<serde_json::Value>,
    codes: Vec<serde_json::Value>,
    link_note: Vec<Uuid>,
    link_participant: Vec<Uuid>,
    coding_note: Vec<Uuid>,
    coding_code: Vec<Uuid>,
    audit_id: Vec<Uuid>,
    audit_at: Vec<DateTime<Utc>>,
    audit_user: Vec<Option<Uuid>>,
    audit_key: Vec<Option<Uuid>>,
    audit_action: Vec<String>,
    audit_object_type: Vec<String>,
    audit_object_id: Vec<Option<String>>,
    audit_site: Vec<Option<Uuid>>,
    audit_request: Vec<Option<String>>,
    audit_ip: Vec<Option<String>>,
    audit_detail: Vec<Option<serde_json::Value>>,
    audit_if_created: Vec<Option<Uuid>>,
    audit_change: Vec<Option<String>>,
}

impl PgRows<'_> {
    /// An audit row, written only if note `if_created` went in (always
    /// when `None`).
    fn audit(
        &mut self,
        row: entity::audit_log::ActiveModel,
        if_created: Option<Uuid>,
    ) -> ApiResult<()> {
        use sea_orm::TryIntoModel;
        let m = row
            .try_into_model()
            .map_err(|e| ApiError::Internal(e.into()))?;
        self.audit_id.push(m.id);
        self.audit_at.push(m.at);
        self.audit_user.push(m.actor_user_id);
        self.audit_key.push(m.actor_api_key_id);
        self.audit_action.push(m.action);
        self.audit_object_type.push(m.object_type);
        self.audit_object_id.push(m.object_id);
        self.audit_site.push(m.site_id);
        self.audit_request.push(m.request_id);
        self.audit_ip.push(m.ip);
        self.audit_detail.push(m.detail);
        self.audit_if_created.push(if_created);
        self.audit_change.push(m.change_type);
        Ok(())
    }
}

/// Runs a `GroupWrite` inside `txn` (which the caller commits). Returns one
/// result list per batch.
pub async fn apply_in(
    txn: &DatabaseTransaction,
    batches: &[Batch],
) -> ApiResult<Vec<Vec<Applied>>> {
    let backend = txn.get_database_backend();
    let mut g = GroupWrite::new(batches);
    for stmt in g.note_inserts(backend) {
        let rows = txn.query_all(stmt).await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get::<Uuid>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        g.inserted(ids);
    }
    for stmt in g.follow_ups(backend) {
        txn.execute(stmt).await?;
    }
    let found = load(txn, g.existing_ids()).await?;
    Ok(g.finish(Some(&found)))
}

/// Notes by id, with their links.
pub async fn load(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> ApiResult<HashMap<Uuid, (entity::note::Model, NoteOut)>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = entity::note::Entity::find()
        .filter(entity::note::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let outs = with_links(db, rows.clone()).await?;
    Ok(rows
        .into_iter()
        .zip(outs)
        .map(|(m, o)| (m.id, (m, o)))
        .collect())
}

/// The notes as the API shows them, links included, in the given order.
pub async fn with_links(
    db: &impl ConnectionTrait,
    rows: Vec<entity::note::Model>,
) -> ApiResult<Vec<NoteOut>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    use entity::{note_code as nc, note_participant as np};
    use sea_orm::sea_query::{Expr, Query, UnionType};
    let all: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut pids: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut cids: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    // Both kinds of link in one statement, (note, 0, participant) and
    // (note, 1, code); each id is bound twice, so 8000 notes a statement.
    for ids in all.chunks(8000) {
        let mut links = Query::select()
            .column(np::Column::NoteId)
            .expr(Expr::cust("0"))
            .column(np::Column::ParticipantId)
            .from(np::Entity)
            .and_where(np::Column::NoteId.is_in(ids.to_vec()))
            .to_owned();
        links.union(
            UnionType::All,
            Query::select()
                .column(nc::Column::NoteId)
                .expr(Expr::cust("1"))
                .column(nc::Column::CodeId)
                .from(nc::Entity)
                .and_where(nc::Column::NoteId.is_in(ids.to_vec()))
                .to_owned(),
        );
        for r in db
            .query_all(db.get_database_backend().build(&links))
            .await?
        {
            let note: Uuid = r.try_get_by_index(0)?;
            let kind: i32 = r.try_get_by_index(1)?;
            let other: Uuid = r.try_get_by_index(2)?;
            match kind {
                0 => pids.entry(note).or_default().push(other),
                _ => cids.entry(note).or_default().push(other),
            }
        }
    }
    rows.into_iter()
        .map(|m| {
            let p = normalise(&pids.remove(&m.id).unwrap_or_default());
            let c = normalise(&cids.remove(&m.id).unwrap_or_default());
            NoteOut::from_parts(m, p, c).map_err(ApiError::from)
        })
        .collect()
}

/// Replaces a note's links.
pub async fn replace_links(
    txn: &DatabaseTransaction,
    note_id: Uuid,
    pids: Option<&[Uuid]>,
    cids: Option<&[Uuid]>,
) -> ApiResult<()> {
    if let Some(pids) = pids {
        entity::note_participant::Entity::delete_many()
            .filter(entity::note_participant::Column::NoteId.eq(note_id))
            .exec(txn)
            .await?;
        insert_links(txn, note_id, &normalise(pids), &[]).await?;
    }
    if let Some(cids) = cids {
        entity::note_code::Entity::delete_many()
            .filter(entity::note_code::Column::NoteId.eq(note_id))
            .exec(txn)
            .await?;
        insert_links(txn, note_id, &[], &normalise(cids)).await?;
    }
    Ok(())
}

/// Multi-row inserts of `rows`, `per` rows a statement (SQLite takes at most
/// 32 766 parameters a statement).
pub fn insert_statements<A>(rows: &[A], per: usize, backend: DbBackend) -> Vec<Statement>
where
    A: sea_orm::ActiveModelTrait + Clone,
{
    rows.chunks(per)
        .map(|chunk| A::Entity::insert_many(chunk.to_vec()).build(backend))
        .collect()
}
