//! Byte sizes as people write them ("5 GiB", "500 MB", "2G") and read them, and the byte quota
//! an account has.

/// `104857600` → `100 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Reads a size: a number with an optional unit. `KB`, `MB`, `GB`, `TB` are powers of 1000
/// (as disk makers count); `K`, `M`, `G`, `T` and `KiB`… `TiB` powers of 1024; no unit or
/// `B` is bytes. Case and spaces do not matter.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let compact: String =
        text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    let split = compact.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(compact.len());
    let (number, unit) = compact.split_at(split);
    let factor: u64 = match unit.trim_end_matches("bytes") {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(format!("{text:?} is not a size like 500 MB or 5 GiB")),
    };
    let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a size like 500 MB or 5 GiB"))?;
    let bytes = (value * factor as f64).round();
    if !bytes.is_finite() || bytes >= i64::MAX as f64 {
        return Err(format!("{text:?} is larger than any disk"));
    }
    Ok(bytes as u64)
}

/// How many bytes an account may store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// Whatever `MEDIADESK_DEFAULT_QUOTA` says (unlimited when it is unset).
    Default,
    Unlimited,
    Bytes(u64),
}

impl Quota {
    /// As the `users.quota_bytes` column holds it: NULL the default, the largest BIGINT unlimited.
    pub fn from_column(value: Option<i64>) -> Quota {
        match value {
            None => Quota::Default,
            Some(i64::MAX) => Quota::Unlimited,
            Some(n) => Quota::Bytes(n.max(0) as u64),
        }
    }

    pub fn to_column(self) -> Option<i64> {
        match self {
            Quota::Default => None,
            Quota::Unlimited => Some(i64::MAX),
            Quota::Bytes(n) => Some(n.min(i64::MAX as u64 - 1) as i64),
        }
    }

    /// The limit in bytes, `None` for none.
    pub fn limit(self, default: Option<u64>) -> Option<u64> {
        match self {
            Quota::Default => default,
            Quota::Unlimited => None,
            Quota::Bytes(n) => Some(n),
        }
    }

    /// As the audit log names it: `default`, `unlimited` or a number of bytes.
    pub fn words(self) -> String {
        match self {
            Quota::Default => "default".to_owned(),
            Quota::Unlimited => "unlimited".to_owned(),
            Quota::Bytes(n) => format!("{n} bytes"),
        }
    }

    /// `default` (or nothing), `unlimited`, or a size.
    pub fn parse(text: &str) -> Result<Quota, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "default" => Ok(Quota::Default),
            "unlimited" | "none" => Ok(Quota::Unlimited),
            _ => parse_size(text).map(Quota::Bytes),
        }
    }
}

/// `"default"`, `"unlimited"` or a number of bytes.
impl serde::Serialize for Quota {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Quota::Default => s.serialize_str("default"),
            Quota::Unlimited => s.serialize_str("unlimited"),
            Quota::Bytes(n) => s.serialize_u64(*n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("5 GiB"), Ok(5 << 30));
        assert_eq!(parse_size("5g"), Ok(5 << 30));
        assert_eq!(parse_size("500 MB"), Ok(500_000_000));
        assert_eq!(parse_size("1.5 KiB"), Ok(1536));
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("10 bytes"), Ok(10));
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("GB").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999 TB").is_err());
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 << 30), "5 GiB");
    }

    #[test]
    fn quotas_round_trip_through_their_column() {
        for q in [Quota::Default, Quota::Unlimited, Quota::Bytes(0), Quota::Bytes(5 << 30)] {
            assert_eq!(Quota::from_column(q.to_column()), q);
        }
        assert_eq!(Quota::parse("unlimited"), Ok(Quota::Unlimited));
        assert_eq!(Quota::parse(" "), Ok(Quota::Default));
        assert_eq!(Quota::parse("2 GiB").unwrap().limit(None), Some(2 << 30));
        assert_eq!(Quota::Default.limit(Some(7)), Some(7));
        assert_eq!(Quota::Unlimited.limit(Some(7)), None);
    }
}
