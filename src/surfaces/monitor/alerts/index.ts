import type { MonitorPart } from '../part.js';

/** Placeholder until the alerts area lands. */
export const alertsPart: MonitorPart = { migrations: [] };
