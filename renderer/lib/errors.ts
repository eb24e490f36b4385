/** A rejected request's message for people: BridgeError carries the host's own wording. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
