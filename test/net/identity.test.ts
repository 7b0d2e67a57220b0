import assert from 'node:assert/strict'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadOrCreateIdentity } from '../../src/net/identity.ts'

test('the identity key file is created 0600 on first run and loaded with the same PeerId', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'peercaster-id-')), 'nested', 'identity.key')
  const first = await loadOrCreateIdentity(path)
  assert.equal(first.created, true)
  assert.equal(statSync(path).mode & 0o777, 0o600)
  const second = await loadOrCreateIdentity(path)
  assert.equal(second.created, false)
  assert.equal(second.peerId.toString(), first.peerId.toString())
  assert.equal(first.peerId.type, 'Ed25519')
})
