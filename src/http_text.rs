//! Text that goes into URLs and HTTP headers, shared by the web layer and the stores, which
//! both write such text and must agree on it.

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `Content-Disposition: attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266),
/// so no user-chosen name can break out of the header.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{}", percent_encode(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_break_out_of_a_url_or_a_header() {
        assert_eq!(percent_encode("a b/ü"), "a%20b%2F%C3%BC");
        assert_eq!(
            content_disposition("x\"; y.png"),
            "attachment; filename=\"x_; y.png\"; filename*=UTF-8''x%22%3B%20y.png"
        );
    }
}
