// A token bucket per connection: bursts are fine, a sustained flood is refused.
export interface RateLimit {
  /** Events a device may send at once. */
  burst: number;
  /** Events per second it may keep sending. */
  perSecond: number;
}

export function createRateLimiter({ burst, perSecond }: RateLimit, now: () => number = Date.now): () => boolean {
  let tokens = burst;
  let last = now();
  return () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * perSecond);
    last = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
