/** The platform API routes under /projects (http-api.md), over the stores' interfaces. */
import { DEFAULT_MISSED_CALL_RETURN_MINUTES } from '../domain/clients';
import { TELEPHONY_CHANNEL, type Client, type PhoneMatch, type ProjectSettings } from '../domain/clients';
import { DEFAULT_TIMEZONE } from '../domain/effects';
import { normaliseClientPhone } from '../domain/phone';
import { addAccessRoutes } from './access-api';
import { addCaptureRoutes } from './capture-api';
import { addDeliveryRoutes, type DeliveryApiDeps } from './delivery-api';
import { HttpError, parseBody, Router, type Credentials } from './router';
import { clientBody, projectBody } from './bodies';
import { ROUTES } from './routes';
import {
  ConcurrentUpdateError,
  InvalidCursorError,
  TelephonyNumberTakenError,
  type AccessStore,
  type CallLogEntry,
  type CallStore,
  type CaptureStore,
  type DialogMessage,
  type OutboundEventFeed,
  type Page,
} from '../ports';
import { orderedLegs, type Leg } from '../domain/call';
import { addTelephonyRoutes, type TelephonyApiDeps } from './telephony-api';
import { bodyText, error, json } from './responses';

export interface PlatformApiDeps {
  /** PBX connection, employees and subscriptions (absent = those routes answer 404). */
  telephony?: TelephonyApiDeps;
  /** Who is calling (platform token or project key). */
  credentials: Credentials;
  access: AccessStore;
  /** The receiver of outbound events (absent = those routes answer 404). */
  delivery?: DeliveryApiDeps;
  /** Capture mode (absent = those routes answer 404). */
  capture?: CaptureStore;
  projects: {
    get(projectId: string): Promise<ProjectSettings | undefined>;
    put(project: ProjectSettings, now: Date): Promise<ProjectSettings>;
  };
  clients: {
    get(projectId: string, clientId: string): Promise<Client | undefined>;
    put(projectId: string, input: Pick<Client, 'clientId' | 'channel' | 'phone' | 'variables'>, now: Date): Promise<Client>;
    match(projectId: string, phone: string): Promise<PhoneMatch | undefined>;
    listMessages(projectId: string, clientId: string, limit: number, cursor?: string): Promise<Page<DialogMessage>>;
  };
  calls: Pick<CallStore, 'find'> & { listCalls(projectId: string, limit: number, cursor?: string): Promise<Page<CallLogEntry>> };
  /** The outbound events, shown once they are `lagSeconds` old: an effect's transaction still committing then has ended (the processor's timeout bounds it). */
  events: { feed: OutboundEventFeed; lagSeconds: number };
  now?: () => Date;
}

/** List routes answer a page (`limit`, default and most) and the `next` cursor while there is more. */
const LIST_LIMITS = {
  messages: { default: 100, max: 500 },
  calls: { default: 50, max: 200 },
  events: { default: 100, max: 500 },
} as const;

function pageOf(query: Record<string, string | undefined>, limits: { default: number; max: number }): { limit: number; cursor?: string } {
  const limit = query.limit === undefined ? limits.default : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > limits.max) throw new HttpError(400, `limit: a whole number from 1 to ${limits.max}`);
  return { limit, ...(query.cursor !== undefined && { cursor: query.cursor }) };
}

async function listed<T>(list: () => Promise<Page<T>>): Promise<Page<T>> {
  try {
    return await list();
  } catch (caught) {
    if (caught instanceof InvalidCursorError) throw new HttpError(400, caught.message);
    throw caught;
  }
}

