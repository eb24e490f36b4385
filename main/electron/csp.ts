// The page's Content-Security-Policy, sent as a response header too: the meta tag in
// renderer/index.html only binds once parsed, the header binds from the first byte. Keep the two equal
// (a unit test compares them).
import type { Session } from 'electron';

const POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: parley-file:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/** In dev the Vite server injects <style> tags, as electron.vite.config.ts also allows in its meta tag. */
export function contentSecurityPolicy(dev: boolean): string {
  return dev ? POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") : POLICY;
}

export function sendCspHeader(session: Session, policy: string): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
}
