#!/usr/bin/env bash
# Thumbnails and audio, whole process against whole process: `mediadesk thumbnail|probe|waveform`
# (the server's own code paths) next to vipsthumbnail and ffprobe, with hyperfine.
# Usage: bench/media.sh BIN INPUTS OUT   — writes OUT/media.json (medians, RSS, durations).
set -euo pipefail
BIN=$1 IN=$2 OUT=$3
mkdir -p "$OUT/thumbs"
RUNS=${BENCH_RUNS:-10}

# Median peak RSS (KiB) of three runs of a command.
peak_rss() {
  for _ in 1 2 3; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 2p
}

hf() { # NAME CMD...: hyperfine median/min/mean in seconds into OUT/hf-NAME.json
  local name=$1; shift
  hyperfine --style none --warmup 2 --runs "$RUNS" --export-json "$OUT/hf-$name.json" "$@" >/dev/null
}

echo "thumbnails" >&2
for f in photo-24mp.jpg photo-24mp-rotated.jpg photo-12mp.png photo-4000x3000.webp anim-640x480-24f.gif; do
  name=${f%.*}
  vin="$IN/$f"
  # GIF: vips would otherwise read every frame; both make the first frame's thumbnail.
  hf "vips-$name" "vipsthumbnail $vin -s 320x320 -o $OUT/thumbs/vips-$name.jpg[Q=80]"
  hf "md-$name" "$BIN thumbnail $vin $OUT/thumbs/md-$name.jpg --size 320"
  echo "$name $(peak_rss vipsthumbnail "$vin" -s 320x320 -o "$OUT/thumbs/vips-$name.jpg[Q=80]") $(peak_rss "$BIN" thumbnail "$vin" "$OUT/thumbs/md-$name.jpg" --size 320)" >>"$OUT/rss.txt"
done

echo "audio probe" >&2
for f in song-5min-cbr192.mp3 song-5min-vbr-noxing.mp3 song-5min.flac song-5min.m4a; do
  name=${f%.*}
  hf "ffprobe-$name" "ffprobe -v error -show_entries format=duration -of csv=p=0 $IN/$f"
  hf "probe-$name" "$BIN probe $IN/$f"
  # The reference length: every sample ffmpeg decodes (one channel, 16-bit).
  samples=$(( $(ffmpeg -v error -i "$IN/$f" -ac 1 -f s16le - | wc -c) / 2 ))
  ffp=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$IN/$f")
  md=$("$BIN" probe "$IN/$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration_ms"] / 1000)')
  rate=$("$BIN" probe "$IN/$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sample_rate"])')
  echo "$name $samples $rate $ffp $md" >>"$OUT/durations.txt"
done

echo "waveforms (one core)" >&2
for f in song-5min-cbr192.mp3 song-5min-vbr-noxing.mp3 song-5min.flac song-5min.m4a song-5min.wav; do
  name=${f%.*}
  hf "wave-$name" "taskset -c 0 $BIN waveform $IN/$f"
done
