import { fileURLToPath } from 'node:url'

/**
 * The embedded demo clip (10 s, 480x270 25 fps H.264 + AAC, one keyframe per second), looped by
 * `peercaster demo` and by `broadcast` when no input is given. Regenerate: scripts/make-sample.sh.
 */
export const SAMPLE_CLIP_PATH = fileURLToPath(new URL('../../assets/sample.ts', import.meta.url))
