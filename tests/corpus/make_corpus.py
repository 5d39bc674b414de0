#!/usr/bin/env python3
"""Generates the hostile-and-odd upload corpus and its expectations.

    python3 tests/corpus/make_corpus.py OUT_DIR

Writes the case files into OUT_DIR and OUT_DIR/manifest.json: a list of cases, each
{"name", "file", "upload_as", "expect": "accept"|"refuse", ...facts}. For accepted files the
facts are the metadata the server must report (kind, content_type, width/height or duration);
for refused ones a substring of the reason. The bytes are derived from tests/fixtures and built
here with the standard library only, so the corpus is the same on every machine.
"""
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")
MIB = 1024 * 1024


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, color_type, bit_depth, rows, extra_chunks=()):
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    for c in extra_chunks:
        out += c
    return out + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")


def gray_alpha_png(w, h):
    rows = b"".join(b"\x00" + b"".join(bytes((x * 8 % 256, 255 - y * 8 % 256)) for x in range(w)) for y in range(h))
    return png(w, h, 4, 8, rows)


def gif_frames(n, w=4, h=4):
    """A GIF89a with `n` tiny frames (2-colour palette, each frame one LZW-coded solid block)."""
    out = b"GIF89a" + struct.pack("<HH", w, h) + bytes([0xF0, 0, 0]) + b"\xff\x00\x00\x00\x00\xff"
    out += b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    # LZW for w*h pixels of index i%2 with min code size 2: clear, then literal codes, then end.
    pixels = w * h
    for i in range(n):
        out += b"!\xf9\x04\x04\x02\x00\x00\x00"  # graphic control: delay 2 cs
        out += b"," + struct.pack("<HHHH", 0, 0, w, h) + b"\x00"
        codes = [4] + [i % 2] * pixels + [5]
        bits, nbits, data, width, next_code = 0, 0, bytearray(), 3, 6
        for k, code in enumerate(codes):
            bits |= code << nbits
            nbits += width
            while nbits >= 8:
                data.append(bits & 0xFF)
                bits >>= 8
                nbits -= 8
            if 0 < k < len(codes) - 1:
                next_code += 1
                if next_code == (1 << width) and width < 12:
                    width += 1
        if nbits:
            data.append(bits & 0xFF)
        out += b"\x02" + bytes([len(data)]) + bytes(data) + b"\x00"
    return out + b";"


def id3_tag(size):
    """An ID3v2.3 tag whose body is `size` bytes of padding."""
    synch = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x03\x00\x00" + synch + b"\x00" * size


