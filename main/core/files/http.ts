// What every HTTP transfer shares: whose credentials go where, and how a failure is phrased and
// classified (worth retrying, or final).

/** A failed transfer attempt; retry marks those another attempt may get past (network, 5xx). */
export class TransferError extends Error {
  constructor(
    message: string,
    readonly retry = false,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}

/** The bearer token goes to the Parley server only, never to another host a file URL points at. */
export function authFor(url: string, serverUrl: string, token: string): Record<string, string> {
  return new URL(url).origin === new URL(serverUrl).origin ? { authorization: `Bearer ${token}` } : {};
}

/**
 * A download URL of the Parley server's own file routes: its origin and a path under /files/ (the
 * URL parser has already resolved any dot segments). What the engine fetches without being asked.
 */
export function isServerFileUrl(url: string, serverUrl: string): boolean {
  if (!URL.canParse(url)) return false;
  const target = new URL(url);
  return target.origin === new URL(serverUrl).origin && target.pathname.startsWith('/files/');
}

/**
 * What a download the engine starts by itself (auto-download, save folders) may do: URLs it may
 * request, each redirect included, and the most bytes it may take. A person's click has no such policy.
 */
export interface AutoPolicy {
  maxBytes: number;
  allowed(url: string): boolean;
}

/** The first bytes of an answer's body (a fetch body or a node:http response), as text; the rest is not read. */
export async function answerText(body: AsyncIterable<Uint8Array> | null, limit = 500): Promise<string> {
  if (!body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the body.
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) break;
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** A non-2xx answer: the server's own words when it gave some. Timeouts, rate limits and 5xx may pass later. */
export async function refused(status: number, body: AsyncIterable<Uint8Array> | null, what: string): Promise<TransferError> {
  const text = await answerText(body);
  let detail = text;
  try {
    // The Parley server answers { error: { code, message } }.
    detail = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
  } catch {
    /* plain text */
  }
  const retry = status >= 500 || status === 408 || status === 429;
  return new TransferError(`${what} answered ${status}${detail ? `: ${detail}` : ''}`, retry);
}

/** "fetch failed" or a bare socket error says little: name the host and the cause (ECONNREFUSED…). */
export function unreachable(url: string, error: unknown): TransferError {
  // fetch wraps the reason in cause; node:http gives it as is.
  const reason = ((error as { cause?: unknown }).cause ?? error) as { code?: string; message?: string };
  return new TransferError(`could not reach ${new URL(url).host}: ${reason.code ?? reason.message ?? String(error)}`, true);
}
