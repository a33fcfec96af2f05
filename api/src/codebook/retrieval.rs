//! Retrieval by code: every passage coded with a code (and, by default, the
//! codes under it), across notes and transcripts, with where it comes from:
//! the source, its participants, the interview's wave and the date. What a
//! researcher opens first when writing up a theme.
//!
//! A code on a whole note counts as a passage of the whole note. Deleted
//! notes are left out. The list is ordered by date (a note's observation,
//! a transcript's session), then source and place in it, and paged with an
//! opaque cursor.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    codebook::codes,
    kernel::{
        audit::Entry,
        ctx::{bad_cursor, decode_cursor, encode_cursor, Ctx},
        error::{ApiError, ApiResult},
        field::{not_found, FieldProblem},
    },
};

/// Where a passage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Note,
    Transcript,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PassageQuery {
    /// The code whose passages to list.
    pub code_id: Uuid,
    /// Also the passages of every code under it (default true).
    pub children: Option<bool>,
    pub site_id: Option<Uuid>,
    /// Only notes or only transcripts.
    pub source: Option<SourceKind>,
    /// Dated at or after.
    pub from: Option<DateTime<Utc>>,
    /// Dated before.
    pub to: Option<DateTime<Utc>>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
}

/// A participant a passage is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PassageParticipant {
    pub id: Uuid,
    pub pseudonym: String,
}

/// One coded passage and where it comes from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PassageOut {
    /// The passage coding; null for a code on a whole note.
    pub coding_id: Option<Uuid>,
    /// The code it carries (the one asked for or one under it).
    pub code_id: Uuid,
    pub source: SourceKind,
    pub note_id: Option<Uuid>,
    pub transcript_id: Option<Uuid>,
    /// The transcript's interview.
    pub interview_id: Option<Uuid>,
    pub site_id: Uuid,
    /// Code points of the text as it is now, `end` exclusive; null for a
    /// whole note.
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// The coded words (the whole note's text for a whole note).
    pub quote: String,
    /// False when an edit took the words away: the coding waits to be
    /// placed again.
    pub anchored: bool,
    pub participants: Vec<PassageParticipant>,
    /// The transcript's interview wave; null for a note.
    pub wave: Option<i32>,
    /// A note's observation time; for a transcript, when its session (or
    /// the interview's first session) started, else the interview's time.
    pub date: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PassageList {
    pub items: Vec<PassageOut>,
    /// How many passages match, on every page.
    pub total: u64,
    pub next_cursor: Option<String>,
}

type SortKey = (i64, Uuid, i64, Uuid);

fn key(p: &PassageOut) -> SortKey {
    let source = p.note_id.or(p.transcript_id).unwrap_or_default();
    (
        p.date.timestamp_micros(),
        source,
        p.start.unwrap_or(-1),
        p.coding_id.unwrap_or(p.code_id),
    )
}

fn encode(k: &SortKey) -> String {
    encode_cursor(&[
        k.0.to_string(),
        k.1.to_string(),
        k.2.to_string(),
        k.3.to_string(),
    ])
}

fn decode(c: &str) -> ApiResult<SortKey> {
    let p = decode_cursor(c, 4)?;
    Ok((
        p[0].parse().map_err(|_| bad_cursor())?,
        p[1].parse().map_err(|_| bad_cursor())?,
        p[2].parse().map_err(|_| bad_cursor())?,
        p[3].parse().map_err(|_| bad_cursor())?,
    ))
}

/// The code and, with `children`, every code under it.
async fn code_set(cx: &Ctx<'_>, root: Uuid, children: bool) -> ApiResult<HashSet<Uuid>> {
    let all = codes::all_codes(cx.read).await?;
    if !all.iter().any(|c| c.id == root) {
        return Err(ApiError::field("/code_id", not_found("code")));
    }
    let mut set = HashSet::from([root]);
    if children {
        // Reading order puts every code after its parent.
        for c in &all {
            if c.parent_id.is_some_and(|p| set.contains(&p)) {
                set.insert(c.id);
            }
        }
    }
    Ok(set)
}