def wav(frames, rate=8000, channels=1, bits=16, data_len=None, riff_len=None, fill=b"\x10\x00"):
    block = channels * bits // 8
    data = (fill * (frames * block // len(fill) + 1))[: frames * block]
    dl = len(data) if data_len is None else data_len
    rl = 36 + dl if riff_len is None else riff_len
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    return b"RIFF" + struct.pack("<I", rl) + b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", dl) + data


def big_wav(total_bytes):
    """A valid 16-bit stereo 44.1 kHz WAV of exactly `total_bytes` bytes."""
    data_len = total_bytes - 44
    frames = data_len // 4
    return wav(frames, rate=44100, channels=2, bits=16, data_len=data_len)[:44] + bytes(data_len)


def main(out):
    os.makedirs(out, exist_ok=True)
    cases = []

    def add(name, data, expect, upload_as=None, **facts):
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(data)
        cases.append({"name": name, "file": path, "upload_as": upload_as or name, "expect": expect, **facts})

    jpg, png_rgba, flac, mp3 = fixture("image.jpg"), fixture("image.png"), fixture("tone.flac"), fixture("tone-cbr.mp3")
    cut = lambda b, f: b[: int(len(b) * f)]

    # Truncated files.
    add("truncated.jpg", cut(jpg, 0.6), "refuse", reason="truncated", code="malformed")
    add("truncated.png", cut(png_rgba, 0.5), "refuse", reason="could not be read", code="malformed")
    add("truncated-cbr.mp3", cut(mp3, 0.5), "refuse", reason="truncated", code="malformed")
    add("truncated.flac", cut(flac, 0.5), "refuse", reason="truncated", code="malformed")
    add("truncated-header.jpg", jpg[:40], "refuse", reason="could not be read", code="malformed")
    add("empty.png", b"", "refuse", reason="empty", code="empty")
    # Decompression bombs: tiny files, huge headers.
    for ext in ("png", "jpg", "webp", "gif"):
        add(f"pixel-flood.{ext}", fixture(f"pixel-flood.{ext}"), "refuse", reason="megapixels", code="limits")
    add("frames-3000.gif", gif_frames(3000), "accept", kind="image", content_type="image/gif", width=4, height=4)
    # Big metadata chunks around small images.
    text = png_chunk(b"tEXt", b"Comment\x00" + b"A" * (6 * MIB))
    add("huge-text-chunk.png", png(8, 8, 2, 8, b"".join(b"\x00" + b"\x80" * 24 for _ in range(8)), [text]), "accept",
        kind="image", content_type="image/png", width=8, height=8)
    com = b"\xff\xfe" + struct.pack(">H", 65535) + b"C" * 65533
    add("huge-comment.jpg", jpg[:2] + com * 40 + jpg[2:], "accept", kind="image", content_type="image/jpeg", width=64, height=48)
    # Unusual but valid images.
    add("cmyk.jpg", fixture("image-cmyk.jpg"), "accept", kind="image", content_type="image/jpeg", width=40, height=30)
    add("exif-rotated.jpg", fixture("image-exif-rot6.jpg"), "accept", kind="image", content_type="image/jpeg", width=48, height=64)
    add("gray16.png", fixture("image-gray16.png"), "accept", kind="image", content_type="image/png", width=32, height=24)
    add("gray-alpha.png", gray_alpha_png(12, 10), "accept", kind="image", content_type="image/png", width=12, height=10)
    add("lossless-alpha.webp", fixture("image-lossless.webp"), "accept", kind="image", content_type="image/webp", width=64, height=48)
    bad_crc = bytearray(png_rgba)
    bad_crc[29] ^= 0xFF  # inside IHDR's CRC
    add("bad-crc.png", bytes(bad_crc), "refuse", reason="could not be read", code="malformed")
    add("zero-size.gif", b"GIF89a\x00\x00\x00\x00\x00\x00\x00;", "refuse", reason="", code="malformed")
    # Not media, dressed as media.
    add("page.jpg", b"<!doctype html><html><script>alert(document.cookie)</script></html>", "refuse", reason="not an accepted type", code="type")
    add("vector.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>',
        "refuse", reason="not an accepted type", code="type")
    add("script.mp3", b"#!/bin/sh\nrm -rf --no-preserve-root /\n", "refuse", reason="not an accepted type", code="type")
    add("program.png", fixture("elf-renamed.png"), "refuse", reason="not an accepted type", code="type")
    add("program.gif", b"MZ\x90\x00\x03" + b"\x00" * 59 + b"PE\x00\x00" + b"\x00" * 200, "refuse", reason="not an accepted type", code="type")
    add("notes.wav", b"just some text, not a RIFF file at all\n" * 10, "refuse", reason="not an accepted type", code="type")
    add("mpeg-layer2.mp3", b"\xff\xfd\x90\x00" + b"\x00" * 400, "refuse", reason="not an accepted type", code="type")
    # Polyglots: valid media with a payload appended. Accepted as what the bytes are, and served
    # only with that type (and nosniff), never as HTML.
    add("gif-html-polyglot.gif", fixture("image-anim.gif") + b"<script>alert(1)</script>", "accept",
        kind="image", content_type="image/gif", width=32, height=32)
    add("png-zip-polyglot.png", png_rgba + b"PK\x03\x04" + b"\x00" * 100, "accept", kind="image", content_type="image/png", width=64, height=48)
    # Audio oddities.
    add("lying-data-length.wav", wav(8000, data_len=80000), "refuse", reason="truncated", code="malformed")
    # symphonia will not read past a RIFF length that contradicts its chunks: refused, and said so.
    add("lying-riff-length.wav", wav(8000, riff_len=12), "refuse", reason="malformed", code="malformed")
    add("8bit-mono.wav", wav(4000, rate=8000, bits=8, fill=b"\x90"), "accept", kind="audio", content_type="audio/wav", duration_ms=500)
    add("vbr-no-xing.mp3", fixture("tone-vbr-noxing.mp3"), "accept", kind="audio", content_type="audio/mpeg", duration_ms=12042)
    add("huge-id3.mp3", id3_tag(3 * MIB) + mp3[20:], "accept", kind="audio", content_type="audio/mpeg", duration_ms=2000)
    add("id3-only.mp3", id3_tag(1000), "refuse", reason="no audio frames", code="malformed")
    add("moov-at-end.m4a", fixture("tone-aac-moov-end.m4a"), "accept", kind="audio", content_type="audio/mp4", duration_ms=2000)
    add("alac.m4a", fixture("tone-alac.m4a"), "accept", kind="audio", content_type="audio/mp4", duration_ms=1000)
    add("mono-22k.flac", fixture("tone-mono.flac"), "accept", kind="audio", content_type="audio/flac", duration_ms=1000)
    add("192k-24bit.wav", fixture("tone-192k.wav"), "accept", kind="audio", content_type="audio/wav", duration_ms=25)
    # Hostile file names on a harmless file: kept only as tidied display text.
    small = fixture("image.png")
    names = [
        # A relative path is a name like any other (escaped when shown); only full paths are cut.
        ("name-traversal.png", "../../../etc/passwd.png", "../../../etc/passwd.png"),
        # HTTP header syntax admits only TAB among control characters (browsers percent-encode
        # CR, LF and quotes); the others are covered by the unit tests of the name cleaner.
        ("name-control.png", "a\tb\tc.png", "abc.png"),
        ("name-rtl.png", "invoice\u202egnp.exe", "invoicegnp.exe"),
        ("name-long.png", "x" * 300 + ".png", "x" * 196 + ".png"),
        ("name-markup.png", "<img src=x onerror=alert(1)>.png", "<img src=x onerror=alert(1)>.png"),
        ("name-slashes.png", "<script>alert(1)</script>.png", "<script>alert(1)</script>.png"),
        ("name-quotes.png", 'say "hi"; rm -rf.png', 'say "hi"; rm -rf.png'),
    ]
    for file, sent, shown in names:
        add(file, small, "accept", upload_as=sent, shown_as=shown, kind="image", content_type="image/png", width=64, height=48)
    # The size limit, exactly at and one byte over 100 MiB.
    add("exactly-100MiB.wav", big_wav(100 * MIB), "accept", kind="audio", content_type="audio/wav",
        duration_ms=round((100 * MIB - 44) / 4 / 44100 * 1000))
    add("100MiB-plus-1.wav", big_wav(100 * MIB + 1), "refuse", reason="larger than the 100 MiB limit", code="size")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(cases, f, indent=1)
    print(f"{len(cases)} cases in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "corpus-out")
