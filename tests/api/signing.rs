//! App-signed URLs for the local store: expiring, tamper-evident, bound to one key.

use mediadesk::storage::{SignatureError, StorageKey, UrlSigner};

const NOW: i64 = 1_800_000_000;

fn signer() -> UrlSigner {
    UrlSigner::new(crate::common::TEST_SIGNING_KEY, "/files")
}

fn key(s: &str) -> StorageKey {
    StorageKey::parse(s).unwrap()
}

#[test]
fn a_fresh_signature_verifies() {
    let s = signer();
    let sig = s.sign(&key("u1/a.mp3"), NOW + 60, None);
    assert_eq!(s.verify("u1/a.mp3", NOW + 60, None, &sig, NOW), Ok(()));
    let url = s.url(&key("u1/a.mp3"), NOW + 60, Some("my song.mp3"));
    assert!(
        url.starts_with("/files/u1/a.mp3?exp=1800000060&sig=") && url.ends_with("&name=my%20song.mp3"),
        "{url}"
    );
}

#[test]
fn an_expired_signature_is_refused() {
    let s = signer();
    let sig = s.sign(&key("u1/a.mp3"), NOW - 1, None);
    assert_eq!(s.verify("u1/a.mp3", NOW - 1, None, &sig, NOW), Err(SignatureError::Expired));
}

#[test]
fn tampering_with_any_part_is_refused() {
    let s = signer();
    let sig = s.sign(&key("u1/a.mp3"), NOW + 60, None);
    // Another key (widening a link to someone else's object).
    assert_eq!(s.verify("u2/b.mp3", NOW + 60, None, &sig, NOW), Err(SignatureError::Invalid));
    // A later expiry.
    assert_eq!(s.verify("u1/a.mp3", NOW + 6000, None, &sig, NOW), Err(SignatureError::Invalid));
    // An added download name.
    assert_eq!(s.verify("u1/a.mp3", NOW + 60, Some("x"), &sig, NOW), Err(SignatureError::Invalid));
    // A flipped signature digit, and garbage.
    let mut flipped = sig.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        s.verify("u1/a.mp3", NOW + 60, None, std::str::from_utf8(&flipped).unwrap(), NOW),
        Err(SignatureError::Invalid)
    );
    assert_eq!(s.verify("u1/a.mp3", NOW + 60, None, "zz", NOW), Err(SignatureError::Invalid));
    // Another secret.
    let other = UrlSigner::new(b"another-secret-another-secret-another-secret", "/files");
    assert_eq!(other.verify("u1/a.mp3", NOW + 60, None, &sig, NOW), Err(SignatureError::Invalid));
}

#[test]
fn content_disposition_cannot_break_out_of_the_header() {
    let v = mediadesk::http_text::content_disposition("a\"b\r\nX-Evil: 1 é.mp3");
    assert!(!v.contains('\r') && !v.contains('\n'));
    assert!(v.starts_with("attachment; filename=\"a_b__X-Evil: 1 _.mp3\"; filename*=UTF-8''"), "{v}");
    assert!(v.ends_with("%C3%A9.mp3"), "{v}");
}
