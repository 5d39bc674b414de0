//! Location and device privacy: fixtures written by exiftool (GPS, serials, owner, a city in
//! XMP, ICC, copyright, credit, orientation) are found out, and their stripped copies, read back
//! by exiftool, have no location or device field left, still have the ICC profile, copyright,
//! credit and orientation, and decode to the very same pixels.

use std::path::{Path, PathBuf};
use std::process::Command;

use mediadesk::media::file::MediaType;
use mediadesk::media::file::privacy::{self, Private};

use crate::common::*;

/// A minimal ICC v2 display profile with a description, enough for readers to find one.
pub fn icc_profile() -> Vec<u8> {
    let desc = b"Mediadesk test profile\0";
    let mut tag = Vec::new();
    tag.extend_from_slice(b"desc\0\0\0\0");
    tag.extend_from_slice(&(desc.len() as u32).to_be_bytes());
    tag.extend_from_slice(desc);
    tag.extend_from_slice(&[0; 4 + 4 + 2 + 1 + 67]);
    while tag.len() % 4 != 0 {
        tag.push(0);
    }
    let size = 128 + 4 + 12 + tag.len();
    let mut p = Vec::with_capacity(size);
    p.extend_from_slice(&(size as u32).to_be_bytes());
    p.extend_from_slice(b"none");
    p.extend_from_slice(&[2, 0x10, 0, 0]);
    p.extend_from_slice(b"mntrRGB XYZ ");
    p.extend_from_slice(&[0x07, 0xEA, 0, 12, 0, 1, 0, 0, 0, 0, 0, 0]);
    p.extend_from_slice(b"acspAPPL");
    p.extend_from_slice(&[0; 4 + 4 + 4 + 8 + 4]);
    p.extend_from_slice(&[0, 0, 0xF6, 0xD6, 0, 1, 0, 0, 0, 0, 0xD3, 0x2D]);
    p.extend_from_slice(&[0; 4 + 16 + 28]);
    assert_eq!(p.len(), 128);
    p.extend_from_slice(&1u32.to_be_bytes());
    p.extend_from_slice(b"desc");
    p.extend_from_slice(&144u32.to_be_bytes());
    p.extend_from_slice(&(tag.len() as u32).to_be_bytes());
    p.extend_from_slice(&tag);
    p
}

fn exiftool(args: &[&str]) -> String {
    let out =
        Command::new("exiftool").args(args).output().expect("exiftool runs (scripts/test.sh installs it)");
    assert!(out.status.success(), "exiftool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of fixture `name` with everything private and everything to keep written into it.
pub fn telling_fixture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("telling-{name}"));
    std::fs::copy(fixture(name), &path).unwrap();
    let icc = dir.join("profile.icc");
    std::fs::write(&icc, icc_profile()).unwrap();
    let p = path.to_str().unwrap();
    exiftool(&[
        "-q",
        "-overwrite_original",
        &format!("-ICC_Profile<={}", icc.display()),
        "-GPSLatitude=51.1279",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=1.3134",
        "-GPSLongitudeRef=E",
        "-SerialNumber=BODY-123456",
        "-LensSerialNumber=LENS-987",
        "-OwnerName=Ann Example",
        "-Copyright=© Harbour Press",
        "-Artist=Ann Example",
        "-Orientation#=6",
        "-XMP-photoshop:Credit=Harbour Press / Ann",
        "-XMP-photoshop:City=Dover",
        "-XMP-dc:Rights=© Harbour Press",
        p,
    ]);
    path
}

/// exiftool's every tag of a file, `Group:Name` = value, one per line.
fn tags(path: &Path) -> String {
    exiftool(&["-a", "-G1", "-s", "-n", path.to_str().unwrap()])
}

fn pixels(path: &Path) -> Vec<u8> {
    image::open(path).expect("decodes").to_rgba8().into_raw()
}

#[test]
fn stripping_keeps_pixels_icc_rights_and_credit_and_drops_location_and_device() {
    let dir = tempfile::tempdir().unwrap();
    for (name, t) in
        [("image.jpg", MediaType::Jpeg), ("image.png", MediaType::Png), ("image.webp", MediaType::Webp)]
    {
        let telling = telling_fixture(dir.path(), name);
        let before = tags(&telling);
        for field in
            ["GPSLatitude", "SerialNumber", "LensSerialNumber", "OwnerName", "City", "ProfileDescription"]
        {
            assert!(before.contains(field), "{name}: exiftool wrote {field}:\n{before}");
        }
        assert_eq!(privacy::scan(&telling, t), Private { location: true, device: true }, "{name}");
        assert_eq!(privacy::scan(&fixture(name), t), Private::default(), "{name}: the plain fixture");

        let stripped = dir.path().join(format!("stripped-{name}"));
        let size = privacy::strip(&telling, t, &stripped).unwrap();
        assert_eq!(size, std::fs::metadata(&stripped).unwrap().len());
        let after = tags(&stripped);
        for gone in ["GPS", "SerialNumber", "OwnerName", "City"] {
            assert!(!after.contains(gone), "{name}: {gone} left after stripping:\n{after}");
        }
        for kept in [
            "ProfileDescription",
            "Mediadesk test profile",
            "Copyright",
            "© Harbour Press",
            "Credit",
            "Harbour Press / Ann",
            "Orientation",
        ] {
            assert!(after.contains(kept), "{name}: {kept} lost:\n{after}");
        }
        assert!(!after.contains("Warning"), "{name}: exiftool warns about the stripped file:\n{after}");
        assert_eq!(privacy::scan(&stripped, t), Private::default(), "{name}: nothing left to find");
        assert_eq!(pixels(&stripped), pixels(&telling), "{name}: the same pixels");
        // Stripping what has nothing private changes nothing that matters either.
        let again = dir.path().join(format!("again-{name}"));
        privacy::strip(&stripped, t, &again).unwrap();
        assert_eq!(pixels(&again), pixels(&telling));
    }
}
