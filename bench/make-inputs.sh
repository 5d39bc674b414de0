#!/usr/bin/env bash
# Generates the benchmark inputs (photo-like images, music-like audio) into DIR.
# Usage: bench/make-inputs.sh DIR   — skips files that already exist.
# Needs: imagemagick webp sox libsox-fmt-mp3 lame flac ffmpeg (bench/run.sh installs them).
set -euo pipefail
OUT=${1:?usage: make-inputs.sh DIR}
mkdir -p "$OUT"
cd "$OUT"
# ImageMagick itself, not whatever else answers to `convert` earlier on PATH.
IM=${IM:-/usr/bin/convert}
export MAGICK_AREA_LIMIT=2GiB MAGICK_MEMORY_LIMIT=4GiB MAGICK_DISK_LIMIT=8GiB
have() { [ -s "$1" ]; }

# 24 MP "photo": smooth plasma upscaled (sky, skin), a diagonal gradient and gaussian grain, so
# the JPEG carries about as many bits per pixel as a camera's (≈ 2.7), 4:2:0 like cameras.
if ! have photo-24mp.jpg; then
  $IM -size 1500x1000 -seed 42 plasma:fractal -blur 0x2 -resize 6000x4000! base.miff
  $IM -size 4000x6000 gradient:'#203040'-'#e0c090' -rotate 90 grad.miff
  $IM base.miff grad.miff -compose softlight -composite -seed 7 -attenuate 0.6 +noise Gaussian \
      -sampling-factor 2x2 -quality 90 photo-24mp.jpg
  rm -f base.miff grad.miff
fi
have photo-12mp.png || $IM photo-24mp.jpg -resize 4000x3000! -strip png:photo-12mp.png
if ! have photo-4000x3000.webp; then
  $IM photo-24mp.jpg -resize 4000x3000! -strip ppm:- | cwebp -quiet -q 85 -o photo-4000x3000.webp -- -
fi
# A camera held upright: the same photo with an EXIF block saying Orientation=6 (rotate 90°).
if ! have photo-24mp-rotated.jpg; then
  python3 - photo-24mp.jpg photo-24mp-rotated.jpg <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
tiff = b'MM\x00\x2a' + struct.pack('>IH', 8, 1) + struct.pack('>HHIHH', 0x0112, 3, 1, 6, 0) + struct.pack('>I', 0)
app1 = b'Exif\x00\x00' + tiff
open(sys.argv[2], 'wb').write(data[:2] + b'\xff\xe1' + struct.pack('>H', len(app1) + 2) + app1 + data[2:])
PY
fi
if ! have anim-640x480-24f.gif; then
  $IM photo-24mp.jpg -resize 1600x1067! mid.miff
  frames=()
  for i in $(seq 0 23); do
    $IM mid.miff -crop "640x480+$((i * 40))+$((i * 20))!" +repage "f$i.miff"
    frames+=("f$i.miff")
  done
  $IM -delay 8 -loop 0 "${frames[@]}" -layers Optimize anim-640x480-24f.gif
  rm -f f*.miff mid.miff
fi

# Five minutes of music-like audio: a chord with slow sweeps and tremolo over quiet pink noise.
if ! have song-5min.wav; then
  sox -n -r 44100 -b 16 -c 2 tones.wav synth 300 sine 110-440 sine 220-165 tremolo 2.5 40 gain -6
  sox -n -r 44100 -b 16 -c 2 noise.wav synth 300 pinknoise pinknoise gain -22
  sox -m tones.wav noise.wav -b 16 song-5min.wav norm -1
  rm -f tones.wav noise.wav
fi
have song-5min-cbr192.mp3 || lame --quiet -b 192 song-5min.wav song-5min-cbr192.mp3
# -t: no Xing/Info header, so a reader must count frames to know the length.
have song-5min-vbr-noxing.mp3 || lame --quiet -V 2 -t song-5min.wav song-5min-vbr-noxing.mp3
have song-5min.flac || flac --silent -5 -f -o song-5min.flac song-5min.wav
have song-5min.m4a || ffmpeg -loglevel error -y -i song-5min.wav -c:a aac -b:a 192k song-5min.m4a
have song-5min-alac.m4a || ffmpeg -loglevel error -y -i song-5min.wav -c:a alac song-5min-alac.m4a
# 100 MB of audio for the upload benchmark: 566 s of CD-quality stereo WAV.
if ! have upload-100mb.wav; then
  sox -n -r 44100 -b 16 -c 2 upload-100mb.wav synth 566 sine 220-880 gain -8
fi
ls -l "$OUT"
