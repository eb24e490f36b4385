// The fuzz suite's building blocks: valid values drawn from a zod schema (the kinds protocol/ and
// contract/ use: objects, strings with lengths and regexes, bounded numbers, enums, literals, arrays,
// records, unions, optional/nullable/default), and hostile mutations of those values (wrong types,
// missing and extra keys, huge strings and arrays, deep nesting, prototype keys, lone surrogates,
// numbers at the edges, non-object payloads).
import fc from 'fast-check';
import type { z } from 'zod';
import { ErrorCodes, type ErrorCode } from '../../protocol/index.js';

/** fast-check's settings for every property here: a fixed seed unless FUZZ_SEED says, so a failure prints one to replay. */
export function fuzzParams(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  return { numRuns: Number(process.env.FUZZ_RUNS ?? numRuns), ...(seed === undefined ? {} : { seed }), endOnFailure: true };
}

interface Def {
  type: string;
  [key: string]: unknown;
}
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  length?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}
type Schema = z.ZodType;

const defOf = (schema: Schema): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const checksOf = (def: Def): CheckDef[] =>
  ((def.checks as Array<{ _zod: { def: CheckDef } }> | undefined) ?? []).map((c) => c._zod.def);

/** Arbitraries to use for object keys of these names (then still checked against the key's schema). */
export type KeyHints = Record<string, fc.Arbitrary<unknown>>;

function lengths(checks: CheckDef[]): { min: number; max: number } {
  let min = 0;
  let max = Infinity;
  for (const c of checks) {
    if (c.check === 'min_length') min = Math.max(min, c.minimum ?? 0);
    if (c.check === 'max_length') max = Math.min(max, c.maximum ?? Infinity);
    if (c.check === 'length_equals') min = max = c.length ?? 0;
  }
  return { min, max };
}

function stringArbitrary(def: Def): fc.Arbitrary<string> {
  const checks = checksOf(def);
  const { min, max } = lengths(checks);
  // Long enough to reach a limit now and then, short enough to stay cheap.
  const cap = Math.min(max, Math.max(min, 0) + 80);
  if (def.format === 'base64') return fc.base64String({ maxLength: Math.min(cap - (cap % 4), 400) });
  const regex = checks.find((c) => c.check === 'string_format' && c.pattern)?.pattern;
  if (regex) return fc.stringMatching(regex).filter((s) => s.length >= min && s.length <= max);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: cap }) },
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: cap, unit: 'grapheme' }) },
    // At the limit, in characters that take two bytes.
    ...(max !== Infinity && max > 0 ? [{ weight: 1, arbitrary: fc.constant('é'.repeat(max)) }] : []),
  );
}

function numberArbitrary(def: Def): fc.Arbitrary<number> {
  let min = -Number.MAX_SAFE_INTEGER;
  let max = Number.MAX_SAFE_INTEGER;
  let int = false;
  for (const c of checksOf(def)) {
    if (c.check === 'number_format' && (c.format === 'safeint' || c.format === 'int32')) int = true;
    if (c.check === 'greater_than') min = Math.max(min, (c.value ?? min) + (c.inclusive ? 0 : int ? 1 : 1e-9));
    if (c.check === 'less_than') max = Math.min(max, (c.value ?? max) - (c.inclusive ? 0 : int ? 1 : 1e-9));
  }
  if (!int) return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const small = { min: Math.max(min, -1000), max: Math.min(max, 1000) };
  return fc.oneof(
    ...(small.min <= small.max ? [fc.integer(small)] : []),
    fc.constantFrom(min, max),
    fc.bigInt(BigInt(Math.ceil(min)), BigInt(Math.floor(max))).map(Number),
  );
}

const httpUrl = fc.webUrl({ validSchemes: ['http', 'https'] });
/** URLs are refinements zod cannot describe: keys that hold one get web URLs. */
const DEFAULT_HINTS: KeyHints = { url: httpUrl, serverUrl: httpUrl, uploadUrl: httpUrl };

/**
 * Values the schema accepts (filtered through it, so refinements hold too). `hints` choose the
 * values of object keys by name (a conversation id that exists, a user that does).
 */
