import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** One line a logger wrote, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A pino logger at `level` that keeps every line it writes, to check levels, messages and that secrets stay out. */
export function capturingLog(level = 'info'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level }, sink), lines };
}
