// No code is made from strings: no eval(), no Function constructor (with or without new), in our own
// sources and in the renderer and preload bundles that ship (the CSP forbids it there too, so a
// dependency that needs it would break at run time). The bundles need `npm run build` first (CI
// builds before it tests); without them that test fails, it does not skip. zod (whose JIT probes new Function) is not in these bundles: only its types
// cross into the preload, and the main process loads it from node_modules.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireBuilt } from '../support/built.js';

const root = resolve(import.meta.dirname, '../..');
const CODE_FROM_STRINGS = /(?<![\w$.])(?:eval\s*[()]|Function\s*\()/g; // eval) is an indirect (0, eval)(…)

function filesIn(dir: string, extension: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && extension.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

function uses(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(CODE_FROM_STRINGS)].map((m) => {
    const line = text.slice(0, m.index).split('\n').length;
    return `${relative(root, file)}:${line}: ${text.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, ' ')}`;
  });
}

describe('no eval or Function constructor', () => {
  it('matches the forms it forbids and not their look-alikes', () => {
    const hits = (code: string) => [...code.matchAll(CODE_FROM_STRINGS)].length;
    expect(hits('eval(x); new Function("a", b); Function("return this")(); x=>(0,eval)(s)')).toBe(4);
    expect(hits('isFunction(x); o.eval(y); retrieval (z); typeof f === "function"; evaluate(1)')).toBe(0);
  });

  it('in main/, preload/, renderer/ and protocol/', () => {
    const sources = ['main', 'preload', 'renderer', 'protocol'].flatMap((dir) => filesIn(join(root, dir), /\.(ts|vue|js|html)$/));
    expect(sources.length).toBeGreaterThan(50);
    expect(sources.flatMap(uses)).toEqual([]);
  });

  it('in the built renderer and preload bundles', () => {
    requireBuilt('out/renderer/index.html', 'out/preload');
    const bundles = [...filesIn(join(root, 'out', 'renderer'), /\.(js|html)$/), ...filesIn(join(root, 'out', 'preload'), /\.c?js$/)];
    expect(bundles.filter((file) => file.includes(`${join('out', 'preload')}`))).not.toEqual([]);
    expect(bundles.flatMap(uses)).toEqual([]);
  });
});
