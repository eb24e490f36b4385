// Before the e2e run: rebuild out/ when any source it is built from is newer than the last build,
// so the tests never run against a stale UI. PARLEY_E2E_NO_BUILD=1 skips it (e.g. while another
// build is running).
import { buildIfStale } from '../../scripts/build-if-stale.js';

export default function globalSetup(): void {
  if (process.env.PARLEY_E2E_NO_BUILD !== '1') buildIfStale();
}
