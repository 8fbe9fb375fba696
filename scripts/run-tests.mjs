// Runs every *.test.ts under src/ and test/ with Node's own test runner (TypeScript through tsx).
// Extra arguments are passed on, e.g. `npm test -- --test-name-pattern=chat`; file paths narrow the run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const named = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));

function collect(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: false });
  } catch {
    return [];
  }
  return entries.filter((f) => String(f).endsWith('.test.ts')).map((f) => path.join(dir, String(f)));
}

const files = named.length > 0 ? named : [...collect('src'), ...collect('test')].sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...flags, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' } },
);
process.exit(result.status ?? 1);
