#!/usr/bin/env python3
"""Turns target/bench/results.json into the Markdown tables README's Performance section shows."""
import json
import sys

r = json.load(open(sys.argv[1]))
out = []


def ok(good):
    return "✅" if good else "❌ missed"


def row(*cells):
    out.append("| " + " | ".join(str(c) for c in cells) + " |")


m = r.get("machine", {})
out.append(f"Measured {m.get('when', '?')} on {m.get('cpus', '?')} cores (kernel {m.get('kernel', '?')}); "
           "medians of repeated runs.\n")

media = r.get("media")
if media:
    out.append("**Thumbnails** (fit 320×320, JPEG q80; whole process, `mediadesk thumbnail` vs `vipsthumbnail`)\n")
    row("input", "vipsthumbnail", "mediadesk", "ratio", "target", "", "peak RSS vips", "peak RSS mediadesk", "ratio")
    row(*["---"] * 9)
    for t in media["thumbnails"]:
        ratio = t["mediadesk"]["median_ms"] / t["vips"]["median_ms"]
        rss = t["mediadesk_rss_kb"] / t["vips_rss_kb"]
        rss_note = f"{rss:.2f} (≤ 0.5 {ok(rss <= 0.5)})" if t["input"] == "photo-24mp.jpg" else f"{rss:.2f}"
        row(t["input"], f"{t['vips']['median_ms']:.1f} ms", f"{t['mediadesk']['median_ms']:.1f} ms", f"{ratio:.2f}×",
            f"≤ {t['target']}×", ok(ratio <= t["target"]), f"{t['vips_rss_kb'] / 1024:.1f} MiB",
            f"{t['mediadesk_rss_kb'] / 1024:.1f} MiB", rss_note)
    out.append("\n**Audio probe** (whole process, `mediadesk probe` vs `ffprobe`; length against every sample ffmpeg decodes)\n")
    row("input", "ffprobe", "mediadesk", "ratio (≤ 0.1×)", "", "true length", "ffprobe error", "mediadesk error (≤ 0.1 %)", "")
    row(*["---"] * 9)
    for p in media["probes"]:
        ratio = p["mediadesk"]["median_ms"] / p["ffprobe"]["median_ms"]
        ff_err = (p["ffprobe_s"] - p["true_s"]) / p["true_s"] * 100
        md_err = (p["mediadesk_s"] - p["true_s"]) / p["true_s"] * 100
        row(p["input"], f"{p['ffprobe']['median_ms']:.1f} ms", f"{p['mediadesk']['median_ms']:.1f} ms", f"{ratio:.3f}×",
            ok(ratio <= 0.1), f"{p['true_s']:.2f} s", f"{ff_err:+.2f} %", f"{md_err:+.3f} %", ok(abs(md_err) <= 0.1))
    out.append("\n**Waveform peaks** (`mediadesk waveform --without-loudness --without-print`: the upload's full "
               "decode before it answers, one core)\n")
    row("input", "time", "per audio minute", "target", "")
    row(*["---"] * 5)
    for w in media["waveforms"]:
        row(w["input"], f"{w['time']['median_ms']:.0f} ms", f"{w['ms_per_min']:.1f} ms",
            f"≤ {w['target_ms_per_min']} ms", ok(w["ms_per_min"] <= w["target_ms_per_min"]))
    if "loudness" in media:
        out.append("")
        out.append("**Loudness meter** (`mediadesk waveform` with and without it on two cores: the wall time an "
                   "upload waits, and the CPU time the meter adds, which is what it costs on one core)")
        out.append("")
        row("input", "decode + peaks", "with the meter", "added", "target", "", "CPU added", "target", "")
        row(*["---"] * 9)
        for m in media["loudness"]:
            a, b = m["plain"]["median_ms"], m["metered"]["median_ms"]
            ca, cb = m["plain"]["cpu_ms"], m["metered"]["cpu_ms"]
            wall, cpu = (b - a) / a, (cb - ca) / ca
            row(m["input"], f"{a:.0f} ms", f"{b:.0f} ms", f"{wall * 100:+.0f} %", "≤ +20 %", ok(wall <= 0.20),
                f"{cpu * 100:+.0f} % ({cb - ca:.0f} ms)", "≤ +20 %", ok(cpu <= 0.20))
        out.append("")
        out.append("**Sound print** (`mediadesk waveform` with and without the print on two cores, the meter on in "
                   "both: the wall time an upload waits, and the CPU time the print adds, at most two minutes of "
                   "sound)")
        out.append("")
        row("input", "decode + peaks + meter", "with the print", "added", "target", "", "CPU added", "target", "")
        row(*["---"] * 9)
        for m in media.get("print", []):
            a, b = m["plain"]["median_ms"], m["printed"]["median_ms"]
            cpu = m["printed"]["cpu_ms"] - m["plain"]["cpu_ms"]
            wall = (b - a) / a
            # A WAV's decode is nearly free: its upload waits for the print itself (no wall budget).
            wav = m["input"].endswith(".wav")
            target, met = ("—", "") if wav else ("≤ +10 %", ok(wall <= 0.10))
            row(m["input"], f"{a:.0f} ms", f"{b:.0f} ms", f"{wall * 100:+.0f} %", target, met,
                f"{cpu:.0f} ms", "≤ 60 ms", ok(cpu <= 60))
        rend = media["rendition"]
        a, b = rend["plain"]["median_ms"], rend["rendered"]["median_ms"]
        out.append("")
        out.append("**FLAC rendition of ALAC** (`mediadesk waveform --rendition`, one core)")
        out.append("")
        row("input", "decode", "decode + FLAC", "added / decode", "target", "")
        row("---", "---", "---", "---", "---", "---")
        row(f"{rend['input']} ({rend['alac_bytes'] / 1e6:.1f} MB → {rend['flac_bytes'] / 1e6:.1f} MB)", f"{a:.0f} ms",
            f"{b:.0f} ms", f"{(b - a) / a:.2f}×", "≤ 1.5×", ok((b - a) / a <= 1.5))

