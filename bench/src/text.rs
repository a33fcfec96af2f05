//! Generated note text: a vocabulary of pseudo-words drawn with a Zipf-like
//! distribution, so a few words occur in almost every note and most are rare,
//! as in real field notes. Deterministic for a given seed.
use std::collections::HashSet;

use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use uuid::Uuid;

pub const LOCATIONS: [&str; 6] = [
    "waiting_room",
    "screening_room",
    "injection_room",
    "observation_room",
    "outside",
    "other",
];

const ONSETS: [&str; 16] = [
    "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sk", "tr",
];
const VOWELS: [&str; 6] = ["a", "e", "i", "o", "u", "ei"];

pub struct Vocabulary {
    words: Vec<String>,
    /// Cumulative probabilities of rank 1..=n under p(r) ∝ r^-s.
    cdf: Vec<f64>,
}

impl Vocabulary {
    /// `size` distinct pseudo-words of 2 to 4 syllables, Zipf exponent `s`.
    pub fn new(size: usize, s: f64, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut seen = HashSet::with_capacity(size);
        let mut words = Vec::with_capacity(size);
        while words.len() < size {
            let syllables = rng.gen_range(2..=4);
            let mut w = String::new();
            for _ in 0..syllables {
                w.push_str(ONSETS[rng.gen_range(0..ONSETS.len())]);
                w.push_str(VOWELS[rng.gen_range(0..VOWELS.len())]);
            }
            if rng.gen_bool(0.3) {
                w.push(['n', 'r', 's', 'k'][rng.gen_range(0..4)]);
            }
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut cdf = Vec::with_capacity(size);
        let mut acc = 0.0;
        for r in 1..=size {
            acc += (r as f64).powf(-s);
            cdf.push(acc);
        }
        for c in &mut cdf {
            *c /= acc;
        }
        Vocabulary { words, cdf }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// A word by Zipf rank: common words come up often.
    pub fn zipf_word(&self, rng: &mut impl Rng) -> &str {
        let u: f64 = rng.gen();
        let i = self.cdf.partition_point(|&c| c < u);
        &self.words[i.min(self.words.len() - 1)]
    }

    /// Any word with equal chance: mostly rare ones.
    pub fn uniform_word(&self, rng: &mut impl Rng) -> &str {
        &self.words[rng.gen_range(0..self.words.len())]
    }

    /// About `chars` characters of sentences of Zipf-drawn words.
    pub fn body(&self, rng: &mut impl Rng, chars: usize) -> String {
        let mut s = String::with_capacity(chars + 40);
        let mut in_sentence = 0;
        let mut sentence_len = rng.gen_range(6..15);
        while s.len() < chars {
            let w = self.zipf_word(rng);
            if in_sentence == 0 {
                if !s.is_empty() {
                    s.push(' ');
                }
                let mut c = w.chars();
                if let Some(first) = c.next() {
                    s.extend(first.to_uppercase());
                    s.push_str(c.as_str());
                }
            } else {
                s.push(' ');
                s.push_str(w);
            }
            in_sentence += 1;
            if in_sentence == sentence_len {
                s.push('.');
                in_sentence = 0;
                sentence_len = rng.gen_range(6..15);
            }
        }
        if in_sentence > 0 {
            s.push('.');
        }
        s
    }

    /// A search query of one or two words, each either Zipf-drawn (common)
    /// or uniformly drawn (mostly rare).
    pub fn query(&self, rng: &mut impl Rng) -> String {
        let n = if rng.gen_bool(0.5) { 1 } else { 2 };
        let words: Vec<&str> = (0..n)
            .map(|_| {
                if rng.gen_bool(0.5) {
                    self.zipf_word(rng)
                } else {
                    self.uniform_word(rng)
                }
            })
            .collect();
        words.join(" ")
    }
}

/// A note as `POST /api/v1/notes` takes it: a fresh uuid v4, observed at a
/// random moment in the last 30 days (whole seconds), a random location.
pub fn random_note(vocab: &Vocabulary, rng: &mut impl Rng, site_id: Uuid, chars: usize) -> Value {
    // OS randomness, not `rng`: ids must not repeat between tasks or runs.
    let id = Uuid::new_v4();
    let observed = Utc::now() - ChronoDuration::seconds(rng.gen_range(60..30 * 24 * 3600));
    note_json(
        id,
        site_id,
        observed,
        LOCATIONS[rng.gen_range(0..LOCATIONS.len())],
        &vocab.body(rng, chars),
    )
}

pub fn note_json(
    id: Uuid,
    site_id: Uuid,
    observed_at: DateTime<Utc>,
    location: &str,
    body: &str,
) -> Value {
    json!({
        "id": id,
        "site_id": site_id,
        "observed_at": observed_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "location": location,
        "body": body,
        "participant_ids": [],
        "code_ids": [],
    })
}
