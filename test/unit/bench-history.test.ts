/** The bench's history (.bench/history.jsonl) and its chart (`npm run bench -- --chart`). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendHistory, HISTORY_LIMIT, historyChart, readHistory } from '../../bench/history';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'bench-history-')), 'history.jsonl');
const run = (i: number, requests: number) => ({
  at: new Date(Date.UTC(2026, 11, 1) + i * 3600_000).toISOString(),
  commit: `c${i}`,
  dirty: false,
  figures: [
    { name: 'ddb_requests_per_call_processor', value: requests, unit: 'requests', target: '<= 6' },
    { name: 'pipeline_vs_raw_ratio', value: 0.2 + i / 100, unit: 'ratio', target: '>= 0.3' },
  ],
});

describe('bench history', () => {
  it('appends one line per run with its commit, figures and targets, and keeps the last runs only', () => {
    const file = tempFile();
    for (let i = 0; i < HISTORY_LIMIT + 5; i++) appendHistory(run(i, 10 - (i % 5)), file);
    const lines = readHistory(file);
    expect(lines).toHaveLength(HISTORY_LIMIT);
    expect(lines[0]!.commit).toBe('c5');
    expect(lines.at(-1)).toEqual({
      at: run(HISTORY_LIMIT + 4, 0).at,
      commit: `c${HISTORY_LIMIT + 4}`,
      dirty: false,
      figures: { ddb_requests_per_call_processor: 6, pipeline_vs_raw_ratio: 0.2 + (HISTORY_LIMIT + 4) / 100 },
      targets: { ddb_requests_per_call_processor: '<= 6', pipeline_vs_raw_ratio: '>= 0.3' },
    });
  });

  it('reads past a line that is not one (a hand edit, a cut-off write)', () => {
    const file = tempFile();
    appendHistory(run(1, 9), file);
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"at": "cut off\nnot json\n`);
    appendHistory(run(2, 6), file);
    expect(readHistory(file).map((line) => line.commit)).toEqual(['c1', 'c2']);
  });

  it('draws a panel per figure: the runs as a line, the target dashed, what was never measured said so', () => {
    const svg = historyChart(
      [run(1, 10), run(2, 8), run(3, 6)].map((r) => ({ ...r, figures: Object.fromEntries(r.figures.map((f) => [f.name, f.value])), targets: { ddb_requests_per_call_processor: '<= 6' } })),
      ['ddb_requests_per_call_processor', 'hangup_to_notification_p50_ms'],
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // Titled, so it reads as an image with a name (and passes the linter's accessibility rule).
    expect(svg).toMatch(/<title id="title">Bench history: /);
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg).toContain('target &#60;= 6');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('last 6.0');
    expect(svg).toContain('not measured yet');
    expect(svg).toContain('3 run(s), last 2026-12-01 at c3');
  });
});
