/**
 * `npm run openapi`: writes docs/openapi.json, the OpenAPI 3.1 reference of every HTTP route,
 * from the route table (paths, methods, who may call) and the schemas the handlers validate
 * request bodies with. `npm test` checks the committed file is what this builds, and lints it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REQUEST_BODIES } from '../functions/commons/http/bodies';
import { ROUTES, type RouteName, type RouteSpec } from '../functions/commons/http/routes';
import * as z from '../functions/commons/domain/schema';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
export const OPENAPI_FILE = join(ROOT, 'docs', 'openapi.json');

/** What each route does, for the reference (every route needs one: the build fails otherwise). */
const SUMMARIES: Record<RouteName, { summary: string; status: number; description?: string; tag: Tag }> = {
  health: { summary: 'Liveness', status: 200, tag: 'operations' },
  webhook: {
    summary: 'PBX event (Xsi XML) for a project',
    status: 200,
    tag: 'pbx',
    description:
      "Called by the Beeline PBX, never by people: the body is one Xsi event (application/xml, at most 256 KiB); the path carries the project's webhook secret. 200 once the event is queued.",
  },
  recordLink: {
    summary: 'Open a call recording',
    status: 302,
    tag: 'calls',
    description: 'The link in beeline_record_link: signed and expiring (`exp`, `sig`); redirects to a fresh PBX link. 403 forged or revoked, 410 expired (ask for a fresh one), 404 no recording.',
  },
  createKey: { summary: 'Create a project key (admin or call scope); the secret is shown once', status: 201, tag: 'access' },
  listKeys: { summary: "List a project's keys (never their secrets)", status: 200, tag: 'access' },
  revokeKey: { summary: 'Revoke a project key', status: 200, tag: 'access' },
  audit: { summary: 'Audit log of credential changes, newest first', status: 200, tag: 'access' },
  putProject: { summary: 'Create or update a project (name, time zone, messengers)', status: 200, tag: 'projects' },
  getProject: { summary: 'A project', status: 200, tag: 'projects' },
  connectPbx: { summary: 'Connect the PBX with its API token (checked against the PBX, stored encrypted)', status: 200, tag: 'pbx' },
  getPbx: { summary: 'Whether the PBX is connected, and the token hint', status: 200, tag: 'pbx' },
  disconnectPbx: { summary: "Disconnect the PBX (the project's subscriptions are removed there)", status: 200, tag: 'pbx' },
  abonents: { summary: "The PBX's abonents, read live", status: 200, tag: 'pbx' },
  rotateWebhookSecret: { summary: 'Rotate the webhook secret (the previous one works for an hour)', status: 200, tag: 'pbx' },
  revokeRecordLinks: { summary: 'Revoke every record link of the project (webhooks keep working)', status: 200, tag: 'calls' },
  putWatch: { summary: 'Watch the whole PBX (hunt groups with members who are not employees)', status: 200, tag: 'pbx' },
  getWatch: { summary: 'The whole-PBX watch and its subscription', status: 200, tag: 'pbx' },
  startCapture: { summary: "Capture mode: keep the project's webhook bodies and PBX answers (redacted) for some minutes", status: 200, tag: 'pbx' },
  getCapture: { summary: 'Capture mode: its state', status: 200, tag: 'pbx' },
  stopCapture: { summary: 'Capture mode: stop', status: 200, tag: 'pbx' },
  capturedItems: { summary: 'Capture mode: what was kept, a page at a time', status: 200, tag: 'pbx' },
  beelineCall: {
    summary: 'beeline_call: start a call from an employee to a client',
    status: 200,
    tag: 'calls',
    description: 'For the bot engine: always 200 with `{"status":"1","result":"Call ID: …"}` or `{"status":"0","error":"…","code":"…"}` (see docs/beeline-call.md).',
  },
  putEmployee: { summary: 'Save an employee (the call method and PBX number); subscribes it at the PBX', status: 200, tag: 'employees' },
  listEmployees: { summary: 'Employees with their subscription status', status: 200, tag: 'employees' },
  getEmployee: { summary: 'An employee with its subscription status, expiry, last event and last error', status: 200, tag: 'employees' },
  deleteEmployee: { summary: 'Remove an employee and its subscription', status: 200, tag: 'employees' },
  putClient: { summary: 'Register or update a client (used by the platform)', status: 200, tag: 'clients' },
  getClient: { summary: 'A client with its deal variables, and `activeCall` while a call with it is ringing or talking', status: 200, tag: 'clients' },
  findClients: { summary: 'The client a call from a number would match (`?phone=` in any format)', status: 200, tag: 'clients' },
  clientMessages: { summary: "A client's dialog, oldest first, a page at a time (`limit`, `cursor`)", status: 200, tag: 'clients' },
  listCalls: { summary: 'The call log, newest first, a page at a time (`limit`, `cursor`)', status: 200, tag: 'calls' },
  getCall: { summary: 'One call with its legs (by extTrackingId or the Call ID beeline_call gave)', status: 200, tag: 'calls' },
  freshRecordLink: { summary: 'A fresh record link for a call with a recording', status: 200, tag: 'calls' },
  listEvents: {
    summary: 'The outbound events of the project, oldest first (`after`, `limit`)',
    status: 200,
    tag: 'events',
    description:
      'Every outbound event (`beeline_call_event`, `beeline_record_link`, `beeline_missed_unreturned`) kept 30 days, a page at a time: pass `next` back as `after` to go on (it is always given, so polling can resume). Events appear once they are `EVENT_FEED_LAG_SECONDS` (35) old.',
  },
  putDelivery: {
    summary: "Set the project's receiver of outbound events; its signing secret (`whsec_…`) is shown only when it is made",
    status: 200,
    tag: 'events',
    description:
      'Every outbound event is POSTed to `url` following the Standard Webhooks convention (`webhook-id` = the eventId on every retry, `webhook-timestamp`, `webhook-signature`). Only `https` to a public address (no redirects are followed); `http` to loopback only in the local stack. The first PUT makes the secret and answers it once; `rotateSecret: true` makes a new one, and the previous one also signs for 24 h. Not a URL the rules accept → 400, nothing changed.',
  },
  getDelivery: {
    summary: 'The receiver (URL, secret hint) and the latest 50 deliveries with their status',
    status: 200,
    tag: 'events',
    description:
      'A failing delivery is retried with back-off for 24 h (`retrying`, with `attempts` and `lastError`), then `failed` (still in the feed). While the receiver keeps failing, `pausedUntil` says when it is tried next. `url` is null when none is set.',
  },
  console: { summary: 'The admin console (a web page: sign in with the platform token or an admin key)', status: 200, tag: 'operations' },
  consoleAsset: { summary: "The admin console's script and style sheet", status: 200, tag: 'operations' },
  deleteDelivery: { summary: 'Stop outbound delivery (the feed keeps every event)', status: 204, tag: 'events' },
};

