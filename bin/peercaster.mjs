#!/usr/bin/env node
// Entry point. Loads the Promise.withResolvers polyfill (libp2p 3 on Node 20) and runs the
// TypeScript CLI through tsx, so a fresh clone needs no build step.
import '../scripts/polyfills.mjs'
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
await main(process.argv)