export function valid(schema: Schema, hints: KeyHints = {}): fc.Arbitrary<unknown> {
  return build(schema, { ...DEFAULT_HINTS, ...hints }).filter((value) => schema.safeParse(value).success);
}

function build(schema: Schema, hints: KeyHints): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      return stringArbitrary(def);
    case 'number':
      return numberArbitrary(def);
    case 'boolean':
      return fc.boolean();
    case 'undefined':
      return fc.constant(undefined);
    case 'null':
      return fc.constant(null);
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, unknown>));
    case 'optional':
      return fc.option(build(def.innerType as Schema, hints), { nil: undefined });
    case 'default':
      return fc.option(build(def.innerType as Schema, hints), { nil: undefined });
    case 'nullable':
      return fc.option(build(def.innerType as Schema, hints), { nil: null });
    case 'pipe':
      return build(def.in as Schema, hints);
    case 'union':
      return fc.oneof(...(def.options as Schema[]).map((option) => build(option, hints)));
    case 'array': {
      const { min, max } = lengths(checksOf(def));
      return fc.array(build(def.element as Schema, hints), { minLength: min, maxLength: Math.min(max, min + 4) });
    }
    case 'record':
      return fc.dictionary(
        build(def.keyType as Schema, hints) as fc.Arbitrary<string>,
        build(def.valueType as Schema, hints),
        { maxKeys: 3 },
      );
    case 'object': {
      const shape = def.shape as Record<string, Schema>;
      const arbitraries: Record<string, fc.Arbitrary<unknown>> = {};
      const requiredKeys: string[] = [];
      for (const [key, field] of Object.entries(shape)) {
        const hint = hints[key];
        arbitraries[key] = hint ? hint.filter((v) => field.safeParse(v).success) : build(field, hints);
        const kind = defOf(field).type;
        if (kind !== 'optional' && kind !== 'default') requiredKeys.push(key);
      }
      return fc.record(arbitraries, { requiredKeys });
    }
    case 'unknown':
    case 'any':
      return fc.jsonValue({ maxDepth: 2 });
    default:
      throw new Error(`no arbitrary for the zod kind "${def.type}": teach test/fuzz/arbitraries.ts`);
  }
}

// ---- Hostile values ----

/** An object whose own keys are the ones that reach prototypes when code copies them carelessly. */
export const prototypeKeys = (): unknown =>
  JSON.parse('{"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}');

function nested(depth: number, object: boolean): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = object ? { a: value } : [value];
  return value;
}

export interface HostileOptions {
  /** The largest string or array made, in characters or items (socket frames stop at 512 KiB). */
  hugeChars?: number;
}

/** Values no schema in Parley should accept where they land, or should accept only as plain data. */
export function hostileValue(options: HostileOptions = {}): fc.Arbitrary<unknown> {
  const huge = options.hugeChars ?? 200_000;
  return fc.oneof(
    fc.constantFrom<unknown>(
      null, undefined, true, false, 0, -0, -1, 0.5, NaN, Infinity, -Infinity,
      2 ** 53, 2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 53), 1e308, 5e-324, 2 ** 31, -(2 ** 31) - 1,
      '', ' ', '\t\n', '\uD800', '\uDFFF', 'a\uD800b', '\uDBFF\uDFFF', '\u0000', '\u202E', '\uFEFF',
      '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
      '../../../../etc/passwd', '..%2f..%2fetc%2fpasswd', '%00', 'http://[', 'file:///etc/passwd', 'javascript:alert(1)',
      [], {}, [[]], [null], ['__proto__'],
    ),
    fc.constant(null).map(prototypeKeys),
    fc.string({ maxLength: 40, unit: 'binary' }),
    fc.integer(),
    fc.double(),
    fc.integer({ min: Math.min(70_000, huge), max: huge }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: Math.min(22_000, Math.floor(huge / 8)), max: Math.floor(huge / 8) }).map((n) => '€\uD83D'.repeat(n)),
    fc.integer({ min: Math.min(1_001, Math.floor(huge / 10)), max: Math.min(Math.floor(huge / 10), 20_000) }).map((n) => Array.from({ length: n }, (_, i) => `user${i}`)),
    fc.integer({ min: 200, max: 2_000 }).chain((depth) => fc.boolean().map((object) => nested(depth, object))),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

