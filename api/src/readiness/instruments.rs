//! Screening instruments (versioned; a used version never changes) and the
//! study's readiness settings.
use crate::kernel::field::{not_found, FieldProblem};
use std::collections::{BTreeMap, HashSet};

use chrono::Utc;
use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    kernel::{
        audit::Entry,
        ctx::Ctx,
        error::{ApiError, ApiResult, FieldError},
    },
    readiness::{
        self as svc,
        rules::instruments::{
            validity_problem, Combine, InstrumentDef, ItemDef, Kind, RuleDef, Text,
            VALIDITY_MINUTES,
        },
        ReadinessSettings,
    },
};

/// One version of an instrument.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentOut {
    pub id: Uuid,
    pub key: String,
    pub version: i32,
    pub name: Text,
    pub kind: Kind,
    pub combine: Combine,
    pub items: Vec<ItemDef>,
    pub rules: Vec<RuleDef>,
    pub validity_minutes: i64,
    pub source: Option<Text>,
    /// Shipped with the service; never edited in place.
    pub builtin: bool,
    /// A screening used this version, so it can no longer change.
    pub in_use: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentList {
    pub items: Vec<InstrumentOut>,
}

pub async fn used_ids(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> ApiResult<HashSet<Uuid>> {
    use entity::screening::{Column, Entity};
    let used: Vec<Uuid> = Entity::find()
        .select_only()
        .column(Column::InstrumentId)
        .distinct()
        .filter(Column::InstrumentId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(used.into_iter().collect())
}

pub fn out(m: entity::instrument::Model, in_use: bool) -> ApiResult<InstrumentOut> {
    let d = svc::definition(&m)?;
    Ok(InstrumentOut {
        id: m.id,
        key: d.key,
        version: m.version,
        name: d.name,
        kind: d.kind,
        combine: d.combine,
        items: d.items,
        rules: d.rules,
        validity_minutes: d.validity_minutes,
        source: d.source,
        builtin: m.builtin,
        in_use,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstrumentQuery {
    pub key: Option<String>,
    pub kind: Option<Kind>,
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<entity::instrument::Model> {
    entity::instrument::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("instrument"))
}

async fn insert_version(
    cx: &Ctx<'_>,
    def: InstrumentDef,
    version: i32,
) -> ApiResult<InstrumentOut> {
    let now = Utc::now();
    let ch = cx.begin().await?;
    let inserted = entity::instrument::Entity::insert(entity::instrument::ActiveModel {
        id: Set(Uuid::now_v7()),
        key: Set(def.key.clone()),
        version: Set(version),
        name: Set(def.name.en.clone()),
        kind: Set(def.kind.as_str().into()),
        definition: Set(serde_json::to_value(&def).map_err(anyhow::Error::from)?),
        builtin: Set(false),
        created_by: Set(Some(cx.p.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            entity::instrument::Column::Key,
            entity::instrument::Column::Version,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_with_returning(ch.db())
    .await;
    let m = match inserted {
        Ok(m) => m,
        Err(sea_orm::DbErr::RecordNotInserted) => return Err(version_taken(&def.key, version)),
        Err(e) => return Err(e.into()),
    };
    ch.audit(
        Entry::new("instrument.create", "instrument", m.id)
            .detail(serde_json::json!({"key": m.key, "version": m.version})),
    )
    .await?;
    ch.commit().await?;
    out(m, false)
}

fn version_taken(key: &str, version: i32) -> ApiError {
    ApiError::conflict(
        "instrument_version_taken",
        format!("Version {version} of {key} was just created by someone else. Try again."),
    )
}

fn validated(def: &InstrumentDef) -> ApiResult<()> {
    let errors = def.validate();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Changes to the readiness settings; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadinessPatch {
    #[schema(min_items = 1, max_items = 10)]
    pub consent: Option<Vec<String>>,
    #[schema(min_items = 1, max_items = 10)]
    pub session: Option<Vec<String>>,
    /// Replaces the whole map of overrides.
    pub validity_minutes: Option<BTreeMap<String, i64>>,
    #[schema(minimum = 0, maximum = 1440)]
    pub no_screen_shopping_minutes: Option<i64>,
    /// Whether a new session of a split interview needs a screening taken
    /// after its previous session ended.
    pub rescreen_between_sessions: Option<bool>,
    /// Replaces the consent form versions in use (1 to 10, each 1 to 40
    /// characters, no two alike), newest last. Consents already given keep
    /// the version they name.
    #[schema(min_items = 1, max_items = 10)]
    pub consent_form_versions: Option<Vec<String>>,
}

async fn check_list(
    db: &impl ConnectionTrait,
    errors: &mut Vec<FieldError>,
    pointer: &str,
    keys: &[String],
) -> ApiResult<()> {
    if keys.is_empty() || keys.len() > 10 {
        errors.push(FieldError::new(
            pointer,
            FieldProblem::Count { min: 1, max: 10 },
        ));
        return Ok(());
    }
    let known = svc::latest_versions(db, keys).await?;
    let mut capacity = 0;
    for (i, k) in keys.iter().enumerate() {
        match known.get(k) {
            None => errors.push(FieldError::new(
                format!("{pointer}/{i}"),
                not_found("instrument"),
            )),
            Some(m) if m.kind == Kind::Capacity.as_str() => capacity += 1,
            Some(_) => {}
        }
        if keys[..i].contains(k) {
            errors.push(FieldError::new(
                format!("{pointer}/{i}"),
                FieldProblem::Duplicate,
            ));
        }
    }
    if capacity > 1 {
        errors.push(FieldError::new(pointer, FieldProblem::CapacityAtMostOne));
    }
    if capacity == keys.len() {
        errors.push(FieldError::new(pointer, FieldProblem::CapacityNeedsScreen));
    }
    Ok(())
}

/// Every instrument version, by key then version.
pub async fn list(cx: &Ctx<'_>, q: &InstrumentQuery) -> ApiResult<InstrumentList> {
    use entity::instrument::{Column, Entity};
    let mut sel = Entity::find()
        .order_by_asc(Column::Key)
        .order_by_asc(Column::Version);
    if let Some(k) = &q.key {
        sel = sel.filter(Column::Key.eq(k.as_str()));
    }
    if let Some(k) = q.kind {
        sel = sel.filter(Column::Kind.eq(k.as_str()));
    }
    let rows = sel.all(cx.read).await?;
    let used = used_ids(cx.read, rows.iter().map(|r| r.id).collect()).await?;
    let items = rows
        .into_iter()
        .map(|m| {
            let u = used.contains(&m.id);
            out(m, u)
        })
        .collect::<ApiResult<_>>()?;
    Ok(InstrumentList { items })
}

/// One instrument version.
pub async fn get(cx: &Ctx<'_>, id: Uuid) -> ApiResult<InstrumentOut> {
    let m = find(cx.read, id).await?;
    let used = used_ids(cx.read, vec![m.id]).await?.contains(&m.id);
    out(m, used)
}

/// Enter a study's own instrument (admin). It starts at version 1.
pub async fn create(cx: &Ctx<'_>, def: InstrumentDef) -> ApiResult<InstrumentOut> {
    validated(&def)?;
    let taken = entity::instrument::Entity::find()
        .filter(entity::instrument::Column::Key.eq(def.key.as_str()))
        .one(cx.read)
        .await?;
    if let Some(t) = taken {
        return Err(ApiError::conflict(
            "instrument_key_taken",
            format!(
                "An instrument with key {} exists; add a version with POST /api/v1/instruments/{}/versions.",
                def.key, t.id
            ),
        )
        .with("pointer", serde_json::json!("/key")));
    }
    insert_version(cx, def, 1).await
}

/// Add a new version of an instrument (admin).
pub async fn create_version(
    cx: &Ctx<'_>,
    id: Uuid,
    def: InstrumentDef,
) -> ApiResult<InstrumentOut> {
    let base = find(cx.read, id).await?;
    validated(&def)?;
    if def.key != base.key {
        return Err(ApiError::field(
            "/key",
            FieldProblem::KeyFixed {
                key: base.key.clone(),
            },
        ));
    }
    let newest = entity::instrument::Entity::find()
        .filter(entity::instrument::Column::Key.eq(base.key.as_str()))
        .order_by_desc(entity::instrument::Column::Version)
        .one(cx.read)
        .await?
        .map_or(0, |m| m.version);
    insert_version(cx, def, newest + 1).await
}

/// Correct an instrument version no screening has used yet (admin).
pub async fn replace(cx: &Ctx<'_>, id: Uuid, def: InstrumentDef) -> ApiResult<InstrumentOut> {
    let m = find(cx.read, id).await?;
    validated(&def)?;
    if def.key != m.key {
        return Err(ApiError::field(
            "/key",
            FieldProblem::KeyFixed { key: m.key.clone() },
        ));
    }
    let versions_url = format!("/api/v1/instruments/{}/versions", m.id);
    if m.builtin {
        return Err(ApiError::conflict(
            "instrument_immutable",
            format!(
                "Built-in instruments never change. Create a new version with POST {versions_url}."
            ),
        )
        .with("versions_url", serde_json::json!(versions_url)));
    }
    let ch = cx.begin().await?;
    // The row lock pairs with the shared lock a new screening takes on its
    // instrument version, so a version cannot change under a screening.
    entity::instrument::Entity::find_by_id(m.id)
        .lock_exclusive()
        .one(ch.db())
        .await?;
    let used = entity::screening::Entity::find()
        .filter(entity::screening::Column::InstrumentId.eq(m.id))
        .one(ch.db())
        .await?
        .is_some();
    if used {
        return Err(ApiError::conflict(
            "instrument_in_use",
            format!("Screenings have used this version, so it cannot change. Create a new version with POST {versions_url}."),
        )
        .with("versions_url", serde_json::json!(versions_url)));
    }
    let mut am: entity::instrument::ActiveModel = m.into();
    am.name = Set(def.name.en.clone());
    am.kind = Set(def.kind.as_str().into());
    am.definition = Set(serde_json::to_value(&def).map_err(anyhow::Error::from)?);
    am.updated_at = Set(Utc::now());
    let m = am.update(ch.db()).await?;
    ch.audit(
        Entry::new("instrument.replace", "instrument", m.id)
            .detail(serde_json::json!({"key": m.key, "version": m.version})),
    )
    .await?;
    ch.commit().await?;
    out(m, false)
}

/// Change the readiness settings (admin).
pub async fn patch_readiness(cx: &Ctx<'_>, body: ReadinessPatch) -> ApiResult<ReadinessSettings> {
    let before = svc::settings(cx.read).await?;
    let mut s = before.clone();
    let mut errors = Vec::new();
    if let Some(v) = body.consent {
        check_list(cx.read, &mut errors, "/consent", &v).await?;
        s.consent = v;
    }
    if let Some(v) = body.session {
        check_list(cx.read, &mut errors, "/session", &v).await?;
        s.session = v;
    }
    if let Some(v) = body.validity_minutes {
        let keys: Vec<String> = v.keys().cloned().collect();
        let known = svc::latest_versions(cx.read, &keys).await?;
        for (k, m) in &v {
            let ptr = format!(
                "/validity_minutes/{}",
                crate::kernel::error::pointer_segment(k)
            );
            if !known.contains_key(k) {
                errors.push(FieldError::new(ptr, not_found("instrument")));
            } else if !VALIDITY_MINUTES.contains(m) {
                errors.push(FieldError::new(ptr, validity_problem()));
            }
        }
        s.validity_minutes = v;
    }
    if let Some(v) = body.no_screen_shopping_minutes {
        if !(0..=1440).contains(&v) {
            errors.push(FieldError::new(
                "/no_screen_shopping_minutes",
                FieldProblem::Minutes { min: 0, max: 1440 },
            ));
        }
        s.no_screen_shopping_minutes = v;
    }
    if let Some(v) = body.rescreen_between_sessions {
        s.rescreen_between_sessions = v;
    }
    if let Some(v) = body.consent_form_versions {
        if v.is_empty() || v.len() > 10 {
            errors.push(FieldError::new(
                "/consent_form_versions",
                FieldProblem::Count { min: 1, max: 10 },
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, version) in v.iter().enumerate() {
            let ptr = format!("/consent_form_versions/{i}");
            crate::kernel::error::check_line(&mut errors, &ptr, Some(version), 1, 40);
            if !seen.insert(version.trim().to_lowercase()) {
                errors.push(FieldError::new(ptr, FieldProblem::Duplicate));
            }
        }
        s.consent_form_versions = v.iter().map(|x| x.trim().to_string()).collect();
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let value = serde_json::to_value(&s).map_err(anyhow::Error::from)?;
    let ch = cx.begin().await?;
    crate::kernel::settings::save(ch.db(), svc::READINESS_KEY, value.clone(), cx.p.user_id).await?;
    ch.audit(
        Entry::new("settings.update", "settings", svc::READINESS_KEY).detail(serde_json::json!({
            "before": before, "after": value
        })),
    )
    .await?;
    ch.commit().await?;
    Ok(s)
}
