/**
 * The bench's history: one line per full run in `.bench/history.jsonl` (committed, the last
 * HISTORY_LIMIT runs), so a regression shows as a line, and `npm run bench -- --chart` draws it
 * as an SVG for the README.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BENCH_DIR, type Figure, ROOT } from './support';

export const HISTORY_FILE = join(BENCH_DIR, 'history.jsonl');
export const CHART_FILE = join(ROOT, 'docs', 'bench-history.svg');
export const HISTORY_LIMIT = 60;

export interface HistoryLine {
  at: string;
  commit?: string;
  dirty?: boolean;
  figures: Record<string, number>;
  /** A figure's target as the bench states it (`<= 6`, `>= 0.3`). */
  targets?: Record<string, string>;
}

/** The figures the chart draws, in this order. */
export const CHARTED = [
  'ddb_requests_per_call_processor',
  'pipeline_vs_raw_ratio',
  'pipeline_events_per_s',
  'hangup_to_notification_p50_ms',
  'hangup_to_notification_p99_ms',
  'delivery_latency_p50_ms',
  'webhook_p99_ms',
  'bundle_kb_processor',
] as const;

/** The history's lines, oldest first; a line that is not one is left out. */
export function readHistory(file = HISTORY_FILE): HistoryLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as HistoryLine;
        return typeof parsed.at === 'string' && typeof parsed.figures === 'object' && parsed.figures !== null ? [parsed] : [];
      } catch {
        return [];
      }
    });
}

/** Appends a run (keeping the last HISTORY_LIMIT) and answers the line written. */
export function appendHistory(run: { at: string; commit?: string; dirty?: boolean; figures: Figure[] }, file = HISTORY_FILE): HistoryLine {
  const targets = Object.fromEntries(run.figures.filter((f) => f.target !== undefined).map((f) => [f.name, f.target!]));
  const line: HistoryLine = {
    at: run.at,
    ...(run.commit !== undefined && { commit: run.commit, dirty: run.dirty }),
    figures: Object.fromEntries(run.figures.map((f) => [f.name, f.value])),
    ...(Object.keys(targets).length > 0 && { targets }),
  };
  const lines = [...readHistory(file), line].slice(-HISTORY_LIMIT);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return line;
}

const PANEL = { width: 420, height: 150, padLeft: 58, padRight: 16, padTop: 28, padBottom: 26 };
const COLUMNS = 2;

/** The history as small multiples: one panel per charted figure, runs left to right, its target dashed. */
export function historyChart(lines: readonly HistoryLine[], names: readonly string[] = CHARTED): string {
  const panels = names.map((name, i) => panel(name, lines, (i % COLUMNS) * PANEL.width, Math.floor(i / COLUMNS) * PANEL.height));
  const width = COLUMNS * PANEL.width;
  const height = Math.ceil(names.length / COLUMNS) * PANEL.height + 24;
  const last = lines.at(-1);
  const caption = `npm run bench: ${lines.length} run(s)${last ? `, last ${last.at.slice(0, 10)}${last.commit ? ` at ${last.commit}${last.dirty ? ' (uncommitted changes)' : ''}` : ''}` : ''}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-labelledby="title">`,
    `<title id="title">${escapeXml(`Bench history: ${names.join(', ')}`)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...panels,
    `<text x="8" y="${height - 8}" fill="#666">${escapeXml(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function panel(name: string, lines: readonly HistoryLine[], x0: number, y0: number): string {
  const points = lines.flatMap((line, i) => (typeof line.figures[name] === 'number' && Number.isFinite(line.figures[name]) ? [{ i, value: line.figures[name]! }] : []));
  const target = targetOf([...lines].reverse().find((line) => line.targets?.[name] !== undefined)?.targets?.[name]);
  const values = [...points.map((p) => p.value), ...(target ? [target.value] : [])];
  const plotW = PANEL.width - PANEL.padLeft - PANEL.padRight;
  const plotH = PANEL.height - PANEL.padTop - PANEL.padBottom;
  const parts = [`<g transform="translate(${x0},${y0})">`, `<text x="${PANEL.padLeft}" y="16" font-weight="bold">${escapeXml(name)}</text>`];
  parts.push(`<rect x="${PANEL.padLeft}" y="${PANEL.padTop}" width="${plotW}" height="${plotH}" fill="none" stroke="#ddd"/>`);
  if (values.length === 0) {
    parts.push(`<text x="${PANEL.padLeft + 8}" y="${PANEL.padTop + plotH / 2}" fill="#999">not measured yet</text>`, '</g>');
    return parts.join('');
  }
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    low -= Math.abs(low) * 0.1 || 1;
    high += Math.abs(high) * 0.1 || 1;
  }
  const span = Math.max(1, lines.length - 1);
  const xOf = (i: number) => PANEL.padLeft + (lines.length === 1 ? plotW / 2 : (i / span) * plotW);
  const yOf = (value: number) => PANEL.padTop + plotH - ((value - low) / (high - low)) * plotH;
  parts.push(`<text x="${PANEL.padLeft - 4}" y="${PANEL.padTop + 4}" text-anchor="end" fill="#666">${format(high)}</text>`);
  parts.push(`<text x="${PANEL.padLeft - 4}" y="${PANEL.padTop + plotH}" text-anchor="end" fill="#666">${format(low)}</text>`);
  if (target) {
    const y = yOf(target.value).toFixed(1);
    parts.push(`<line x1="${PANEL.padLeft}" x2="${PANEL.padLeft + plotW}" y1="${y}" y2="${y}" stroke="#c62828" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${PANEL.padLeft + plotW}" y="${Number(y) - 3}" text-anchor="end" fill="#c62828">target ${escapeXml(target.text)}</text>`);
  }
  if (points.length > 1) {
    parts.push(`<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="${points.map((p) => `${xOf(p.i).toFixed(1)},${yOf(p.value).toFixed(1)}`).join(' ')}"/>`);
  }
  for (const p of points) parts.push(`<circle cx="${xOf(p.i).toFixed(1)}" cy="${yOf(p.value).toFixed(1)}" r="2.5" fill="#1f6feb"/>`);
  const lastPoint = points.at(-1);
  if (lastPoint) parts.push(`<text x="${PANEL.padLeft + plotW}" y="${PANEL.height - 8}" text-anchor="end">last ${format(lastPoint.value)}</text>`);
  parts.push('</g>');
  return parts.join('');
}

function targetOf(text: string | undefined): { value: number; text: string } | undefined {
  const match = text === undefined ? null : /^(<=|>=)\s*(-?[\d.]+)$/.exec(text);
  return match ? { value: Number(match[2]), text: text! } : undefined;
}

function format(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(1) : value.toFixed(2);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
