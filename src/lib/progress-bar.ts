/** A one-line progress bar on a terminal stream; prints plain periodic lines when the stream is not a TTY. */
export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  /** The count last written, so finish() does not print the final line twice. */
  private written = -1;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Records `n` more finished items and redraws at most ten times a second. */
  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (now - this.lastDraw >= 100 || this.done >= this.total) {
      this.lastDraw = now;
      this.draw();
    }
  }

  /** Ends the bar with a newline. */
  finish(): void {
    if (this.written !== this.done) this.draw();
    if (this.out.isTTY) this.out.write('\n');
  }

  private draw(): void {
    const ratio = this.total === 0 ? 1 : Math.min(1, this.done / this.total);
    const width = 30;
    const filled = Math.round(ratio * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const line = `${this.label} [${bar}] ${this.done}/${this.total} ${(ratio * 100).toFixed(0)}%`;
    if (this.out.isTTY) this.out.write(`\r${line}`);
    else if (this.done === this.total || this.done % Math.max(1, Math.floor(this.total / 10)) === 0) {
      this.out.write(`${line}\n`);
    } else return;
    this.written = this.done;
  }
}
