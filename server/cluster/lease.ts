// A key held with a lease (set only if absent, with an expiry) by whoever wrote its token: released
// and renewed only by that holder, so one whose lease ran out (paused, cut off) cannot undo the next
// holder's. Used by tus's upload locks and the per-user upload admissions.

/** Deletes KEYS[1] while it still holds the token ARGV[1]; 1 if it did. */
export const RELEASE_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Extends KEYS[1] to ARGV[2] ms while it still holds the token ARGV[1]; 1 if it did. */
export const RENEW_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
