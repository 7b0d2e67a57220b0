#!/usr/bin/env bash
# Regenerates assets/sample.ts, the clip `peercaster demo` and `broadcast --file` loop by default:
# 10 s of 480x270 25 fps H.264 (one keyframe per second: -g 25, no scene-cut keyframes) plus a
# 440 Hz AAC tone, muxed as MPEG-TS. Needs ffmpeg (with libx264); the product itself does not.
# Output bytes may differ between ffmpeg versions; single-threaded and bitexact flags keep them
# stable for one version. Usage: scripts/make-sample.sh [output.ts] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-assets/sample.ts}"
seconds="${2:-10}"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=480x270:rate=25:duration=${seconds}" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=${seconds}" \
  -c:v libx264 -preset veryfast -profile:v main -pix_fmt yuv420p \
  -g 25 -keyint_min 25 -sc_threshold 0 -b:v 700k -maxrate 800k -bufsize 800k -threads 1 \
  -c:a aac -b:a 64k -ac 1 \
  -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
  -metadata service_provider=peercaster -metadata service_name=sample \
  -f mpegts "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
