// Builds the web console once when it is missing, so `npm start` on a fresh clone serves it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('console/dist/index.html')) {
  const result = spawnSync('npm', ['run', 'build:console'], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('console build failed; the API still starts (see `npm run build:console`)');
  }
}
