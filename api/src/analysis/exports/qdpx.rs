//! The REFI-QDA Project exchange format 1.0 (`urn:QDA-XML:project:1.0`), the
//! one NVivo, ATLAS.ti, MAXQDA and QualCoder all open: a zip holding
//! `project.qde` (the codebook, the team, cases with their variables, and
//! every note and transcript as a text source with its coded selections)
//! and `sources/<guid>.txt` (each text, UTF-8, LF, no BOM).
//!
//! It streams in two passes over the database, a page at a time: first
//! `project.qde`, then the texts. Memory holds one page, the codebook, the
//! team and the participants, never the study.
use std::collections::{HashMap, HashSet};

use async_zip::{base::write::ZipFileWriter, Compression, ZipEntryBuilder};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::io::AsyncWriteExt as _;
use quick_xml::events::{BytesDecl, Event};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use uuid::Uuid;

use super::{Codebook, Scope, Staff};
use crate::{codebook::rules::Plain, kernel::xml::Xml, notes::Location};

/// Derived GUIDs (selections and codings made for the export) are UUIDv5
/// in this namespace, so the same export gives the same GUIDs.
const NS: Uuid = Uuid::from_u128(0x6f1e_2c4a_9b7d_4e21_a3c5_0d8f_7b6e_5a41);

fn derived(id: Uuid, what: &str) -> Uuid {
    Uuid::new_v5(&NS, format!("{id}/{what}").as_bytes())
}

fn dt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A variable of cases or sources.
struct Var {
    guid: Uuid,
    name: String,
    kind: &'static str,
    description: &'static str,
}

fn var(name: impl Into<String>, kind: &'static str, description: &'static str) -> Var {
    let name = name.into();
    Var {
        guid: derived(Uuid::nil(), &name),
        name,
        kind,
        description,
    }
}

fn location_label(l: &str) -> Result<&'static str, crate::kernel::names::Unknown> {
    Ok(match Location::parse(l)? {
        Location::WaitingRoom => "Waiting room",
        Location::ScreeningRoom => "Screening room",
        Location::InjectionRoom => "Injection room",
        Location::ObservationRoom => "Observation room",
        Location::Outside => "Outside",
        Location::Other => "Elsewhere",
    })
}

fn status_label(s: &str) -> String {
    let mut c = s.replace('_', " ");
    if let Some(f) = c.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    c
}

/// Everything the export keeps in memory: small, whatever the study's size.
struct Frame {
    scope: Scope,
    staff: Staff,
    users: Vec<Uuid>,
    codebook: Codebook,
    participants: HashMap<Uuid, entity::participant::Model>,
    participant_order: Vec<Uuid>,
    waves: HashMap<Uuid, std::collections::BTreeSet<i32>>,
    /// Every wave of the study, and any other wave an interview was done in.
    study_waves: Vec<i32>,
    sites: HashMap<Uuid, entity::site::Model>,
    vars: Vars,
}

struct Vars {
    status: Var,
    latest_wave: Var,
    /// Per wave of `study_waves`: whether its interview was done.
    wave_done: Vec<(i32, Var)>,
    wave: Var,
    interview_date: Var,
    entered_later: Var,
    gender: Var,
    age_band: Var,
    site: Var,
    kind: Var,
    location: Var,
    participants: Var,
}

/// The team that appears in the export: the people of its sites and
/// whoever wrote or coded what it holds, and no one else (another site's
/// staff do not show, not even as a count).
pub(super) async fn users_in(
    db: &impl ConnectionTrait,
    s: &Scope,
) -> crate::kernel::error::ApiResult<HashSet<Uuid>> {
    let Some(sites) = &s.sites else {
        return Ok(entity::user::Entity::find()
            .select_only()
            .column(entity::user::Column::Id)
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect());
    };
    let mut out: HashSet<Uuid> = entity::user_site::Entity::find()
        .filter(entity::user_site::Column::SiteId.is_in(sites.clone()))
        .select_only()
        .column(entity::user_site::Column::UserId)
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    out.insert(s.exporter);
    out.extend(
        super::notes_query(s)
            .select_only()
            .column(entity::note::Column::AuthorId)
            .distinct()
            .into_tuple::<Uuid>()
            .all(db)
            .await?,
    );
    out.extend(
        entity::coding::Entity::find()
            .filter(entity::coding::Column::SiteId.is_in(sites.clone()))
            .select_only()
            .column(entity::coding::Column::CreatedBy)
            .distinct()
            .into_tuple::<Option<Uuid>>()
            .all(db)
            .await?
            .into_iter()
            .flatten(),
    );
    out.extend(
        super::transcripts_query(s)
            .select_only()
            .column(entity::transcript::Column::CreatedBy)
            .distinct()
            .into_tuple::<Option<Uuid>>()
            .all(db)
            .await?
            .into_iter()
            .flatten(),
    );
    Ok(out)
}

