//! The application around the features: settings, the database and its
//! migrations, the server's start, background jobs, mail delivery, the demo
//! study and backups.
pub mod backup;
pub mod db;
pub mod demo;
pub mod email;
pub mod jobs;
pub mod startup;
pub mod state;
