//! A lossless FLAC copy of audio that some browsers cannot play (ALAC decodes only in Safari),
//! written from the upload's one decode with `flacenc`, a frame at a time, so a long track
//! never sits in memory. FLAC needs its stream header (length, MD5) first, which is known only
//! at the end: the header's 42 bytes are reserved and written last.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use flacenc::bitsink::ByteSink;
use flacenc::component::{BitRepr, Stream, StreamInfo};
use flacenc::config;
use flacenc::error::{Verified, Verify};
use flacenc::source::{Context, Fill, FrameBuf};
use symphonia::core::codecs::audio::AudioCodecId;
use symphonia::core::codecs::audio::well_known::CODEC_ID_ALAC;

use super::FileError;

/// Frames per FLAC block (the reference encoder's default).
const BLOCK: usize = 4096;
/// "fLaC", the metadata block header and STREAMINFO.
const HEADER_BYTES: usize = 4 + 4 + 34;
/// FLAC as `flacenc` writes it carries at most 24 bits a sample.
const MAX_BITS: u32 = 24;

/// Whether Chromium, Firefox and Safari all play this codec as the browsers' `<audio>` does.
/// The decoder's codecs are few and known; ALAC is the one only Safari has.
pub fn plays_everywhere(codec: AudioCodecId) -> bool {
    codec != CODEC_ID_ALAC
}

/// A preview is written once and read little, so speed wins over size: fixed predictors and
/// independent channels only (as `flac -0`), which keeps encoding within the decode's own time.
fn fast() -> config::Encoder {
    let mut c = config::Encoder::default();
    c.subframe_coding.use_lpc = false;
    c.stereo_coding.use_leftside = false;
    c.stereo_coding.use_rightside = false;
    c.stereo_coding.use_midside = false;
    c.multithread = false;
    c
}

fn failed(why: impl std::fmt::Display) -> FileError {
    FileError::Internal(format!("the FLAC rendition could not be written: {why}"))
}

pub struct FlacWriter {
    out: BufWriter<File>,
    config: Verified<config::Encoder>,
    buffers: (FrameBuf, Context),
    stream: Stream,
    /// Interleaved samples not yet a whole block.
    pending: Vec<i32>,
    channels: usize,
    /// Integer samples arrive left-aligned in 32 bits; this brings them to `bits`.
    shift: u32,
    written: u64,
}

impl FlacWriter {
    /// `bits` is the source's own depth; past 24 the top 24 bits are kept.
    pub fn create(path: &Path, channels: usize, bits: u32, rate: u32) -> Result<FlacWriter, FileError> {
        let bits_out = bits.clamp(8, MAX_BITS);
        let config = fast().into_verified().map_err(|(_, e)| failed(e))?;
        let stream = Stream::new(rate as usize, channels, bits_out as usize).map_err(failed)?;
        let buffers = (
            FrameBuf::with_size(channels, BLOCK).map_err(failed)?,
            Context::new(bits_out as usize, channels),
        );
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(&[0; HEADER_BYTES])?;
        Ok(FlacWriter {
            out,
            config,
            buffers,
            stream,
            pending: Vec::with_capacity(2 * BLOCK * channels),
            channels,
            shift: 32 - bits_out,
            written: HEADER_BYTES as u64,
        })
    }

    /// One plane per channel of left-aligned 32-bit samples.
    pub fn push_planes(&mut self, planes: &[&[i32]]) -> Result<(), FileError> {
        let frames = planes.iter().map(|p| p.len()).min().unwrap_or(0);
        for i in 0..frames {
            self.pending.extend(planes.iter().map(|p| p[i] >> self.shift));
        }
        let whole = BLOCK * self.channels;
        let mut at = 0;
        while self.pending.len() - at >= whole {
            self.encode(at, whole)?;
            at += whole;
        }
        self.pending.drain(..at);
        Ok(())
    }

    fn encode(&mut self, at: usize, len: usize) -> Result<(), FileError> {
        self.buffers.fill_interleaved(&self.pending[at..at + len]).map_err(failed)?;
        let number = self.buffers.1.current_frame_number().unwrap_or(0);
        let frame = flacenc::encode_fixed_size_frame(
            &self.config,
            &self.buffers.0,
            number,
            self.stream.stream_info(),
        )
        .map_err(failed)?;
        self.stream.stream_info_mut().update_frame_info(&frame);
        let mut sink = ByteSink::new();
        frame.write(&mut sink).map_err(failed)?;
        self.out.write_all(sink.as_slice())?;
        self.written += sink.as_slice().len() as u64;
        Ok(())
    }

    /// Encodes what is left, writes the header and returns the file's size.
    pub fn finish(mut self) -> Result<u64, FileError> {
        if !self.pending.is_empty() {
            let len = self.pending.len();
            self.encode(0, len)?;
        }
        let context = &self.buffers.1;
        let info: &mut StreamInfo = self.stream.stream_info_mut();
        info.set_block_sizes(BLOCK, BLOCK).map_err(failed)?;
        info.set_md5_digest(&context.md5_digest());
        info.set_total_samples(context.total_samples());
        let mut header = ByteSink::new();
        self.stream.write(&mut header).map_err(failed)?;
        if header.as_slice().len() != HEADER_BYTES {
            return Err(failed("unexpected header size"));
        }
        let mut file = self.out.into_inner().map_err(|e| failed(e.error()))?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(header.as_slice())?;
        file.sync_data()?;
        Ok(self.written)
    }
}
