// A URL input must survive a garbage collection between opening it and reading it: undici cancels
// the body of a collected Response whose stream is neither locked nor read (nodejs/undici#3199).
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { mediaInputKind, openMediaInput } from '../../src/media/input-source.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

test('mediaInputKind: "-" is stdin, http(s) a URL, anything else a file', () => {
  assert.equal(mediaInputKind('-'), 'stdin')
  assert.equal(mediaInputKind('HTTPS://example.org/a.ts'), 'url')
  assert.equal(mediaInputKind('http://127.0.0.1:1/x'), 'url')
  assert.equal(mediaInputKind('clip.ts'), 'file')
})

test('a URL input opened, then garbage-collected before the first read, still delivers every byte', async () => {
  let release!: () => void
  const released = new Promise<void>((r) => {
    release = r
  })
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' })
    res.write(Buffer.alloc(188, 0x47))
    void released.then(() => res.end(Buffer.alloc(188 * 9, 0x47)))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  try {
    const { port } = server.address() as AddressInfo
    const input = await openMediaInput(`http://127.0.0.1:${port}/live.ts`)
    // The window in which the broadcaster sets up its host: collect, let finalizers run.
    for (let i = 0; i < 5; i++) {
      gc()
      await new Promise((r) => setImmediate(r))
    }
    release()
    let bytes = 0
    for await (const part of input) bytes += part.length
    assert.equal(bytes, 188 * 10)
  } finally {
    server.close()
  }
})

test('a URL answering an error status is refused with the status in the message', async () => {
  const server = createServer((_req, res) => {
    res.writeHead(404, 'Not Found')
    res.end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  try {
    const { port } = server.address() as AddressInfo
    await assert.rejects(openMediaInput(`http://127.0.0.1:${port}/x.ts`), /HTTP 404 Not Found/)
  } finally {
    server.close()
  }
})
