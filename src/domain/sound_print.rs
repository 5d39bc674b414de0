//! A sound's print as stored and indexed: Chromaprint's 32-bit values (media/file/sound.rs
//! makes and compares them), kept as bytes in the row, and the few keys by which the database
//! finds the prints worth comparing. Here because the service makes the print and the
//! repository writes its keys beside the row, in the same statement's transaction.

/// Keys kept of a print: the smallest hashes of its distinct values (a bottom-k sketch), so two
/// prints share about as many keys as they share values. A copy in another format keeps 70 to
/// 95 % of its values and shares most keys; unrelated sounds share none.
pub const PRINT_KEYS: usize = 24;

/// The value Chromaprint gives silence, which every sound with a pause holds: never a key.
pub const SILENT_VALUE: u32 = 627_964_279;

/// A print's values as stored: little-endian, four bytes each.
pub fn print_bytes(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn print_values(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// A print's keys: of its distinct values (silence aside), the [`PRINT_KEYS`] smallest by a
/// mixing hash, each a non-negative 48-bit number (so both databases' BIGINT hold it).
pub fn print_keys(values: &[u32]) -> Vec<i64> {
    let mut hashed: Vec<i64> = values
        .iter()
        .filter(|v| **v != SILENT_VALUE)
        .map(|v| (u64::from(*v).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16) as i64)
        .collect();
    hashed.sort_unstable();
    hashed.dedup();
    hashed.truncate(PRINT_KEYS);
    hashed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_keys_are_few_distinct_and_never_silence() {
        let values: Vec<u32> = (0..500u32).map(|i| i.wrapping_mul(2_654_435_761) % 97).collect();
        assert_eq!(print_values(&print_bytes(&values)), values);
        let keys = print_keys(&values);
        assert_eq!(keys.len(), PRINT_KEYS);
        assert!(keys.windows(2).all(|w| w[0] < w[1]) && keys.iter().all(|k| *k >= 0));
        assert!(print_keys(&[SILENT_VALUE; 40]).is_empty());
    }
}
