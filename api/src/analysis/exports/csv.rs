//! CSV files, one row per object, written by the `csv` crate and streamed
//! a page at a time. UTF-8 with a byte-order mark (so Excel reads æ, ø and
//! å right; every CSV reader skips it). Text a spreadsheet would run as a
//! formula gets a leading apostrophe (see [`neutralise`]).
use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::{Codebook, CsvKind, Scope, Staff, PAGE};
use crate::{kernel::error::ApiResult, readiness::rules::instruments::InstrumentDef};

/// A cell a spreadsheet will not run, after OWASP's rule on CSV injection:
/// a cell that starts with a tab or a CR, or whose first character after
/// any leading whitespace (spaces, newlines, the ideographic space) is `=`,
/// `+`, `-` or `@`, or their fullwidth forms (`＝` `＋` `－` `＠`, which some
/// spreadsheets read as the plain ones), gets a leading apostrophe.
pub fn neutralise(s: &str) -> String {
    let starts_formula = |c: char| {
        matches!(
            c,
            '=' | '+' | '-' | '@' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
        )
    };
    let risky = s.starts_with(['\t', '\r'])
        || s.chars()
            .find(|c| !c.is_whitespace())
            .is_some_and(starts_formula);
    if risky {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn rows_to_bytes(rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(64 * 1024));
    for r in rows {
        w.write_record(r)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// A time as the site's clock showed it, with its offset from UTC
/// (`2026-03-02T10:00:00+01:00`): what a team reads, and the same instant
/// for a program (RFC 3339).
fn local(ts: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    ts.with_timezone(&tz)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

struct Common {
    staff: Staff,
    pseudonyms: HashMap<Uuid, String>,
    sites: HashMap<Uuid, entity::site::Model>,
}

impl Common {
    /// `ts` in the time zone of site `id` (UTC for a site not known).
    fn at(&self, id: Uuid, ts: chrono::DateTime<chrono::Utc>) -> String {
        let tz = self
            .sites
            .get(&id)
            .and_then(|m| m.timezone.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        local(ts, tz)
    }
    fn at_opt(&self, id: Uuid, ts: Option<chrono::DateTime<chrono::Utc>>) -> String {
        ts.map(|ts| self.at(id, ts)).unwrap_or_default()
    }
    fn site(&self, s: &Scope, id: Uuid, row: &mut Vec<String>) {
        if s.include.site {
            row.push(neutralise(
                self.sites.get(&id).map(|m| m.name.as_str()).unwrap_or(""),
            ));
        }
    }
    fn who(&self, id: Uuid) -> String {
        neutralise(self.pseudonyms.get(&id).map(String::as_str).unwrap_or(""))
    }
}

/// Writes the file `kind` into `out`, closing it at the end.
pub async fn write<W>(
    db: DatabaseConnection,
    s: Scope,
    kind: CsvKind,
    mut out: W,
) -> anyhow::Result<()>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let users = super::qdpx::users_in(&db, &s).await?;
    let common = Common {
        staff: Staff::load(&db, s.include.staff_names, Some(&users)).await?,
        pseudonyms: super::participants(&db, &s)
            .await?
            .into_iter()
            .map(|p| (p.id, p.pseudonym))
            .collect(),
        sites: super::site_names(&db).await?,
    };
    out.write_all("\u{feff}".as_bytes()).await?;
    match kind {
        CsvKind::Notes => notes(&db, &s, &common, &mut out).await?,
        CsvKind::Participants => participants(&db, &s, &mut out).await?,
        CsvKind::Screenings => screenings(&db, &s, &common, &mut out).await?,
        CsvKind::Interviews => interviews(&db, &s, &common, &mut out).await?,
        CsvKind::Postponements => postponements(&db, &s, &common, &mut out).await?,
        CsvKind::Sessions => sessions(&db, &s, &common, &mut out).await?,
        CsvKind::Consents => consents(&db, &s, &common, &mut out).await?,
    }
    out.shutdown().await?;
    Ok(())
}

fn header(s: &Scope, cols: &[&str]) -> Vec<String> {
    let mut h: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
    if s.include.site {
        h.push("site".into());
    }
    h
}

async fn notes<W: tokio::io::AsyncWrite + Unpin>(
    db: &DatabaseConnection,
    s: &Scope,
    c: &Common,
    out: &mut W,
) -> anyhow::Result<()> {
    let book = Codebook::load(db).await?;
    let h = header(
        s,
        &[
            "note_id",
            "observed_at",
            "location",
            "author",
            "participants",
            "codes",
            "passage_codes",
            "body",
            "version",
        ],
    );
    out.write_all(&rows_to_bytes(&[h])?).await?;
    let mut after = None;
    loop {
        let page = super::notes_page(db, s, after).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.observed_at, last.id));
        let ids: Vec<Uuid> = page.iter().map(|n| n.id).collect();
        let (parts, codes) = super::note_links(db, &ids).await?;
        let codings = super::passage_codings(db, &ids, &[]).await?;
        let path = |id: &Uuid| book.paths.get(id).cloned().unwrap_or_default();
        let mut rows = Vec::with_capacity(page.len());
        for n in &page {
            s.pace.step().await;
            let mut row = vec![
                n.id.to_string(),
                c.at(n.site_id, n.observed_at),
                n.location.clone(),
                neutralise(c.staff.name(Some(n.author_id))),
                neutralise(
                    &parts
                        .get(&n.id)
                        .into_iter()
                        .flatten()
                        .filter_map(|p| c.pseudonyms.get(p).cloned())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                neutralise(
                    &codes
                        .get(&n.id)
                        .into_iter()
                        .flatten()
                        .map(path)
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                neutralise(
                    &codings
                        .get(&n.id)
                        .into_iter()
                        .flatten()
                        .map(|k| format!("{} [{}-{}]", path(&k.code_id), k.start_pos, k.end_pos))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                neutralise(&n.body),
                n.version.to_string(),
            ];
            c.site(s, n.site_id, &mut row);
            rows.push(row);
        }
        out.write_all(&rows_to_bytes(&rows)?).await?;
    }
    Ok(())
}

async fn participants<W: tokio::io::AsyncWrite + Unpin>(
    db: &DatabaseConnection,
    s: &Scope,
    out: &mut W,
) -> anyhow::Result<()> {
    let waves = super::waves_done(db, s).await?;
    let sites = super::site_names(db).await?;
    let mut h: Vec<String> = [
        "participant_id",
        "pseudonym",
        "status",
        "gender",
        "latest_wave_completed",
    ]
    .map(String::from)
    .to_vec();
    if s.include.age_band {
        h.push("age_band".into());
    }
    if s.include.site {
        h.push("site".into());
    }
    let mut rows = vec![h];
    for p in super::participants(db, s).await? {
        let mut row = vec![
            p.id.to_string(),
            neutralise(&p.pseudonym),
            p.status.clone(),
            neutralise(p.gender.as_deref().unwrap_or("")),
            waves
                .get(&p.id)
                .and_then(|w| w.last())
                .map(|w| w.to_string())
                .unwrap_or_default(),
        ];
        if s.include.age_band {
            row.push(neutralise(p.age_band.as_deref().unwrap_or("")));
        }
        if s.include.site {
            row.push(neutralise(
                sites.get(&p.site_id).map(|m| m.name.as_str()).unwrap_or(""),
            ));
        }
        rows.push(row);
        if rows.len() >= PAGE as usize {
            out.write_all(&rows_to_bytes(&rows)?).await?;
            rows.clear();
        }
    }
    out.write_all(&rows_to_bytes(&rows)?).await?;
    Ok(())
}

fn screenings_query(s: &Scope) -> sea_orm::Select<entity::screening::Entity> {
    use entity::screening::{Column, Entity};
    let sel = s.sites_filter(Entity::find(), Column::SiteId);
    s.period_filter(sel, Column::PerformedAt)
}

async fn screenings<W: tokio::io::AsyncWrite + Unpin>(
    db: &DatabaseConnection,
    s: &Scope,
    c: &Common,
    out: &mut W,
) -> anyhow::Result<()> {
    use entity::screening::Column;
    // One column per item of every instrument version used, in the
    // instrument's own order.
    let used: Vec<Uuid> = screenings_query(s)
        .select_only()
        .column(Column::InstrumentId)
        .distinct()
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    let mut instruments = entity::instrument::Entity::find()
        .filter(entity::instrument::Column::Id.is_in(used))
        .order_by_asc(entity::instrument::Column::Key)
        .order_by_asc(entity::instrument::Column::Version)
        .all(db)
        .await?;
    instruments.sort_by(|a, b| a.key.cmp(&b.key).then(a.version.cmp(&b.version)));
    let mut columns: Vec<(Uuid, String, String)> = Vec::new();
    let mut version_of: HashMap<Uuid, i32> = HashMap::new();
    let mut defs: HashMap<Uuid, InstrumentDef> = HashMap::new();
    for i in &instruments {
        version_of.insert(i.id, i.version);
        if let Ok(def) = serde_json::from_value::<InstrumentDef>(i.definition.clone()) {
            defs.insert(i.id, def.clone());
            for item in def.items {
                columns.push((
                    i.id,
                    item.key.clone(),
                    format!("{} v{}: {}", i.key, i.version, item.key),
                ));
            }
        }
    }
    let mut h: Vec<String> = [
        "screening_id",
        "participant",
        "performed_at",
        "instrument",
        "instrument_version",
        "total",
        "outcome",
        "reasons",
        "reason_words",
        "performed_by",
        "note",
    ]
    .map(String::from)
    .to_vec();
    if s.include.site {
        h.push("site".into());
    }
    h.extend(columns.iter().map(|(_, _, name)| name.clone()));
    out.write_all(&rows_to_bytes(&[h])?).await?;
    let mut after: Option<(chrono::DateTime<chrono::Utc>, Uuid)> = None;
    loop {
        let mut sel = screenings_query(s);
        if let Some((at, id)) = after {
            sel = sel.filter(Column::PerformedAt.gte(at)).filter(
                Condition::any().add(Column::PerformedAt.gt(at)).add(
                    Condition::all()
                        .add(Column::PerformedAt.eq(at))
                        .add(Column::Id.gt(id)),
                ),
            );
        }
        let page = sel
            .order_by_asc(Column::PerformedAt)
            .order_by_asc(Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.performed_at, last.id));
        let mut rows = Vec::with_capacity(page.len());
        for sc in &page {
            let responses: HashMap<String, String> =
                serde_json::from_value(sc.responses.clone()).unwrap_or_default();
            let stored: Vec<serde_json::Value> =
                serde_json::from_value(sc.reasons.clone()).unwrap_or_default();
            let reasons: Vec<String> = stored
                .iter()
                .map(|r| match r {
                    serde_json::Value::String(s) => s.clone(),
                    other => other
                        .get("code")
                        .and_then(|c| c.as_str())
                        .map(str::to_string)
                        .unwrap_or_else(|| other.to_string()),
                })
                .collect();
            // The reasons in the instrument's own words (its rules' messages,
            // in the exporter's language), scored again from the answers.
            let said: Vec<String> = defs
                .get(&sc.instrument_id)
                .map(|def| {
                    crate::readiness::rescore(def, s.lang, &sc.responses)
                        .reasons
                        .into_iter()
                        .filter(|r| reasons.contains(&r.code))
                        .map(|r| r.message)
                        .collect()
                })
                .unwrap_or_default();
            let mut row = vec![
                sc.id.to_string(),
                c.who(sc.participant_id),
                c.at(sc.site_id, sc.performed_at),
                sc.instrument_key.clone(),
                version_of
                    .get(&sc.instrument_id)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                sc.total.map(|v| v.to_string()).unwrap_or_default(),
                sc.outcome.clone(),
                neutralise(&reasons.join("; ")),
                neutralise(&said.join(" ")),
                neutralise(c.staff.name(sc.performed_by)),
                neutralise(sc.note.as_deref().unwrap_or("")),
            ];
            c.site(s, sc.site_id, &mut row);
            for (inst, item, _) in &columns {
                row.push(if *inst == sc.instrument_id {
                    neutralise(responses.get(item).map(String::as_str).unwrap_or(""))
                } else {
                    String::new()
                });
            }
            rows.push(row);
        }
        out.write_all(&rows_to_bytes(&rows)?).await?;
    }
    Ok(())
}

/// The export's interviews, a page at a time, by id.
struct InterviewPages<'a> {
    db: &'a DatabaseConnection,
    s: &'a Scope,
    after: Option<Uuid>,
}

impl<'a> InterviewPages<'a> {
    fn new(db: &'a DatabaseConnection, s: &'a Scope) -> Self {
        InterviewPages { db, s, after: None }
    }

    /// The next page with its ids; `None` after the last.
    async fn next(&mut self) -> ApiResult<Option<(Vec<entity::interview::Model>, Vec<Uuid>)>> {
        let mut sel = super::interviews_query(self.s);
        if let Some(a) = self.after {
            sel = sel.filter(entity::interview::Column::Id.gt(a));
        }
        let page = sel
            .order_by_asc(entity::interview::Column::Id)
            .limit(PAGE)
            .all(self.db)
            .await?;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = Some(last.id);
        let ids = page.iter().map(|i| i.id).collect();
        Ok(Some((page, ids)))
    }
}

async fn interviews<W: tokio::io::AsyncWrite + Unpin>(
    db: &DatabaseConnection,
    s: &Scope,
    c: &Common,
    out: &mut W,
) -> anyhow::Result<()> {
    let h = header(
        s,
        &[
            "interview_id",
            "participant",
            "wave",
            "status",
            "first_scheduled_at",
            "scheduled_at",
            "completed_at",
            "planned_minutes",
            "postponements",
            "reschedules",
            "sessions",
            "session_minutes",
            "interviewers",
            "entered_later",
            "screening_note",
        ],
    );
    out.write_all(&rows_to_bytes(&[h])?).await?;
    let mut pages = InterviewPages::new(db, s);
    while let Some((page, ids)) = pages.next().await? {
        let mut posts: HashMap<Uuid, u64> = HashMap::new();
        for p in entity::postponement::Entity::find()
            .filter(entity::postponement::Column::InterviewId.is_in(ids.clone()))
            .all(db)
            .await?
        {
            *posts.entry(p.interview_id).or_default() += 1;
        }
        let mut moved: HashMap<Uuid, u64> = HashMap::new();
        for r in entity::interview_reschedule::Entity::find()
            .filter(entity::interview_reschedule::Column::InterviewId.is_in(ids.clone()))
            .all(db)
            .await?
        {
            *moved.entry(r.interview_id).or_default() += 1;
        }
        let mut sess: HashMap<Uuid, (u64, i64)> = HashMap::new();
        for x in entity::interview_session::Entity::find()
            .filter(entity::interview_session::Column::InterviewId.is_in(ids.clone()))
            .all(db)
            .await?
        {
            let e = sess.entry(x.interview_id).or_default();
            e.0 += 1;
            e.1 += x
                .ended_at
                .map_or(0, |end| (end - x.started_at).num_minutes());
        }
        let mut who: HashMap<Uuid, BTreeSet<String>> = HashMap::new();
        for l in entity::interview_interviewer::Entity::find()
            .filter(entity::interview_interviewer::Column::InterviewId.is_in(ids.clone()))
            .all(db)
            .await?
        {
            who.entry(l.interview_id)
                .or_default()
                .insert(c.staff.name(Some(l.user_id)).to_string());
        }
        let mut rows = Vec::with_capacity(page.len());
        for i in &page {
            let (n, minutes) = sess.get(&i.id).copied().unwrap_or_default();
            let mut row = vec![
                i.id.to_string(),
                c.who(i.participant_id),
                i.wave.to_string(),
                i.status.clone(),
                c.at(i.site_id, i.first_scheduled_at),
                c.at(i.site_id, i.scheduled_at),
                c.at_opt(i.site_id, i.completed_at),
                i.duration_minutes.to_string(),
                posts.get(&i.id).copied().unwrap_or_default().to_string(),
                moved.get(&i.id).copied().unwrap_or_default().to_string(),
                n.to_string(),
                minutes.to_string(),
                neutralise(
                    &who.get(&i.id)
                        .map(|w| w.iter().cloned().collect::<Vec<_>>().join("; "))
                        .unwrap_or_default(),
                ),
                i.entered_later.to_string(),
                neutralise(i.screening_note.as_deref().unwrap_or_default()),
            ];
            c.site(s, i.site_id, &mut row);
            rows.push(row);
        }
        out.write_all(&rows_to_bytes(&rows)?).await?;
    }
    Ok(())
}

async fn postponements<W: tokio::io::AsyncWrite + Unpin>(
    db: &DatabaseConnection,
    s: &Scope,
    c: &Common,
    out: &mut W,
) -> anyhow::Result<()> {
    let h = header(
        s,
        &[
            "postponement_id",
            "interview_id",
            "participant",
            "wave",
            "reason",
            "readiness_reasons",
            "previous_scheduled_at",
            "new_scheduled_at",
            "recorded_at",
            "recorded_by",
            "note",
        ],
    );
    out.write_all(&rows_to_bytes(&[h])?).await?;
    let mut pages = InterviewPages::new(db, s);
    while let Some((page, ids)) = pages.next().await? {
        let by_id: HashMap<Uuid, &entity::interview::Model> =
            page.iter().map(|i| (i.id, i)).collect();
        let posts = entity::postponement::Entity::find()
            .filter(entity::postponement::Column::InterviewId.is_in(ids))
            .order_by_asc(entity::postponement::Column::InterviewId)
            .order_by_asc(entity::postponement::Column::CreatedAt)
            .all(db)
            .await?;
        let mut rows = Vec::with_capacity(posts.len());
        for p in &posts {
            let Some(i) = by_id.get(&p.interview_id) else {
                continue;
            };
            let reasons: Vec<String> =
                serde_json::from_value(p.readiness_reasons.clone()).unwrap_or_default();
            let mut row = vec![
                p.id.to_string(),
                i.id.to_string(),
                c.who(i.participant_id),
                i.wave.to_string(),
                p.reason.clone(),
                neutralise(&reasons.join("; ")),
                c.at(i.site_id, p.previous_scheduled_at),
                c.at_opt(i.site_id, p.new_scheduled_at),
                c.at(i.site_id, p.created_at),
                neutralise(c.staff.name(p.created_by)),
                neutralise(p.note.as_deref().unwrap_or("")),
            ];
            c.site(s, i.site_id, &mut row);
            rows.push(row);
        }
        out.write_all(&rows_to_bytes(&rows)?).await?;
    }
    Ok(())
}

async fn sessions<W: tokio::io::AsyncWrite + Unpin>(
    db: &DatabaseConnection,
    s: &Scope,
    c: &Common,
    out: &mut W,
) -> anyhow::Result<()> {
    let h = header(
        s,
        &[
            "session_id",
            "interview_id",
            "participant",
            "wave",
            "session",
            "started_at",
            "ended_at",
            "minutes",
            "recorded",
        ],
    );
    out.write_all(&rows_to_bytes(&[h])?).await?;
    let mut pages = InterviewPages::new(db, s);
    while let Some((page, ids)) = pages.next().await? {
        let by_id: HashMap<Uuid, &entity::interview::Model> =
            page.iter().map(|i| (i.id, i)).collect();
        let list = entity::interview_session::Entity::find()
            .filter(entity::interview_session::Column::InterviewId.is_in(ids))
            .order_by_asc(entity::interview_session::Column::InterviewId)
            .order_by_asc(entity::interview_session::Column::N)
            .all(db)
            .await?;
        let mut rows = Vec::with_capacity(list.len());
        for x in &list {
            let Some(i) = by_id.get(&x.interview_id) else {
                continue;
            };
            let mut row = vec![
                x.id.to_string(),
                i.id.to_string(),
                c.who(i.participant_id),
                i.wave.to_string(),
                x.n.to_string(),
                c.at(i.site_id, x.started_at),
                c.at_opt(i.site_id, x.ended_at),
                x.ended_at
                    .map(|e| (e - x.started_at).num_minutes().to_string())
                    .unwrap_or_default(),
                x.recorded.to_string(),
            ];
            c.site(s, i.site_id, &mut row);
            rows.push(row);
        }
        out.write_all(&rows_to_bytes(&rows)?).await?;
    }
    Ok(())
}

async fn consents<W: tokio::io::AsyncWrite + Unpin>(
    db: &DatabaseConnection,
    s: &Scope,
    c: &Common,
    out: &mut W,
) -> anyhow::Result<()> {
    let h = header(
        s,
        &[
            "consent_id",
            "participant",
            "form_version",
            "method",
            "given_at",
            "given_by",
            "withdrawn_at",
            "data_decision",
        ],
    );
    out.write_all(&rows_to_bytes(&[h])?).await?;
    // One a participant, or a few: the whole log fits one page.
    let list = super::consents_query(s)
        .order_by_asc(entity::consent::Column::ObtainedAt)
        .order_by_asc(entity::consent::Column::Id)
        .all(db)
        .await?;
    let mut rows = Vec::with_capacity(list.len());
    for x in &list {
        let mut row = vec![
            x.id.to_string(),
            c.who(x.participant_id),
            neutralise(&x.form_version),
            x.method.clone(),
            c.at(x.site_id, x.obtained_at),
            neutralise(c.staff.name(x.obtained_by)),
            c.at_opt(x.site_id, x.withdrawn_at),
            x.data_decision.clone().unwrap_or_default(),
        ];
        c.site(s, x.site_id, &mut row);
        rows.push(row);
    }
    out.write_all(&rows_to_bytes(&rows)?).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn cells_a_spreadsheet_would_run_get_an_apostrophe() {
        for risky in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\t=1+1",
            "\r=1+1",
            "\tplain",
            " =1+1",
            "\n=1+1",
            "  \r\n @x",
            "\u{3000}=1",
            "\u{FF1D}1+1",
            "\u{FF0B}1",
            "\u{FF0D}1",
            "\u{FF20}x",
            " \u{FF1D}1",
        ] {
            assert_eq!(neutralise(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["", "   ", "a=1", "Ola", "1+1", "x\n=1", "\u{FF21}"] {
            assert_eq!(neutralise(plain), plain, "{plain:?}");
        }
    }
}
