//! Consent: recorded only when the readiness gate says READY at that moment;
//! its withdrawal is the participant's withdrawal, with the data decision.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    kernel::{
        audit::Entry,
        ctx::Ctx,
        error::{check_len, clean, ApiError, ApiResult, FieldError},
        field::FieldProblem,
        scoped,
    },
    participants::{self, lock_participant, require_active, withdraw_in},
    readiness::{self, Purpose},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    Written,
    OralRecorded,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentIn {
    /// The version of the information sheet and consent form used.
    #[schema(min_length = 1, max_length = 40)]
    pub form_version: String,
    pub method: ConsentMethod,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataDecision {
    /// Keep what was collected before the withdrawal.
    Keep,
    /// Delete the participant's screenings and unlink them from notes.
    Delete,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentOut {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub form_version: String,
    pub method: ConsentMethod,
    pub note: Option<String>,
    pub obtained_by: Option<Uuid>,
    pub obtained_at: DateTime<Utc>,
    /// The screenings that showed readiness at that moment.
    pub screening_ids: Vec<Uuid>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<Uuid>,
    pub withdraw_reason: Option<String>,
    pub data_decision: Option<DataDecision>,
}

impl From<entity::consent::Model> for ConsentOut {
    fn from(m: entity::consent::Model) -> Self {
        ConsentOut {
            id: m.id,
            participant_id: m.participant_id,
            form_version: m.form_version,
            method: if m.method == "oral_recorded" {
                ConsentMethod::OralRecorded
            } else {
                ConsentMethod::Written
            },
            note: m.note,
            obtained_by: m.obtained_by,
            obtained_at: m.obtained_at,
            screening_ids: serde_json::from_value(m.screening_ids).unwrap_or_default(),
            withdrawn_at: m.withdrawn_at,
            withdrawn_by: m.withdrawn_by,
            withdraw_reason: m.withdraw_reason,
            data_decision: m.data_decision.map(|d| {
                if d == "delete" {
                    DataDecision::Delete
                } else {
                    DataDecision::Keep
                }
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentList {
    pub items: Vec<ConsentOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawIn {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    pub data_decision: DataDecision,
}

/// What a withdrawal deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub screenings: u64,
    /// Links from field notes to the participant (the notes stay).
    pub note_links: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WithdrawOut {
    pub consent: ConsentOut,
    pub deleted: Deleted,
}

/// Record consent for a participant the caller may see. Refused with
/// `not_ready` unless the readiness gate for consent says READY now.
pub async fn create(cx: &Ctx<'_>, participant_id: Uuid, body: ConsentIn) -> ApiResult<ConsentOut> {
    let participant = participants::load(cx, participant_id).await?;
    let mut errors = Vec::new();
    crate::kernel::error::check_line(
        &mut errors,
        "/form_version",
        Some(&body.form_version),
        1,
        40,
    );
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    // A version of the form the study uses, as its settings list them.
    let versions = readiness::settings(cx.read).await?.consent_form_versions;
    if errors.is_empty() && !versions.iter().any(|v| v == body.form_version.trim()) {
        errors.push(FieldError::new(
            "/form_version",
            FieldProblem::NotOneOf { allowed: versions },
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let ch = cx.begin().await?;
    let participant = lock_participant(ch.db(), participant.id).await?;
    require_active(&participant)?;
    let ready = match readiness::gate(&ch, &participant, Purpose::Consent, None).await? {
        Ok(ready) => ready,
        Err(not) => {
            drop(ch);
            return Err(readiness::refuse(cx, "consent.refused", &participant, &not).await);
        }
    };
    let m = entity::consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        participant_id: Set(participant.id),
        site_id: Set(participant.site_id),
        form_version: Set(body.form_version.trim().to_string()),
        method: Set(match body.method {
            ConsentMethod::Written => "written",
            ConsentMethod::OralRecorded => "oral_recorded",
        }
        .into()),
        note: Set(clean(body.note)),
        obtained_by: Set(Some(cx.p.user_id)),
        obtained_at: Set(ready.checked_at),
        screening_ids: Set(serde_json::json!(ready.screening_ids)),
        withdrawn_at: Set(None),
        withdrawn_by: Set(None),
        withdraw_reason: Set(None),
        data_decision: Set(None),
    }
    .insert(ch.db())
    .await?;
    ch.audit(
        Entry::new("consent.create", "consent", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"participant_id": m.participant_id, "screening_ids": ready.screening_ids})),
    )
    .await?;
    ch.commit().await?;
    Ok(ConsentOut::from(m))
}

/// A participant's consents, oldest first; the read is audited.
pub async fn list(cx: &Ctx<'_>, participant_id: Uuid) -> ApiResult<ConsentList> {
    let participant = participants::load(cx, participant_id).await?;
    let rows = entity::consent::Entity::find()
        .filter(entity::consent::Column::ParticipantId.eq(participant.id))
        .order_by_asc(entity::consent::Column::Id)
        .all(cx.read)
        .await?;
    cx.log(
        Entry::new("consent.list", "participant", participant.id).site(Some(participant.site_id)),
    )
    .await?;
    Ok(ConsentList {
        items: rows.into_iter().map(ConsentOut::from).collect(),
    })
}

/// Record a withdrawal of consent (coordinator): the participant's
/// withdrawal ([`withdraw_in`]: open interviews cancelled and their people
/// told), and with `data_decision: delete` their screenings deleted and
/// their links from notes removed; the audit log keeps that they existed
/// (ids, who, when), never their answers.
pub async fn withdraw(cx: &Ctx<'_>, consent_id: Uuid, body: WithdrawIn) -> ApiResult<WithdrawOut> {
    let consent = scoped::load::<entity::consent::Entity>(cx.read, cx.p, consent_id).await?;
    let mut errors = Vec::new();
    check_len(&mut errors, "/reason", Some(&body.reason), 1, 500);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = cx.now();
    let mut ch = cx.begin().await?;
    let participant = lock_participant(ch.db(), consent.participant_id).await?;
    let consent = entity::consent::Entity::find_by_id(consent.id)
        .lock_exclusive()
        .one(ch.db())
        .await?
        .ok_or(ApiError::NotFound("consent"))?;
    if consent.withdrawn_at.is_some() {
        return Err(ApiError::conflict(
            "already_withdrawn",
            "This consent was already withdrawn.",
        ));
    }
    let mut am: entity::consent::ActiveModel = consent.clone().into();
    am.withdrawn_at = Set(Some(now));
    am.withdrawn_by = Set(Some(cx.p.user_id));
    am.withdraw_reason = Set(Some(body.reason.trim().to_string()));
    am.data_decision = Set(Some(
        match body.data_decision {
            DataDecision::Keep => "keep",
            DataDecision::Delete => "delete",
        }
        .into(),
    ));
    let consent = am.update(ch.db()).await?;
    // Nothing more is planned with someone who withdrew.
    let cancelled = withdraw_in(&mut ch, &participant, "The participant withdrew consent.").await?;
    let mut deleted = Deleted {
        screenings: 0,
        note_links: 0,
    };
    if body.data_decision == DataDecision::Delete {
        // Earlier versions of those notes name the participant too.
        let linked: Vec<Uuid> = entity::note_participant::Entity::find()
            .filter(entity::note_participant::Column::ParticipantId.eq(consent.participant_id))
            .all(ch.db())
            .await?
            .into_iter()
            .map(|l| l.note_id)
            .collect();
        if !linked.is_empty() {
            for v in entity::note_version::Entity::find()
                .filter(entity::note_version::Column::NoteId.is_in(linked))
                .all(ch.db())
                .await?
            {
                let ids: Vec<Uuid> =
                    serde_json::from_value(v.participant_ids.clone()).unwrap_or_default();
                if ids.contains(&consent.participant_id) {
                    let kept: Vec<Uuid> = ids
                        .into_iter()
                        .filter(|i| *i != consent.participant_id)
                        .collect();
                    let mut am: entity::note_version::ActiveModel = v.into();
                    am.participant_ids = Set(serde_json::json!(kept));
                    am.update(ch.db()).await?;
                }
            }
        }
        deleted.note_links = entity::note_participant::Entity::delete_many()
            .filter(entity::note_participant::Column::ParticipantId.eq(consent.participant_id))
            .exec(ch.db())
            .await?
            .rows_affected;
        deleted.screenings = entity::screening::Entity::delete_many()
            .filter(entity::screening::Column::ParticipantId.eq(consent.participant_id))
            .exec(ch.db())
            .await?
            .rows_affected;
    }
    ch.audit(
        Entry::new("consent.withdraw", "consent", consent.id)
            .site(Some(consent.site_id))
            .detail(serde_json::json!({
                "participant_id": consent.participant_id,
                "data_decision": consent.data_decision,
                "deleted_screenings": deleted.screenings,
                "deleted_note_links": deleted.note_links,
                "cancelled_interviews": cancelled,
            })),
    )
    .await?;
    ch.commit().await?;
    Ok(WithdrawOut {
        consent: ConsentOut::from(consent),
        deleted,
    })
}