async fn frame(db: &DatabaseConnection, scope: Scope) -> crate::kernel::error::ApiResult<Frame> {
    let users = users_in(db, &scope).await?;
    let staff = Staff::load(db, scope.include.staff_names, Some(&users)).await?;
    let users = staff.order.clone();
    let codebook = Codebook::load(db).await?;
    let parts = super::participants(db, &scope).await?;
    let participant_order = parts.iter().map(|p| p.id).collect();
    let participants = parts.into_iter().map(|p| (p.id, p)).collect();
    let waves = super::waves_done(db, &scope).await?;
    let mut study_waves: Vec<i32> = crate::interviews::waves(db)
        .await?
        .iter()
        .map(|w| w.wave)
        .chain(waves.values().flatten().copied())
        .collect();
    study_waves.sort_unstable();
    study_waves.dedup();
    let sites = super::site_names(db).await?;
    let vars = Vars {
        status: var(
            "Status",
            "Text",
            "The participant's status in the study: active, withdrawn or ended.",
        ),
        latest_wave: var(
            "Latest wave",
            "Integer",
            "The latest interview wave the participant completed.",
        ),
        wave_done: study_waves
            .iter()
            .map(|w| {
                let done = var(
                    format!("Wave {w} done"),
                    "Boolean",
                    "Whether the participant's interview of this wave was done.",
                );
                (*w, done)
            })
            .collect(),
        wave: var(
            "Wave",
            "Integer",
            "The interview wave a transcript belongs to.",
        ),
        interview_date: var(
            "Interview date",
            "Date",
            "The day the interview was held (its first session), in the site's own calendar.",
        ),
        entered_later: var(
            "Entered later",
            "Boolean",
            "The interview was held before the study used Fieldnotes and entered afterwards; readiness was checked as its screening note says, not in Fieldnotes.",
        ),
        gender: var("Gender", "Text", "As the participant describes it."),
        age_band: var("Age band", "Text", "The participant's age band."),
        site: var("Site", "Text", "The clinic."),
        kind: var("Kind", "Text", "Field note or interview transcript."),
        location: var(
            "Location",
            "Text",
            "Where in or around the clinic a field note was observed.",
        ),
        participants: var(
            "Participants",
            "Text",
            "The pseudonyms of the participants a source is about.",
        ),
    };
    Ok(Frame {
        scope,
        staff,
        users,
        codebook,
        participants,
        participant_order,
        waves,
        study_waves,
        sites,
        vars,
    })
}

/// Writes the whole project into `out`, closing it at the end.
pub async fn write<W>(db: DatabaseConnection, scope: Scope, out: W) -> anyhow::Result<()>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let f = frame(&db, scope).await?;
    let mut zip = ZipFileWriter::with_tokio(out);
    {
        let entry = ZipEntryBuilder::new("project.qde".into(), Compression::Deflate);
        let mut qde = zip.write_entry_stream(entry).await?;
        let mut x = Xml::new();
        head(&mut x, &f)?;
        qde.write_all(&x.take()).await?;
        cases(&db, &f, &mut x, &mut qde).await?;
        // The schema wants at least one source inside <Sources>.
        let any = !super::notes_page(&db, &f.scope, None).await?.is_empty()
            || !transcripts_page(&db, &f.scope, None).await?.is_empty();
        if any {
            x.open("Sources", &[])?;
            note_sources(&db, &f, &mut x, &mut qde).await?;
            transcript_sources(&db, &f, &mut x, &mut qde).await?;
            x.close("Sources")?;
        }
        x.close("Project")?;
        qde.write_all(&x.take()).await?;
        qde.close().await?;
    }
    // Second pass: the texts.
    let mut after = None;
    loop {
        let page = super::notes_page(&db, &f.scope, after).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.observed_at, last.id));
        for n in &page {
            f.scope.pace.step().await;
            let plain = Plain::new(&n.body);
            zip.write_entry_whole(text_entry(n.id, &plain), plain.text.as_bytes())
                .await?;
        }
    }
    let mut after = None;
    loop {
        let page = transcripts_page(&db, &f.scope, after).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for t in &page {
            let plain = Plain::new(&t.body);
            zip.write_entry_whole(text_entry(t.id, &plain), plain.text.as_bytes())
                .await?;
        }
    }
    let mut out = zip.close().await?;
    futures_util::io::AsyncWriteExt::close(&mut out).await?;
    Ok(())
}

