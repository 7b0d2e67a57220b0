// The player endpoint over real sockets: ffmpeg plays /live.ts and must decode it cleanly.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { ingestTs, TsIngest } from '../../src/media/ingest.ts'
import type { MediaChunk } from '../../src/media/media-chunk.ts'
import { PacedTsFileReader } from '../../src/media/paced-reader.ts'
import { type PlayableChunk, PlayerServer, PortInUseError } from '../../src/media/player-server.ts'
import { SAMPLE_CLIP_PATH } from '../../src/media/sample-clip.ts'
import { decodeUrl, ffmpegMissing, makeTestTs } from './ffmpeg.ts'

const SECONDS = 4

function chunksOf(bytes: Uint8Array): MediaChunk[] {
  const ingest = new TsIngest({ targetBytes: 6000 })
  return [...ingest.push(bytes, 0), ...ingest.end(0)]
}

const chunks = ffmpegMissing ? [] : chunksOf(makeTestTs({ seconds: SECONDS }))

/** Waits (on events, not time) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve))
}

test('a player joining mid-stream starts at once from the cached keyframe group and decodes cleanly', {
  skip: ffmpegMissing,
}, async () => {
  const server = await PlayerServer.listen({ port: 0 })
  try {
    const keyframes = chunks.filter((c) => c.keyframe)
    const joinAt = keyframes[1]!.seq + 4 // mid-GOP
    for (const chunk of chunks.slice(0, joinAt)) server.write(chunk)
    const player = decodeUrl(server.url)
    await until(() => server.stats.clients === 1)
    for (const chunk of chunks.slice(joinAt)) server.write(chunk)
    await server.close()
    const result = await player.done
    assert.deepEqual(result.complaints, [])
    // It started at keyframe 1 (cached), so it saw the rest of the stream from there.
    assert.ok(result.videoFrames >= 25 * (SECONDS - 1) - 1, `decoded ${result.videoFrames} frames`)
  } finally {
    await server.close()
  }
})

test('a hole in the feed makes players skip to the next keyframe: still no decoder errors', {
  skip: ffmpegMissing,
}, async () => {
  const server = await PlayerServer.listen({ port: 0 })
  try {
    const player = decodeUrl(server.url)
    await until(() => server.stats.clients === 1)
    const lost = chunks.filter((c) => c.keyframe)[1]!.seq + 5
    for (const chunk of chunks) if (chunk.seq !== lost) server.write(chunk)
    await server.close()
    const result = await player.done
    assert.equal(server.stats.gaps, 1)
    assert.deepEqual(result.complaints, [])
    assert.ok(result.videoFrames > 0)
  } finally {
    await server.close()
  }
})

test('a player that stops reading is skipped to a later keyframe; its backlog stays bounded', async () => {
  const maxBacklogBytes = 256 * 1024
  const server = await PlayerServer.listen({ port: 0, maxBacklogBytes })
  const socket = connect(server.port, '127.0.0.1')
  try {
    socket.write('GET /live.ts HTTP/1.1\r\nHost: x\r\n\r\n')
    socket.pause() // never read: kernel buffers fill, then the server's
    await until(() => server.stats.clients === 1)
    const payload = new Uint8Array(64 * 1024).fill(0x47)
    let maxSeen = 0
    for (let seq = 0; seq < 512; seq++) {
      server.write({ seq, size: payload.length, keyframe: seq % 16 === 0, payload } satisfies PlayableChunk)
      const player = [
        ...(server as unknown as { players: Set<{ res: { writableLength: number } }> }).players,
      ][0]!
      maxSeen = Math.max(maxSeen, player.res.writableLength)
      if (seq % 32 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    assert.ok(server.stats.backlogSkips >= 1, 'a stalled player must be skipped')
    assert.ok(maxSeen <= maxBacklogBytes + payload.length, `backlog reached ${maxSeen} bytes`)
    assert.ok(server.stats.bytesOut < 512 * payload.length)
  } finally {
    socket.destroy()
    await server.close()
  }
})

test('GET /stats returns JSON, /metrics the callback text, anything else 404', async () => {
  const server = await PlayerServer.listen({
    port: 0,
    stats: () => ({ overlay: 'spreadit', parent: 'peer-7' }),
    metrics: async () => 'peercaster_chunks_total 3\n',
  })
  try {
    const base = `http://127.0.0.1:${server.port}`
    const stats = (await (await fetch(`${base}/stats`)).json()) as {
      overlay: string
      player: { clients: number }
    }
    assert.equal(stats.overlay, 'spreadit')
    assert.equal(stats.player.clients, 0)
    const metrics = await fetch(`${base}/metrics`)
    assert.equal(await metrics.text(), 'peercaster_chunks_total 3\n')
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/)
    assert.equal((await fetch(`${base}/nope`)).status, 404)
  } finally {
    await server.close()
  }
})

test('a port in use gives a clear, typed error naming the flag', async () => {
  const first = await PlayerServer.listen({ port: 0 })
  try {
    await assert.rejects(PlayerServer.listen({ port: first.port }), (err: unknown) => {
      assert.ok(err instanceof PortInUseError)
      assert.equal(err.message, `port ${first.port} is in use; pass --http-port`)
      return true
    })
  } finally {
    await first.close()
  }
})

test('too many players get 503; virtual chunks are ignored', async () => {
  const server = await PlayerServer.listen({ port: 0, maxClients: 1 })
  const socket = connect(server.port, '127.0.0.1')
  try {
    socket.write('GET /live.ts HTTP/1.1\r\nHost: x\r\n\r\n')
    await until(() => server.stats.clients === 1)
    const second = await fetch(server.url)
    assert.equal(second.status, 503)
    server.write({ seq: 0, size: 1000, keyframe: true, payload: null })
    assert.equal(server.stats.chunksIn, 0)
  } finally {
    socket.destroy()
    await server.close()
  }
})

test('demo path: looped sample clip -> ingest -> endpoint -> ffmpeg, zero complaints', {
  skip: ffmpegMissing,
}, async () => {
  let virtualMs = 0
  const clock = { now: () => virtualMs, sleep: async (ms: number) => void (virtualMs += ms) }
  const server = await PlayerServer.listen({ port: 0 })
  try {
    const player = decodeUrl(server.url)
    await until(() => server.stats.clients === 1)
    const file = new PacedTsFileReader(SAMPLE_CLIP_PATH, { clock, loop: true, maxPasses: 2 })
    for await (const chunk of ingestTs(file, { targetBytes: 8000 }, clock.now)) server.write(chunk)
    await server.close()
    const result = await player.done
    assert.deepEqual(result.complaints, [])
    assert.equal(result.videoFrames, 2 * 250)
  } finally {
    await server.close()
  }
})
