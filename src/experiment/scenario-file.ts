import { readFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { parseScenario, type Scenario, ScenarioError } from './scenario.ts'

/** Read a .json / .yaml / .yml scenario file; every failure is a one-line-per-problem ScenarioError. */
export function loadScenarioFile(path: string): Scenario {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ScenarioError(
      `cannot read scenario file ${path}: ${code === 'ENOENT' ? 'no such file' : String(err)}`,
    )
  }
  let raw: unknown
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0]
    throw new ScenarioError(`${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${first}`)
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('name' in raw)) {
    raw = { ...raw, name: basename(path, extname(path)) }
  }
  try {
    return parseScenario(raw)
  } catch (err) {
    if (err instanceof ScenarioError) throw new ScenarioError(`${path}: ${err.message}`)
    throw err
  }
}
