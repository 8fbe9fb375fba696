import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { eventually } from '../support/eventually.js';
import { spawnServer, stopProcess, type ServerProcess } from '../support/server-process.js';

/**
 * The README's worked examples are the files in `examples/`, shown verbatim. Each one
 * runs here against a fresh server started as `npm start` starts it (its own data folder,
 * in-process state, the console SMS provider), and what it prints must match the
 * expected lines it carries: `#> ` in a shell script, `//> ` in a Node script, where `…`
 * stands for any text (tokens, times, generated names). Every printed line must be
 * expected, in order, and every expected line printed.
 */

const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLES = join(ROOT, 'examples');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const FENCE: Record<string, string> = { '.sh': 'sh', '.mjs': 'js' };

const exampleFiles = readdirSync(EXAMPLES)
  .filter((name) => Object.keys(FENCE).some((ext) => name.endsWith(ext)))
  .sort();

/** The expected output an example carries, one pattern per line. */
function expectedLines(source: string): string[] {
  return source
    .split('\n')
    .filter((line) => line.startsWith('#> ') || line.startsWith('//> '))
    .map((line) => line.slice(line.indexOf('> ') + 2));
}

/** `…` in an expected line matches any text; everything else must be exactly as printed. */
function matchesExpected(actual: string, expected: string): boolean {
  const pattern = expected.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`, 's').test(actual);
}

/** Fenced code blocks under the README's "worked example" headings. */
function workedExampleBlocks(readme: string): string[] {
  const blocks: string[] = [];
  for (const section of readme.split(/^## /m).filter((s) => /^[^\n]*worked example/i.test(s))) {
    for (const m of section.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)) blocks.push(m[1]!);
  }
  return blocks;
}

/** The questions an example may ask on standard error, ending in `: `. */
const PROMPT = /(SMS code sent to \d+|\(captcha [\w-]+\)): /g;

/**
 * What a person at the keyboard types when an example asks (see PROMPT): the code the
 * console SMS provider wrote to the server's log, or the characters of a captcha. The test reads a captcha the way a person who cannot make out
 * the picture does: it asks for a fresh one under the same id (which replaces the answer)
 * and reads that one's answer from the header a server in NODE_ENV=test adds.
 */
async function answerPrompt(prompt: string, server: ServerProcess): Promise<string> {
  const sms = /SMS code sent to (\d+)/.exec(prompt);
  if (sms) {
    const phone = sms[1]!;
    return eventually(() => [...server.output().matchAll(new RegExp(`sms to ${phone} code (\\d+)`, 'g'))].at(-1)?.[1], {
      what: `the SMS code for ${phone} in the server log`,
    });
  }
  const captcha = /\(captcha ([\w-]+)\)/.exec(prompt);
  if (captcha) {
    const res = await fetch(`${server.baseUrl}/api/v1.0/image_codes/${captcha[1]}`);
    await res.arrayBuffer();
    return res.headers.get('x-test-captcha-answer') ?? '';
  }
  throw new Error(`the example asked something this test cannot answer: ${prompt}`);
}

/** Runs one example against `server` and resolves with its standard output. */
function runExample(file: string, server: ServerProcess, tcpPort: string): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'stoa-example-'));
  const command = file.endsWith('.sh') ? 'bash' : process.execPath;
  const child = spawn(command, [join(EXAMPLES, file)], {
    cwd,
    env: { ...process.env, STOA: server.baseUrl, STOA_TCP_PORT: tcpPort },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let asked = 0;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const prompts = [...stderr.matchAll(PROMPT)].map((m) => m[0]);
    while (asked < prompts.length) {
      answerPrompt(prompts[asked++]!, server).then(
        (answer) => child.stdin.write(`${answer}\n`),
        (err: Error) => ((stderr += `\n[test] ${err.message}\n`), child.kill()),
      );
    }
  });
  const killer = setTimeout(() => child.kill(), 60_000);
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      rmSync(cwd, { recursive: true, force: true });
      if (code === 0) resolve(stdout);
      else reject(new Error(`${file} exited with ${code ?? signal}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
}

describe('README worked examples', () => {
  const servers: ServerProcess[] = [];
  const dataDirs: string[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => stopProcess(s.child)));
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  test('every surface has an example, and the README shows each one verbatim and nothing else', () => {
    for (const surface of ['chat', 'monitor', 'live', 'verify', 'study']) {
      assert.ok(exampleFiles.some((f) => f.startsWith(surface)), `no example for ${surface}`);
    }
    const shown = workedExampleBlocks(README);
    for (const file of exampleFiles) {
      const source = readFileSync(join(EXAMPLES, file), 'utf8');
      const fence = FENCE[file.slice(file.lastIndexOf('.'))]!;
      assert.ok(README.includes(`\`\`\`${fence}\n${source}\`\`\`\n`), `README does not show examples/${file} verbatim`);
      assert.ok(expectedLines(source).length > 0, `examples/${file} carries no expected output`);
    }
    const sources = new Set(exampleFiles.map((f) => readFileSync(join(EXAMPLES, f), 'utf8')));
    for (const block of shown) assert.ok(sources.has(block), `a worked-example block is not a file in examples/:\n${block.slice(0, 200)}`);
  });

  test('the expected-line matcher: … is any text, the rest is literal', () => {
    assert.ok(matchesExpected('{"token":"ab12"}', '{"token":"…"}'));
    assert.ok(matchesExpected('a.b', 'a.b'));
    assert.ok(!matchesExpected('axb', 'a.b'));
    assert.ok(!matchesExpected('{"token":"ab12"} extra', '{"token":"…"}'));
  });

  for (const file of exampleFiles) {
    test(`examples/${file} prints what it says, on a fresh server`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'stoa-example-data-'));
      dataDirs.push(dataDir);
      const server = await spawnServer({
        DATA_DIR: dataDir,
        SOCKET_PORT: '0',
        LOG_LEVEL: 'info',
        CONSOLE_DIR: 'off',
        NODE_ENV: 'test',
        ALERT_EVAL_INTERVAL_S: '1',
      });
      servers.push(server);
      const tcpPort = await eventually(() => /tcp chat listening on [^\s:]+:(\d+)/.exec(server.output())?.[1], { what: 'the TCP port' });
      const printed = (await runExample(file, server, tcpPort)).replace(/\n$/, '').split('\n');
      const expected = expectedLines(readFileSync(join(EXAMPLES, file), 'utf8'));
      const report = `printed:\n${printed.join('\n')}\n\nexpected:\n${expected.join('\n')}`;
      assert.equal(printed.length, expected.length, report);
      printed.forEach((line, i) => assert.ok(matchesExpected(line, expected[i]!), `line ${i + 1} differs\n${report}`));
      assert.doesNotMatch(server.output(), /"level":(50|60)/, 'the server logged an error');
      await stopProcess(server.child);
    });
  }
});