z = r.get("zip")
if z:
    growth = z["peak_growth_kb"] / 1024
    out.append(f"\n**ZIP download** ({z['items']} files, {z['zip_bytes'] / 1e9:.2f} GB streamed from s3s-fs "
               f"through the app as one archive): {z['seconds']:.1f} s = {z['zip_bytes'] / 1e6 / z['seconds']:.0f} MB/s; "
               f"peak RSS over idle {growth:.1f} MiB (≤ 32 MiB) {ok(growth <= 32)}\n")

up = r.get("uploads")
if up:
    mb = up["file_bytes"] / 1e6
    direct = up["direct_put_s"]
    out.append(f"\n**Uploads** ({mb:.0f} MB WAV through the upload form; PostgreSQL + s3s-fs; server idle RSS "
               f"{up['idle_rss_kb'] / 1024:.1f} MiB; a direct `curl` PUT of the same file to the same S3 server: "
               f"{direct * 1000:.0f} ms = {mb / direct:.0f} MB/s)\n")
    if "direct_multipart_s" in up:
        mp = up["direct_multipart_s"]
        out.append(f"The same file as a direct multipart upload to that server (curl, 8 MiB parts one after "
                   f"another, as the server sends a form upload): {mp * 1000:.0f} ms = {mb / mp:.0f} MB/s, of "
                   f"which {up['direct_multipart_complete_s'] * 1000:.0f} ms is the completion request alone "
                   f"(s3s-fs joins the parts into one file then). The form rows measured against it: "
                   + ", ".join(f"{label} {mp / (u['seconds'] / u['copies']):.2f}×"
                               for label, u in up["runs"].items() if "form" in label) + ".\n")
    row("case", "wall time", "throughput", "vs direct PUT (≥ 0.7×)", "", "peak RSS over idle (≤ 32 MiB)", "")
    row(*["---"] * 7)
    for label, u in up["runs"].items():
        per_file = u["seconds"] / u["copies"]
        ratio = direct / per_file
        growth = u["peak_growth_kb"] / 1024
        row(label, f"{u['seconds'] * 1000:.0f} ms", f"{mb * u['copies'] / u['seconds']:.0f} MB/s", f"{ratio:.2f}×",
            ok(ratio >= 0.7), f"{growth:.1f} MiB", ok(growth <= 32))
    runs = up["runs"]
    for tus_label, single in [("one, tus 16 MiB pieces", "one, form"),
                              ("eight at once, tus 16 MiB pieces", "eight at once, form")]:
        if tus_label in runs and single in runs:
            ratio = runs[tus_label]["seconds"] / runs[single]["seconds"]
            out.append(f"\n{tus_label}: {ratio:.2f}× the time of {single} (target ≤ 1.3×) {ok(ratio <= 1.3)}")
    if "photo" in up:
        p = up["photo"]
        out.append(f"\nA 24 MP JPEG ({p['file_bytes'] / 1e6:.1f} MB; stored with its thumbnail and 2048 px display "
                   f"rendition), one at a time, size announced: {p['seconds'] * 1000:.0f} ms per upload "
                   f"(median of 10).\n")

gal = r.get("gallery")
if gal:
    out.append(f"\n**Gallery** ({gal['items']:,} items, 5 001 collections, ~20 000 tags on items; 50 per page, each "
               f"with a signed URL; `oha -c 32`, staff session)\n")
    row("backend", "request", "req/s", "p50", "p99 (< 25 ms)", "", "share of the stylesheet's req/s (≥ 40 %)", "")
    row(*["---"] * 8)
    for backend, b in gal["backends"].items():
        css = b["static stylesheet"]["rps"]
        for label in ["static stylesheet", "first page", "last page", "first page, 8 uploads running",
                      "thumbnail file", "tag, first page", "tag, last page", "collection, first page",
                      "collection, last page", "search, first page", "search, last page",
                      "first page, over TCP", "collection, first page, over TCP"]:
            if label not in b:
                continue
            x = b[label]
            share = x["rps"] / css
            is_page = label != "static stylesheet"
            row(backend, label, f"{x['rps']:.0f}", f"{x['p50_ms']:.1f} ms", f"{x['p99_ms']:.1f} ms",
                ok(x["p99_ms"] < 25) if is_page else "", f"{share * 100:.1f} %" if is_page else "",
                ok(share >= 0.4) if is_page and "uploads" not in label and "file" not in label else "")

