//! Revisions of the rules document: their KV keys, their metadata, and the publish decision.
//!
//! Every publish writes an immutable revision under [`revision_key`] (`rules:rev:` and the number
//! zero-padded to 10 digits, so KV's lexicographic listing is numeric order), with a
//! [`RevisionMeta`] as its KV metadata, then the live document. Publishes are optimistic: each
//! names the revision it was based on, and [`check_base`] refuses it when another publish moved
//! the head meanwhile (the Durable Object that serializes publishes asks it).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::request::rfc3339_utc;

/// The KV key prefix of every revision, for listing them.
pub const REVISION_PREFIX: &str = "rules:rev:";

/// KV's limit on a key's metadata, serialized as JSON.
pub const MAX_METADATA_BYTES: usize = 1024;

/// The last revision number: beyond 10 digits the keys would no longer list in numeric order.
pub const MAX_REVISION: u64 = 9_999_999_999;

/// Longest publish message accepted, in characters (the history shows it on one line).
pub const MAX_MESSAGE_CHARS: usize = 500;

/// What is known about one revision without reading its document: its KV metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionMeta {
    /// The revision's number, from 1.
    pub number: u64,
    /// The revision that was live when this one was published (`None` for the first).
    pub parent: Option<u64>,
    /// Who published it: the Access email or the name given at sign-in.
    pub author: String,
    /// When it was published, RFC 3339 UTC.
    pub time: String,
    /// What changed and why, as the publisher wrote it.
    pub message: String,
    /// SHA-256 of the document text, lowercase hex ([`content_hash`]).
    pub hash: String,
    /// Length of the document text in bytes.
    pub size: usize,
}

/// Why a revision could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionError {
    /// The message is empty once trimmed.
    #[error("a publish needs a message: say what changes and why (it shows in the history)")]
    NoMessage,
    /// The message is over [`MAX_MESSAGE_CHARS`].
    #[error(
        "the publish message is {chars} characters long; keep it to {MAX_MESSAGE_CHARS} (the \
         history shows it on one line)"
    )]
    MessageTooLong {
        /// Its length in characters, after trimming.
        chars: usize,
    },
    /// The document is exactly the live revision's.
    #[error("nothing to publish: the document is the same as live revision {head}")]
    Unchanged {
        /// The live revision it equals.
        head: u64,
    },
    /// Revision [`MAX_REVISION`] exists already.
    #[error(
        "revision numbers are used up (the last is {MAX_REVISION}); start a new rules namespace"
    )]
    Exhausted,
}

/// A publish refused because the live revision is not the one it was based on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", conflict_message(*.head, *.base))]
pub struct Conflict {
    /// The revision live now (`None`: nothing was ever published).
    pub head: Option<u64>,
    /// The revision the publish was based on.
    pub base: Option<u64>,
}

fn conflict_message(head: Option<u64>, base: Option<u64>) -> String {
    let based = match base {
        Some(n) => format!("you started from revision {n}"),
        None => "you started before anything was published".to_owned(),
    };
    let live = match head {
        Some(n) => format!("revision {n} is live now"),
        None => "nothing is published (was the history cleared?)".to_owned(),
    };
    format!(
        "someone published meanwhile: {based}, but {live}; review what changed, then publish again"
    )
}

/// The KV key of revision `number`: `rules:rev:0000000007`.
pub fn revision_key(number: u64) -> String {
    format!("{REVISION_PREFIX}{number:010}")
}

