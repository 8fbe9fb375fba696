import type { MonitorPart } from '../part.js';
import { metricsMigrations } from './tables.js';

/** Placeholder until the metrics area lands. */
export const metricsPart: MonitorPart = { migrations: metricsMigrations };
