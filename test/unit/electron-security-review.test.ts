// The rules of npm run check:electron: which Electronegativity findings block, and which
// justifications are refused or stale.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAccepted, reviewFindings, type Finding } from '../../scripts/security/review.js';

const finding = (id: string, file: string, severity: string): Finding => ({ id, file, line: 1, severity, confidence: 'FIRM', description: id });
const because = 'a reason a reviewer can judge, at least a sentence long';

describe('Electronegativity review', () => {
  it('blocks HIGH and MEDIUM findings nobody accepted, for that check in that file only', () => {
    const findings = [
      finding('SANDBOX_JS_CHECK', 'main/a.ts', 'HIGH'),
      finding('OPEN_EXTERNAL_JS_CHECK', 'main/b.ts', 'MEDIUM'),
      finding('OPEN_EXTERNAL_JS_CHECK', 'main/c.ts', 'MEDIUM'),
      finding('CSP_GLOBAL_CHECK', 'renderer/index.html', 'LOW'),
      finding('NODE_INTEGRATION_JS_CHECK', 'main/a.ts', 'INFORMATIONAL'),
    ];
    const { unaccepted, stale } = reviewFindings(findings, [{ id: 'OPEN_EXTERNAL_JS_CHECK', file: 'main/b.ts', reason: because }]);
    expect(unaccepted.map((f) => `${f.id} ${f.file}`)).toEqual(['SANDBOX_JS_CHECK main/a.ts', 'OPEN_EXTERNAL_JS_CHECK main/c.ts']);
    expect(stale).toEqual([]);
  });

  it('reports a justification that matches no HIGH or MEDIUM finding as stale', () => {
    const accepted = [
      { id: 'PRELOAD_JS_CHECK', file: 'main/gone.ts', reason: because },
      { id: 'CSP_GLOBAL_CHECK', file: 'renderer/index.html', reason: because },
    ];
    const { stale } = reviewFindings([finding('CSP_GLOBAL_CHECK', 'renderer/index.html', 'LOW')], accepted);
    expect(stale).toEqual(accepted);
  });

  it('refuses entries without an id, a file or a real reason', () => {
    expect(() => parseAccepted({ accepted: [{ id: 'X', file: 'main/a.ts', reason: 'ok' }] })).toThrow(/reason/);
    expect(() => parseAccepted({ accepted: [{ id: 'X', reason: because }] })).toThrow(/accepted\[0\]/);
    expect(() => parseAccepted([])).toThrow(/expected/);
  });

  it('reads the checked-in list', () => {
    const json: unknown = JSON.parse(readFileSync(join(resolve(import.meta.dirname, '../..'), 'security', 'electronegativity-accepted.json'), 'utf8'));
    expect(parseAccepted(json).length).toBeGreaterThan(0);
  });
});
