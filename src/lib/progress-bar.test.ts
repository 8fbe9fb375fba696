import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProgressBar } from './progress-bar.js';

/** A stand-in for stderr that records what is written. */
function fakeStream(isTTY: boolean): { out: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const out = { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  return { out, written };
}

describe('ProgressBar', () => {
  test('not a terminal: plain lines, the final one exactly once', () => {
    const { out, written } = fakeStream(false);
    const bar = new ProgressBar(3, 'importing', out);
    for (let i = 0; i < 3; i++) bar.tick();
    bar.finish();
    assert.deepEqual(written, ['importing [##########--------------------] 1/3 33%\n', 'importing [##############################] 3/3 100%\n']);
  });

  test('not a terminal, nothing to do: one 0/0 line', () => {
    const { out, written } = fakeStream(false);
    new ProgressBar(0, 'importing', out).finish();
    assert.deepEqual(written, ['importing [##############################] 0/0 100%\n']);
  });

  test('a terminal: redraws in place and ends with a newline', () => {
    const { out, written } = fakeStream(true);
    const bar = new ProgressBar(2, 'importing', out);
    bar.tick();
    bar.tick();
    bar.finish();
    assert.deepEqual(written, ['\rimporting [###############---------------] 1/2 50%', '\rimporting [##############################] 2/2 100%', '\n']);
  });
});
