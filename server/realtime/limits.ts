// The real-time API's limits, each with a default a real team does not reach. The README's
// "Limits" table (under Server) lists them with what happens past each.
import type { RateLimit } from './rate-limit.js';

export interface RealtimeLimits {
  /** Events one connection may send: a token bucket. */
  rateLimit: RateLimit;
  /** Events one user may send across all their connections to this node: a token bucket. */
  userRateLimit: RateLimit;
  /** Connections open at once with one access token, on this node. */
  maxConnectionsPerToken: number;
  /** Connections open at once by one user (all their tokens), on this node. */
  maxConnectionsPerUser: number;
  /** Retransmit requests one connection may have waiting for their answer; more are refused. */
  maxRetransmitsInFlight: number;
  /** Bytes of output queued for a connection that does not read (pushes, answers) before it is disconnected. */
  maxQueuedBytes: number;
  /**
   * With several nodes, how often a node checks that its devices' tokens are not revoked: a
   * revocation reaches the other nodes through Redis, and this bounds how long a device of a
   * revoked token can stay connected when that message is lost (Redis away at that moment).
   */
  tokenRecheckSeconds: number;
}

export const DEFAULT_REALTIME_LIMITS: RealtimeLimits = {
  rateLimit: { burst: 200, perSecond: 100 },
  userRateLimit: { burst: 400, perSecond: 200 },
  maxConnectionsPerToken: 10,
  maxConnectionsPerUser: 50,
  maxRetransmitsInFlight: 8,
  maxQueuedBytes: 64 * 1024 * 1024,
  tokenRecheckSeconds: 60,
};

/** Whole numbers of at least 1: what each limit must be. */
export function checkLimits(limits: RealtimeLimits): RealtimeLimits {
  const counts: Array<[string, number]> = [
    ['rateLimit.burst', limits.rateLimit.burst],
    ['rateLimit.perSecond', limits.rateLimit.perSecond],
    ['userRateLimit.burst', limits.userRateLimit.burst],
    ['userRateLimit.perSecond', limits.userRateLimit.perSecond],
    ['maxConnectionsPerToken', limits.maxConnectionsPerToken],
    ['maxConnectionsPerUser', limits.maxConnectionsPerUser],
    ['maxRetransmitsInFlight', limits.maxRetransmitsInFlight],
    ['maxQueuedBytes', limits.maxQueuedBytes],
    ['tokenRecheckSeconds', limits.tokenRecheckSeconds],
  ];
  for (const [name, value] of counts) {
    if (!(value >= 1) || !Number.isFinite(value)) throw new Error(`the limit ${name} must be a number of at least 1 (is ${value})`);
  }
  return limits;
}
