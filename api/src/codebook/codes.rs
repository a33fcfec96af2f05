//! The codebook: hierarchical codes for notes (coordinators manage it).
use crate::kernel::field::{not_found, FieldProblem};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, Query as SqlQuery},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::kernel::{
    audit::Entry,
    ctx::Ctx,
    error::{ApiError, ApiResult, FieldError},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeIn {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// `medical`, `relational`, `configurational` or the study's own word.
    #[schema(max_length = 60, example = "relational")]
    pub dimension: Option<String>,
    pub parent_id: Option<Uuid>,
}

/// Changes to a code; absent fields stay. `parent_id: null` makes it a root.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodePatch {
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(max_length = 60)]
    pub dimension: Option<String>,
    #[serde(default, deserialize_with = "crate::kernel::wire::present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    /// Its place among its siblings (under its new parent, when
    /// `parent_id` is given too), from 0; the siblings from there move one
    /// down. Past the last, it goes last. Without it, a code that moves
    /// goes last under its new parent.
    #[schema(minimum = 0, maximum = 100000)]
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeOut {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub description: Option<String>,
    pub dimension: Option<String>,
    /// Its place among its siblings, from 0: the order the team gives the
    /// codebook (lists, the tree and the exports keep it).
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present with `tree=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub children: Option<Vec<CodeOut>>,
}

impl From<entity::code::Model> for CodeOut {
    fn from(m: entity::code::Model) -> Self {
        CodeOut {
            id: m.id,
            parent_id: m.parent_id,
            name: m.name,
            description: m.description,
            dimension: m.dimension,
            position: m.position,
            created_at: m.created_at,
            updated_at: m.updated_at,
            children: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeList {
    pub items: Vec<CodeOut>,
}

fn check(
    errors: &mut Vec<FieldError>,
    name: Option<&str>,
    description: Option<&str>,
    dimension: Option<&str>,
) {
    let len = |s: &str| s.trim().chars().count();
    crate::kernel::error::check_line(errors, "/name", name, 1, 120);
    if description.is_some_and(|d| len(d) > 2000) {
        errors.push(FieldError::new(
            "/description",
            FieldProblem::TooLong { max: 2000 },
        ));
    }
    crate::kernel::error::check_line(errors, "/dimension", dimension, 0, 60);
}

/// Every code in the codebook's reading order: each code followed by the
/// codes under it, siblings in the team's order (Table 1's order).
pub async fn all_codes(db: &impl ConnectionTrait) -> ApiResult<Vec<entity::code::Model>> {
    let rows = entity::code::Entity::find()
        .order_by_asc(entity::code::Column::Position)
        .order_by_asc(entity::code::Column::Name)
        .order_by_asc(entity::code::Column::Id)
        .all(db)
        .await?;
    Ok(reading_order(rows))
}

/// `codes` (siblings already in order) as a depth-first walk of the tree.
fn reading_order(codes: Vec<entity::code::Model>) -> Vec<entity::code::Model> {
    let ids: std::collections::HashSet<Uuid> = codes.iter().map(|c| c.id).collect();
    let mut by_parent: HashMap<Option<Uuid>, Vec<entity::code::Model>> = HashMap::new();
    for c in codes {
        // A parent that is not there (it cannot be: the database refuses
        // it) would hide its children; they are put at the top instead.
        let parent = c.parent_id.filter(|p| ids.contains(p));
        by_parent.entry(parent).or_default().push(c);
    }
    let mut out = Vec::with_capacity(ids.len());
    let mut stack: Vec<entity::code::Model> = by_parent.remove(&None).unwrap_or_default();
    stack.reverse();
    while let Some(c) = stack.pop() {
        if let Some(mut kids) = by_parent.remove(&Some(c.id)) {
            kids.reverse();
            stack.extend(kids);
        }
        out.push(c);
    }
    out
}

/// The codes under `parent` (the top level for `None`) in the team's
/// order, but `except`.
async fn siblings(
    db: &impl ConnectionTrait,
    parent: Option<Uuid>,
    except: Option<Uuid>,
) -> ApiResult<Vec<entity::code::Model>> {
    use entity::code::{Column, Entity};
    let mut sel = Entity::find();
    sel = match parent {
        Some(p) => sel.filter(Column::ParentId.eq(p)),
        None => sel.filter(Column::ParentId.is_null()),
    };
    if let Some(x) = except {
        sel = sel.filter(Column::Id.ne(x));
    }
    Ok(sel
        .order_by_asc(Column::Position)
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Siblings may not share a name (case-insensitive).
fn name_taken(
    codes: &[entity::code::Model],
    parent: Option<Uuid>,
    name: &str,
    except: Option<Uuid>,
) -> bool {
    let key = name.trim().to_lowercase();
    codes
        .iter()
        .any(|c| c.parent_id == parent && Some(c.id) != except && c.name.to_lowercase() == key)
}

fn taken_error() -> ApiError {
    ApiError::conflict(
        "code_name_taken",
        "A code with this name already exists under the same parent.",
    )
    .with("pointer", serde_json::json!("/name"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// Nest children under their parents.
    pub tree: Option<bool>,
}

pub fn build_tree(codes: Vec<entity::code::Model>) -> Vec<CodeOut> {
    let mut by_parent: HashMap<Option<Uuid>, Vec<CodeOut>> = HashMap::new();
    for c in codes {
        by_parent.entry(c.parent_id).or_default().push(c.into());
    }
    fn attach(
        parent: Option<Uuid>,
        by_parent: &mut HashMap<Option<Uuid>, Vec<CodeOut>>,
    ) -> Vec<CodeOut> {
        let mut nodes = by_parent.remove(&parent).unwrap_or_default();
        for n in &mut nodes {
            n.children = Some(attach(Some(n.id), by_parent));
        }
        nodes
    }
    attach(None, &mut by_parent)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<entity::code::Model> {
    entity::code::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("code"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CodeDeleteQuery {
    /// Move this code's codings to that code first.
    pub move_to: Option<Uuid>,
}

/// How many codings (of notes and of passages) use the code, and how many
/// of them the caller can see.
async fn use_counts(
    db: &impl ConnectionTrait,
    p: &crate::kernel::access::Principal,
    code: Uuid,
) -> ApiResult<(u64, u64)> {
    use entity::coding as pc;
    use entity::note_code::{Column, Entity};
    let used = Entity::find()
        .filter(Column::CodeId.eq(code))
        .count(db)
        .await?;
    // Count only what the caller can see; other sites' use is not told.
    let mut visible = Entity::find().filter(Column::CodeId.eq(code));
    if let Some(sites) = p.visible_sites() {
        visible = visible.filter(
            Column::NoteId.in_subquery(
                SqlQuery::select()
                    .column(entity::note::Column::Id)
                    .from(entity::note::Entity)
                    .and_where(entity::note::Column::SiteId.is_in(sites.to_vec()))
                    .to_owned(),
            ),
        );
    }
    let mut count = visible.count(db).await?;
    let passages = pc::Entity::find()
        .filter(pc::Column::CodeId.eq(code))
        .all(db)
        .await?;
    count += passages
        .iter()
        .filter(|c| p.can_see_site(c.site_id))
        .count() as u64;
    Ok((used + passages.len() as u64, count))
}

/// What deleting a code would touch, as far as the caller may know.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeUsage {
    /// Codings with the code (whole notes and passages) at the caller's
    /// sites.
    pub codings: u64,
    /// Codes under it.
    pub children: u64,
    /// Notes or transcripts at sites the caller does not work at use it
    /// too: only an admin, or a coordinator of every site that uses it, may
    /// change or delete it (how many is not told).
    pub used_elsewhere: bool,
}

/// How much a code is used, to ask once before deleting it (coordinator).
pub async fn usage(cx: &Ctx<'_>, id: Uuid) -> ApiResult<CodeUsage> {
    let m = find(cx.read, id).await?;
    let (used, visible) = use_counts(cx.read, cx.p, m.id).await?;
    let children = entity::code::Entity::find()
        .filter(entity::code::Column::ParentId.eq(m.id))
        .count(cx.read)
        .await?;
    Ok(CodeUsage {
        codings: visible,
        children,
        used_elsewhere: visible < used,
    })
}

/// The codebook is the study's, shared by every site. Changing, merging or
/// deleting a code changes the analysis of every note coded with it: only
/// someone who may see all of them (an admin, or a coordinator of every site
/// that uses it) may do that. Nothing says where or how much.
fn used_elsewhere() -> ApiError {
    ApiError::conflict(
        "code_used_elsewhere",
        "Notes at sites you do not work at use this code. An admin, or a coordinator of every site that uses it, can change, merge or delete it.",
    )
}

/// Add a code (coordinator).
pub async fn create(cx: &Ctx<'_>, body: CodeIn) -> ApiResult<CodeOut> {
    let mut errors = Vec::new();
    check(
        &mut errors,
        Some(&body.name),
        body.description.as_deref(),
        body.dimension.as_deref(),
    );
    let codes = all_codes(cx.read).await?;
    if let Some(parent) = body.parent_id {
        if !codes.iter().any(|c| c.id == parent) {
            errors.push(FieldError::new("/parent_id", not_found("code")));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if name_taken(&codes, body.parent_id, &body.name, None) {
        return Err(taken_error());
    }
    let now = cx.now();
    let ch = cx.begin().await?;
    // A new code goes last among its siblings.
    let last = siblings(ch.db(), body.parent_id, None)
        .await?
        .last()
        .map_or(-1, |c| c.position);
    let m = entity::code::ActiveModel {
        id: Set(Uuid::now_v7()),
        parent_id: Set(body.parent_id),
        name: Set(body.name.trim().to_string()),
        description: Set(crate::kernel::error::clean(body.description)),
        dimension: Set(crate::kernel::error::clean(body.dimension)),
        position: Set(last.saturating_add(1)),
        created_by: Set(Some(cx.p.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(ch.db())
    .await?;
    ch.audit(Entry::new("code.create", "code", m.id)).await?;
    ch.commit().await?;
    Ok(CodeOut::from(m))
}

/// Change a code (coordinator; see [`used_elsewhere`] for a shared code).
pub async fn patch(cx: &Ctx<'_>, id: Uuid, body: CodePatch) -> ApiResult<CodeOut> {
    let m = find(cx.read, id).await?;
    let mut errors = Vec::new();
    check(
        &mut errors,
        body.name.as_deref(),
        body.description.as_deref(),
        body.dimension.as_deref(),
    );
    if body.position.is_some_and(|p| !(0..=100_000).contains(&p)) {
        errors.push(FieldError::new(
            "/position",
            FieldProblem::Range {
                min: 0,
                max: 100_000,
            },
        ));
    }
    let codes = all_codes(cx.read).await?;
    let parent = body.parent_id.unwrap_or(m.parent_id);
    if let Some(new_parent) = parent {
        if !codes.iter().any(|c| c.id == new_parent) {
            errors.push(FieldError::new("/parent_id", not_found("code")));
        } else {
            // Walk up from the new parent: meeting this code would make a cycle.
            let mut at = Some(new_parent);
            let mut seen = std::collections::HashSet::new();
            while let Some(cur) = at {
                if !seen.insert(cur) {
                    break;
                }
                if cur == m.id {
                    errors.push(FieldError::new("/parent_id", FieldProblem::CodeCycle));
                    break;
                }
                at = codes.iter().find(|c| c.id == cur).and_then(|c| c.parent_id);
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&m.name)
        .to_string();
    if name_taken(&codes, parent, &name, Some(m.id)) {
        return Err(taken_error());
    }
    // Only the order changes nothing of what a coding means: anyone who
    // keeps the codebook may do that.
    let order_only = body.name.is_none()
        && body.description.is_none()
        && body.dimension.is_none()
        && parent == m.parent_id;
    let mut am: entity::code::ActiveModel = m.clone().into();
    am.name = Set(name);
    am.parent_id = Set(parent);
    if body.description.is_some() {
        am.description = Set(crate::kernel::error::clean(body.description));
    }
    if body.dimension.is_some() {
        am.dimension = Set(crate::kernel::error::clean(body.dimension));
    }
    am.updated_at = Set(cx.now());
    let ch = cx.begin().await?;
    if !order_only {
        let (used, visible) = use_counts(ch.db(), cx.p, m.id).await?;
        if visible < used {
            return Err(used_elsewhere());
        }
    }
    let moved = parent != m.parent_id;
    if moved || body.position.is_some() {
        let others = siblings(ch.db(), parent, Some(m.id)).await?;
        let at = body.position.map_or(others.len(), |p| {
            usize::try_from(p).unwrap_or(0).min(others.len())
        });
        am.position = Set(i32::try_from(at).unwrap_or(i32::MAX));
        // The siblings from `at` on move one down; all are renumbered from 0.
        for (i, o) in others.iter().enumerate() {
            let want = i32::try_from(if i < at { i } else { i + 1 }).unwrap_or(i32::MAX);
            if o.position != want {
                entity::code::Entity::update_many()
                    .col_expr(entity::code::Column::Position, Expr::value(want))
                    .filter(entity::code::Column::Id.eq(o.id))
                    .exec(ch.db())
                    .await?;
            }
        }
    }
    let m = am.update(ch.db()).await?;
    ch.audit(Entry::new("code.update", "code", m.id)).await?;
    ch.commit().await?;
    Ok(CodeOut::from(m))
}

/// Delete a code (coordinator), after moving its codings to `move_to`.
pub async fn delete(cx: &Ctx<'_>, id: Uuid, move_to: Option<Uuid>) -> ApiResult<()> {
    let m = find(cx.read, id).await?;
    if let Some(target) = move_to {
        if target == m.id || find(cx.read, target).await.is_err() {
            return Err(ApiError::field("/move_to", not_found("code")));
        }
    }
    let children = entity::code::Entity::find()
        .filter(entity::code::Column::ParentId.eq(m.id))
        .count(cx.read)
        .await?;
    if children > 0 {
        return Err(ApiError::conflict(
            "code_has_children",
            format!("This code has {children} child codes; move or delete them first."),
        )
        .with("children", serde_json::json!(children)));
    }
    use entity::note_code::{Column, Entity};
    let ch = cx.begin().await?;
    let (used, count) = use_counts(ch.db(), cx.p, m.id).await?;
    if count < used {
        return Err(used_elsewhere());
    }
    use entity::coding as pc;
    let passages = pc::Entity::find()
        .filter(pc::Column::CodeId.eq(m.id))
        .all(ch.db())
        .await?;
    let mut moved = 0;
    match move_to {
        None if used > 0 => {
            return Err(ApiError::conflict(
                "code_in_use",
                "Notes or transcripts are coded with this code. Move its codings to another code with ?move_to=<code id>, then delete it.",
            )
            .with("count", serde_json::json!(count)));
        }
        None => {}
        Some(target) => {
            let affected: Vec<Uuid> = Entity::find()
                .filter(Column::CodeId.eq(m.id))
                .all(ch.db())
                .await?
                .into_iter()
                .map(|l| l.note_id)
                .collect();
            // Notes coded with both keep one coding of the target.
            Entity::delete_many()
                .filter(Column::CodeId.eq(m.id))
                .filter(
                    Column::NoteId.in_subquery(
                        SqlQuery::select()
                            .column(Column::NoteId)
                            .from(Entity)
                            .and_where(Column::CodeId.eq(target))
                            .to_owned(),
                    ),
                )
                .exec(ch.db())
                .await?;
            moved = Entity::update_many()
                .col_expr(Column::CodeId, Expr::value(target))
                .filter(Column::CodeId.eq(m.id))
                .exec(ch.db())
                .await?
                .rows_affected;
            // A passage coded with both keeps one coding of the target.
            let theirs = pc::Entity::find()
                .filter(pc::Column::CodeId.eq(target))
                .all(ch.db())
                .await?;
            for c in &passages {
                let twin = theirs.iter().any(|t| {
                    t.note_id == c.note_id
                        && t.transcript_id == c.transcript_id
                        && t.start_pos == c.start_pos
                        && t.end_pos == c.end_pos
                });
                if twin {
                    pc::Entity::delete_by_id(c.id).exec(ch.db()).await?;
                } else {
                    pc::Entity::update_many()
                        .col_expr(pc::Column::CodeId, Expr::value(target))
                        .filter(pc::Column::Id.eq(c.id))
                        .exec(ch.db())
                        .await?;
                }
                moved += 1;
            }
            // Each recoded note gets a new version, so its history shows it
            // and a phone holding the old one is told (412), at every site.
            let now = cx.now();
            for (_, note) in crate::notes::load(ch.db(), affected).await? {
                let (mut row, mut out) = note;
                entity::note::Entity::update_many()
                    .col_expr(entity::note::Column::Version, Expr::value(row.version + 1))
                    .col_expr(entity::note::Column::UpdatedAt, Expr::value(now))
                    .filter(entity::note::Column::Id.eq(row.id))
                    .exec(ch.db())
                    .await?;
                row.version += 1;
                out.version = row.version;
                out.updated_at = now;
                crate::notes::record_version(ch.db(), &out, "recode", cx.p.user_id).await?;
            }
        }
    }
    entity::code::Entity::delete_by_id(m.id)
        .exec(ch.db())
        .await?;
    ch.audit(
        Entry::new("code.delete", "code", m.id).detail(serde_json::json!({
            "move_to": move_to, "codings": used, "moved": moved
        })),
    )
    .await?;
    ch.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CodeImportQuery {
    /// Import under this code; without it, at the top of the codebook.
    pub under: Option<Uuid>,
    /// Check the file and say what would be created, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A code of an imported codebook file, and where it went.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedCode {
    /// Its names from the top of the codebook, e.g. `Trust > Staff`.
    pub path: String,
    /// The code it is now: the one that already had its name there, or
    /// the new one (`null` for a new one in a dry run).
    pub id: Option<Uuid>,
}

/// What importing a codebook file did, or in a dry run would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeImportReport {
    pub dry_run: bool,
    /// Codes created (or that would be), in the file's order.
    pub created: Vec<ImportedCode>,
    /// Codes whose name was already there under the same parent: not
    /// duplicated; the codes under them go under the one that was there.
    pub existing: Vec<ImportedCode>,
    /// Every problem, by the code's place in the file (`/codes/{n}/name`,
    /// from 0). Empty when the file can be imported.
    #[schema(value_type = Vec<crate::kernel::field::FieldErrorDoc>)]
    pub problems: Vec<FieldError>,
}

/// The advisory lock that serialises codebook imports on PostgreSQL.
const CODEBOOK_LOCK: i64 = 7_746_032;

/// The codebook as a REFI-QDA codebook file (`.qdc`); audited as an export.
pub async fn export_qdc(cx: &Ctx<'_>) -> ApiResult<Vec<u8>> {
    let codes = all_codes(cx.read).await?;
    if codes.is_empty() {
        return Err(ApiError::conflict(
            "codebook_empty",
            "The codebook has no codes yet; a codebook file needs at least one.",
        ));
    }
    let origin = format!("Fieldnotes {}", env!("CARGO_PKG_VERSION"));
    let bytes = super::qdc::document(&codes, &origin).map_err(anyhow::Error::from)?;
    cx.log(
        Entry::new("export.download", "export", "codebook.qdc").detail(
            serde_json::json!({"format": "codebook.qdc", "counts": {"codes": codes.len()}}),
        ),
    )
    .await?;
    Ok(bytes)
}

/// Import a codebook file (`.qdc`) into the codebook, at the top or under
/// `under` (coordinator). A code whose name is already there under the
/// same parent is reported and not duplicated; the file's GUIDs are kept
/// as the new codes' ids where no code has them, so a codebook exported
/// and imported elsewhere is the same codebook. All or nothing.
pub async fn import(
    cx: &Ctx<'_>,
    bytes: &[u8],
    q: &CodeImportQuery,
) -> ApiResult<CodeImportReport> {
    let (incoming, problems) = super::qdc::read(bytes).map_err(|_| {
        ApiError::unprocessable(
            "qdc_unreadable",
            "This is not a REFI-QDA codebook file (.qdc) that can be read: its root must be <CodeBook>, in UTF-8.",
        )
    })?;
    let codes = all_codes(cx.read).await?;
    if let Some(u) = q.under {
        if !codes.iter().any(|c| c.id == u) {
            return Err(ApiError::field("/under", not_found("code")));
        }
    }
    let report = |created, existing, problems| CodeImportReport {
        dry_run: q.dry_run,
        created,
        existing,
        problems,
    };
    if !problems.is_empty() {
        if q.dry_run {
            return Ok(report(Vec::new(), Vec::new(), problems));
        }
        return Err(ApiError::Validation(problems));
    }
    let shown = |plan: super::qdc::Plan, dry_run: bool| {
        // A code this import makes has no id until it is made.
        let id = |id: Uuid| (!dry_run || !plan.new_ids.contains(&id)).then_some(id);
        let list = |v: Vec<(String, Uuid)>| -> Vec<ImportedCode> {
            v.into_iter()
                .map(|(path, i)| ImportedCode { path, id: id(i) })
                .collect()
        };
        (list(plan.created), list(plan.existing), plan.new_codes)
    };
    if q.dry_run {
        let plan = super::qdc::plan(&codes, &incoming, q.under, cx.now(), cx.p.user_id);
        let (created, existing, _) = shown(plan, true);
        return Ok(report(created, existing, Vec::new()));
    }
    let ch = cx.begin().await?;
    // One import at a time across instances, planned on the codebook as it
    // is inside this transaction (SQLite has one writer).
    if ch.db().get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        ch.db()
            .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CODEBOOK_LOCK})"))
            .await?;
    }
    let codes = all_codes(ch.db()).await?;
    if q.under.is_some_and(|u| !codes.iter().any(|c| c.id == u)) {
        return Err(ApiError::field("/under", not_found("code")));
    }
    let plan = super::qdc::plan(&codes, &incoming, q.under, cx.now(), cx.p.user_id);
    let (created, existing, new_codes) = shown(plan, false);
    for chunk in new_codes.chunks(200) {
        entity::code::Entity::insert_many(
            chunk.iter().cloned().map(entity::code::ActiveModel::from),
        )
        .exec_without_returning(ch.db())
        .await?;
    }
    ch.audit(Entry {
        action: "code.import",
        object_type: "code",
        object_id: q.under.map(|u| u.to_string()),
        site_id: None,
        detail: Some(serde_json::json!({"created": created.len(), "existing": existing.len()})),
    })
    .await?;
    ch.commit().await?;
    Ok(report(created, existing, Vec::new()))
}