/// Passages coded with a code, at the caller's sites (coordinators).
pub async fn list(cx: &Ctx<'_>, q: &PassageQuery) -> ApiResult<PassageList> {
    let limit = crate::kernel::ctx::limit(q.limit)?;
    let after = q.cursor.as_deref().map(decode).transpose()?;
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if t <= f {
            return Err(ApiError::field(
                "/to",
                FieldProblem::NotAfter {
                    other: "from".into(),
                },
            ));
        }
    }
    let set: Vec<Uuid> = code_set(cx, q.code_id, q.children.unwrap_or(true))
        .await?
        .into_iter()
        .collect();
    let sites = cx.p.visible_sites().map(<[Uuid]>::to_vec);
    let site_ok =
        |s: Uuid| sites.as_ref().is_none_or(|v| v.contains(&s)) && q.site_id.is_none_or(|x| x == s);
    let date_ok = |d: DateTime<Utc>| q.from.is_none_or(|f| d >= f) && q.to.is_none_or(|t| d < t);
    let want = |k: SourceKind| q.source.is_none_or(|s| s == k);

    let mut out: Vec<PassageOut> = Vec::new();
    // Passage codings of both kinds.
    let codings = entity::coding::Entity::find()
        .filter(entity::coding::Column::CodeId.is_in(set.clone()))
        .all(cx.read)
        .await?
        .into_iter()
        .filter(|c| site_ok(c.site_id))
        .collect::<Vec<_>>();
    // Whole-note codes.
    let whole = if want(SourceKind::Note) {
        entity::note_code::Entity::find()
            .filter(entity::note_code::Column::CodeId.is_in(set))
            .all(cx.read)
            .await?
    } else {
        Vec::new()
    };
    let note_ids: Vec<Uuid> = codings
        .iter()
        .filter_map(|c| c.note_id)
        .chain(whole.iter().map(|w| w.note_id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let transcript_ids: Vec<Uuid> = codings
        .iter()
        .filter_map(|c| c.transcript_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let notes: HashMap<Uuid, entity::note::Model> = if note_ids.is_empty() {
        HashMap::new()
    } else {
        entity::note::Entity::find()
            .filter(entity::note::Column::Id.is_in(note_ids.clone()))
            .filter(entity::note::Column::DeletedAt.is_null())
            .all(cx.read)
            .await?
            .into_iter()
            .filter(|n| site_ok(n.site_id))
            .map(|n| (n.id, n))
            .collect()
    };
    let transcripts: HashMap<Uuid, entity::transcript::Model> = if transcript_ids.is_empty() {
        HashMap::new()
    } else {
        entity::transcript::Entity::find()
            .filter(entity::transcript::Column::Id.is_in(transcript_ids))
            .all(cx.read)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect()
    };
    let interview_ids: Vec<Uuid> = transcripts.values().map(|t| t.interview_id).collect();
    let interviews: HashMap<Uuid, entity::interview::Model> = if interview_ids.is_empty() {
        HashMap::new()
    } else {
        entity::interview::Entity::find()
            .filter(entity::interview::Column::Id.is_in(interview_ids.clone()))
            .all(cx.read)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect()
    };
    let mut sessions: HashMap<Uuid, Vec<entity::interview_session::Model>> = HashMap::new();
    if !interview_ids.is_empty() {
        for s in entity::interview_session::Entity::find()
            .filter(entity::interview_session::Column::InterviewId.is_in(interview_ids))
            .all(cx.read)
            .await?
        {
            sessions.entry(s.interview_id).or_default().push(s);
        }
    }
    let mut note_people: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !notes.is_empty() {
        for l in entity::note_participant::Entity::find()
            .filter(
                entity::note_participant::Column::NoteId
                    .is_in(notes.keys().copied().collect::<Vec<_>>()),
            )
            .all(cx.read)
            .await?
        {
            note_people
                .entry(l.note_id)
                .or_default()
                .push(l.participant_id);
        }
    }
    let people_ids: Vec<Uuid> = note_people
        .values()
        .flatten()
        .copied()
        .chain(transcripts.values().map(|t| t.participant_id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let people: HashMap<Uuid, String> = if people_ids.is_empty() {
        HashMap::new()
    } else {
        entity::participant::Entity::find()
            .filter(entity::participant::Column::Id.is_in(people_ids))
            .all(cx.read)
            .await?
            .into_iter()
            .map(|p| (p.id, p.pseudonym))
            .collect()
    };
    let named = |ids: &[Uuid]| -> Vec<PassageParticipant> {
        let mut v: Vec<PassageParticipant> = ids
            .iter()
            .filter_map(|id| {
                people.get(id).map(|p| PassageParticipant {
                    id: *id,
                    pseudonym: p.clone(),
                })
            })
            .collect();
        v.sort_by(|a, b| a.pseudonym.cmp(&b.pseudonym));
        v
    };
    let transcript_date = |t: &entity::transcript::Model| -> Option<(DateTime<Utc>, i32)> {
        let i = interviews.get(&t.interview_id)?;
        let ss = sessions.get(&i.id);
        let started = ss.and_then(|ss| {
            let of = |n: Option<i32>| {
                ss.iter()
                    .filter(|s| n.is_none_or(|n| s.n == n))
                    .map(|s| s.started_at)
                    .min()
            };
            of(t.session_number).or_else(|| of(None))
        });
        Some((started.unwrap_or(i.scheduled_at), i.wave))
    };

    for c in &codings {
        match (c.note_id, c.transcript_id) {
            (Some(n), _) if want(SourceKind::Note) => {
                let Some(note) = notes.get(&n) else { continue };
                out.push(PassageOut {
                    coding_id: Some(c.id),
                    code_id: c.code_id,
                    source: SourceKind::Note,
                    note_id: Some(n),
                    transcript_id: None,
                    interview_id: None,
                    site_id: c.site_id,
                    start: Some(c.start_pos.into()),
                    end: Some(c.end_pos.into()),
                    quote: c.quote.clone(),
                    anchored: c.anchored,
                    participants: named(note_people.get(&n).map_or(&[][..], Vec::as_slice)),
                    wave: None,
                    date: note.observed_at,
                });
            }
            (None, Some(tid)) if want(SourceKind::Transcript) => {
                let Some(t) = transcripts.get(&tid) else {
                    continue;
                };
                let Some((date, wave)) = transcript_date(t) else {
                    continue;
                };
                out.push(PassageOut {
                    coding_id: Some(c.id),
                    code_id: c.code_id,
                    source: SourceKind::Transcript,
                    note_id: None,
                    transcript_id: Some(tid),
                    interview_id: Some(t.interview_id),
                    site_id: c.site_id,
                    start: Some(c.start_pos.into()),
                    end: Some(c.end_pos.into()),
                    quote: c.quote.clone(),
                    anchored: c.anchored,
                    participants: named(&[t.participant_id]),
                    wave: Some(wave),
                    date,
                });
            }
            _ => {}
        }
    }
    for w in &whole {
        let Some(note) = notes.get(&w.note_id) else {
            continue;
        };
        out.push(PassageOut {
            coding_id: None,
            code_id: w.code_id,
            source: SourceKind::Note,
            note_id: Some(note.id),
            transcript_id: None,
            interview_id: None,
            site_id: note.site_id,
            start: None,
            end: None,
            quote: note.body.clone(),
            anchored: true,
            participants: named(note_people.get(&note.id).map_or(&[][..], Vec::as_slice)),
            wave: None,
            date: note.observed_at,
        });
    }
    out.retain(|p| date_ok(p.date));
    out.sort_by_key(key);
    let total = out.len() as u64;
    let start = after.map_or(0, |a| out.partition_point(|p| key(p) <= a));
    let mut page: Vec<PassageOut> = out
        .into_iter()
        .skip(start)
        .take(limit as usize + 1)
        .collect();
    let next = if page.len() as u64 > limit {
        page.truncate(limit as usize);
        page.last().map(|p| encode(&key(p)))
    } else {
        None
    };
    cx.log(
        Entry::new("passage.list", "code", q.code_id)
            .site(q.site_id)
            .detail(serde_json::json!({"count": page.len(), "total": total})),
    )
    .await?;
    Ok(PassageList {
        items: page,
        total,
        next_cursor: next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_refuses_junk() {
        let k = (1_700_000_000_000_000, Uuid::now_v7(), -1, Uuid::now_v7());
        assert_eq!(decode(&encode(&k)).expect("decoded"), k);
        assert!(decode("not a cursor").is_err());
        assert!(decode(&encode_cursor(&["1".into(), "2".into()])).is_err());
    }
}
