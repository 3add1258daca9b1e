import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The Endless package root (where package.json names "endless"), found from this file's directory. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'endless') return dir;
      } catch {
        // Not ours; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the Endless package root above ${from}`);
    dir = parent;
  }
}

/** The bundled model directory. */
export function defaultModelDir(): string {
  return join(packageRoot(), 'models', 'default');
}