/// The revision number in a KV key written by [`revision_key`], or `None` for any other key.
pub fn parse_revision_key(key: &str) -> Option<u64> {
    let digits = key.strip_prefix(REVISION_PREFIX)?;
    if !(10..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    // One spelling per number: "rules:rev:00000000007" (11 digits) is not revision 7.
    (revision_key(number) == key).then_some(number)
}

/// SHA-256 of a document's text as 64 lowercase hex digits.
pub fn content_hash(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// A publish message as stored: control characters (line breaks included) become spaces, then
/// it is trimmed; refused when empty or over [`MAX_MESSAGE_CHARS`].
pub fn clean_message(message: &str) -> Result<String, RevisionError> {
    let cleaned: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim();
    let chars = cleaned.chars().count();
    if chars == 0 {
        return Err(RevisionError::NoMessage);
    }
    if chars > MAX_MESSAGE_CHARS {
        return Err(RevisionError::MessageTooLong { chars });
    }
    Ok(cleaned.to_owned())
}

/// The message of a rollback: the one given, or "Roll back to revision N" when it is blank.
pub fn rollback_message(to: u64, message: &str) -> String {
    if message.trim().is_empty() {
        format!("Roll back to revision {to}")
    } else {
        message.to_owned()
    }
}

/// The publish decision: go ahead only when the live revision is still the one the publish was
/// based on (both `None`: the first publish).
pub fn check_base(head: Option<u64>, base: Option<u64>) -> Result<(), Conflict> {
    if head == base {
        Ok(())
    } else {
        Err(Conflict { head, base })
    }
}

/// The metadata of the revision that publishing `document` on top of `head` makes, at `now`
/// (Unix seconds).
///
/// Refused when the message is not acceptable ([`clean_message`]), when `document` is exactly
/// the head's content, and past [`MAX_REVISION`].
pub fn next_revision(
    head: Option<&RevisionMeta>,
    author: &str,
    now: u64,
    message: &str,
    document: &str,
) -> Result<RevisionMeta, RevisionError> {
    let message = clean_message(message)?;
    let hash = content_hash(document);
    let number = match head {
        None => 1,
        Some(head) if head.hash == hash => {
            return Err(RevisionError::Unchanged { head: head.number });
        }
        Some(head) if head.number >= MAX_REVISION => return Err(RevisionError::Exhausted),
        Some(head) => head.number + 1,
    };
    Ok(RevisionMeta {
        number,
        parent: head.map(|h| h.number),
        author: author.trim().to_owned(),
        time: rfc3339_utc(now),
        message,
        hash,
        size: document.len(),
    })
}

impl RevisionMeta {
    /// This metadata as JSON of at most [`MAX_METADATA_BYTES`], for KV.
    ///
    /// When it would be longer, the message is cut (on a character boundary, ending in "…"),
    /// then the author; a meta made by [`next_revision`] never needs more than that.
    pub fn to_metadata_json(&self) -> String {
        let mut meta = self.clone();
        // Last resort, for a hand-made meta: with all four cut to "…" the JSON is ~130 bytes.
        let fields: [fn(&mut RevisionMeta) -> &mut String; 4] = [
            |m| &mut m.message,
            |m| &mut m.author,
            |m| &mut m.time,
            |m| &mut m.hash,
        ];
        for field in fields {
            if let Some(json) = fit(&mut meta, field) {
                return json;
            }
        }
        metadata_json(&meta)
    }
}

fn metadata_json(meta: &RevisionMeta) -> String {
    // Serializing a struct of strings and numbers cannot fail.
    serde_json::to_string(meta).unwrap_or_default()
}

/// The JSON with `field` kept whole or cut to the longest prefix (plus "…") that fits, or `None`
/// (the field left as "…") when even that is too long.
fn fit(meta: &mut RevisionMeta, field: fn(&mut RevisionMeta) -> &mut String) -> Option<String> {
    let json = metadata_json(meta);
    if json.len() <= MAX_METADATA_BYTES {
        return Some(json);
    }
    let text = std::mem::take(field(meta));
    // The k-character prefix ends at cut[k]; more than MAX_METADATA_BYTES characters never fit.
    let cut: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .take(MAX_METADATA_BYTES)
        .collect();
    let mut with_prefix = |chars: usize| {
        *field(meta) = format!("{}…", &text[..cut[chars]]);
        metadata_json(meta)
    };
    if with_prefix(0).len() > MAX_METADATA_BYTES {
        return None;
    }
    // The whole text did not fit: find the longest proper prefix that does (lo fits, hi not).
    let (mut lo, mut hi) = (0, cut.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if with_prefix(mid).len() <= MAX_METADATA_BYTES {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(with_prefix(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01T10:00:00Z.
    const NOW: u64 = 1_796_119_200;

    fn meta(number: u64, document: &str) -> RevisionMeta {
        RevisionMeta {
            number,
            parent: number.checked_sub(1).filter(|&n| n > 0),
            author: "ana@shop.example".into(),
            time: rfc3339_utc(NOW),
            message: "Black Friday banner".into(),
            hash: content_hash(document),
            size: document.len(),
        }
    }

    #[test]
    fn keys_are_zero_padded_and_round_trip() {
        assert_eq!(revision_key(7), "rules:rev:0000000007");
        assert_eq!(revision_key(0), "rules:rev:0000000000");
        assert_eq!(revision_key(MAX_REVISION), "rules:rev:9999999999");
        for n in [
            0,
            1,
            7,
            42,
            1_000_000,
            MAX_REVISION,
            MAX_REVISION + 1,
            u64::MAX,
        ] {
            assert_eq!(parse_revision_key(&revision_key(n)), Some(n), "{n}");
        }
        // Lexicographic order is numeric order up to MAX_REVISION.
        assert!(revision_key(9) < revision_key(10));
        assert!(revision_key(999) < revision_key(1_000));
    }

    #[test]
    fn other_keys_are_not_revisions() {
        for key in [
            "",
            "rules",
            "rules:draft",
            "rules:rev:",
            "rules:rev:7",
            "rules:rev:000000007",
            "rules:rev:00000000007",
            "rules:rev:+000000007",
            "rules:rev:-000000007",
            "rules:rev:000000000x",
            "rules:rev:0000000007 ",
            "rules:rev:٠٠٠٠٠٠٠٠٠٧",
            "Rules:rev:0000000007",
            "rules:rev:99999999999999999999",
            "rules:rev:18446744073709551616",
        ] {
            assert_eq!(parse_revision_key(key), None, "{key:?}");
        }
    }

    #[test]
    fn content_hash_is_sha256_hex() {
        assert_eq!(
            content_hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            content_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn next_revision_counts_up_from_the_head() {
        let doc = r#"{"rules": []}"#;
        let first = next_revision(None, " ana@shop.example ", NOW, "First rules", doc);
        assert_eq!(
            first,
            Ok(RevisionMeta {
                number: 1,
                parent: None,
                author: "ana@shop.example".into(),
                time: "2026-12-01T10:00:00Z".into(),
                message: "First rules".into(),
                hash: content_hash(doc),
                size: 13,
            })
        );
        let head = meta(6, "old");
        let next = next_revision(
            Some(&head),
            "bo",
            NOW + 60,
            "Black\nFriday\tbanner  ",
            "new",
        );
        let next = next.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((next.number, next.parent), (7, Some(6)));
        assert_eq!(next.message, "Black Friday banner");
        assert_eq!(next.time, "2026-12-01T10:01:00Z");
        assert_eq!(next.size, 3);
    }

    #[test]
    fn next_revision_refusals() {
        let head = meta(6, "same");
        assert_eq!(
            next_revision(Some(&head), "bo", NOW, "again", "same"),
            Err(RevisionError::Unchanged { head: 6 })
        );
        assert_eq!(
            next_revision(None, "bo", NOW, " \n\t ", "doc"),
            Err(RevisionError::NoMessage)
        );
        assert_eq!(
            next_revision(None, "bo", NOW, &"é".repeat(501), "doc"),
            Err(RevisionError::MessageTooLong { chars: 501 })
        );
        assert!(next_revision(None, "bo", NOW, &"é".repeat(500), "doc").is_ok());
        let last = meta(MAX_REVISION, "old");
        assert_eq!(
            next_revision(Some(&last), "bo", NOW, "one more", "new"),
            Err(RevisionError::Exhausted)
        );
        let message = RevisionError::Unchanged { head: 6 }.to_string();
        assert!(message.contains("revision 6"), "{message}");
    }

    #[test]
    fn rollback_message_defaults_when_blank() {
        assert_eq!(rollback_message(4, ""), "Roll back to revision 4");
        assert_eq!(rollback_message(4, "  "), "Roll back to revision 4");
        assert_eq!(rollback_message(4, "Undo the banner"), "Undo the banner");
    }

    #[test]
    fn check_base_refuses_when_the_head_moved() {
        assert_eq!(check_base(None, None), Ok(()));
        assert_eq!(check_base(Some(7), Some(7)), Ok(()));
        for (head, base) in [
            (Some(8), Some(7)),
            (Some(1), None),
            (None, Some(3)),
            (Some(6), Some(7)),
        ] {
            assert_eq!(check_base(head, base), Err(Conflict { head, base }));
        }
        let moved = Conflict {
            head: Some(8),
            base: Some(7),
        };
        assert_eq!(
            moved.to_string(),
            "someone published meanwhile: you started from revision 7, but revision 8 is live \
             now; review what changed, then publish again"
        );
        let first = Conflict {
            head: Some(1),
            base: None,
        }
        .to_string();
        assert!(first.contains("before anything was published"), "{first}");
        let cleared = Conflict {
            head: None,
            base: Some(3),
        }
        .to_string();
        assert!(cleared.contains("nothing is published"), "{cleared}");
    }

    #[test]
    fn metadata_json_has_the_documented_shape() {
        let json = meta(7, "doc").to_metadata_json();
        assert_eq!(
            json,
            format!(
                r#"{{"number":7,"parent":6,"author":"ana@shop.example","time":"2026-12-01T10:00:00Z","message":"Black Friday banner","hash":"{}","size":3}}"#,
                content_hash("doc")
            )
        );
        let back: RevisionMeta = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, meta(7, "doc"));
        let first: serde_json::Value =
            serde_json::from_str(&meta(1, "doc").to_metadata_json()).unwrap_or_default();
        assert_eq!(first["parent"], serde_json::Value::Null);
    }

    fn assert_fits(meta: &RevisionMeta) -> RevisionMeta {
        let json = meta.to_metadata_json();
        assert!(json.len() <= MAX_METADATA_BYTES, "{} bytes", json.len());
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    #[test]
    fn a_long_message_is_cut_to_fit() {
        let mut long = meta(7, "doc");
        long.message = "Black Friday: ".to_owned() + &"ü€😀\"\\\u{1}".repeat(400);
        let cut = assert_fits(&long);
        assert!(cut.message.ends_with('…'), "{}", cut.message);
        let kept = cut.message.trim_end_matches('…');
        assert!(long.message.starts_with(kept));
        // The longest prefix that fits: one more character would not.
        let next_char = long.message[kept.len()..].chars().next().unwrap_or(' ');
        let mut one_more = cut.clone();
        one_more.message = format!("{kept}{next_char}…");
        assert!(metadata_json(&one_more).len() > MAX_METADATA_BYTES);
        assert_eq!(cut.author, long.author);
        assert_eq!(cut.hash, long.hash);
    }

    #[test]
    fn a_message_that_fits_exactly_is_kept_whole() {
        let mut exact = meta(7, "doc");
        exact.message = String::new();
        let room = MAX_METADATA_BYTES - metadata_json(&exact).len();
        exact.message = "m".repeat(room);
        assert_eq!(exact.to_metadata_json().len(), MAX_METADATA_BYTES);
        assert_eq!(assert_fits(&exact).message, exact.message);
        exact.message.push('m');
        let cut = assert_fits(&exact);
        assert_eq!(cut.message, format!("{}…", "m".repeat(room - 3)));
    }

    #[test]
    fn then_the_author_is_cut() {
        let mut long = meta(7, "doc");
        long.message = "x".repeat(5_000);
        long.author = "\u{0}".repeat(5_000);
        let cut = assert_fits(&long);
        assert_eq!(cut.message, "…");
        assert!(
            cut.author.ends_with('…') && cut.author.len() > 100,
            "{}",
            cut.author
        );
        // A huge message with a modest author: the author survives whole.
        long.author = "a".repeat(300);
        let cut = assert_fits(&long);
        assert_eq!(cut.author, long.author);
        assert!(cut.message.starts_with("xxx") && cut.message.ends_with('…'));
    }

    #[test]
    fn any_hand_made_meta_fits() {
        let huge = "😀".repeat(100_000);
        let meta = RevisionMeta {
            number: u64::MAX,
            parent: Some(u64::MAX),
            author: huge.clone(),
            time: huge.clone(),
            message: huge.clone(),
            hash: huge,
            size: usize::MAX,
        };
        assert_fits(&meta);
    }
}
