// Token buckets: bursts are fine, a sustained flood is refused. Each connection has one, and each
// user one for all their connections to a node together.
import { z } from 'zod';

export const RateLimit = z.object({
  /** Events that may be sent at once. */
  burst: z.number().int().min(1).max(1_000_000),
  /** Events per second that may keep coming. */
  perSecond: z.number().int().min(1).max(1_000_000),
});
export type RateLimit = z.infer<typeof RateLimit>;

/**
 * One user's own limits over the server's: a bot or an integration sends more than a person's
 * device. A field left out takes the server's limit.
 */
export const UserLimits = z.strictObject({ rateLimit: RateLimit.optional(), userRateLimit: RateLimit.optional() });
export type UserLimits = z.infer<typeof UserLimits>;

export interface RateLimiter {
  allow(): boolean;
  /** Takes a new limit from now on: a bigger burst is there at once, a smaller one caps the bucket. */
  set(limit: RateLimit): void;
}

export function createRateLimiter(limit: RateLimit, now: () => number = Date.now): RateLimiter {
  let { burst, perSecond } = limit;
  let tokens = burst;
  let last = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * perSecond);
    last = t;
  };
  return {
    allow() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    set(next) {
      refill(); // the time so far at the old rate
      tokens = next.burst > burst ? tokens + next.burst - burst : Math.min(tokens, next.burst);
      ({ burst, perSecond } = next);
    },
  };
}
