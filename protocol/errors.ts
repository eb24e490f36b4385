// Error codes shared by the REST backend API, the real-time API and the engine.
export const ErrorCodes = {
  bad_request: 400,
  unauthorized: 401,
  auth_failed: 401,
  forbidden: 403,
  not_member: 403,
  not_found: 404,
  unknown_event: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

export class ParleyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ParleyError';
  }

  get status(): number {
    return ErrorCodes[this.code];
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

type Issues = { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> };

/** A payload that failed its schema: payload_too_large when a size limit was the reason. */
export function invalidPayload(where: string, error: Issues): ParleyError {
  const tooLarge = error.issues.some((i) => /exceeds \d+ bytes/.test(i.message));
  return new ParleyError(tooLarge ? 'payload_too_large' : 'bad_request', `${where}: ${describeIssues(error)}`);
}

/** The first zod issue, phrased for a person: "participants.0: an address holds …". */
export function describeIssues(error: Issues): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
