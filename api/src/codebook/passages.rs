//! The codings of a text follow it when it changes: a note's edits, its
//! redaction and a transcript's new text call these inside their own
//! change. Below both the codings service (which makes codings) and the
//! services that change texts, so neither imports the other.
use chrono::{DateTime, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{codebook::rules as passage, kernel::error::ApiResult};

/// What a passage coding is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Note(Uuid),
    Transcript(Uuid),
}

pub(crate) fn target_filter(
    sel: sea_orm::Select<entity::coding::Entity>,
    target: Target,
) -> sea_orm::Select<entity::coding::Entity> {
    use entity::coding::Column;
    match target {
        Target::Note(id) => sel.filter(Column::NoteId.eq(id)),
        Target::Transcript(id) => sel.filter(Column::TranscriptId.eq(id)),
    }
}

/// How the codings of a text fared when it changed.
#[derive(Debug, Default, Clone, Copy)]
pub struct Followed {
    pub moved: u64,
    pub unanchored: u64,
}

/// After a target's text changed to `text` (inside that change): each
/// coding whose quote occurs exactly once moves to it; any other stays
/// where it was, unanchored.
pub async fn follow_text(
    db: &impl ConnectionTrait,
    target: Target,
    text: &str,
    now: DateTime<Utc>,
) -> ApiResult<Followed> {
    use entity::coding::{Column, Entity};
    let rows = target_filter(Entity::find(), target).all(db).await?;
    let mut out = Followed::default();
    for c in rows {
        let upd = Entity::update_many()
            .filter(Column::Id.eq(c.id))
            .col_expr(Column::UpdatedAt, Expr::value(now));
        match passage::reanchor(&c.quote, text) {
            Some(start) => {
                let end = start + c.quote.chars().count();
                if c.anchored && start as i32 == c.start_pos {
                    continue;
                }
                upd.col_expr(Column::StartPos, Expr::value(start as i32))
                    .col_expr(Column::EndPos, Expr::value(end as i32))
                    .col_expr(Column::Anchored, Expr::value(true))
                    .exec(db)
                    .await?;
                out.moved += 1;
            }
            None => {
                if c.anchored {
                    upd.col_expr(Column::Anchored, Expr::value(false))
                        .exec(db)
                        .await?;
                }
                out.unanchored += 1;
            }
        }
    }
    Ok(out)
}

/// Erases the kept words of a note's codings that no longer point into its
/// current text (all of them when `all`): a redaction must not leave the
/// erased words in a quote.
pub async fn erase_quotes(db: &impl ConnectionTrait, note: Uuid, all: bool) -> ApiResult<u64> {
    use entity::coding::{Column, Entity};
    let mut upd = Entity::update_many()
        .col_expr(Column::Quote, Expr::value(""))
        .col_expr(Column::Anchored, Expr::value(false))
        .filter(Column::NoteId.eq(note));
    if !all {
        upd = upd.filter(Column::Anchored.eq(false));
    }
    Ok(upd.exec(db).await?.rows_affected)
}
