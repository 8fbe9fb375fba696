import type { MonitorPart } from '../part.js';

/** Placeholder until the accounts area lands. */
export const accountsPart: MonitorPart = { migrations: [] };
