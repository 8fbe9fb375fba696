import { readConfig, type Config } from './core/config.js';
import { surfaces } from './surfaces/index.js';

/**
 * Reads and validates every setting: the engine's and each surface's section, in one pass
 * that names every invalid variable at once (ConfigError).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  return readConfig(
    env,
    surfaces.flatMap((surface) => (surface.config ? [surface.config] : [])),
  );
}
