//! What `MEDIADESK_STRIP_METADATA` says.

use std::str::FromStr;

/// Where location and device data is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StripPolicy {
    /// From what share links and other users' downloads get; owners and staff get the original.
    #[default]
    Shares,
    /// From the stored original, at upload.
    Upload,
    /// Nowhere.
    Never,
}

impl FromStr for StripPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shares" => Ok(StripPolicy::Shares),
            "upload" => Ok(StripPolicy::Upload),
            "never" => Ok(StripPolicy::Never),
            other => Err(format!("shares, upload or never, not {other:?}")),
        }
    }
}
