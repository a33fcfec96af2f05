//! argon2id password hashing, always off the async worker threads.
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use crate::kernel::{
    error::{ApiError, FieldError},
    field::FieldProblem,
};

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The password policy: long enough to resist guessing, short enough to hash.
pub fn check_strength(pointer: &str, password: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            pointer,
            FieldProblem::PasswordTooShort {
                min: MIN_PASSWORD_CHARS as u64,
            },
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(
            pointer,
            FieldProblem::PasswordTooLong {
                max: MAX_PASSWORD_CHARS as u64,
            },
        ));
    }
    if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        return Err(FieldError::new(pointer, FieldProblem::PasswordRepeated));
    }
    Ok(())
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
    .map_err(|e| anyhow::anyhow!(e))?
    .map_err(ApiError::from)
}

/// Verifies a password. With no stored hash (unknown user, or an invited user
/// who has not set one) it still spends the same time, so timing does not tell
/// whether an account exists.
pub async fn verify(stored: Option<String>, password: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let argon = Argon2::default();
        match stored.as_deref().and_then(|s| PasswordHash::new(s).ok()) {
            Some(parsed) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
            None => {
                let salt = SaltString::generate(&mut OsRng);
                let _ = argon.hash_password(password.as_bytes(), &salt);
                false
            }
        }
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))
}
