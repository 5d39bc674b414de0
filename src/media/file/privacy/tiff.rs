//! EXIF is a TIFF structure: what it says about location and the device, and a copy of it
//! with only what is neither (orientation, copyright, artist, the camera model and exposure).

/// IFD0 entries kept by [`strip`]: how the image is shown and who holds its rights.
const KEEP_IFD0: &[u16] = &[
    0x010E, // ImageDescription
    0x010F, // Make
    0x0110, // Model
    0x0112, // Orientation
    0x011A, // XResolution
    0x011B, // YResolution
    0x0128, // ResolutionUnit
    0x0131, // Software
    0x0132, // DateTime
    0x013B, // Artist
    0x0213, // YCbCrPositioning
    0x8298, // Copyright
];
/// EXIF sub-IFD entries kept: exposure and colour, never serials, owner or maker notes.
const KEEP_EXIF: &[u16] = &[
    0x829A, 0x829D, 0x8822, 0x8827, 0x8830, 0x9000, 0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x9201, 0x9202,
    0x9203, 0x9204, 0x9205, 0x9207, 0x9208, 0x9209, 0x920A, 0xA001, 0xA002, 0xA003, 0xA402, 0xA403, 0xA404,
    0xA405, 0xA406, 0xA432, 0xA433, 0xA434,
];
const EXIF_IFD: u16 = 0x8769;
const GPS_IFD: u16 = 0x8825;
/// Owner name, body serial, lens serial, maker notes (EXIF); camera serial (DNG, in IFD0).
const DEVICE_TAGS: &[u16] = &[0xA430, 0xA431, 0xA435, 0x927C, 0xC62F];
/// Entries read at most per IFD.
const MAX_ENTRIES: usize = 1024;

/// A TIFF structure read in its byte order (the turn of a JPEG reads its EXIF with it too).
pub(in crate::media::file) struct Tiff<'a> {
    data: &'a [u8],
    pub(in crate::media::file) le: bool,
}

#[derive(Clone, Copy)]
struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    raw: [u8; 4],
}

fn type_size(typ: u16) -> Option<u64> {
    Some(match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => return None,
    })
}

impl<'a> Tiff<'a> {
    /// The structure and where its first directory is.
    pub(in crate::media::file) fn parse(data: &'a [u8]) -> Option<(Tiff<'a>, u32)> {
        let le = match data.get(..4)? {
            b"II*\0" => true,
            b"MM\0*" => false,
            _ => return None,
        };
        let t = Tiff { data, le };
        let first = t.u32(4)?;
        Some((t, first))
    }

