// Reads a metrics page with the official Prometheus Python client's text-format parser
// (prometheus_client.parser, Debian's python3-prometheus-client; .ci/run installs it): a page it cannot
// read fails the test. Returns every sample with its family's name and type.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'

export interface PromSample {
  family: string
  type: string
  name: string
  labels: Record<string, string>
  value: number
}

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'

const SCRIPT = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        out.append({"family": f.name, "type": f.type, "name": s.name, "labels": s.labels, "value": s.value})
json.dump(out, sys.stdout)
`

export function parsePrometheus(text: string): Promise<PromSample[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', SCRIPT], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`the Prometheus parser rejected the page: ${stderr || err.message}`))
      else resolve(JSON.parse(stdout) as PromSample[])
    })
    child.stdin?.end(text)
  })
}

/** The one sample named `name` whose labels include `labels`; fails when there is none or several. */
export function sampleValue(samples: PromSample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length !== 1)
    throw new Error(`${found.length} samples ${name} ${JSON.stringify(labels)} (expected exactly one)`)
  return (found[0] as PromSample).value
}

/** The sum of every sample named `name` whose labels include `labels`. */
export function sampleSum(samples: PromSample[], name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const s of samples)
    if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value
  return sum
}
