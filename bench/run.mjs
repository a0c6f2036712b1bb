// Keyledger's benchmark runner: runs every suite in bench/suites/*.mjs, prints one table and writes
// bench/results/latest.json. Run it after the build (`npm run bench` does both); `--smoke` runs every
// suite at tiny sizes so that CI keeps the suites working without timing anything meaningful.
//
//   node bench/run.mjs [--smoke] [suite-name ...]
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const only = args.filter((a) => !a.startsWith('--'));

const suiteFiles = readdirSync(`${here}suites`)
  .filter((f) => f.endsWith('.mjs'))
  .sort();

const results = [];
let failed = false;
const started = Date.now();
// Other processes share these cores; the load says how much the figures may be depressed by them.
const loadAtStart = loadavg()[0];

for (const file of suiteFiles) {
  let suite;
  try {
    suite = await import(pathToFileURL(`${here}suites/${file}`).href);
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') {
      console.error(`${file}: ${error.message}\nBuild first: npm run build (or npx tsc -b).`);
    } else {
      console.error(`${file}: cannot load: ${error?.stack ?? error}`);
    }
    results.push({ suite: file, error: String(error?.message ?? error), rows: [] });
    failed = true;
    continue;
  }
  if (typeof suite.name !== 'string' || typeof suite.run !== 'function') {
    console.error(`${file}: a suite exports \`name\` and \`async run({ smoke })\``);
    failed = true;
    continue;
  }
  if (only.length > 0 && !only.includes(suite.name)) continue;
  process.stdout.write(`running ${suite.name}${smoke ? ' (smoke)' : ''} ...\n`);
  const t0 = performance.now();
  try {
    const rows = await suite.run({ smoke, log: (line) => process.stdout.write(`  ${line}\n`) });
    results.push({ suite: suite.name, seconds: round((performance.now() - t0) / 1000, 1), rows });
  } catch (error) {
    console.error(`${suite.name} failed: ${error?.stack ?? error}`);
    results.push({ suite: suite.name, error: String(error?.message ?? error), rows: [] });
    failed = true;
  }
}

printTable(results);

const report = {
  date: new Date(started).toISOString(),
  smoke,
  seconds: round((Date.now() - started) / 1000, 1),
  machine: {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    loadAverage: { start: round(loadAtStart, 2), end: round(loadavg()[0], 2) },
  },
  suites: results,
};
mkdirSync(`${here}results`, { recursive: true });
writeFileSync(`${here}results/latest.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `\nload average ${report.machine.loadAverage.start} at the start, ${report.machine.loadAverage.end} at the end, on ${report.machine.cores} cores`,
);
console.log(`wrote bench/results/latest.json (${report.seconds} s)`);

const missed = results.flatMap((r) => r.rows.filter((row) => row.pass === false));
if (missed.length > 0 && !smoke) console.log(`targets missed: ${missed.map((r) => r.name).join('; ')}`);
process.exit(failed ? 1 : 0);

function round(n, digits) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function formatNumber(n) {
  if (typeof n !== 'number') return '';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return String(round(n, 2));
}

function printTable(suites) {
  const header = ['suite', 'figure', 'value', 'baseline', 'ratio', 'target', 'pass'];
  const lines = [];
  for (const s of suites) {
    if (s.error) lines.push([s.suite, 'ERROR', s.error, '', '', '', '✗']);
    for (const r of s.rows) {
      lines.push([
        s.suite,
        r.name,
        `${formatNumber(r.value)} ${r.unit ?? ''}`.trim(),
        r.baseline === undefined ? '' : `${formatNumber(r.baseline)} (${r.baselineName ?? 'baseline'})`,
        r.ratio === undefined ? '' : round(r.ratio, 2).toFixed(2),
        r.target ?? '',
        r.pass === undefined ? '' : r.pass ? '✓' : '✗',
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(`\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const l of lines) console.log(fmt(l));
  const notes = suites.flatMap((s) => s.rows.filter((r) => r.note).map((r) => `${r.name}: ${r.note}`));
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
}
