//! `mediadesk seed --demo`: a handful of generated images and audio clips for a first look.

use std::f32::consts::TAU;
use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

use chrono::TimeDelta;

use crate::db::repo::{AudioRepo, ImageRepo};
use crate::db::rows::{AudioHealth, NewAudio, NewImage};
use crate::db::{Db, DbConn, DbError, now};
use crate::domain::Owner;
use crate::media::{Actor, MediaError, MediaService, Upload};
use crate::storage::StorageKey;

/// Synthetic rows per transaction.
const BATCH: usize = 1000;

/// A generated demo file: a name and its bytes.
pub struct DemoFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

fn landscape(w: u32, h: u32, sky: [f32; 3], ground: [f32; 3], sun: (f32, f32)) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let horizon = 0.62 + 0.05 * (fx * TAU * 1.5).sin();
        let base = if fy < horizon { sky } else { ground };
        let shade = if fy < horizon { 0.55 + 0.45 * fy / horizon } else { 1.0 - 0.5 * (fy - horizon) };
        let d = ((fx - sun.0).powi(2) + (fy - sun.1).powi(2)).sqrt();
        let glow = (1.0 - d * 4.0).max(0.0);
        let px = |c: f32| ((c * shade + glow * 0.8).min(1.0) * 255.0) as u8;
        Rgb([px(base[0]), px(base[1]), px(base[2])])
    })
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encoding to memory cannot fail");
    out.into_inner()
}

/// A 16-bit mono WAV of a few decaying notes.
fn melody(notes: &[f32], note_secs: f32, rate: u32) -> Vec<u8> {
    let per_note = (note_secs * rate as f32) as usize;
    let samples: Vec<i16> = notes
        .iter()
        .flat_map(|f| {
            (0..per_note).map(move |i| {
                let t = i as f32 / rate as f32;
                let env = (-3.0 * t / note_secs).exp();
                let v = (TAU * f * t).sin() * 0.6 + (TAU * f * 2.0 * t).sin() * 0.15;
                (v * env * 0.8 * i16::MAX as f32) as i16
            })
        })
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut v = Vec::with_capacity(44 + data_len as usize);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data_len).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * 2).to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        v.extend_from_slice(&s.to_le_bytes());
    }
    v
}

/// The demo set: landscapes in every image format, short melodies as WAV.
pub fn demo_files() -> Vec<DemoFile> {
    let mut files = Vec::new();
    let scenes = [
        ("dawn-over-hills", [0.95, 0.6, 0.45], [0.25, 0.35, 0.2], (0.2, 0.5)),
        ("noon-meadow", [0.45, 0.7, 0.95], [0.3, 0.6, 0.25], (0.7, 0.15)),
        ("dusk-coast", [0.55, 0.35, 0.6], [0.1, 0.25, 0.45], (0.5, 0.55)),
        ("winter-field", [0.75, 0.82, 0.9], [0.9, 0.92, 0.95], (0.3, 0.3)),
    ];
    for (i, (name, sky, ground, sun)) in scenes.into_iter().enumerate() {
        let img = landscape(960 + 160 * i as u32, 640, sky, ground, sun);
        let (ext, format) = [
            ("jpg", ImageFormat::Jpeg),
            ("png", ImageFormat::Png),
            ("webp", ImageFormat::WebP),
            ("gif", ImageFormat::Gif),
        ][i];
        let img = if format == ImageFormat::Gif { image::imageops::thumbnail(&img, 320, 213) } else { img };
        files.push(DemoFile { name: format!("{name}.{ext}"), bytes: encode(&img, format) });
    }
    let tunes: [(&str, &[f32], f32); 3] = [
        ("doorbell", &[659.25, 523.25], 0.8),
        ("arpeggio-c-major", &[261.63, 329.63, 392.0, 523.25, 392.0, 329.63], 0.45),
        ("notification", &[880.0, 1174.66, 1318.51], 0.25),
    ];
    for (name, notes, secs) in tunes {
        files.push(DemoFile { name: format!("{name}.wav"), bytes: melody(notes, secs, 44_100) });
    }
    files
}

/// Uploads the demo set as system media; returns how many items were created.
pub async fn seed_demo(media: &MediaService) -> Result<usize, MediaError> {
    let mut n = 0;
    for file in demo_files() {
        let body = crate::storage::body_of(file.bytes);
        media.upload(&Actor::operator(), Upload::new(Owner::System, file.name), body).await?;
        n += 1;
    }
    media.settle(super::import::SETTLE).await;
    Ok(n)
}

/// Real files in a load-test set: one in this many items is uploaded for real.
pub const LOAD_SAMPLE_EVERY: usize = 100;

/// `mediadesk seed --load N`: N system items for load tests. One in [`LOAD_SAMPLE_EVERY`] is
/// a generated file uploaded through the normal path (so it has a real thumbnail or waveform);
/// the rest are synthetic rows, which `mediadesk reconcile --fix` removes again.
pub async fn seed_load(
    media: &MediaService,
    db: &Db,
    count: usize,
    mut progress: impl FnMut(usize),
) -> Result<usize, MediaError> {
    let actor = Actor::operator();
    let mut done = 0;
    let mut n = 0;
    while n < count {
        if n % LOAD_SAMPLE_EVERY == 0 {
            let file = load_sample(n);
            let body = crate::storage::body_of(file.bytes);
            media.upload(&actor, Upload::new(Owner::System, file.name), body).await?;
            done += 1;
            n += 1;
        }
        let rows = (LOAD_SAMPLE_EVERY - 1).min(count - n);
        done += add_synthetic_rows(db, Owner::System, n, rows).await?;
        n += rows;
        progress(done);
    }
    media.settle(super::import::SETTLE).await;
    Ok(done)
}

