// The renderer ↔ preload bridge contract, exposed as `window.parley`.
// Type-only, shared by preload (implements it) and renderer (consumes it).
export interface ParleyApi {
  /** App version, from package.json at build time. */
  readonly version: string;
  /** process.platform of the host, e.g. "linux", "darwin", "win32". */
  readonly platform: string;
}
