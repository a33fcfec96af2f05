//! What external apps follow: the change feed ([`feed`]) and webhooks
//! ([`webhooks`], sent by [`delivery`] to targets [`target`] allows).
pub mod delivery;
pub mod feed;
pub mod routes;
pub mod target;
pub mod webhooks;
