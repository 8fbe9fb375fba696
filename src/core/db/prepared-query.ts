import type { Compilable, CompiledQuery, Kysely } from 'kysely';

/**
 * A query built and compiled once, then run with fresh values: on the hottest reads
 * (a token check on every signed-in request) building and compiling the query costs more
 * than running it. `build` receives one placeholder per value, in the order `run` takes
 * them; each must end up as one bound parameter of the compiled query.
 */
export class PreparedQuery<Row, Args extends readonly unknown[]> {
  private readonly compiled = new WeakMap<Kysely<any>, { query: CompiledQuery<Row>; slots: number[] }>();

  constructor(
    private readonly arity: Args['length'],
    private readonly build: (db: Kysely<any>, ...placeholders: unknown[]) => Compilable<Row>,
  ) {}

  /** Runs the query on `db` with `args` in place of the placeholders. */
  async run(db: Kysely<any>, ...args: Args): Promise<Row[]> {
    const { query, slots } = this.compiledFor(db);
    const parameters = query.parameters.slice();
    for (let i = 0; i < slots.length; i++) parameters[slots[i]!] = args[i];
    return (await db.executeQuery<Row>({ ...query, parameters })).rows;
  }

  private compiledFor(db: Kysely<any>): { query: CompiledQuery<Row>; slots: number[] } {
    let entry = this.compiled.get(db);
    if (!entry) {
      const placeholders = Array.from({ length: this.arity }, (_, i) => `\u0000placeholder-${i}`);
      const query = this.build(db, ...placeholders).compile();
      const slots = placeholders.map((p) => {
        const at = query.parameters.indexOf(p);
        if (at < 0 || query.parameters.lastIndexOf(p) !== at) throw new Error(`placeholder ${p} must be bound exactly once`);
        return at;
      });
      entry = { query, slots };
      this.compiled.set(db, entry);
    }
    return entry;
  }
}
