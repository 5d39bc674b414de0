//! How looks (media/file/look.rs) are found again: by their four 16-bit quarters, each with
//! its own index (migration 000033). Here because the repository asks for one look's quarters
//! and the service buckets a whole library's by the same rule.

/// Where each quarter starts in a look, the lowest first.
pub const QUARTER_SHIFTS: [i64; 4] = [0, 16, 32, 48];

/// The quarter of `look` that starts at bit `shift`.
pub fn quarter(look: i64, shift: i64) -> i64 {
    (look >> shift) & 0xFFFF
}

/// Whether the quarter at `shift` is a flat stretch (a clear sky's rows: no steps, or steps all
/// one way), shared by pictures that have nothing else in common.
pub fn flat_quarter(look: i64, shift: i64) -> bool {
    matches!(quarter(look, shift), 0 | 0xFFFF)
}

/// The quarters a look is found by: those that are not flat, or all four when every one is.
pub fn telling_quarters(look: i64) -> Vec<i64> {
    let telling: Vec<i64> = QUARTER_SHIFTS.into_iter().filter(|s| !flat_quarter(look, *s)).collect();
    if telling.is_empty() { QUARTER_SHIFTS.to_vec() } else { telling }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_quarters_are_left_out_unless_all_are() {
        assert_eq!(telling_quarters(0x1234_0000_FFFF_0001), vec![0, 48]);
        assert_eq!(telling_quarters(0xFFFF_0000), vec![0, 16, 32, 48]);
        assert_eq!(quarter(0x1234_5678_9ABC_DEF0, 16), 0x9ABC);
    }
}
