//! Moving a grid of equal cells (pixels of any size, palette indices) as an EXIF orientation
//! says: what a viewer would show is what is stored afterwards.

use crate::domain::Crop;

use super::PARTS;

/// A `w`×`h` grid shown with an orientation: the shown grid's size, and where each stored cell
/// lands in it (`shown = at + x·along_x + y·along_y` for stored cell (x, y)).
#[derive(Debug, Clone, Copy)]
pub(super) struct Placement {
    pub(super) w: u32,
    pub(super) h: u32,
    at: (i64, i64),
    along_x: (i64, i64),
    along_y: (i64, i64),
}

impl Placement {
    pub(super) fn new(w: u32, h: u32, orientation: u16) -> Self {
        let (k, mirrored) = PARTS[usize::from(orientation.clamp(1, 8)) - 1];
        let shown = |(x, y): (i64, i64)| {
            let (mut x, mut y, mut w, mut h) = (x, y, i64::from(w), i64::from(h));
            if mirrored {
                x = w - 1 - x;
            }
            for _ in 0..k {
                (x, y, w, h) = (h - 1 - y, x, h, w);
            }
            (x, y)
        };
        let at = shown((0, 0));
        let step = |p: (i64, i64)| (p.0 - at.0, p.1 - at.1);
        let (w, h) = if k % 2 == 1 { (h, w) } else { (w, h) };
        Placement { w, h, at, along_x: step(shown((1, 0))), along_y: step(shown((0, 1))) }
    }

    fn shown(&self, x: i64, y: i64) -> (i64, i64) {
        (
            self.at.0 + x * self.along_x.0 + y * self.along_y.0,
            self.at.1 + x * self.along_x.1 + y * self.along_y.1,
        )
    }

    /// Where the stored rectangle (left, top, width, height) is shown.
    pub(super) fn rect(&self, (left, top, w, h): (u32, u32, u32, u32)) -> (u32, u32, u32, u32) {
        let (l, t) = (i64::from(left), i64::from(top));
        let a = self.shown(l, t);
        let b = self.shown(l + i64::from(w.max(1)) - 1, t + i64::from(h.max(1)) - 1);
        let (l, t) = (a.0.min(b.0).max(0) as u32, a.1.min(b.1).max(0) as u32);
        let quarter = self.along_x.0 == 0;
        let (w, h) = if quarter { (h, w) } else { (w, h) };
        (l, t, w, h)
    }
}

/// The orientation that shows an image shown with `orientation` as it is stored (only the two
/// quarter turns are not their own inverse).
pub(super) fn inverse(orientation: u16) -> u16 {
    match orientation {
        6 => 8,
        8 => 6,
        o => o,
    }
}

/// `cells` (rows of `width` cells of `size` bytes) cut to `crop`, if there is one.
pub(super) fn cut(cells: Vec<u8>, size: usize, width: u32, crop: Option<Crop>) -> Vec<u8> {
    let Some(c) = crop else { return cells };
    let row = width as usize * size;
    let (from, len) = (c.left as usize * size, c.width as usize * size);
    cells
        .chunks_exact(row)
        .skip(c.top as usize)
        .take(c.height as usize)
        .flat_map(|r| &r[from..from + len])
        .copied()
        .collect()
}

/// `cells` (a `w`×`h` grid of `size`-byte cells, row by row, as `p` was made for) as shown.
pub(super) fn place(cells: &[u8], size: usize, (w, h): (u32, u32), p: &Placement) -> Vec<u8> {
    match size {
        1 => place_n::<1>(cells, (w, h), p),
        2 => place_n::<2>(cells, (w, h), p),
        3 => place_n::<3>(cells, (w, h), p),
        4 => place_n::<4>(cells, (w, h), p),
        6 => place_n::<6>(cells, (w, h), p),
        8 => place_n::<8>(cells, (w, h), p),
        _ => unreachable!("no image format has {size}-byte pixels"),
    }
}

fn place_n<const N: usize>(cells: &[u8], (w, h): (u32, u32), p: &Placement) -> Vec<u8> {
    let (w, h) = (w as usize, h as usize);
    assert_eq!(cells.len(), w * h * N, "a whole grid");
    if cells.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0u8; cells.len()];
    let index = |(x, y): (i64, i64)| y * i64::from(p.w) + x;
    let origin = index(p.shown(0, 0));
    let dx = index(p.shown(1, 0)) - origin;
    let dy = index(p.shown(0, 1)) - origin;
    {
        let out: &mut [[u8; N]] = out.as_chunks_mut::<N>().0;
        for (y, row) in cells.chunks_exact(w * N).enumerate() {
            let mut at = origin + y as i64 * dy;
            for cell in row.as_chunks::<N>().0 {
                out[at as usize] = *cell;
                at += dx;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 grid of one-byte cells: 0 1 2 / 3 4 5.
    const GRID: [u8; 6] = [0, 1, 2, 3, 4, 5];

    fn shown(orientation: u16) -> (u32, u32, Vec<u8>) {
        let p = Placement::new(3, 2, orientation);
        (p.w, p.h, place(&GRID, 1, (3, 2), &p))
    }

    #[test]
    fn each_orientation_shows_the_grid_as_a_viewer_would() {
        assert_eq!(shown(1), (3, 2, vec![0, 1, 2, 3, 4, 5]));
        assert_eq!(shown(2), (3, 2, vec![2, 1, 0, 5, 4, 3]), "mirrored");
        assert_eq!(shown(3), (3, 2, vec![5, 4, 3, 2, 1, 0]), "upside down");
        assert_eq!(shown(4), (3, 2, vec![3, 4, 5, 0, 1, 2]), "flipped");
        assert_eq!(shown(5), (2, 3, vec![0, 3, 1, 4, 2, 5]), "transposed");
        assert_eq!(shown(6), (2, 3, vec![3, 0, 4, 1, 5, 2]), "turned right");
        assert_eq!(shown(7), (2, 3, vec![5, 2, 4, 1, 3, 0]), "transversed");
        assert_eq!(shown(8), (2, 3, vec![2, 5, 1, 4, 0, 3]), "turned left");
    }

    #[test]
    fn cells_move_whole_and_rectangles_follow_them() {
        let pairs: Vec<u8> = (0..12).collect();
        let p = Placement::new(3, 2, 6);
        assert_eq!(place(&pairs, 2, (3, 2), &p), [6, 7, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5]);
        // The stored cell 2 (x 2, y 0) of a 3×2 grid turned right is shown at x 1, y 2.
        assert_eq!(p.rect((2, 0, 1, 1)), (1, 2, 1, 1));
        assert_eq!(p.rect((1, 0, 2, 1)), (1, 1, 1, 2));
        assert_eq!(Placement::new(3, 2, 3).rect((0, 0, 2, 2)), (1, 0, 2, 2));
    }
}
