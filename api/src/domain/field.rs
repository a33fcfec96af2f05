//! One invalid field of a request, as rules report it: no HTTP type in
//! sight (`error.rs` maps a list of them to a 422 problem).
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer to the field, e.g. `/observed_at` or `/notes/3/body`.
    pub pointer: String,
    /// What is wrong with it, in words a person can act on.
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}