type Tag = 'operations' | 'access' | 'projects' | 'pbx' | 'employees' | 'clients' | 'calls' | 'events';
const TAGS: Record<Tag, string> = {
  operations: 'Health of the service',
  access: 'Project keys and the audit log (platform token only, except the audit log)',
  projects: 'Projects and their settings',
  pbx: 'The PBX connection, its webhooks, subscriptions and capture mode',
  employees: 'Employees and their PBX subscriptions',
  clients: 'Clients, their deal variables and dialogs',
  calls: 'The call log, recordings and beeline_call',
  events: 'Outbound events for the bot engine: the feed and the signed delivery to a receiver',
};

const WHO: Record<RouteSpec['access'], { security: Record<string, string[]>[]; note: string }> = {
  open: { security: [], note: 'No bearer token.' },
  platform: { security: [{ bearer: [] }], note: 'The platform token only.' },
  project: { security: [{ bearer: [] }], note: "The platform token or the project's admin key." },
  call: { security: [{ bearer: [] }], note: "The platform token, or the project's admin or call key." },
};

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'The same key with the same body within 24 h answers the first answer again without asking the PBX again (see docs/beeline-call.md).',
  schema: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[ -~]+$' },
};
const FEED_QUERY = [
  { name: 'after', in: 'query', required: false, description: 'The `next` of the previous page.', schema: { type: 'string', maxLength: 200 } },
  { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
];

const errorResponse = {
  description: 'Refused: the reason is in `error` (400 bad input, 401 no or wrong credential, 403 not allowed, 404 not found, 409 conflict, 413 too large, 422 refused by the PBX, 429 throttled)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

function jsonSchemaOf(schema: z.ZodMiniType): Record<string, unknown> {
  // Refinements (a time zone, a phone number) are checked by the handler; the document states the shape.
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

export function buildOpenApi(): Record<string, unknown> {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, route] of Object.entries(ROUTES) as [RouteName, RouteSpec][]) {
    const doc = SUMMARIES[name];
    if (!doc) throw new Error(`openapi: route ${name} has no summary in scripts/openapi.ts`);
    const parameters: Record<string, unknown>[] = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, param]) => ({ name: param, in: 'path', required: true, schema: { type: 'string', maxLength: 128 } }));
    if (name === 'beelineCall') parameters.push(IDEMPOTENCY_KEY);
    if (name === 'listEvents') parameters.push(...FEED_QUERY);
    const body = REQUEST_BODIES[name];
    const ok =
      doc.status === 302
        ? { description: 'Redirect to the recording at the PBX', headers: { location: { schema: { type: 'string' } } } }
        : { description: 'Done', content: { 'application/json': { schema: { type: 'object' } } } };
    const operation = {
      operationId: name,
      summary: doc.summary,
      description: [doc.description, WHO[route.access].note, route.servedBy === 'api' ? undefined : `Served by the ${route.servedBy} function.`].filter(Boolean).join(' '),
      tags: [doc.tag],
      security: WHO[route.access].security,
      ...(parameters.length > 0 && { parameters }),
      ...(body && { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(body) } } } }),
      ...(name === 'webhook' && { requestBody: { required: true, content: { 'application/xml': { schema: { type: 'string', maxLength: 262_144 } } } } }),
      responses: { [String(doc.status)]: ok, '4XX': errorResponse },
    };
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Beeline Cloud PBX telephony module',
      version,
      description: 'The platform API, the PBX webhook, recording links and beeline_call. Generated by `npm run openapi` from the route table and the request schemas.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'The local stack (npm start); on AWS the ApiUrl output' }],
    tags: Object.entries(TAGS).map(([tag, description]) => ({ name: tag, description })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The platform token (Secrets Manager) or a project key `bpk.<project>.<keyId>.<secret>`' } },
      schemas: { Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, code: { type: 'string' } } } },
    },
  };
}

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  console.log(`wrote ${OPENAPI_FILE}`);
}