/// A source's text file. A field note is a few hundred bytes, too small
/// for deflate to win much, and starting a compressor per entry cost more
/// time than the bytes it saved: short texts are stored, long ones (most
/// transcripts) deflated.
fn text_entry(id: Uuid, plain: &Plain) -> ZipEntryBuilder {
    let method = if plain.text.len() < 4096 {
        Compression::Stored
    } else {
        Compression::Deflate
    };
    ZipEntryBuilder::new(format!("sources/{id}.txt").into(), method)
}

/// Transcripts are large: a few at a time, by id.
async fn transcripts_page(
    db: &DatabaseConnection,
    s: &Scope,
    after: Option<Uuid>,
) -> crate::kernel::error::ApiResult<Vec<entity::transcript::Model>> {
    s.pace.rest().await;
    let mut sel = super::transcripts_query(s);
    if let Some(a) = after {
        sel = sel.filter(entity::transcript::Column::Id.gt(a));
    }
    Ok(sel
        .order_by_asc(entity::transcript::Column::Id)
        .limit(20)
        .all(db)
        .await?)
}

fn head(x: &mut Xml, f: &Frame) -> std::io::Result<()> {
    x.w.write_event(Event::Decl(BytesDecl::new(
        "1.0",
        Some("utf-8"),
        Some("yes"),
    )))?;
    let exporter = f.scope.exporter.to_string();
    let at = dt(f.scope.at);
    let name = format!("Fieldnotes export {}", f.scope.at.format("%Y-%m-%d"));
    let origin = format!("Fieldnotes {}", env!("CARGO_PKG_VERSION"));
    x.open(
        "Project",
        &[
            ("xmlns", "urn:QDA-XML:project:1.0"),
            ("name", &name),
            ("origin", &origin),
            ("creatingUserGUID", &exporter),
            ("creationDateTime", &at),
        ],
    )?;
    x.open("Users", &[])?;
    for id in &f.users {
        x.empty(
            "User",
            &[("guid", &id.to_string()), ("name", f.staff.name(Some(*id)))],
        )?;
    }
    x.close("Users")?;
    if !f.codebook.codes.is_empty() {
        x.open("CodeBook", &[])?;
        crate::codebook::qdc::write_codes(x, &f.codebook.codes)?;
        x.close("CodeBook")?;
    }
    x.open("Variables", &[])?;
    let v = &f.vars;
    let mut vars = vec![&v.status, &v.latest_wave];
    vars.extend(v.wave_done.iter().map(|(_, d)| d));
    vars.push(&v.gender);
    if f.scope.include.age_band {
        vars.push(&v.age_band);
    }
    if f.scope.include.site {
        vars.push(&v.site);
    }
    vars.extend([
        &v.kind,
        &v.location,
        &v.participants,
        &v.wave,
        &v.interview_date,
        &v.entered_later,
    ]);
    for var in vars {
        x.open(
            "Variable",
            &[
                ("guid", &var.guid.to_string()),
                ("name", &var.name),
                ("typeOfVariable", var.kind),
            ],
        )?;
        x.text_element("Description", var.description)?;
        x.close("Variable")?;
    }
    x.close("Variables")
}

fn text_value(x: &mut Xml, var: &Var, value: &str) -> std::io::Result<()> {
    typed_value(x, var, "TextValue", value)
}

/// A value of `var` as the element `kind` (`TextValue`, `IntegerValue`,
/// `BooleanValue`, `DateValue`).
fn typed_value(x: &mut Xml, var: &Var, kind: &str, value: &str) -> std::io::Result<()> {
    x.open("VariableValue", &[])?;
    x.empty("VariableRef", &[("targetGUID", &var.guid.to_string())])?;
    x.text_element(kind, value)?;
    x.close("VariableValue")
}

