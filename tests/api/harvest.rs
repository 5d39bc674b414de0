//! Descriptions harvested at upload from what files say about themselves, with the tags written
//! by the tools people use (exiftool, id3v2, metaflac, ffmpeg) as independent judges, on both
//! backends: XMP and IPTC in JPEG, XMP in PNG and WebP, ID3v2 in MP3 (lyrics becoming the
//! transcript), Vorbis comments in FLAC, MP4 tags in M4A; and a huge tag that costs no more
//! than its first megabytes.

use std::path::{Path, PathBuf};
use std::process::Command;

use mediadesk::domain::Owner;
use mediadesk::media::{Actor, Description, MediaRead, Upload};

use crate::common::*;

backend_tests!(uploads_harvest_what_files_say_about_themselves);

/// Runs a tool; a missing one fails the test loudly (scripts/test.sh installs them).
fn tool(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is required (scripts/test.sh installs it): {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn copy(env: &TestEnv, fixture_name: &str, to: &str) -> PathBuf {
    let path = env.dir.path().join(to);
    std::fs::copy(fixture(fixture_name), &path).unwrap();
    path
}

async fn upload(env: &TestEnv, path: &Path) -> MediaRead {
    let name = path.file_name().unwrap().to_str().unwrap();
    let body = bytes_stream(std::fs::read(path).unwrap());
    env.media.upload(&Actor::operator(), Upload::new(Owner::System, name), body).await.unwrap()
}

fn said(title: &str, alt: Option<&str>, caption: &str, credit: &str) -> Description {
    let s = |v: &str| Some(v.to_owned());
    Description { title: s(title), alt_text: alt.map(str::to_owned), caption: s(caption), credit: s(credit) }
}

async fn uploads_harvest_what_files_say_about_themselves(env: TestEnv) {
    // XMP in a JPEG, as exiftool writes it (language alternatives, a Unicode title).
    let jpeg = copy(&env, "image.jpg", "xmp.jpg");
    tool(
        "exiftool",
        &[
            "-overwrite_original",
            "-XMP-dc:Title=Hafen im Morgengrauen — ünïcödé",
            "-XMP-dc:Description=Fishing boats & a <quay>",
            "-XMP-iptcCore:AltTextAccessibility=Two red boats moored at a stone quay",
            "-XMP-photoshop:Credit=Ann Example",
            jpeg.to_str().unwrap(),
        ],
    );
    let got = upload(&env, &jpeg).await;
    assert_eq!(
        got.description(),
        &said(
            "Hafen im Morgengrauen — ünïcödé",
            Some("Two red boats moored at a stone quay"),
            "Fishing boats & a <quay>",
            "Ann Example"
        )
    );

    // IPTC-IIM only (APP13), as older tools write it.
    let iim = copy(&env, "image.jpg", "iim.jpg");
    tool(
        "exiftool",
        &[
            "-overwrite_original",
            "-codedcharacterset=utf8",
            "-IPTC:ObjectName=Quay",
            "-IPTC:Caption-Abstract=Boats at rest",
            "-IPTC:CopyrightNotice=© 2026 Ann",
            iim.to_str().unwrap(),
        ],
    );
    assert_eq!(upload(&env, &iim).await.description(), &said("Quay", None, "Boats at rest", "© 2026 Ann"));

    // XMP in PNG (iTXt) and WebP (an XMP chunk).
    for (fixture_name, name) in [("image.png", "xmp.png"), ("image.webp", "xmp.webp")] {
        let path = copy(&env, fixture_name, name);
        tool(
            "exiftool",
            &[
                "-overwrite_original",
                "-XMP-dc:Title=Lighthouse",
                "-XMP-dc:Rights=CC BY 4.0",
                "-XMP-dc:Description=At night",
                path.to_str().unwrap(),
            ],
        );
        assert_eq!(
            upload(&env, &path).await.description(),
            &said("Lighthouse", None, "At night", "CC BY 4.0"),
            "{name}"
        );
    }

    // ID3v2 in an MP3: title, copyright (before the artist), comment, and lyrics as the transcript.
    let mp3 = copy(&env, "tone-cbr.mp3", "id3.mp3");
    tool(
        "id3v2",
        &[
            "-t",
            "Harbour song",
            "-a",
            "Ann",
            "-c",
            "Recorded at dawn",
            "--USLT",
            "Boats go out",
            "--TCOP",
            "2026 Ann",
            mp3.to_str().unwrap(),
        ],
    );
    let MediaRead::Audio(song) = upload(&env, &mp3).await else { panic!("audio") };
    assert_eq!(song.description, said("Harbour song", None, "Recorded at dawn", "2026 Ann"));
    assert_eq!(song.transcript.as_deref(), Some("Boats go out"));

    // Vorbis comments in FLAC.
    let flac = copy(&env, "tone.flac", "vorbis.flac");
    tool(
        "metaflac",
        &[
            "--set-tag=TITLE=Field recording",
            "--set-tag=ARTIST=Ann",
            "--set-tag=DESCRIPTION=Wind over grass",
            flac.to_str().unwrap(),
        ],
    );
    let MediaRead::Audio(field) = upload(&env, &flac).await else { panic!("audio") };
    assert_eq!(field.description, said("Field recording", None, "Wind over grass", "Ann"));

    // MP4 tags in M4A (©nam, ©ART, ©cmt), written by ffmpeg.
    let m4a = env.dir.path().join("tagged.m4a");
    tool(
        "ffmpeg",
        &[
            "-loglevel",
            "error",
            "-i",
            fixture("tone-aac.m4a").to_str().unwrap(),
            "-c",
            "copy",
            "-metadata",
            "title=Interview",
            "-metadata",
            "artist=Ann",
            "-metadata",
            "comment=Take two",
            m4a.to_str().unwrap(),
        ],
    );
    let MediaRead::Audio(talk) = upload(&env, &m4a).await else { panic!("audio") };
    assert_eq!(talk.description, said("Interview", None, "Take two", "Ann"));

    // A 24 MiB ID3 tag whose title comes after a huge frame: read only as far as the cap, so
    // the upload is the MP3 it is, with no title from past the cap.
    let huge = env.dir.path().join("huge-tag.mp3");
    std::fs::write(&huge, huge_id3(&std::fs::read(fixture("tone-cbr.mp3")).unwrap())).unwrap();
    let MediaRead::Audio(big) = upload(&env, &huge).await else { panic!("audio") };
    assert_eq!(big.description.title, None);
}

/// An ID3v2.3 tag holding a 24 MiB private frame and then a title, before `mp3`.
fn huge_id3(mp3: &[u8]) -> Vec<u8> {
    let frame = |id: &[u8], body: &[u8]| {
        let mut f = id.to_vec();
        f.extend((body.len() as u32).to_be_bytes());
        f.extend([0, 0]);
        f.extend(body);
        f
    };
    let mut frames = frame(b"PRIV", &vec![b'x'; 24 << 20]);
    frames.extend(frame(b"TIT2", b"\x03Past the cap"));
    let size = frames.len() as u32;
    let syncsafe =
        [(size >> 21) as u8 & 0x7F, (size >> 14) as u8 & 0x7F, (size >> 7) as u8 & 0x7F, size as u8 & 0x7F];
    let mut out = b"ID3\x03\x00\x00".to_vec();
    out.extend(syncsafe);
    out.extend(frames);
    out.extend(mp3);
    out
}