/// Adds `count` synthetic rows numbered from `first`: three images to one audio item, one
/// second apart, owned by `owner`. They are rows only: their objects do not exist, so
/// `mediadesk reconcile --fix` removes them again.
async fn add_synthetic_rows(db: &Db, owner: Owner, first: usize, count: usize) -> Result<usize, DbError> {
    let start = now() - TimeDelta::seconds((first + count) as i64);
    let peaks: Vec<u8> = (0..2000).map(|i| ((i * 37 % 101) as i8 - 50) as u8).collect();
    let mut added = 0;
    for batch in (first..first + count).collect::<Vec<_>>().chunks(BATCH) {
        let images: Vec<(String, StorageKey, i64)> = batch
            .iter()
            .filter(|i| *i % 4 != 3)
            .map(|&i| (format!("load-{i:06}.jpg"), StorageKey::generate(owner.id(), "jpg"), i as i64))
            .collect();
        let audios: Vec<(String, StorageKey, i64)> = batch
            .iter()
            .filter(|i| *i % 4 == 3)
            .map(|&i| (format!("load-{i:06}.mp3"), StorageKey::generate(owner.id(), "mp3"), i as i64))
            .collect();
        let thumbs: Vec<StorageKey> = images.iter().map(|(_, k, _)| k.derived("thumb.jpg")).collect();
        // A real placeholder's size, so that a page of seeded rows reads what a real one does.
        let sky = RgbImage::from_fn(4, 3, |x, y| Rgb([90 + 30 * x as u8, 140, 200 - 40 * y as u8]));
        let placeholder = crate::media::file::thumbnail::placeholder(&sky);
        const SEEDED_SHOT: &str = r#"{"make":"Canon","model":"Canon EOS R5","f_number":2.8,"iso":400}"#;
        let new_images: Vec<NewImage> = images
            .iter()
            .zip(&thumbs)
            .map(|((name, key, i), thumb)| NewImage {
                owner_id: owner.id(),
                uploader_id: None,
                original_filename: name,
                content_type: "image/jpeg",
                byte_size: 200_000 + (i * 7919) % 5_000_000,
                sha256: "synthetic",
                storage_key: key.as_str(),
                thumbnail_key: Some(thumb.as_str()),
                display_key: None,
                frame_count: 1,
                thumbnail_bytes: 0,
                has_location: false,
                has_device_data: false,
                private_key: None,
                private_bytes: 0,
                placeholder: Some(&placeholder),
                // Looks spread as a library's do, so that finding one's look-alikes reads
                // what it reads there.
                look: Some(scattered(*i as u64)),
                width: 4000,
                height: 3000,
                created_at: start + TimeDelta::seconds(*i),
                // A camera's, so that an item page of seeded rows shows what a photo's does.
                shot: Some(SEEDED_SHOT),
                source_link: None,
            })
            .collect();
        let new_audios: Vec<NewAudio> = audios
            .iter()
            .map(|(name, key, i)| NewAudio {
                owner_id: owner.id(),
                uploader_id: None,
                original_filename: name,
                content_type: "audio/mpeg",
                byte_size: 1_000_000 + (i * 7919) % 9_000_000,
                sha256: "synthetic",
                storage_key: key.as_str(),
                waveform_key: None,
                duration_ms: 30_000 + (i * 7919) % 600_000,
                bitrate: 192_000,
                sample_rate: 44_100,
                channels: 2,
                codec: "mp3",
                transcript: None,
                created_at: start + TimeDelta::seconds(*i),
                updated_at: start + TimeDelta::seconds(*i),
                peaks: Some(&peaks),
                rendition_key: None,
                rendition_bytes: 0,
                // Some of each health flag, so the gallery's filters have something to find.
                health: AudioHealth {
                    loudness_lufs: Some(if i % 7 == 0 { -34.0 } else { -16.0 }),
                    loudness_range: Some(6.0),
                    true_peak_db: Some(-1.0),
                    clipped_samples: if i % 11 == 0 { 5_000 } else { 0 },
                    quiet: i % 7 == 0,
                    clipped: i % 11 == 0,
                    mostly_silent: i % 13 == 0,
                    ..AudioHealth::default()
                },
                // Printed, with nothing to print: `backfill` has no file to read for them.
                print: Some(&[]),
                source_link: None,
            })
            .collect();
        added += db
            .transaction(async |c: &mut DbConn<'_>| {
                Ok::<_, DbError>(
                    ImageRepo::create_many(c, &new_images).await?
                        + AudioRepo::create_many(c, &new_audios).await?,
                )
            })
            .await?;
    }
    Ok(added)
}

/// The `i`-th real file of a load-test set: landscapes in varied colours, now and then a melody.
fn load_sample(i: usize) -> DemoFile {
    let k = i / LOAD_SAMPLE_EVERY;
    if k % 4 == 3 {
        let base = 220.0 * (1.0 + (k % 12) as f32 / 12.0);
        return DemoFile {
            name: format!("sample-{i:06}.wav"),
            bytes: melody(&[base, base * 1.25, base * 1.5], 0.4, 22_050),
        };
    }
    let hue = |o: usize| 0.25 + 0.7 * (((k * 37 + o * 11) % 100) as f32 / 100.0);
    let img = landscape(
        640,
        427,
        [hue(0), hue(1), hue(2)],
        [hue(3) * 0.5, hue(4) * 0.6, hue(5) * 0.4],
        (hue(6) * 0.8, 0.3),
    );
    DemoFile { name: format!("sample-{i:06}.jpg"), bytes: encode(&img, ImageFormat::Jpeg) }
}

/// `i` scattered over 64 bits (SplitMix64's finaliser): as different as unrelated pictures' looks.
fn scattered(i: u64) -> i64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as i64
}