    pub(in crate::media::file) fn u16(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.data.get(at..at + 2)?.try_into().ok()?;
        Some(if self.le { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    }

    pub(in crate::media::file) fn u32(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(at..at + 4)?.try_into().ok()?;
        Some(if self.le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    fn ifd(&self, at: u32) -> Option<Vec<Entry>> {
        let at = at as usize;
        let n = usize::from(self.u16(at)?).min(MAX_ENTRIES);
        (0..n)
            .map(|i| {
                let e = at + 2 + 12 * i;
                Some(Entry {
                    tag: self.u16(e)?,
                    typ: self.u16(e + 2)?,
                    count: self.u32(e + 4)?,
                    raw: self.data.get(e + 8..e + 12)?.try_into().ok()?,
                })
            })
            .collect()
    }

    fn pointer(&self, e: &Entry) -> u32 {
        if self.le { u32::from_le_bytes(e.raw) } else { u32::from_be_bytes(e.raw) }
    }

    /// An entry's value bytes, inline or where its offset points.
    fn value(&self, e: &Entry) -> Option<Vec<u8>> {
        let size = type_size(e.typ)?.checked_mul(u64::from(e.count))?;
        if size <= 4 {
            return Some(e.raw[..size as usize].to_vec());
        }
        let at = self.pointer(e) as usize;
        self.data.get(at..at.checked_add(size as usize)?).map(<[u8]>::to_vec)
    }
}

/// A tag of IFD0 or of the EXIF sub-IFD with its type and value bytes, in the block's order.
pub(in crate::media::file) struct Tagged {
    pub(in crate::media::file) tag: u16,
    pub(in crate::media::file) typ: u16,
    pub(in crate::media::file) value: Vec<u8>,
}

/// The entries of IFD0 and of the EXIF sub-IFD (what a photo says about how it was taken is
/// there, `media/file/shot.rs`), and whether the block is little-endian.
pub(in crate::media::file) fn entries(data: &[u8]) -> Option<(bool, Vec<Tagged>)> {
    let (t, first) = Tiff::parse(data)?;
    let ifd0 = t.ifd(first).unwrap_or_default();
    let exif = ifd0.iter().find(|e| e.tag == EXIF_IFD).and_then(|e| t.ifd(t.pointer(e))).unwrap_or_default();
    let tagged = ifd0
        .iter()
        .chain(&exif)
        .filter_map(|e| Some(Tagged { tag: e.tag, typ: e.typ, value: t.value(e)? }))
        .collect();
    Some((t.le, tagged))
}

/// What an EXIF block holds: (location, device-identifying).
pub fn scan(data: &[u8]) -> (bool, bool) {
    let Some((t, first)) = Tiff::parse(data) else { return (false, false) };
    let ifd0 = t.ifd(first).unwrap_or_default();
    let mut location = false;
    let mut device = ifd0.iter().any(|e| DEVICE_TAGS.contains(&e.tag));
    for e in &ifd0 {
        match e.tag {
            GPS_IFD => location = t.ifd(t.pointer(e)).is_some_and(|g| !g.is_empty()),
            EXIF_IFD => {
                device |= t.ifd(t.pointer(e)).is_some_and(|x| x.iter().any(|e| DEVICE_TAGS.contains(&e.tag)));
            }
            _ => {}
        }
    }
    (location, device)
}

/// A new EXIF block (TIFF bytes) with only the kept entries; `None` when nothing is left.
pub fn strip(data: &[u8]) -> Option<Vec<u8>> {
    let (t, first) = Tiff::parse(data)?;
    let ifd0 = t.ifd(first)?;
    let exif: Vec<(Entry, Vec<u8>)> = ifd0
        .iter()
        .find(|e| e.tag == EXIF_IFD)
        .and_then(|e| t.ifd(t.pointer(e)))
        .unwrap_or_default()
        .into_iter()
        .filter(|e| KEEP_EXIF.contains(&e.tag))
        .filter_map(|e| t.value(&e).map(|v| (e, v)))
        .collect();
    let mut top: Vec<(Entry, Vec<u8>)> = ifd0
        .into_iter()
        .filter(|e| KEEP_IFD0.contains(&e.tag) || (e.tag == EXIF_IFD && !exif.is_empty()))
        .filter_map(|e| if e.tag == EXIF_IFD { Some((e, vec![0; 4])) } else { t.value(&e).map(|v| (e, v)) })
        .collect();
    if top.is_empty() {
        return None;
    }
    top.sort_by_key(|(e, _)| e.tag);
    let mut out = Vec::with_capacity(data.len().min(64 * 1024));
    out.extend_from_slice(if t.le { b"II*\0" } else { b"MM\0*" });
    put32(&mut out, 8, t.le);
    let pointer_at = write_ifd(&mut out, &top, t.le);
    if let Some(at) = pointer_at {
        let exif_at = out.len() as u32;
        let b = if t.le { exif_at.to_le_bytes() } else { exif_at.to_be_bytes() };
        out[at..at + 4].copy_from_slice(&b);
        write_ifd(&mut out, &exif, t.le);
    }
    Some(out)
}

fn put16(out: &mut Vec<u8>, v: u16, le: bool) {
    out.extend_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() });
}

fn put32(out: &mut Vec<u8>, v: u32, le: bool) {
    out.extend_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() });
}

/// Writes an IFD and its values after it; where the EXIF pointer's value sits, if it has one.
fn write_ifd(out: &mut Vec<u8>, entries: &[(Entry, Vec<u8>)], le: bool) -> Option<usize> {
    let start = out.len();
    let mut data_at = start + 2 + 12 * entries.len() + 4;
    let mut data = Vec::new();
    let mut pointer_at = None;
    put16(out, entries.len() as u16, le);
    for (e, value) in entries {
        put16(out, e.tag, le);
        put16(out, e.typ, le);
        put32(out, e.count, le);
        if e.tag == EXIF_IFD {
            pointer_at = Some(out.len());
            out.extend_from_slice(&[0; 4]);
        } else if value.len() <= 4 {
            let mut raw = value.clone();
            raw.resize(4, 0);
            out.extend_from_slice(&raw);
        } else {
            put32(out, data_at as u32, le);
            data.extend_from_slice(value);
            if value.len() % 2 == 1 {
                data.push(0);
            }
            data_at = start + 2 + 12 * entries.len() + 4 + data.len();
        }
    }
    put32(out, 0, le);
    out.extend_from_slice(&data);
    pointer_at
}
