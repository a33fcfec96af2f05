//! The languages people read messages in.

/// Language of the messages people read.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    /// Norwegian (bokmål).
    Nb,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
        }
    }

    /// A stored language; anything else reads English.
    pub fn parse(s: &str) -> Lang {
        if s == "nb" {
            Lang::Nb
        } else {
            Lang::En
        }
    }

    /// The text of the two given in this language.
    pub fn pick(self, en: String, nb: String) -> String {
        match self {
            Lang::En => en,
            Lang::Nb => nb,
        }
    }
}
