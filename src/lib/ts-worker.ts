import { Worker } from 'node:worker_threads';

/**
 * A worker's entry as a tiny ESM bootstrap: the server's threads are TypeScript, and a
 * worker does not inherit the tsx loader the server runs under, so it registers tsx first.
 */
function workerBootstrapSource(entry: URL): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
}

/**
 * Starts a TypeScript module as a worker thread (`workerData` is what it is started with):
 * replies go to `onReply`; an error, or an exit nobody asked for, goes to `onDeath` (`role`
 * names the thread in that error). The worker starts unreferenced, so an idle thread never
 * keeps the process alive; its owner refs it while work is in flight.
 */
export function startTsWorker<Reply>(
  entry: URL,
  workerData: unknown,
  role: string,
  handlers: { onReply(reply: Reply): void; onDeath(err: Error): void },
): Worker {
  const worker = new Worker(workerBootstrapSource(entry), { eval: true, workerData, name: role.replaceAll(' ', '-') });
  worker.on('message', (reply: Reply) => handlers.onReply(reply));
  worker.on('error', (err) => handlers.onDeath(err));
  worker.on('exit', (code) => handlers.onDeath(new Error(`${role} thread exited with code ${code}`)));
  worker.unref();
  return worker;
}
