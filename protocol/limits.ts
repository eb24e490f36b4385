// Limits the renderer shows as well as checks: apart from the schemas, so its bundle takes them without zod.

/** A message's body or a file's caption: at most this many bytes of UTF-8. */
export const MAX_BODY_BYTES = 64 * 1024;
