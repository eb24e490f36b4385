// Before a vitest or e2e run: rebuild out/ when any source it is built from is newer than the last build,
// so no test runs against a stale or missing build. PARLEY_NO_BUILD=1 skips it (e.g. while another
// build is running).
import { buildIfStale } from '../../scripts/build-if-stale.js';

export default function globalSetup(): void {
  if (process.env.PARLEY_NO_BUILD !== '1') buildIfStale();
}
