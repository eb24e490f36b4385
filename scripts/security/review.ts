// Which Electronegativity findings block: every HIGH or MEDIUM finding not accepted in
// security/electronegativity-accepted.json, and every accepted entry that no longer matches a finding.

export interface Finding {
  id: string;
  /** Relative to the repo root. */
  file: string;
  line: number;
  severity: string;
  confidence: string;
  description: string;
}

export interface Accepted {
  id: string;
  file: string;
  reason: string;
}

export const BLOCKING_SEVERITIES = ['HIGH', 'MEDIUM'];

const matches = (entry: Accepted, finding: Finding) => entry.id === finding.id && entry.file === finding.file;

export function reviewFindings(findings: Finding[], accepted: Accepted[]): { unaccepted: Finding[]; stale: Accepted[] } {
  const blocking = findings.filter((f) => BLOCKING_SEVERITIES.includes(f.severity));
  return {
    unaccepted: blocking.filter((f) => !accepted.some((entry) => matches(entry, f))),
    stale: accepted.filter((entry) => !blocking.some((f) => matches(entry, f))),
  };
}

/** The accepted list, refusing entries a reviewer could not judge. */
export function parseAccepted(json: unknown): Accepted[] {
  const list = (json as { accepted?: unknown }).accepted;
  if (!Array.isArray(list)) throw new Error('expected {"accepted": [{ "id", "file", "reason" }, …]}');
  return list.map((entry: Partial<Accepted>, i) => {
    if (typeof entry.id !== 'string' || typeof entry.file !== 'string' || typeof entry.reason !== 'string' || entry.reason.trim().length < 20) {
      throw new Error(`accepted[${i}] needs an id, a file and a reason of at least a sentence`);
    }
    return { id: entry.id, file: entry.file, reason: entry.reason };
  });
}
