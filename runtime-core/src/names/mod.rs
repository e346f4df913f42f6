//! IDs and names.
//!
//! * IDs are 32 random bytes as 64 lowercase hex characters; the 12-character
//!   short form is never all digits (it would be mistaken for a number).
//! * Generated names are `adjective_surname` from rpod's own word lists
//!   (`words.rs`), re-drawn while the name is taken.
//! * Lookup of a user-supplied string goes exact ID, then exact name, then
//!   unique ID prefix ([`resolve`]), with Podman's error texts.

mod words;

use words::{ADJECTIVES, SURNAMES};

use crate::error::{Error, Result};

/// Length of a full ID in hex characters.
pub const ID_LEN: usize = 64;
/// Length of a short (truncated) ID.
pub const SHORT_ID_LEN: usize = 12;

/// Fills `buf` with random bytes from the kernel.
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::msg(format!("reading random bytes: {e}")))
}

/// A random number in `0..bound` (bound > 0), from the kernel's generator.
pub fn random_below(bound: usize) -> Result<usize> {
    let mut b = [0u8; 8];
    random_bytes(&mut b)?;
    // Modulo bias is irrelevant for word-list sizes far below 2^64.
    Ok((u64::from_le_bytes(b) % bound as u64) as usize)
}

/// Generates a new 64-hex ID whose short form is not all digits.
pub fn generate_id() -> Result<String> {
    loop {
        let mut bytes = [0u8; 32];
        random_bytes(&mut bytes)?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if !id[..SHORT_ID_LEN].bytes().all(|c| c.is_ascii_digit()) {
            return Ok(id);
        }
    }
}

/// True when `s` is a full 64-character lowercase hex ID.
pub fn is_full_id(s: &str) -> bool {
    s.len() == ID_LEN && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// The 12-character short form of an ID (an `algo:` prefix is stripped first).
pub fn short_id(id: &str) -> &str {
    let id = id.split_once(':').map_or(id, |(_, rest)| rest);
    id.get(..SHORT_ID_LEN).unwrap_or(id)
}

/// Checks a user-chosen container, pod or volume name: Podman's rule
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn validate_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = match chars.next() {
        Some(c) if c.is_ascii_alphanumeric() => {
            chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArg.context(format!(
            "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: {name:?}"
        )))
    }
}

/// A random `adjective_surname` name (not checked for uniqueness).
pub fn random_name() -> Result<String> {
    let a = ADJECTIVES[random_below(ADJECTIVES.len())?];
    let s = SURNAMES[random_below(SURNAMES.len())?];
    Ok(format!("{a}_{s}"))
}

/// Draws of a plain `adjective_surname` before [`generate_unique_name`]
/// appends a number to each draw.
pub const PLAIN_NAME_ATTEMPTS: u32 = 64;

/// Draws [`generate_unique_name`] makes before it gives up.
pub const MAX_NAME_ATTEMPTS: u32 = 10_000;

/// How many distinct plain `adjective_surname` names there are.
pub fn name_combinations() -> usize {
    ADJECTIVES.len() * SURNAMES.len()
}

/// Generates a name for which `taken` returns false, re-drawing on every
/// collision.
///
/// `taken` must check both containers and pods (names are one namespace);
/// its errors are returned as they are. After [`PLAIN_NAME_ATTEMPTS`]
/// collisions each draw gets a random number appended, so a free name is
/// found even when most combinations are used; after [`MAX_NAME_ATTEMPTS`]
/// draws it is an error.
pub fn generate_unique_name(mut taken: impl FnMut(&str) -> Result<bool>) -> Result<String> {
    for attempt in 0..MAX_NAME_ATTEMPTS {
        let mut name = random_name()?;
        if attempt >= PLAIN_NAME_ATTEMPTS {
            name.push_str(&random_below(10_000)?.to_string());
        }
        if !taken(&name)? {
            return Ok(name);
        }
        tracing::debug!("generated name {name} is taken, drawing another");
    }
    Err(Error::msg(format!(
        "could not generate a unique name after {MAX_NAME_ATTEMPTS} attempts"
    )))
}