/** Payloads that are not objects at all. */
export const nonObject = fc.constantFrom<unknown>(undefined, null, 0, -0, NaN, 1, '', 'payload', true, false, [], [{}], ['a', 1]);

export const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'then', 'sender', 'address', 'admin', 'seq', 'isAdmin'];

type Path = Array<string | number>;

function pathsOf(value: unknown, path: Path = [], into: Path[] = []): Path[] {
  into.push(path);
  if (into.length > 200) return into;
  if (Array.isArray(value)) value.forEach((item, i) => pathsOf(item, [...path, i], into));
  else if (value !== null && typeof value === 'object') for (const key of Object.keys(value)) pathsOf((value as Record<string, unknown>)[key], [...path, key], into);
  return into;
}

/** A copy that JSON.parse would have made: own `__proto__` keys stay own keys. */
function copy(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value) ?? 'null');
}

function setOwn(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function replaceAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const out = copy(root);
  let node = out as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  setOwn(node, path[path.length - 1]!, value);
  return out;
}

function deleteAt(root: unknown, path: Path): unknown {
  if (path.length === 0) return undefined;
  const out = copy(root);
  let node = out as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
  return out;
}

export interface Mutation {
  how: string;
  value: unknown;
}

/** One hostile change to a valid value: what was done (for the failure report) and the result. */
export function mutate(value: unknown, options: HostileOptions = {}): fc.Arbitrary<Mutation> {
  const paths = pathsOf(value);
  const objectPaths = paths.filter((p) => {
    let node = value;
    for (const key of p) node = (node as Record<string | number, unknown>)[key];
    return node !== null && typeof node === 'object' && !Array.isArray(node);
  });
  const hostile = hostileValue(options);
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...paths), hostile).map(([p, v]) => ({ how: `replace ${p.join('.') || '(root)'}`, value: replaceAt(value, p, v) })) },
    { weight: 2, arbitrary: fc.constantFrom(...paths).map((p) => ({ how: `delete ${p.join('.') || '(root)'}`, value: deleteAt(value, p) })) },
    ...(objectPaths.length
      ? [{
          weight: 2,
          arbitrary: fc.tuple(fc.constantFrom(...objectPaths), fc.constantFrom(...EXTRA_KEYS), hostile).map(([p, key, v]) => ({
            how: `add ${[...p, key].join('.')}`,
            value: replaceAt(value, [...p, key], v),
          })),
        }]
      : []),
    { weight: 1, arbitrary: nonObject.map((v) => ({ how: 'not an object', value: v })) },
  );
}

/** A valid value or a mutation of one, labelled. */
export function validOrMutated(schema: Schema, hints: KeyHints = {}, options: HostileOptions = {}): fc.Arbitrary<Mutation> {
  const base = valid(schema, hints);
  return fc.oneof(
    { weight: 1, arbitrary: base.map((value) => ({ how: 'valid', value })) },
    { weight: 4, arbitrary: base.chain((value) => mutate(value, options)) },
  );
}

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ErrorCodes, code);

/** A clear refusal: a known code other than internal and a message a person can read. */
export function clearError(error: unknown): string | null {
  if (error === null || typeof error !== 'object') return `the error is not an object: ${JSON.stringify(error)}`;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (!isErrorCode(code)) return `unknown error code ${JSON.stringify(code)}`;
  if (code === 'internal') return `internal error: ${String(message)}`;
  if (typeof message !== 'string' || message.trim().length === 0) return `error ${code} has no message`;
  return null;
}

/** Short enough to read in a failure report. */
export function preview(value: unknown, max = 400): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(value);
  } catch (error) {
    text = `<${(error as Error).message}>`;
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** Keys that fuzzing must never leave on Object.prototype (the server and hosts run in this process). */
export function assertNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  for (const key of ['polluted', 'isAdmin', 'admin', 'sender']) {
    if (probe[key] !== undefined) throw new Error(`Object.prototype was polluted with "${key}"`);
  }
}

/** A property's time limit: `ms` for the default runs, an hour when FUZZ_RUNS asks for a longer run. */
export function fuzzTimeout(ms: number): number {
  return process.env.FUZZ_RUNS === undefined ? ms : 3_600_000;
}
