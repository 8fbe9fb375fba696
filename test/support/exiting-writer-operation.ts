/**
 * A writer operation that ends the SQLite writer thread the moment it runs, as a crash of
 * that thread would: tests use it to check that in-flight work fails and a new thread starts.
 */
import type { WriterOperation } from '../../src/core/db/sqlite-writer.js';

/** Built by the writer thread when the module is first used. */
export function writerOperation(): WriterOperation {
  return {
    apply() {
      process.exit(3);
    },
  };
}
