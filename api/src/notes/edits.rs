//! Changing notes: versioned edits (a change never overwrites another),
//! soft delete and restore, each with a new version in the history.
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    codebook::passages,
    kernel::{
        access::objects,
        audit::Entry,
        ctx::Ctx,
        error::{ApiError, ApiResult},
        precondition::IfMatch,
    },
    notes::{self as svc, reads::load, Location, NoteOut},
};

/// Changes to a note; absent fields stay as they are. The site cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotePatch {
    pub observed_at: Option<DateTime<Utc>>,
    pub location: Option<Location>,
    #[schema(min_length = 1, max_length = 100000)]
    pub body: Option<String>,
    #[schema(max_items = 50)]
    pub participant_ids: Option<Vec<Uuid>>,
    #[schema(max_items = 50)]
    pub code_ids: Option<Vec<Uuid>>,
}

pub fn stale(current: &NoteOut) -> ApiError {
    ApiError::stale_current(
        "version_mismatch",
        format!(
            "Someone changed this note since you loaded it; it is now at version {}. Compare both and send your change again with If-Match: {}.",
            current.version,
            current.etag()
        ),
        serde_json::json!(current),
        current.etag(),
    )
}

/// Bumps the version only if it is still `expected` (any version for
/// `None`, an `If-Match: *`); false when someone else changed the note first.
async fn bump(
    txn: &sea_orm::DatabaseTransaction,
    id: Uuid,
    expected: Option<i32>,
    now: DateTime<Utc>,
    set: Vec<(entity::note::Column, sea_orm::Value)>,
) -> ApiResult<bool> {
    use entity::note::{Column, Entity};
    let mut upd = Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    for (c, v) in set {
        upd = upd.col_expr(c, Expr::value(v));
    }
    let mut upd = upd.filter(Column::Id.eq(id));
    if let Some(expected) = expected {
        upd = upd.filter(Column::Version.eq(expected));
    }
    Ok(upd.exec(txn).await?.rows_affected == 1)
}

/// Whether `patch` would leave the note as it is.
fn changes_nothing(
    current: &NoteOut,
    patch: &NotePatch,
    observed_at: Option<DateTime<Utc>>,
) -> bool {
    let same_ids = |new: Option<&[Uuid]>, old: &[Uuid]| {
        new.is_none_or(|n| svc::normalise(n) == svc::normalise(old))
    };
    observed_at.is_none_or(|t| t == current.observed_at)
        && patch.location.is_none_or(|l| l == current.location)
        && patch.body.as_ref().is_none_or(|b| *b == current.body)
        && same_ids(patch.participant_ids.as_deref(), &current.participant_ids)
        && same_ids(patch.code_ids.as_deref(), &current.code_ids)
}