/// The site of a case or source, when the export was asked to include it.
fn site_value(x: &mut Xml, f: &Frame, site: Uuid) -> std::io::Result<()> {
    match f.sites.get(&site) {
        Some(s) if f.scope.include.site => text_value(x, &f.vars.site, &s.name),
        _ => Ok(()),
    }
}

async fn cases<E>(
    db: &DatabaseConnection,
    f: &Frame,
    x: &mut Xml,
    qde: &mut E,
) -> anyhow::Result<()>
where
    E: futures_util::io::AsyncWrite + Unpin,
{
    if f.participant_order.is_empty() {
        return Ok(());
    }
    x.open("Cases", &[])?;
    for batch in f.participant_order.chunks(200) {
        // Which sources each participant of this batch is in.
        let notes = super::notes_query(&f.scope)
            .select_only()
            .column(entity::note::Column::Id)
            .into_query();
        let mut links: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for l in entity::note_participant::Entity::find()
            .filter(entity::note_participant::Column::ParticipantId.is_in(batch.to_vec()))
            .filter(entity::note_participant::Column::NoteId.in_subquery(notes))
            .order_by_asc(entity::note_participant::Column::NoteId)
            .all(db)
            .await?
        {
            links.entry(l.participant_id).or_default().push(l.note_id);
        }
        for (pid, tid) in super::transcripts_query(&f.scope)
            .filter(entity::transcript::Column::ParticipantId.is_in(batch.to_vec()))
            .select_only()
            .column(entity::transcript::Column::ParticipantId)
            .column(entity::transcript::Column::Id)
            .into_tuple::<(Uuid, Uuid)>()
            .all(db)
            .await?
        {
            links.entry(pid).or_default().push(tid);
        }
        for pid in batch {
            let Some(p) = f.participants.get(pid) else {
                continue;
            };
            x.open(
                "Case",
                &[("guid", &p.id.to_string()), ("name", &p.pseudonym)],
            )?;
            let v = &f.vars;
            text_value(x, &v.status, &status_label(&p.status))?;
            let done = f.waves.get(&p.id);
            if let Some(w) = done.and_then(|d| d.last()) {
                typed_value(x, &v.latest_wave, "IntegerValue", &w.to_string())?;
            }
            for (w, var) in &v.wave_done {
                let yes = done.is_some_and(|d| d.contains(w));
                typed_value(x, var, "BooleanValue", if yes { "true" } else { "false" })?;
            }
            if let Some(g) = &p.gender {
                text_value(x, &v.gender, g)?;
            }
            if f.scope.include.age_band {
                if let Some(a) = &p.age_band {
                    text_value(x, &v.age_band, a)?;
                }
            }
            site_value(x, f, p.site_id)?;
            for src in links.get(&p.id).into_iter().flatten() {
                x.empty("SourceRef", &[("targetGUID", &src.to_string())])?;
            }
            x.close("Case")?;
            if x.buffered() > 256 * 1024 {
                qde.write_all(&x.take()).await?;
            }
        }
    }
    x.close("Cases")?;
    qde.write_all(&x.take()).await?;
    Ok(())
}

/// One selection with one coding of `code`.
#[allow(clippy::too_many_arguments)]
fn selection(
    x: &mut Xml,
    guid: Uuid,
    name: Option<&str>,
    start: usize,
    end: usize,
    user: Option<Uuid>,
    at: DateTime<Utc>,
    codes: &[(Uuid, Uuid)],
) -> std::io::Result<()> {
    let guid = guid.to_string();
    let (start, end) = (start.to_string(), end.to_string());
    let user = user.map(|u| u.to_string());
    let at = dt(at);
    let mut attrs: Vec<(&str, &str)> = vec![("guid", &guid)];
    if let Some(n) = name {
        attrs.push(("name", n));
    }
    attrs.extend([
        ("startPosition", start.as_str()),
        ("endPosition", end.as_str()),
    ]);
    if let Some(u) = &user {
        attrs.push(("creatingUser", u));
    }
    attrs.push(("creationDateTime", &at));
    x.open("PlainTextSelection", &attrs)?;
    for (coding, code) in codes {
        let coding = coding.to_string();
        let mut a: Vec<(&str, &str)> = vec![("guid", &coding)];
        if let Some(u) = &user {
            a.push(("creatingUser", u));
        }
        a.push(("creationDateTime", &at));
        x.open("Coding", &a)?;
        x.empty("CodeRef", &[("targetGUID", &code.to_string())])?;
        x.close("Coding")?;
    }
    x.close("PlainTextSelection")
}

