//! Who may act on one object, beyond the role the permission table asks
//! for: the rules that need the object itself. Services ask these; the
//! permission table (`permissions.rs`) has already decided the operation.
use uuid::Uuid;

use super::Principal;
use crate::kernel::error::{ApiError, ApiResult};

/// A note (its text, links, codings, deletion) is changed by its author or
/// a coordinator of its site.
pub fn may_edit_note(p: &Principal, author_id: Uuid) -> ApiResult<()> {
    if author_id == p.user_id || p.require_coordinator().is_ok() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Only the note's author or a coordinator can change it.".into(),
        ))
    }
}

/// A note's earlier versions (and the note once deleted) are read by its
/// author or a coordinator of its site.
pub fn may_read_note_history(p: &Principal, author_id: Uuid) -> bool {
    author_id == p.user_id || p.require_coordinator().is_ok()
}