export function createPlatformApi(deps: PlatformApiDeps) {
  const now = deps.now ?? (() => new Date());
  const router = new Router(deps.credentials)
    .on(ROUTES.health, async () => json(200, { ok: true }))
    .on(ROUTES.putProject, async ({ params, event }) => {
      const body = parseBody(bodyText(event), projectBody);
      const existing = await deps.projects.get(params.projectId!);
      const project: ProjectSettings = {
        projectId: params.projectId!,
        name: body.name ?? existing?.name,
        timezone: body.timezone ?? existing?.timezone ?? DEFAULT_TIMEZONE,
        messengers: body.messengers ?? existing?.messengers ?? [],
        missedCallReturnMinutes: body.missedCallReturnMinutes ?? existing?.missedCallReturnMinutes ?? DEFAULT_MISSED_CALL_RETURN_MINUTES,
      };
      return json(200, await deps.projects.put(project, now()));
    })
    .on(ROUTES.getProject, async ({ params }) => {
      const project = await deps.projects.get(params.projectId!);
      return project ? json(200, project) : error(404, 'project not found');
    })
    .on(ROUTES.putClient, async ({ params, event }) => {
      const body = parseBody(bodyText(event), clientBody);
      const phone = body.phone === undefined ? undefined : normaliseClientPhone(body.phone);
      if (body.phone !== undefined && phone === undefined) {
        throw new HttpError(400, 'phone: not a client phone number (expected e.g. 79161234567)');
      }
      if (body.channel === TELEPHONY_CHANNEL && phone === undefined) {
        throw new HttpError(400, 'phone: a telephony client needs a phone number');
      }
      try {
        const client = await deps.clients.put(params.projectId!, { clientId: params.clientId!, channel: body.channel, phone, variables: body.variables ?? {} }, now());
        return json(200, client);
      } catch (caught) {
        if (caught instanceof TelephonyNumberTakenError || caught instanceof ConcurrentUpdateError) {
          throw new HttpError(409, caught.message);
        }
        if (caught instanceof RangeError) throw new HttpError(400, caught.message);
        throw caught;
      }
    })
    .on(ROUTES.getClient, async ({ params }) => {
      const client = await deps.clients.get(params.projectId!, params.clientId!);
      return client ? json(200, client) : error(404, 'client not found');
    })
    .on(ROUTES.findClients, async ({ params, query }) => {
      if (query.phone === undefined) throw new HttpError(400, 'phone: query parameter required');
      const phone = normaliseClientPhone(query.phone);
      if (phone === undefined) throw new HttpError(400, 'phone: not a client phone number (expected e.g. 79161234567)');
      const match = await deps.clients.match(params.projectId!, phone);
      const client = match && (await deps.clients.get(params.projectId!, match.clientId));
      return json(200, { clients: client ? [client] : [] });
    })
    .on(ROUTES.clientMessages, async ({ params, query }) => {
      const page = pageOf(query, LIST_LIMITS.messages);
      const client = await deps.clients.get(params.projectId!, params.clientId!);
      if (!client) return error(404, 'client not found');
      const { items, next } = await listed(() => deps.clients.listMessages(params.projectId!, params.clientId!, page.limit, page.cursor));
      return json(200, { messages: items, ...(next && { next }) });
    })
    .on(ROUTES.listCalls, async ({ params, query }) => {
      const page = pageOf(query, LIST_LIMITS.calls);
      const { items, next } = await listed(() => deps.calls.listCalls(params.projectId!, page.limit, page.cursor));
      return json(200, { calls: items, ...(next && { next }) });
    })
    .on(ROUTES.listEvents, async ({ params, query }) => {
      const { limit } = pageOf(query, LIST_LIMITS.events);
      const until = new Date(now().getTime() - deps.events.lagSeconds * 1000);
      try {
        const { items, next } = await deps.events.feed.list(params.projectId!, { after: query.after, limit, until });
        return json(200, { events: items, next });
      } catch (caught) {
        if (caught instanceof InvalidCursorError) throw new HttpError(400, 'after: not a cursor this feed gave; start again without it');
        throw caught;
      }
    })
    // By the PBX's extTrackingId, or by the `c2c-` Call ID beeline_call gave a bot.
    .on(ROUTES.getCall, async ({ params }) => {
      const found = await deps.calls.find(params.projectId!, params.extTrackingId!);
      if (!found) return error(404, 'call not found');
      return json(200, { ...found.entry, legs: orderedLegs(found.state).map(legView) });
    });

  addAccessRoutes(router, deps.access, now);
  if (deps.capture) addCaptureRoutes(router, deps.capture, now);
  if (deps.delivery) addDeliveryRoutes(router, deps.delivery);
  if (deps.telephony) addTelephonyRoutes(router, deps.telephony, now);

  return router;
}

function legView(leg: Leg) {
  const at = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    callId: leg.callId,
    operatorPhone: leg.operatorPhone,
    personality: leg.personality,
    remotePhone: leg.remotePhone,
    startedAt: at(leg.startTime),
    answeredAt: at(leg.answerTime),
    endedAt: at(leg.releaseTime),
    released: leg.released,
  };
}