fn passages(x: &mut Xml, plain: &Plain, codings: &[entity::coding::Model]) -> std::io::Result<()> {
    for c in codings {
        let quote: String = c.quote.chars().take(60).collect();
        selection(
            x,
            c.id,
            Some(&quote),
            plain.pos(c.start_pos.max(0) as usize),
            plain.pos(c.end_pos.max(0) as usize),
            c.created_by,
            c.created_at,
            &[(derived(c.id, "coding"), c.code_id)],
        )?;
    }
    Ok(())
}

/// Readable, unique source names: date, time, place, pseudonyms. Notes come
/// in time order, so names can only repeat within one minute: only that
/// minute's names are remembered.
struct Names {
    minute: String,
    seen: HashMap<String, u32>,
}

impl Names {
    fn unique(&mut self, minute: &str, base: String) -> String {
        if self.minute != minute {
            self.minute = minute.to_string();
            self.seen.clear();
        }
        let n = self.seen.entry(base.clone()).or_default();
        *n += 1;
        if *n == 1 {
            base
        } else {
            format!("{base} ({n})")
        }
    }
}

async fn note_sources<E>(
    db: &DatabaseConnection,
    f: &Frame,
    x: &mut Xml,
    qde: &mut E,
) -> anyhow::Result<()>
where
    E: futures_util::io::AsyncWrite + Unpin,
{
    let mut names = Names {
        minute: String::new(),
        seen: HashMap::new(),
    };
    let mut after = None;
    loop {
        let page = super::notes_page(db, &f.scope, after).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.observed_at, last.id));
        let ids: Vec<Uuid> = page.iter().map(|n| n.id).collect();
        let (parts, codes) = super::note_links(db, &ids).await?;
        let codings = super::passage_codings(db, &ids, &[]).await?;
        for n in &page {
            f.scope.pace.step().await;
            let plain = Plain::new(&n.body);
            let tz = f
                .sites
                .get(&n.site_id)
                .map(crate::sites::tz_of)
                .unwrap_or(chrono_tz::Tz::UTC);
            let local = n.observed_at.with_timezone(&tz);
            let minute = local.format("%Y-%m-%d %H:%M").to_string();
            let pseudonyms: Vec<&str> = parts
                .get(&n.id)
                .into_iter()
                .flatten()
                .filter_map(|p| f.participants.get(p).map(|m| m.pseudonym.as_str()))
                .collect();
            let mut base = format!("{minute} {}", location_label(&n.location)?);
            if !pseudonyms.is_empty() {
                base.push_str(&format!(", {}", pseudonyms.join(", ")));
            }
            let name = names.unique(&minute, base);
            let id = n.id.to_string();
            let path = format!("internal://{id}.txt");
            let author = n.author_id.to_string();
            let (created, modified) = (dt(n.created_at), dt(n.updated_at));
            x.open(
                "TextSource",
                &[
                    ("guid", &id),
                    ("name", &name),
                    ("plainTextPath", &path),
                    ("creatingUser", &author),
                    ("creationDateTime", &created),
                    ("modifyingUser", &author),
                    ("modifiedDateTime", &modified),
                ],
            )?;
            let whole: Vec<(Uuid, Uuid)> = codes
                .get(&n.id)
                .into_iter()
                .flatten()
                .map(|c| (derived(n.id, &format!("code/{c}")), *c))
                .collect();
            if !whole.is_empty() {
                selection(
                    x,
                    derived(n.id, "whole"),
                    Some("The whole note"),
                    0,
                    plain.len(),
                    Some(n.author_id),
                    n.updated_at,
                    &whole,
                )?;
            }
            passages(
                x,
                &plain,
                codings.get(&n.id).map(Vec::as_slice).unwrap_or_default(),
            )?;
            let v = &f.vars;
            text_value(x, &v.kind, "Field note")?;
            text_value(x, &v.location, location_label(&n.location)?)?;
            if !pseudonyms.is_empty() {
                text_value(x, &v.participants, &pseudonyms.join(", "))?;
            }
            site_value(x, f, n.site_id)?;
            x.close("TextSource")?;
        }
        qde.write_all(&x.take()).await?;
    }
    Ok(())
}