/// Change a note, based on the caller's `If-Match` (428 without it, 412
/// with the current note when someone changed it first). A change that
/// changes nothing gives the note as it is: no new version, history entry
/// or audit row.
pub async fn patch(
    cx: &Ctx<'_>,
    id: Uuid,
    if_match: IfMatch,
    patch: NotePatch,
) -> ApiResult<NoteOut> {
    let (m, current) = load(cx.read, cx.p, id).await?;
    objects::may_edit_note(cx.p, m.author_id)?;
    if if_match.is_absent() {
        return Err(ApiError::precondition_required(
            "if_match_required",
            "Send If-Match with the note's ETag so a change by someone else is never overwritten.",
        ));
    }
    let now = Utc::now().trunc_subsecs(6);
    let observed_at = patch.observed_at.map(|t| t.trunc_subsecs(6));
    let mut errors = Vec::new();
    svc::check_fields(
        &mut errors,
        patch.body.as_deref(),
        observed_at,
        patch.participant_ids.as_deref(),
        patch.code_ids.as_deref(),
        now,
    );
    let known = svc::lookup(
        cx.read,
        Vec::new(),
        svc::normalise(patch.participant_ids.as_deref().unwrap_or_default()),
        svc::normalise(patch.code_ids.as_deref().unwrap_or_default()),
    )
    .await?;
    svc::check_links(
        &mut errors,
        &known,
        m.site_id,
        patch.participant_ids.as_deref(),
        patch.code_ids.as_deref(),
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if current.deleted_at.is_some() {
        return Err(ApiError::conflict(
            "note_deleted",
            "This note is deleted; a coordinator can restore it first.",
        ));
    }
    if !if_match.allows(&current.etag()) {
        return Err(stale(&current));
    }
    if changes_nothing(&current, &patch, observed_at) {
        return Ok(current);
    }
    // `*` changes whatever is current; a tag, only the version it names.
    let expected = (if_match != IfMatch::Any).then_some(current.version);
    use entity::note::Column;
    let mut set: Vec<(Column, sea_orm::Value)> = Vec::new();
    if let Some(t) = observed_at {
        set.push((Column::ObservedAt, t.into()));
    }
    if let Some(l) = patch.location {
        set.push((Column::Location, l.as_str().into()));
    }
    if let Some(b) = &patch.body {
        set.push((Column::Body, b.clone().into()));
    }
    let ch = cx.begin().await?;
    if !bump(ch.db(), m.id, expected, now, set).await? {
        drop(ch);
        let (_, now_current) = load(cx.read, cx.p, m.id).await?;
        return Err(stale(&now_current));
    }
    svc::replace_links(
        ch.db(),
        m.id,
        patch.participant_ids.as_deref(),
        patch.code_ids.as_deref(),
    )
    .await?;
    let followed = match &patch.body {
        Some(b) => passages::follow_text(ch.db(), passages::Target::Note(m.id), b, now).await?,
        None => passages::Followed::default(),
    };
    let (_, note) = load(ch.db(), cx.p, m.id).await?;
    svc::record_version(ch.db(), &note, "update", cx.p.user_id).await?;
    ch.audit(
        Entry::new("note.update", "note", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({
                "version": note.version,
                "codings_moved": followed.moved,
                "codings_unanchored": followed.unanchored,
            })),
    )
    .await?;
    ch.commit().await?;
    Ok(note)
}

async fn set_deleted(cx: &Ctx<'_>, m: &entity::note::Model, deleted: bool) -> ApiResult<NoteOut> {
    use entity::note::Column;
    let now = Utc::now().trunc_subsecs(6);
    let set: Vec<(Column, sea_orm::Value)> = if deleted {
        vec![
            (Column::DeletedAt, Some(now).into()),
            (Column::DeletedBy, Some(cx.p.user_id).into()),
        ]
    } else {
        vec![
            (Column::DeletedAt, Option::<DateTime<Utc>>::None.into()),
            (Column::DeletedBy, Option::<Uuid>::None.into()),
        ]
    };
    let ch = cx.begin().await?;
    if !bump(ch.db(), m.id, Some(m.version), now, set).await? {
        drop(ch);
        let (_, current) = load(cx.read, cx.p, m.id).await?;
        return Err(stale(&current));
    }
    let (_, note) = load(ch.db(), cx.p, m.id).await?;
    let action = if deleted { "delete" } else { "restore" };
    svc::record_version(ch.db(), &note, action, cx.p.user_id).await?;
    ch.audit(
        Entry::new(
            if deleted {
                "note.delete"
            } else {
                "note.restore"
            },
            "note",
            m.id,
        )
        .site(Some(m.site_id))
        .detail(serde_json::json!({"version": note.version})),
    )
    .await?;
    ch.commit().await?;
    Ok(note)
}

/// Delete a note (its author, a coordinator or an admin); a deleted note
/// stays deleted. With an `If-Match`, only that version is deleted.
pub async fn delete(cx: &Ctx<'_>, id: Uuid, if_match: IfMatch) -> ApiResult<()> {
    let (m, current) = load(cx.read, cx.p, id).await?;
    objects::may_edit_note(cx.p, m.author_id)?;
    if !if_match.allows(&current.etag()) {
        return Err(stale(&current));
    }
    if m.deleted_at.is_none() {
        set_deleted(cx, &m, true).await?;
    }
    Ok(())
}

/// Restore a deleted note (coordinator).
pub async fn restore(cx: &Ctx<'_>, id: Uuid) -> ApiResult<NoteOut> {
    let (m, _) = load(cx.read, cx.p, id).await?;
    if m.deleted_at.is_none() {
        return Err(ApiError::conflict(
            "note_not_deleted",
            "This note is not deleted.",
        ));
    }
    // A redaction of a deleted note erased its text: an empty note is no
    // note (a body is 1 to 100 000 characters).
    if m.body.is_empty() {
        return Err(ApiError::conflict(
            "note_redacted",
            "This note's text was erased by a redaction, so it cannot be restored. Write a new note instead.",
        ));
    }
    let note = set_deleted(cx, &m, false).await?;
    Ok(note)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactIn {
    /// Why, for the audit log (e.g. "a participant's real name"). Never the
    /// erased words.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

/// What a redaction erased.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedactOut {
    pub note_id: Uuid,
    /// Earlier versions whose text is now gone.
    pub versions_erased: u64,
    /// Whether the note's own text went too (a deleted note).
    pub current_erased: bool,
}

/// Erase for good the text of every earlier version of a note (coordinator),
/// and, when the note is deleted, its own text, so the search finds it no
/// more. Fix the current text first with an edit; redaction then removes the
/// words from the history. The audit log keeps who, when and why, never
/// the text.
pub async fn redact(cx: &Ctx<'_>, id: Uuid, body: RedactIn) -> ApiResult<RedactOut> {
    let (m, _) = load(cx.read, cx.p, id).await?;
    let mut errors = Vec::new();
    crate::kernel::error::check_len(&mut errors, "/reason", Some(&body.reason), 1, 500);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    use entity::{note, note_version};
    let ch = cx.begin().await?;
    let fresh = note::Entity::find_by_id(m.id)
        .lock_exclusive()
        .one(ch.db())
        .await?
        .ok_or(ApiError::NotFound("note"))?;
    let current_erased = fresh.deleted_at.is_some();
    // The hash of the note's first text answers retries of that text (200
    // for the same words, 409 for others): kept, it would confirm a guess of
    // the erased words to anyone who can retry, and sit in every backup.
    // Replaced by one no text hashes to, a retry of the original is a 409
    // like any other text.
    note::Entity::update_many()
        .col_expr(
            note::Column::CreateHash,
            Expr::value(format!("redacted {}", Uuid::now_v7())),
        )
        .filter(note::Column::Id.eq(m.id))
        .exec(ch.db())
        .await?;
    let mut versions = note_version::Entity::update_many()
        .col_expr(note_version::Column::Body, Expr::value(""))
        .filter(note_version::Column::NoteId.eq(m.id));
    if !current_erased {
        versions = versions.filter(note_version::Column::Version.lt(fresh.version));
    }
    let versions_erased = versions.exec(ch.db()).await?.rows_affected;
    // Unanchored codings keep words of an earlier text: they go too.
    passages::erase_quotes(ch.db(), m.id, current_erased).await?;
    if current_erased {
        // The search index follows the text (a trigger on SQLite, a
        // generated column on PostgreSQL).
        note::Entity::update_many()
            .col_expr(note::Column::Body, Expr::value(""))
            .filter(note::Column::Id.eq(m.id))
            .exec(ch.db())
            .await?;
    }
    ch.audit(
        Entry::new("note.redact", "note", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({
                "reason": body.reason.trim(),
                "versions_erased": versions_erased,
                "current_erased": current_erased,
            })),
    )
    .await?;
    ch.commit().await?;
    forget_on_disk(&cx.writer.db).await?;
    Ok(RedactOut {
        note_id: m.id,
        versions_erased,
        current_erased,
    })
}

/// On SQLite the erased words outlive the UPDATE in the write-ahead log,
/// whose old page images stay in `fieldnotes.db-wal` until it is written
/// back and started over. So, before a redaction answers, the log is
/// checkpointed with TRUNCATE (every frame into the database file, where
/// `secure_delete` has zeroed the freed content, then the log cut to zero
/// bytes). A checkpoint that readers keep from finishing is tried again for
/// up to ten seconds; then the redaction fails loudly rather than claim the
/// words are gone. PostgreSQL: see README ("Redaction").
async fn forget_on_disk(db: &sea_orm::DatabaseConnection) -> ApiResult<()> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    for _ in 0..100 {
        let busy = db
            .query_one(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ))
            .await?
            .map(|r| r.try_get_by_index::<i32>(0))
            .transpose()?
            .unwrap_or(1);
        if busy == 0 {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "the write-ahead log could not be checkpointed after a redaction"
    )))
}