al = r.get("alike")
if al:
    out.append(f"\n**Look- and sound-alike groups** (the staff's page over {al['items']:,} items: one image in 50 "
               f"a copy of the one before, one sound in 50 too, every sound with a two-minute print; every look "
               f"read and bucketed, the keys held twice and their holders paired, each pair of prints compared; "
               f"`oha -c 1`, medians of 3. "
               f"A person waits for it at the page)\n")
    row("backend", "groups shown", "p50 (≤ 1 s)", "", "p99")
    row(*["---"] * 5)
    for backend, b in al["backends"].items():
        x = b["staff, every group"]
        row(backend, b["groups shown"], f"{x['p50_ms']:.0f} ms", ok(x["p50_ms"] <= 1000), f"{x['p99_ms']:.0f} ms")

ed = r.get("edit")
if ed:
    out.append(f"\n**A change to a whole view** (the credit of {ed['items']:,} items set at once by staff, each "
               f"item in its own transaction with its audit row; wall seconds, median of 3)\n")
    row("backend", "question (walks the view)", "change", "target (≤ 30 s)", "")
    row(*["---"] * 5)
    for backend, b in ed["backends"].items():
        row(backend, f"{b['question_s']:.2f} s", f"{b['change_s']:.1f} s", "≤ 30 s", ok(b["change_s"] <= 30))
de = r.get("delete")
if de:
    n = de["items"]
    out.append(f"\n**A whole view to the trash** ({n} uploaded photos, their files and thumbnails moved to trash "
               f"keys, as staff; wall seconds, one run; the 5 000 a delete may reach would take 10× as long)\n")
    row("backend", "question", "delete", "per item", "5 000 items (≤ 60 s)", "")
    row(*["---"] * 6)
    for backend, b in de["backends"].items():
        per = b["delete_s"] / n
        row(backend, f"{b['question_s']:.2f} s", f"{b['delete_s']:.1f} s", f"{per * 1000:.1f} ms",
            f"{per * 5000:.0f} s", ok(per * 5000 <= 60))

tu = r.get("turn")
if tu:
    n = tu["items"]
    out.append(f"\n**Turning a selection** ({n} uploaded files of each kind turned right at once, four side "
               f"by side, as staff: each file read and written again, its previews made again; wall seconds, "
               f"one run each. One turn of a whole view reaches 300 photos, a PNG or GIF counting one for "
               f"each 4 MP of pixels it moves, a WebP three: 100 of these PNGs, 150 of these GIFs, 33 "
               f"of these WebPs)\n")
    row("backend", "file", "turn", "per file", "a whole view's most (≤ 60 s)", "")
    row(*["---"] * 6)
    # Label, and how many files one turn of a whole view reaches (MAX_VIEW_TURN / turn_work).
    files = {"jpeg": ("24 MP JPEG", 300), "png": ("12 MP PNG", 100), "gif": ("640×480 GIF, 24 frames", 150),
             "webp": ("12 MP lossy WebP", 33)}
    for backend, b in tu["backends"].items():
        for kind, (label, most) in files.items():
            if f"{kind}_turn_s" not in b:
                continue
            per = b[f"{kind}_turn_s"] / n
            row(backend, label, f"{b[f'{kind}_turn_s']:.1f} s", f"{per * 1000:.0f} ms",
                f"{most}: {per * most:.0f} s", ok(per * most <= 60))

cr = r.get("crop")
if cr:
    out.append(f"\n**Cropping one image** (each to its middle half from its page, as staff, one request at a "
               f"time: the file read, cut, written as a new one and its previews made again; the same file "
               f"turned, for scale; medians of {cr['copies']} each. A person waits for it at the page)\n")
    row("backend", "file", "crop (≤ 1 s)", "", "turn", "crop / turn")
    row(*["---"] * 6)
    files = {"jpeg": "24 MP JPEG", "png": "12 MP PNG", "gif": "640×480 GIF, 24 frames", "webp": "12 MP lossy WebP"}
    for backend, b in cr["backends"].items():
        for kind, label in files.items():
            if kind in b:
                c, t = b[kind]["crop"], b[kind]["turn"]
                row(backend, label, f"{c:.0f} ms", ok(c <= 1000), f"{t:.0f} ms", f"{c / t:.2f}×")

print("\n".join(out))