async fn transcript_sources<E>(
    db: &DatabaseConnection,
    f: &Frame,
    x: &mut Xml,
    qde: &mut E,
) -> anyhow::Result<()>
where
    E: futures_util::io::AsyncWrite + Unpin,
{
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut after = None;
    loop {
        let page = transcripts_page(db, &f.scope, after).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let ids: Vec<Uuid> = page.iter().map(|t| t.id).collect();
        let ivs: HashMap<Uuid, entity::interview::Model> = entity::interview::Entity::find()
            .filter(
                entity::interview::Column::Id
                    .is_in(page.iter().map(|t| t.interview_id).collect::<Vec<_>>()),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let mut held: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
        for x in entity::interview_session::Entity::find()
            .filter(
                entity::interview_session::Column::InterviewId
                    .is_in(ivs.keys().copied().collect::<Vec<_>>()),
            )
            .all(db)
            .await?
        {
            let e = held.entry(x.interview_id).or_insert(x.started_at);
            *e = (*e).min(x.started_at);
        }
        let codings = super::passage_codings(db, &[], &ids).await?;
        // Padded when the study has ten waves or more, so that a
        // participant's sources sort by wave.
        let width = if f.study_waves.iter().any(|w| *w >= 10) {
            2
        } else {
            1
        };
        for t in &page {
            let plain = Plain::new(&t.body);
            let pseudonym = f
                .participants
                .get(&t.participant_id)
                .map(|p| p.pseudonym.as_str())
                .unwrap_or("");
            let iv = ivs.get(&t.interview_id);
            let tz = f
                .sites
                .get(&t.site_id)
                .map(crate::sites::tz_of)
                .unwrap_or(chrono_tz::Tz::UTC);
            // The day it was held: its first session, else its time.
            let day = iv.map(|i| {
                held.get(&i.id)
                    .copied()
                    .unwrap_or(i.scheduled_at)
                    .with_timezone(&tz)
                    .date_naive()
            });
            let wave = iv.map_or(0, |i| i.wave);
            let mut base = format!("Interview {pseudonym}, wave {wave:0width$}");
            if let Some(n) = t.session_number {
                base.push_str(&format!(", session {n}"));
            }
            if let Some(d) = day {
                base.push_str(&format!(" ({})", d.format("%Y-%m-%d")));
            }
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let name = if *n == 1 {
                base
            } else {
                format!("{base} ({n})")
            };
            let id = t.id.to_string();
            let path = format!("internal://{id}.txt");
            let (created, modified) = (dt(t.created_at), dt(t.updated_at));
            let creator = t.created_by.map(|u| u.to_string());
            let mut attrs: Vec<(&str, &str)> =
                vec![("guid", &id), ("name", &name), ("plainTextPath", &path)];
            if let Some(c) = &creator {
                attrs.push(("creatingUser", c));
            }
            attrs.extend([
                ("creationDateTime", created.as_str()),
                ("modifiedDateTime", modified.as_str()),
            ]);
            x.open("TextSource", &attrs)?;
            passages(
                x,
                &plain,
                codings.get(&t.id).map(Vec::as_slice).unwrap_or_default(),
            )?;
            let v = &f.vars;
            text_value(x, &v.kind, "Interview transcript")?;
            if !pseudonym.is_empty() {
                text_value(x, &v.participants, pseudonym)?;
            }
            if let Some(i) = iv {
                typed_value(x, &v.wave, "IntegerValue", &i.wave.to_string())?;
                let later = if i.entered_later { "true" } else { "false" };
                typed_value(x, &v.entered_later, "BooleanValue", later)?;
            }
            if let Some(d) = day {
                typed_value(
                    x,
                    &v.interview_date,
                    "DateValue",
                    &d.format("%Y-%m-%d").to_string(),
                )?;
            }
            site_value(x, f, t.site_id)?;
            x.close("TextSource")?;
        }
        qde.write_all(&x.take()).await?;
    }
    Ok(())
}
