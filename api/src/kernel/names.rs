//! Lists stored by name (statuses, reasons, locations): reading a stored
//! name never guesses.

/// A stored value that no variant of its list names (the database was
/// written by a newer version, or by hand). Read as an internal error:
/// never guessed as some other value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored {list} `{value}` is not one this version knows")]
pub struct Unknown {
    pub list: &'static str,
    pub value: String,
}

/// `as_str` and `parse` of a list stored by its `snake_case` names (which
/// strum derives): `parse` of a name no variant has is an [`Unknown`].
macro_rules! stored_names {
    ($t:ty, $list:literal) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
            /// The value stored as `s`.
            pub fn parse(s: &str) -> Result<Self, $crate::kernel::names::Unknown> {
                $crate::kernel::names::stored($list, s)
            }
        }
    };
}
pub(crate) use stored_names;

/// Reads the stored name of a value of a list (a `snake_case` enum).
pub fn stored<T: std::str::FromStr>(list: &'static str, value: &str) -> Result<T, Unknown> {
    value.parse().map_err(|_| Unknown {
        list,
        value: value.chars().take(40).collect(),
    })
}
