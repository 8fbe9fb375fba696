import type { ManualClock } from '../../lib/clock.js';
import { runStep as runScenarioStep, type Step as ScenarioStep, type Val as ScenarioVal } from '../../../test/support/scenario.js';
import type { TestDatabase, TestServer } from '../../../test/support/stoa.js';

/** What the steps of one scenario table share while it runs against one server. */
export interface Scene {
  srv: TestServer;
  db: TestDatabase;
  clock: ManualClock;
  /** User ids by name, study ids by label, tokens by user. */
  ids: Record<string, number>;
  tokens: Record<string, string>;
}

/** A value given directly or computed from the scene when the step runs. */
export type Val<T> = ScenarioVal<T, Scene>;

/** One row of a scenario table. */
export type Step = ScenarioStep<Scene>;

/** Runs one step and checks status, JSON content type and body. */
export const runStep = (step: Step, s: Scene): Promise<void> => runScenarioStep(step, s);

/** `Authorization: Basic` for `name:password`. */
export const basic = (name: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`,
});

/** Basic auth with a kept token as the user name and an empty password. */
export const withToken = (user: string, password = '') => (s: Scene) => basic(s.tokens[user]!, password);

/** `Epoch ms` of a UTC wall time on the day the scenarios run. */
export const at = (hh: number, mm = 0, ss = 0) => Date.UTC(2026, 0, 10, hh, mm, ss);

/** The study 401 body. */
export const UNAUTHORIZED = { error: 'unauthorized', message: 'Invalid credentials' };

/** The study 404 body. */
export const NOT_FOUND = { error: 'not found' };

/** A 400 body with the given message (any non-empty one when omitted). */
export const badRequest = (message?: string) => (message === undefined ? { error: 'bad request', message: /\S/ } : { error: 'bad request', message });

