// Runs every benchmark, each in a fresh node process (so one's memory and JIT state do not
// colour the next), in sequence. `npm run bench` builds first; each file also runs alone.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = [
  ['ingest-http.js', []],
  ['validate.js', []],
  ['pipeline.js', []],
  ['rss.js', ['--expose-gc']],
  ['journeys.js', []],
  ['arbitration.js', []],
  ['email.js', []],
  ['webhook.js', []],
  ['dispatch.js', []],
  ['decide.js', []],
];

console.log(`Experience Hub benchmarks: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
let failed = 0;
for (const [file, flags] of benches) {
  const r = spawnSync(process.execPath, [...flags, join(here, file)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${file} exited with ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
