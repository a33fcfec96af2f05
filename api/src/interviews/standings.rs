//! Where participants stand in the study's waves today: interviewed, in the
//! window, missed, withdrawn (the rule is `rules::schedule::standing`). The
//! report's retention counts and the participants list's wave filter read
//! it from here, so both count alike.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::{
    interviews::rules::{
        schedule::{standing, Standing, Wave},
        InterviewStatus,
    },
    kernel::error::ApiResult,
};

/// The completed waves of some participants, and today in each site's own
/// calendar.
pub struct Standings {
    done: HashSet<(Uuid, i32)>,
    today: HashMap<Uuid, NaiveDate>,
    fallback: NaiveDate,
}

impl Standings {
    /// Reads what the standings of `parts` at `now` depend on.
    pub async fn load(
        db: &impl ConnectionTrait,
        parts: &[entity::participant::Model],
        now: DateTime<Utc>,
    ) -> ApiResult<Self> {
        let done = entity::interview::Entity::find()
            .select_only()
            .column(entity::interview::Column::ParticipantId)
            .column(entity::interview::Column::Wave)
            .filter(entity::interview::Column::Status.eq(InterviewStatus::Completed.as_str()))
            .filter(
                entity::interview::Column::ParticipantId
                    .is_in(parts.iter().map(|p| p.id).collect::<Vec<_>>()),
            )
            .into_tuple::<(Uuid, i32)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let mut sites: Vec<Uuid> = parts.iter().map(|p| p.site_id).collect();
        sites.sort_unstable();
        sites.dedup();
        let today = entity::site::Entity::find()
            .filter(entity::site::Column::Id.is_in(sites))
            .all(db)
            .await?
            .iter()
            .map(|s| {
                let tz = crate::sites::tz_of(s);
                (s.id, now.with_timezone(&tz).date_naive())
            })
            .collect();
        Ok(Standings {
            done,
            today,
            fallback: now.date_naive(),
        })
    }

    /// Where `p` stands in `wave` today.
    pub fn of(&self, p: &entity::participant::Model, wave: &Wave) -> Standing {
        let on = self.today.get(&p.site_id).copied().unwrap_or(self.fallback);
        standing(
            wave,
            p.treatment_started_on,
            on,
            &p.status,
            self.done.contains(&(p.id, wave.wave)),
        )
    }
}
