// The engine's public methods take what a host passes: each argument is checked against its
// protocol schema and refused with a bad_request naming it.
import type { z } from 'zod';
import { invalidPayload } from '../../protocol/index.js';

export function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidPayload(what, parsed.error);
  return parsed.data;
}
