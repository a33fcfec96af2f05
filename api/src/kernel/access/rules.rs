//! The study's sign-in rules: which roles must use a second factor, and
//! whether a person lacks one their role needs. Part of deciding who the
//! caller is (read on every request), so it lives with the caller, below the
//! services; the mfa service saves the rules and sets the factor up.
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Role;
use crate::kernel::error::ApiResult;

/// The key the rules are stored under in `settings`.
pub const SECURITY_KEY: &str = "security";

/// Study-wide sign-in rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SecuritySettings {
    /// Roles whose people must sign in with a second factor. Until they set
    /// one up, they may only set it up (and see who they are, or sign out).
    pub require_mfa_for: Vec<Role>,
}

/// A change to the sign-in rules.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityPatch {
    #[schema(max_items = 3)]
    pub require_mfa_for: Vec<Role>,
}

/// The stored sign-in rules as a scalar subquery, for the query that
/// resolves a signed-in caller on every request.
pub const SECURITY_SUBQUERY: &str =
    "(SELECT \"value\" FROM \"settings\" WHERE \"key\" = 'security')";

impl SecuritySettings {
    /// The rules from their stored document (the default when never set:
    /// no role must).
    pub fn from_stored(value: Option<serde_json::Value>) -> Self {
        value
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }
}

/// Whether `role` must use a second factor that `user_id` has not set up.
/// Their API keys and calendar feeds then stop working until they do (the
/// feed and the key would otherwise carry the person past the rule). One
/// query: the rules and whether the person has a factor.
pub async fn factor_missing(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    role: Role,
) -> ApiResult<bool> {
    use sea_orm::sea_query::{Alias, Query};
    let has_factor = Query::select()
        .expr(Expr::val(1))
        .from(entity::mfa_totp::Entity)
        .and_where(entity::mfa_totp::Column::UserId.eq(user_id))
        .and_where(entity::mfa_totp::Column::ConfirmedAt.is_not_null())
        .to_owned();
    let q = Query::select()
        .expr_as(Expr::cust(SECURITY_SUBQUERY), Alias::new("security"))
        .expr_as(Expr::exists(has_factor), Alias::new("has_factor"))
        .to_owned();
    let Some(row) = db.query_one(db.get_database_backend().build(&q)).await? else {
        return Ok(false);
    };
    let security: Option<serde_json::Value> = row.try_get("", "security")?;
    let has_factor: bool = row.try_get("", "has_factor")?;
    Ok(!has_factor
        && SecuritySettings::from_stored(security)
            .require_mfa_for
            .contains(&role))
}
