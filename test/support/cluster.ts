import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HTTP_LINE = /^http listening on (http:\/\/\S+)$/;
const TCP_LINE = /^tcp chat listening on \S+:(\d+)$/;

/** One line a node printed, with the time it was read. */
export interface NodeLine {
  at: number;
  text: string;
  /** The parsed JSON log record, when the line is one. */
  log: Record<string, any> | null;
}

/**
 * A Stoa node running as a child process (`stoa serve`), so a test can SIGKILL it like a
 * crashed machine. Its stdout is kept line by line: the start-up announcements and the
 * JSON log records.
 */
export class NodeProcess {
  readonly lines: NodeLine[] = [];
  readonly stderr: string[] = [];
  baseUrl = '';
  tcpPort = -1;
  private readonly watchers = new Set<() => void>();
  readonly exited: Promise<number | null>;

  private constructor(readonly id: string, readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    readline.createInterface({ input: child.stdout! }).on('line', (text) => {
      let log: Record<string, any> | null = null;
      if (text.startsWith('{')) {
        try {
          log = JSON.parse(text);
        } catch {
          // a plain line after all
        }
      }
      this.lines.push({ at: Date.now(), text, log });
      for (const watcher of this.watchers) watcher();
    });
    readline.createInterface({ input: child.stderr! }).on('line', (text) => this.stderr.push(text));
  }

  /** ws://host:port/ws */
  get wsUrl(): string {
    return `${this.baseUrl.replace('http', 'ws')}/ws`;
  }

  /** Starts `stoa serve` with `env` (on top of PATH/HOME only) and waits for both listening lines. */
  static async start(id: string, env: Record<string, string>, timeoutMs = 30_000): Promise<NodeProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, NODE_ID: id },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node = new NodeProcess(id, child);
    try {
      const http = await node.waitFor((l) => HTTP_LINE.test(l.text), timeoutMs);
      const tcp = await node.waitFor((l) => TCP_LINE.test(l.text), timeoutMs);
      node.baseUrl = HTTP_LINE.exec(http.text)![1]!;
      node.tcpPort = Number(TCP_LINE.exec(tcp.text)![1]);
    } catch (err) {
      node.kill();
      throw new Error(`${id} did not start: ${(err as Error).message}; stderr: ${node.stderr.join('\n').slice(0, 2000)}`);
    }
    return node;
  }

  /** The first line (already read or still to come) matching `match`; rejects after `timeoutMs` or if the node exits. */
  waitFor(match: (line: NodeLine) => boolean, timeoutMs: number): Promise<NodeLine> {
    const found = this.lines.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      const check = () => {
        const line = this.lines.find(match);
        if (line) (done(), resolve(line));
      };
      const timer = setTimeout(() => (done(), reject(new Error(`no matching line from ${this.id} within ${timeoutMs} ms`))), timeoutMs);
      this.watchers.add(check);
      void this.exited.then(() => {
        if (!this.watchers.has(check)) return;
        done();
        reject(new Error(`${this.id} exited`));
      });
    });
  }

  /** JSON log records with this `msg`. */
  logs(msg: string): Array<Record<string, any> & { at: number }> {
    return this.lines.filter((l) => l.log?.msg === msg).map((l) => ({ ...l.log!, at: l.at }));
  }

  /** SIGKILL: no shutdown, no lease released, no lock given back (a crashed machine). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
