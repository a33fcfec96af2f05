//! Registering participants in bulk from a CSV file, as REDCap and
//! KoboToolbox teams keep them. All or nothing: a dry run reports every
//! line's problem with its line number; a real run writes only when every
//! line is valid, in one transaction, each participant audited as if
//! registered alone. The columns and the values of one line are read by
//! `participants::rules::import`.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    rules::{import, pseudonym},
    taken_on_conflict, ParticipantStatus, IDENTIFYING,
};
use crate::kernel::{
    audit::Entry,
    ctx::Ctx,
    error::{clean, ApiError, ApiResult, FieldError},
    field::{not_found, FieldProblem},
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check the file and report, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A CSV file of participants: a header line naming its columns
/// (`pseudonym`, `site`, `treatment_started_on`, and optionally `gender`
/// and `age_band`; `treatment start` and other spellings are understood),
/// then one participant per line. Commas, semicolons or tabs; UTF-8.
/// `site` is a site's name or id; dates are `YYYY-MM-DD` (or
/// `DD.MM.YYYY`). At most 5 000 lines.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct CsvUpload(#[allow(dead_code)] Vec<u8>);

/// One line of the file, as it is (or would be) registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedLine {
    /// Its line number in the file (the header is line 1).
    pub line: u64,
    /// The pseudonym as it is stored (NFKC).
    pub pseudonym: String,
    pub site_id: Uuid,
    pub treatment_started_on: chrono::NaiveDate,
    /// The new participant; `null` in a dry run.
    pub id: Option<Uuid>,
}

/// What an import did, or in a dry run would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// The lines with a participant on them (blank lines are skipped).
    pub lines: u64,
    /// Every problem, by line and column: `/lines/{line}/{column}`, or
    /// `/header/{n}` for a column. Empty when the file can be imported.
    #[schema(value_type = Vec<crate::kernel::field::FieldErrorDoc>)]
    pub problems: Vec<FieldError>,
    /// The participants registered, or in a dry run those that would be
    /// (only when there are no problems).
    pub participants: Vec<ImportedLine>,
}

struct Ready {
    line: import::Line,
    site_id: Uuid,
    name: String,
    key: String,
}

/// Checks every line: its site is one of the caller's (by name or id), its
/// pseudonym is one and is not taken, here or earlier in the file.
async fn check(cx: &Ctx<'_>, bytes: &[u8]) -> ApiResult<(u64, Vec<Ready>, Vec<FieldError>)> {
    let (lines, mut errors) = import::read(bytes, IDENTIFYING);
    let sites = crate::sites::list_visible(cx.read, cx.p).await?;
    let site_of = |v: &str| {
        let id = v.parse::<Uuid>().ok();
        sites
            .iter()
            .find(|s| Some(s.id) == id || s.name.trim().to_lowercase() == v.to_lowercase())
            .map(|s| s.id)
    };
    let mut ready = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for l in &lines {
        let at = |c: &str| format!("/lines/{}/{c}", l.line);
        let Some(site_id) = site_of(&l.site) else {
            if !l.site.is_empty() {
                errors.push(FieldError::new(at("site"), not_found("site")));
            }
            continue;
        };
        if l.pseudonym.is_empty() {
            continue;
        }
        let name = pseudonym::normalize(&l.pseudonym);
        if let Some(why) = pseudonym::refusal(&name) {
            errors.push(FieldError::new(at("pseudonym"), why));
            continue;
        }
        let key = pseudonym::site_key(&site_id.simple().to_string(), &name);
        if seen.insert(key.clone(), l.line).is_some() {
            errors.push(FieldError::new(at("pseudonym"), FieldProblem::Duplicate));
            continue;
        }
        ready.push(Ready {
            line: l.clone(),
            site_id,
            name,
            key,
        });
    }
    for chunk in ready.chunks(500) {
        let taken: Vec<String> = entity::participant::Entity::find()
            .select_only()
            .column(entity::participant::Column::PseudonymKey)
            .filter(
                entity::participant::Column::PseudonymKey
                    .is_in(chunk.iter().map(|r| r.key.clone()).collect::<Vec<_>>()),
            )
            .into_tuple()
            .all(cx.read)
            .await?;
        for r in chunk.iter().filter(|r| taken.contains(&r.key)) {
            errors.push(FieldError::new(
                format!("/lines/{}/pseudonym", r.line.line),
                FieldProblem::PseudonymTaken,
            ));
        }
    }
    errors.sort_by_key(|e| line_of(&e.pointer));
    Ok((lines.len() as u64, ready, errors))
}

/// The line a pointer names, for ordering (header and file problems first).
fn line_of(pointer: &str) -> u64 {
    pointer
        .strip_prefix("/lines/")
        .and_then(|r| r.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Register the participants of a CSV file (coordinator), or with
/// `dry_run` say what would happen.
pub async fn run(cx: &Ctx<'_>, bytes: &[u8], q: &ImportQuery) -> ApiResult<ImportReport> {
    let (lines, ready, problems) = check(cx, bytes).await?;
    let preview = |r: &Ready, id: Option<Uuid>| ImportedLine {
        line: r.line.line,
        pseudonym: r.name.clone(),
        site_id: r.site_id,
        treatment_started_on: r.line.treatment_started_on.unwrap_or_default(),
        id,
    };
    if q.dry_run {
        let participants = if problems.is_empty() {
            ready.iter().map(|r| preview(r, None)).collect()
        } else {
            Vec::new()
        };
        return Ok(ImportReport {
            dry_run: true,
            lines,
            problems,
            participants,
        });
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let now = cx.now();
    let ch = cx.begin().await?;
    let mut participants = Vec::with_capacity(ready.len());
    let mut models = Vec::with_capacity(ready.len());
    for r in &ready {
        let id = Uuid::now_v7();
        models.push(entity::participant::ActiveModel {
            id: Set(id),
            site_id: Set(r.site_id),
            pseudonym_folded: Set(Some(pseudonym::folded(&r.name))),
            pseudonym: Set(r.name.clone()),
            pseudonym_key: Set(r.key.clone()),
            treatment_started_on: Set(r.line.treatment_started_on.unwrap_or_default()),
            status: Set(ParticipantStatus::Active.as_str().to_string()),
            gender: Set(clean(r.line.gender.clone())),
            age_band: Set(clean(r.line.age_band.clone())),
            created_at: Set(now),
            updated_at: Set(now),
        });
        participants.push(preview(r, Some(id)));
    }
    for chunk in models.chunks(200) {
        entity::participant::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(ch.db())
            .await
            .map_err(taken_on_conflict)?;
    }
    for p in &participants {
        ch.audit(
            Entry::new(
                "participant.create",
                "participant",
                p.id.unwrap_or_default(),
            )
            .site(Some(p.site_id))
            .detail(serde_json::json!({"import_line": p.line})),
        )
        .await?;
    }
    ch.audit(Entry {
        action: "participant.import",
        object_type: "participant",
        object_id: None,
        site_id: None,
        detail: Some(serde_json::json!({"count": participants.len()})),
    })
    .await?;
    ch.commit().await?;
    Ok(ImportReport {
        dry_run: false,
        lines,
        problems: Vec::new(),
        participants,
    })
}
