/**
 * Exports what capture mode kept for a project as test fixtures, one file per exchange:
 *
 *   CAPTURE_TOKEN=<platform token or an admin key of the project> \
 *   npm run capture:export -- --project acme [--api https://…/] [--out test/fixtures/captured/acme]
 *
 * `NNNN-webhook-<EventType>.xml`: a webhook body as the PBX sent it (secrets redacted);
 * `NNNN-pbx-<METHOD>-<path>.json`: one PBX request and its answer (`{method, path, status,
 * requestBody?, body}`); `index.json`: all of them in order. The token is read from the
 * environment (never an argument: it would show in the process list and the shell history);
 * locally the default platform token is used.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface CapturedItem {
  id: string;
  kind: 'webhook' | 'pbx';
  at: string;
  body: string;
  truncated?: boolean;
  contentType?: string;
  method?: string;
  path?: string;
  status?: number;
  requestBody?: string;
  durationMs?: number;
}

const PAGE = 200;
const MAX_PAGES = 100;

/** Every exchange kept for the project, oldest first. */
export async function fetchCaptured(api: string, projectId: string, token: string): Promise<CapturedItem[]> {
  const items: CapturedItem[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = new URL(`projects/${encodeURIComponent(projectId)}/beeline/capture/items`, api.endsWith('/') ? api : `${api}/`);
    url.searchParams.set('limit', String(PAGE));
    if (after) url.searchParams.set('after', after);
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { items?: CapturedItem[]; next?: string; error?: string };
    if (!response.ok) throw new Error(`GET ${url.pathname}: ${response.status} ${body.error ?? ''}`);
    items.push(...(body.items ?? []));
    if (!body.next) break;
    after = body.next;
  }
  return items;
}

/** The event type a webhook body names (`eventData`'s type, without prefix), or `unparsed`. */
function eventTypeOf(xml: string): string {
  return /eventData[^>]*?type="(?:[\w-]+:)?([\w-]+)"/.exec(xml)?.[1] ?? 'unparsed';
}

const slug = (text: string) =>
  text
    .replace(/\?.*$/, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'root';

/** Writes the fixtures; answers the file names in order. */
export function writeFixtures(items: CapturedItem[], outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const files = items.map((item, i) => {
    const n = String(i + 1).padStart(4, '0');
    if (item.kind === 'webhook') {
      const name = `${n}-webhook-${eventTypeOf(item.body)}.xml`;
      writeFileSync(join(outDir, name), item.body);
      return name;
    }
    const name = `${n}-pbx-${item.method ?? 'GET'}-${slug(item.path ?? '')}.json`;
    const { method, path, status, requestBody, body } = item;
    writeFileSync(join(outDir, name), `${JSON.stringify({ method, path, status, requestBody, body }, null, 2)}\n`);
    return name;
  });
  writeFileSync(
    join(outDir, 'index.json'),
    `${JSON.stringify(
      items.map((item, i) => ({ file: files[i], ...item, body: undefined })),
      null,
      2,
    )}\n`,
  );
  return files;
}

function argument(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const project = argument(args, 'project');
  if (!project || args.includes('--help')) {
    console.log('usage: CAPTURE_TOKEN=… npm run capture:export -- --project <projectId> [--api <url>] [--out <dir>]');
    process.exitCode = project ? 0 : 2;
    return;
  }
  const api = argument(args, 'api') ?? 'http://127.0.0.1:3000/';
  const out = resolve(argument(args, 'out') ?? join('test', 'fixtures', 'captured', project));
  const token = process.env.CAPTURE_TOKEN ?? process.env.ADMIN_TOKEN ?? 'local-admin-token';
  const items = await fetchCaptured(api, project, token);
  const files = writeFixtures(items, out);
  console.log(`${files.length} exchange(s) of ${project} written to ${out}`);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
