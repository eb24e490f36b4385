// Tests that read the built app (out/, build/icons) need `npm run build` first: CI builds before it
// runs `npm test`. They never skip when the build is missing (a green run would then prove nothing
// about what ships): they fail, saying what is missing and how to make it.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

/** Throws unless every path (relative to the repository) exists. */
export function requireBuilt(...paths: string[]): void {
  const missing = paths.filter((path) => !existsSync(join(root, path)));
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} not found: this test reads the built app; run \`npm run build\` first (CI builds before \`npm test\`)`);
  }
}
