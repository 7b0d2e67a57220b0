// Net host relay cost: a source -> one relay -> k children over loopback (TCP, Noise, Yamux).
// The relay runs in its own process so its CPU (user + sys) is measured alone; the figure is
// CPU ms per forwarded Mbit (payload bytes × k). Also: chunk verifications/s in the host path.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/net.bench.ts
import { type ChildProcess, fork } from 'node:child_process'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { NetHost } from '../src/net/host.ts'
import { nodeSigningKey, publicKeyOfPeerId } from '../src/net/identity.ts'
import { createChunkSigner, createChunkVerifier } from '../src/stream/auth.ts'
import type { Chunk } from '../src/stream/chunk.ts'
import { type HelloMsg, type HelloParams, helloOverlay } from '../test/net/fixtures/hello-overlay.ts'

const CHUNK_BYTES = 5000 // 1 Mbit/s at 25 chunks/s
const CHUNKS = 2000

type Host = NetHost<HelloMsg, HelloParams>

function chunk(stream: string, seq: number): Chunk {
  const payload = new Uint8Array(CHUNK_BYTES).map((_, i) => (i + seq) & 0xff)
  return {
    stream,
    seq,
    sourceTime: Date.now(),
    stripe: -1,
    size: CHUNK_BYTES,
    payload,
    keyframe: false,
    auth: null,
  }
}

async function until(cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('bench timed out')
    await new Promise((r) => setTimeout(r, 2))
  }
}

async function relayProcess(sourceAddr: string, streamId: string): Promise<void> {
  const relay: Host = await NetHost.create({
    overlay: helloOverlay,
    params: {},
    role: 'viewer',
    streamId,
    streamKbps: 1000,
    privateKey: await generateKeyPair('Ed25519'),
    bootstrap: [sourceAddr],
    pingIntervalMs: 0,
    outboxLimits: { softCapBytes: 64 << 20, hardCapBytes: 128 << 20 },
  })
  await relay.start()
  let cpu = process.cpuUsage()
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'children') process.send!({ children: relay.topology().children.length })
    if (m.cmd === 'start') {
      cpu = process.cpuUsage()
      process.send!({ started: true })
    }
    if (m.cmd === 'end') {
      const d = process.cpuUsage(cpu)
      process.send!({ cpuMs: (d.user + d.system) / 1000, stats: relay.stats })
      void relay.stop(false).then(() => process.exit(0))
    }
  })
  process.send!({ addr: relay.addrs()[0], peerId: relay.peerId })
}

function ask<T>(child: ChildProcess, cmd: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off('message', on)
        resolve(m as T)
      }
    }
    child.on('message', on)
    if (cmd) child.send({ cmd })
  })
}

async function runRelay(k: number): Promise<void> {
  const key = await generateKeyPair('Ed25519')
  const streamId = peerIdFromPrivateKey(key).toString()
  const common = { overlay: helloOverlay, streamId, streamKbps: 1000, pingIntervalMs: 0 }
  const big = { softCapBytes: 64 << 20, hardCapBytes: 128 << 20 }
  const source: Host = await NetHost.create({
    ...common,
    params: {},
    role: 'source',
    privateKey: key,
    outboxLimits: big,
  })
  await source.start()
  const child = fork(import.meta.filename, ['relay', source.addrs()[0]!, streamId])
  const relay = await ask<{ addr: string; peerId: string }>(child, '', 'addr')
  const counts = new Array<number>(k).fill(0)
  const children: Host[] = []
  for (let i = 0; i < k; i++) {
    const h: Host = await NetHost.create({
      ...common,
      params: { parent: relay.peerId },
      role: 'viewer',
      privateKey: await generateKeyPair('Ed25519'),
      bootstrap: [relay.addr],
      onDeliver: () => counts[i]!++,
    })
    await h.start()
    children.push(h)
  }
  while ((await ask<{ children: number }>(child, 'children', 'children')).children < k) {
    await new Promise((r) => setTimeout(r, 10))
  }
  await ask(child, 'start', 'started')
  const started = performance.now()
  const batch = 50
  for (let seq = 0; seq < CHUNKS; seq += batch) {
    for (let s = seq; s < seq + batch; s++) source.publish(chunk(streamId, s))
    await until(() => counts.every((c) => c >= seq + batch - 2 * batch))
  }
  await until(() => counts.every((c) => c >= CHUNKS))
  const wallMs = performance.now() - started
  const { cpuMs } = await ask<{ cpuMs: number }>(child, 'end', 'cpuMs')
  const forwardedMbit = (CHUNKS * CHUNK_BYTES * k * 8) / 1e6
  console.log(
    `relay to k=${k}: forwarded ${forwardedMbit.toFixed(0)} Mbit in ${wallMs.toFixed(0)} ms wall, ` +
      `relay CPU ${cpuMs.toFixed(0)} ms -> ${(cpuMs / forwardedMbit).toFixed(2)} CPU ms per forwarded Mbit ` +
      `(one core sustains ~${(1000 / (cpuMs / forwardedMbit)).toFixed(0)} Mbit/s of relaying; ${CHUNK_BYTES} B chunks)`,
  )
  await Promise.all([source.stop(false), ...children.map((c) => c.stop(false))])
}

async function verifications(): Promise<void> {
  const key = await generateKeyPair('Ed25519')
  const streamId = peerIdFromPrivateKey(key).toString()
  const sign = createChunkSigner(nodeSigningKey(key))
  const verify = createChunkVerifier(streamId, publicKeyOfPeerId(streamId))
  const signed = Array.from({ length: 3000 }, (_, i) => sign(chunk(streamId, i)))
  const t = performance.now()
  for (const c of signed) if (!verify(c)) throw new Error('verify failed')
  const perS = signed.length / ((performance.now() - t) / 1000)
  console.log(`chunk verifications: ${Math.round(perS)}/s (${CHUNK_BYTES} B chunks, Ed25519 + SHA-256)`)
}

if (process.argv[2] === 'relay') {
  await relayProcess(process.argv[3]!, process.argv[4]!)
} else {
  console.log(`machine: ${process.arch}, Node ${process.version}, loopback; ${CHUNKS} chunks per run`)
  await verifications()
  for (const k of (process.env.BENCH_K ?? '1,4,8').split(',').map(Number)) await runRelay(k)
  process.exit(0)
}
