// The engine's bounds on what it accepts from a server (issue 12): a broken or hostile server can
// claim any seq the protocol allows (up to 2^53 − 1) and send frames of any size. Each bound has a
// default sized well above what a real server sends; ClientOptions.limits changes them.

export interface EngineLimits {
  /**
   * How far past what is stored (haveSeq) a seq may lie and still be believed as is: a live event
   * further ahead is not stored (catch-up fetches it in order if the server really has it), and the
   * unread count never counts past haveSeq + maxSeqJump. Default 1,000,000.
   */
  maxSeqJump: number;
  /** Retransmit pages one catch-up pass requests, over all conversations; another pass follows while one made progress. Default 256 (256,000 events). */
  pagesPerPass: number;
  /**
   * The largest websocket frame taken from the server, in bytes (the socket.io-client / ws
   * `maxPayload`): a bigger one closes the connection before it is buffered. It has to hold the
   * largest retransmit answer the server sends. Default 64 MiB.
   */
  maxFrameBytes: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxSeqJump: 1_000_000,
  pagesPerPass: 256,
  maxFrameBytes: 64 * 1024 * 1024,
};

/** The defaults with the given ones over them, each checked: a positive whole number. */
export function engineLimits(given: Partial<EngineLimits> = {}): EngineLimits {
  const limits = { ...DEFAULT_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`limits.${name} is a whole number above 0, not ${String(value)}`);
  }
  return limits;
}