/// Which kind of object is being looked up, for error texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A container.
    Container,
    /// A pod.
    Pod,
}

impl ObjectKind {
    fn word(self) -> &'static str {
        match self {
            ObjectKind::Container => "container",
            ObjectKind::Pod => "pod",
        }
    }

    fn missing(self) -> Error {
        match self {
            ObjectKind::Container => Error::NoSuchCtr,
            ObjectKind::Pod => Error::NoSuchPod,
        }
    }

    fn exists(self) -> Error {
        match self {
            ObjectKind::Container => Error::CtrExists,
            ObjectKind::Pod => Error::PodExists,
        }
    }
}

/// Candidates a backend found for one lookup string.
#[derive(Debug, Default, Clone)]
pub struct LookupCandidates {
    /// An object of the wanted kind whose full ID equals the input.
    pub exact_id: Option<String>,
    /// An object of the wanted kind whose name equals the input (its ID).
    pub exact_name: Option<String>,
    /// True when an object of the *other* kind (pod vs container) has this name or ID.
    pub other_kind_match: bool,
    /// IDs of wanted-kind objects that start with the input (at most two are needed).
    pub prefix_ids: Vec<String>,
}

/// Applies libpod's lookup order and error texts to what a backend found.
///
/// Order: exact ID, exact name, unique ID prefix. An empty input is
/// [`Error::EmptyId`]; no match is `no <kind> with name or ID "<x>" found`;
/// a name of the other kind is `"<x>" is a pod, not a container`; several
/// prefix matches is `more than one result for <kind> ID <x>`.
pub fn resolve(kind: ObjectKind, input: &str, found: LookupCandidates) -> Result<String> {
    if input.is_empty() {
        return Err(Error::EmptyId);
    }
    if let Some(id) = found.exact_id {
        return Ok(id);
    }
    if let Some(id) = found.exact_name {
        return Ok(id);
    }
    match found.prefix_ids.len() {
        1 => Ok(found.prefix_ids.into_iter().next().unwrap_or_default()),
        0 if found.other_kind_match => {
            let other = match kind {
                ObjectKind::Container => "pod",
                ObjectKind::Pod => "container",
            };
            Err(kind
                .missing()
                .context(format!("{input:?} is a {other}, not a {}", kind.word())))
        }
        0 => Err(kind.missing().context(format!(
            "no {} with name or ID {input:?} found",
            kind.word()
        ))),
        _ => Err(kind.exists().context(format!(
            "more than one result for {} ID {input}",
            kind.word()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_64_hex_with_non_numeric_short_form() {
        for _ in 0..2000 {
            let id = generate_id().unwrap();
            assert!(is_full_id(&id), "{id}");
            assert!(!short_id(&id).bytes().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn short_id_strips_algorithm() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }

    #[test]
    fn names_have_the_adjective_surname_shape() {
        let n = random_name().unwrap();
        let (a, s) = n.split_once('_').unwrap();
        assert!(ADJECTIVES.contains(&a) && SURNAMES.contains(&s));
        validate_name(&n).unwrap();
    }

    #[test]
    fn there_are_more_names_than_podman_has() {
        // Podman draws from about 108 adjectives and 237 surnames.
        assert!(ADJECTIVES.len() >= 108, "{}", ADJECTIVES.len());
        assert!(SURNAMES.len() >= 237, "{}", SURNAMES.len());
        assert_eq!(name_combinations(), ADJECTIVES.len() * SURNAMES.len());
        assert!(name_combinations() >= 25_600, "{}", name_combinations());
    }

    #[test]
    fn words_are_unique_sorted_lowercase_and_make_valid_names() {
        for list in [ADJECTIVES, SURNAMES] {
            for pair in list.windows(2) {
                assert!(pair[0] < pair[1], "not sorted or repeated: {pair:?}");
            }
            for w in list {
                assert!(
                    !w.is_empty() && w.bytes().all(|c| c.is_ascii_lowercase()),
                    "{w:?}"
                );
            }
        }
        let both: Vec<&&str> = ADJECTIVES.iter().filter(|a| SURNAMES.contains(a)).collect();
        assert!(both.is_empty(), "in both lists: {both:?}");
        for (a, s) in ADJECTIVES.iter().zip(SURNAMES.iter().rev()) {
            validate_name(&format!("{a}_{s}")).unwrap();
        }
    }

    #[test]
    fn random_names_spread_over_the_lists() {
        let drawn: std::collections::BTreeSet<String> =
            (0..2000).map(|_| random_name().unwrap()).collect();
        // 2000 draws from 25,000+ names repeat a few at most.
        assert!(drawn.len() > 1900, "{}", drawn.len());
    }

    #[test]
    fn a_taken_name_is_drawn_again_until_a_free_one_comes() {
        const TAKEN: usize = 100;
        let mut offered: Vec<String> = Vec::new();
        let name = generate_unique_name(|n| {
            offered.push(n.to_string());
            Ok(offered.len() <= TAKEN)
        })
        .unwrap();
        assert_eq!(offered.len(), TAKEN + 1, "one draw per collision");
        assert_eq!(offered.last(), Some(&name));
        let plain = PLAIN_NAME_ATTEMPTS as usize;
        let ends_in_digit = |n: &String| n.bytes().last().is_some_and(|c| c.is_ascii_digit());
        assert!(!offered[..plain].iter().any(ends_in_digit), "{offered:?}");
        assert!(offered[plain..].iter().all(ends_in_digit), "{offered:?}");
        for n in &offered {
            validate_name(n).unwrap();
            let (a, s) = n.split_once('_').unwrap();
            assert!(ADJECTIVES.contains(&a), "{n}");
            assert!(SURNAMES.contains(&s.trim_end_matches(|c: char| c.is_ascii_digit())));
        }
    }

    #[test]
    fn drawing_gives_up_after_the_bound_and_passes_lookup_errors_on() {
        let mut calls = 0u32;
        let e = generate_unique_name(|_| {
            calls += 1;
            Ok(true)
        })
        .unwrap_err();
        assert_eq!(calls, MAX_NAME_ATTEMPTS);
        assert_eq!(
            e.to_string(),
            "could not generate a unique name after 10000 attempts"
        );

        let e = generate_unique_name(|_| Err(Error::DbClosed)).unwrap_err();
        assert!(e.is(&Error::DbClosed), "{e}");
    }

    #[test]
    fn name_validation_follows_podman() {
        assert!(validate_name("a.b-c_d1").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("-x").is_err());
        assert!(validate_name("a/b").is_err());
    }

    #[test]
    fn resolve_errors_use_podman_texts() {
        let none = LookupCandidates::default();
        assert_eq!(
            resolve(ObjectKind::Container, "x", none.clone())
                .unwrap_err()
                .to_string(),
            "no container with name or ID \"x\" found: no such container"
        );
        let pod = LookupCandidates {
            other_kind_match: true,
            ..Default::default()
        };
        assert_eq!(
            resolve(ObjectKind::Container, "p", pod)
                .unwrap_err()
                .to_string(),
            "\"p\" is a pod, not a container: no such container"
        );
        let two = LookupCandidates {
            prefix_ids: vec!["ab1".into(), "ab2".into()],
            ..Default::default()
        };
        assert_eq!(
            resolve(ObjectKind::Container, "ab", two)
                .unwrap_err()
                .to_string(),
            "more than one result for container ID ab: container already exists"
        );
        assert!(
            resolve(ObjectKind::Pod, "", none)
                .unwrap_err()
                .is(&Error::EmptyId)
        );
    }
}
