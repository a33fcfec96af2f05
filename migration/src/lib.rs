//! The schema's history. Every migration runs on SQLite and PostgreSQL alike;
//! write them with sea-query builders, never backend-specific SQL, unless the
//! feature (full-text search) has no portable form.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_foundation;
mod m20261123_000002_create_participants;
mod m20261123_000003_create_readiness;
mod m20261123_000004_create_notes;
mod m20261123_000005_create_interviews;
mod m20261123_000006_notes_fts_by_rowid;
mod m20261123_000007_notes_fts_vocab;
mod m20261129_000008_mfa_and_devices;
mod m20261129_000009_pseudonyms_per_site;
mod m20261129_000010_fts_secure_delete;
mod m20261130_000011_create_transcripts_and_codings;
mod m20261130_000012_user_language;
mod m20261207_000013_interview_reschedules;
mod m20261207_000014_calendar_feed_scope;
mod m20261207_000015_code_positions;
mod m20261207_000016_site_closed_days;
mod m20261208_000017_change_feed;
mod m20261208_000018_webhooks;
mod m20261209_000019_earlier_interviews;
pub mod pseudonym;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_foundation::Migration),
            Box::new(m20261123_000002_create_participants::Migration),
            Box::new(m20261123_000003_create_readiness::Migration),
            Box::new(m20261123_000004_create_notes::Migration),
            Box::new(m20261123_000005_create_interviews::Migration),
            Box::new(m20261123_000006_notes_fts_by_rowid::Migration),
            Box::new(m20261123_000007_notes_fts_vocab::Migration),
            Box::new(m20261129_000008_mfa_and_devices::Migration),
            Box::new(m20261129_000009_pseudonyms_per_site::Migration),
            Box::new(m20261129_000010_fts_secure_delete::Migration),
            Box::new(m20261130_000011_create_transcripts_and_codings::Migration),
            Box::new(m20261130_000012_user_language::Migration),
            Box::new(m20261207_000013_interview_reschedules::Migration),
            Box::new(m20261207_000014_calendar_feed_scope::Migration),
            Box::new(m20261207_000015_code_positions::Migration),
            Box::new(m20261207_000016_site_closed_days::Migration),
            Box::new(m20261208_000017_change_feed::Migration),
            Box::new(m20261208_000018_webhooks::Migration),
            Box::new(m20261209_000019_earlier_interviews::Migration),
        ]
    }
}

/// Runs `statements` in order on SQLite; does nothing on other databases
/// (for SQLite's full-text index, which has no portable form).
async fn on_sqlite(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
        return Ok(());
    }
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}
