//! The names of the metrics the services record, and the count of requests
//! in flight that exports pace themselves by. `http::metrics` installs the
//! recorder and serves them.

pub const REQUESTS: &str = "fieldnotes_http_requests_total";
pub const REQUEST_SECONDS: &str = "fieldnotes_http_request_duration_seconds";
pub const POOL_CONNECTIONS: &str = "fieldnotes_db_pool_connections";
pub const POOL_WAIT_SECONDS: &str = "fieldnotes_db_pool_wait_seconds";
pub const NOTES_GROUP_SIZE: &str = "fieldnotes_notes_writer_group_size";
pub const OUTBOX_DEPTH: &str = "fieldnotes_outbox_unsent";
pub const OUTBOX_OLDEST_SECONDS: &str = "fieldnotes_outbox_oldest_unsent_age_seconds";
pub const REMINDERS_QUEUED: &str = "fieldnotes_reminders_queued_total";
pub const FAILED_LOGINS: &str = "fieldnotes_failed_logins_total";

/// Requests this process is answering now (up to their answer's head; a
/// streamed body is not counted). Exports rest while it is above zero, so
/// they take the CPU the requests leave (see `exports::Pace`).
static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Whether any request is being answered now.
pub fn requests_in_flight() -> bool {
    IN_FLIGHT.load(std::sync::atomic::Ordering::Relaxed) > 0
}

/// Counts a request in flight until dropped (also when its future is).
pub struct InFlight;

impl InFlight {
    pub fn start() -> Self {
        IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}
