// What scripts/start.ts (or whoever launches Electron) hands the host through the environment. It is
// checked before anything starts: a bad value is the launcher's mistake and must say so, not surface
// later as a failed sign-in.
import { resolve } from 'node:path';
import { z } from 'zod';
import { HttpUrl } from '../../contract/requests.js';
import { Address, describeIssues } from '../../protocol/index.js';
import type { DemoAccount } from '../bridge/index.js';

export interface HostConfig {
  /** PARLEY_DATA_DIR, absolute; unset means the default under userData. */
  dataDir?: string;
  demo?: { serverUrl: string; users: DemoAccount[] };
  signInAs?: string;
  signInWith?: { serverUrl: string; token: string };
  /** PARLEY_SERVER_URL without PARLEY_TOKEN: the server the sign-in screen offers. */
  offerServer?: string;
}

const Demo = z.object({
  serverUrl: HttpUrl,
  users: z.array(z.object({ address: Address, name: z.string().min(1), token: z.string().min(1) })),
});

const Json = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
    return z.NEVER;
  }
});

// An empty variable reads as unset, as shells make it easy to pass one by accident.
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

const Env = z
  .object({
    PARLEY_DATA_DIR: z.preprocess(unsetIfEmpty, z.string().optional()),
    PARLEY_DEMO: z.preprocess(unsetIfEmpty, Json.pipe(Demo).optional()),
    PARLEY_USER: z.preprocess(unsetIfEmpty, Address.optional()),
    PARLEY_SERVER_URL: z.preprocess(unsetIfEmpty, HttpUrl.optional()),
    PARLEY_TOKEN: z.preprocess(unsetIfEmpty, z.string().max(512).optional()),
  })
  .refine((env) => !env.PARLEY_TOKEN || env.PARLEY_SERVER_URL, {
    path: ['PARLEY_TOKEN'],
    message: 'PARLEY_TOKEN goes with PARLEY_SERVER_URL',
  })
  .refine((env) => !env.PARLEY_USER || env.PARLEY_DEMO?.users.some((u) => u.address === env.PARLEY_USER), {
    path: ['PARLEY_USER'],
    message: 'not one of the demo users in PARLEY_DEMO',
  });

/** Throws an Error naming the variable at fault. */
export function readConfig(env: Record<string, string | undefined>): HostConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new Error(`bad environment: ${describeIssues(parsed.error)}`);
  const { PARLEY_DATA_DIR, PARLEY_DEMO, PARLEY_USER, PARLEY_SERVER_URL, PARLEY_TOKEN } = parsed.data;
  return {
    ...(PARLEY_DATA_DIR && { dataDir: resolve(PARLEY_DATA_DIR) }),
    ...(PARLEY_DEMO && { demo: PARLEY_DEMO }),
    ...(PARLEY_USER && { signInAs: PARLEY_USER }),
    ...(PARLEY_SERVER_URL && PARLEY_TOKEN && { signInWith: { serverUrl: PARLEY_SERVER_URL, token: PARLEY_TOKEN } }),
    ...(PARLEY_SERVER_URL && !PARLEY_TOKEN && { offerServer: PARLEY_SERVER_URL }),
  };
}
