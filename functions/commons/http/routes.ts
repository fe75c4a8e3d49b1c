/**
 * Every HTTP route of the product, with who may call it and which function serves it. The
 * routers of the functions, the local gateway, the CDK stack and the access-control corpus
 * all read this one table: a route added here is authorised, served and tested everywhere.
 * Plain data: no AWS imports.
 */
import type { Access } from '../domain/access';

/** The function that serves a route: the API Gateway routes to it, locally and on AWS. */
export type ServedBy = 'api' | 'ingest' | 'callback' | 'console';

export interface RouteSpec {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** `{name}` segments are parameters; `{…Id}` and `{projectId}` must be valid ids. */
  readonly path: string;
  readonly access: Access;
  readonly servedBy: ServedBy;
}

const route = (method: RouteSpec['method'], path: string, access: Access, servedBy: ServedBy = 'api'): RouteSpec => ({ method, path, access, servedBy });

export const ROUTES = {
  health: route('GET', '/health', 'open'),
  webhook: route('POST', '/webhooks/beeline/{projectId}/{secret}', 'open', 'ingest'),
  recordLink: route('GET', '/records/{projectId}/{extTrackingId}', 'open'),
  // The admin console's page and files: open, the page signs in against the routes below.
  console: route('GET', '/console', 'open', 'console'),
  consoleAsset: route('GET', '/console/{asset}', 'open', 'console'),

  createKey: route('POST', '/projects/{projectId}/keys', 'platform'),
  listKeys: route('GET', '/projects/{projectId}/keys', 'platform'),
  revokeKey: route('DELETE', '/projects/{projectId}/keys/{keyId}', 'platform'),
  audit: route('GET', '/projects/{projectId}/audit', 'project'),

  putProject: route('PUT', '/projects/{projectId}', 'project'),
  getProject: route('GET', '/projects/{projectId}', 'project'),
  connectPbx: route('PUT', '/projects/{projectId}/beeline', 'project'),
  getPbx: route('GET', '/projects/{projectId}/beeline', 'project'),
  disconnectPbx: route('DELETE', '/projects/{projectId}/beeline', 'project'),
  abonents: route('GET', '/projects/{projectId}/beeline/abonents', 'project'),
  rotateWebhookSecret: route('POST', '/projects/{projectId}/beeline/webhook-secret', 'project'),
  revokeRecordLinks: route('POST', '/projects/{projectId}/beeline/record-links/revoke', 'project'),
  putWatch: route('PUT', '/projects/{projectId}/beeline/watch', 'project'),
  getWatch: route('GET', '/projects/{projectId}/beeline/watch', 'project'),
  startCapture: route('PUT', '/projects/{projectId}/beeline/capture', 'project'),
  getCapture: route('GET', '/projects/{projectId}/beeline/capture', 'project'),
  stopCapture: route('DELETE', '/projects/{projectId}/beeline/capture', 'project'),
  capturedItems: route('GET', '/projects/{projectId}/beeline/capture/items', 'project'),
  beelineCall: route('POST', '/projects/{projectId}/beeline/call', 'call', 'callback'),
  putEmployee: route('PUT', '/projects/{projectId}/employees/{employeeId}', 'project'),
  listEmployees: route('GET', '/projects/{projectId}/employees', 'project'),
  getEmployee: route('GET', '/projects/{projectId}/employees/{employeeId}', 'project'),
  deleteEmployee: route('DELETE', '/projects/{projectId}/employees/{employeeId}', 'project'),
  putClient: route('PUT', '/projects/{projectId}/clients/{clientId}', 'project'),
  getClient: route('GET', '/projects/{projectId}/clients/{clientId}', 'project'),
  findClients: route('GET', '/projects/{projectId}/clients', 'project'),
  clientMessages: route('GET', '/projects/{projectId}/clients/{clientId}/messages', 'project'),
  listCalls: route('GET', '/projects/{projectId}/calls', 'project'),
  getCall: route('GET', '/projects/{projectId}/calls/{extTrackingId}', 'project'),
  freshRecordLink: route('POST', '/projects/{projectId}/calls/{extTrackingId}/record-link', 'project'),
  listEvents: route('GET', '/projects/{projectId}/events', 'project'),
  putDelivery: route('PUT', '/projects/{projectId}/delivery', 'project'),
  getDelivery: route('GET', '/projects/{projectId}/delivery', 'project'),
  deleteDelivery: route('DELETE', '/projects/{projectId}/delivery', 'project'),
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;

/** Routes API Gateway sends to a function of their own (everything else reaches the api function via `$default`). */
export const DEDICATED_ROUTES: readonly (RouteSpec & { servedBy: DedicatedFunction })[] = Object.values(ROUTES).filter((r): r is RouteSpec & { servedBy: DedicatedFunction } => r.servedBy !== 'api');

/** A function with routes of its own. */
export type DedicatedFunction = Exclude<ServedBy, 'api'>;

/**
 * The first segment of every route that needs a credential: a path whose first segment starts
 * with it (in any case or Unicode form) and matches no route still answers 401 without one,
 * so no spelling tells an unauthenticated caller more than the plain one.
 */
export const PROTECTED_PREFIX = 'projects';
