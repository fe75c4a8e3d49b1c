/** Routes of the PBX connection and of employees (product spec §1–§2). */
import { summarise } from '../domain/call';
import { rotated } from '../domain/webhook-secret';
import { checkRecordLink, recordLink, recordLinkTtlSeconds } from '../domain/record-links';
import { recordLinkEventOf } from '../domain/outbound-events';
import { PbxError, type Abonent, type CallStore, type MessageQueue, type PbxClient, type PbxStore, type TokenCipher } from '../ports';
import { abonentForEmployeeNumber, BEELINE_CALL_METHOD, employeeNumberOf, shouldSubscribe, tokenHint, WHOLE_PBX_WATCH, type Employee, type SubscriptionState } from '../domain/subscriptions';
import { callerOf, HttpError, parseBody, type Router } from './router';
import { connectBody, employeeBody, watchBody } from './bodies';
import { ROUTES } from './routes';
import { auditEntry } from '../domain/access';
import { bodyText, error, json } from './responses';
import { NotConnectedError } from '../app/project-pbx';
import type { SubscriptionService } from '../app/subscription-service';

export interface TelephonyApiDeps {
  store: PbxStore;
  calls: Pick<CallStore, 'load' | 'setRecordLink'>;
  /** Signs and checks record links. */
  webhookKey: () => Promise<string>;
  /** Record links: how long they work, and the base URL they start with. */
  recordLinks: { ttlDays: number; publicUrl: string };
  cipher: TokenCipher;
  pbx: (token: string) => PbxClient;
  subscriptions: SubscriptionService;
  /** Subscription work queued for the workers (re-subscribing after a webhook secret rotation). */
  queue: MessageQueue;
}

export function addTelephonyRoutes(router: Router, deps: TelephonyApiDeps, now: () => Date): void {
  const { store } = deps;

  /** What the project subscribes at the PBX: its beeline_api employees, and the whole-PBX watch when on. */
  async function watchesOf(projectId: string): Promise<string[]> {
    const [employees, watch] = await Promise.all([store.listEmployees(projectId), store.getWatch(projectId)]);
    return [...employees.filter(shouldSubscribe).map((employee) => employee.employeeId), ...(watch.wholePbx ? [WHOLE_PBX_WATCH] : [])];
  }

  async function abonentsOf(projectId: string): Promise<Abonent[]> {
    try {
      return await (await deps.subscriptions.clientFor(projectId)).listAbonents();
    } catch (caught) {
      throw pbxHttpError(caught);
    }
  }

  router
    // A record link (no bearer: it sits in a client variable) → a fresh PBX link each time.
    .on(ROUTES.recordLink, async ({ params, query }) => {
      const { projectId, extTrackingId } = params as { projectId: string; extTrackingId: string };
      const [key, generation, stored] = await Promise.all([deps.webhookKey(), store.getRecordLinkGeneration(projectId), deps.calls.load(projectId, extTrackingId)]);
      const finalizedAt = stored?.state.finalized?.finalizedAt;
      const legacyUntil = finalizedAt === undefined ? undefined : Math.floor(finalizedAt / 1000) + recordLinkTtlSeconds(deps.recordLinks.ttlDays);
      const check = checkRecordLink(key, { projectId, extTrackingId, sig: query.sig, exp: query.exp }, generation, now().getTime(), legacyUntil);
      if (check === 'forbidden') return error(403, 'forbidden');
      if (check === 'expired') return error(410, 'this recording link has expired: ask for a fresh one (POST /projects/{projectId}/calls/{extTrackingId}/record-link)');
      const operator = stored && summarise(stored.state);
      const userId = operator?.operatorTargetId;
      if (!stored?.state.recordLink || !operator || !userId) return error(404, 'this call has no recording');
      let url: string | undefined;
      try {
        // A picked-up or transferred leg's recording is filed under that leg's own tracking id.
        url = await (await deps.subscriptions.clientFor(projectId)).recordReference(operator.operatorTrackingId, userId);
      } catch (caught) {
        throw pbxHttpError(caught);
      }
      if (!url) return error(404, 'the PBX no longer has this recording');
      return { statusCode: 302, headers: { location: url, 'cache-control': 'no-store' }, body: '' };
    })
    // A fresh link for a call with a recording: kept on the call, and in the client's
    // beeline_record_link while that call is the client's latest.
    .on(ROUTES.freshRecordLink, async ({ params }) => {
      const { projectId, extTrackingId } = params as { projectId: string; extTrackingId: string };
      const [key, generation, stored] = await Promise.all([deps.webhookKey(), store.getRecordLinkGeneration(projectId), deps.calls.load(projectId, extTrackingId)]);
      const finalized = stored?.state.finalized;
      if (!stored?.state.recordLink || !finalized) throw new HttpError(404, 'this call has no recording');
      const link = recordLink(key, projectId, extTrackingId, generation, now().getTime(), deps.recordLinks.ttlDays);
      const url = `${deps.recordLinks.publicUrl.replace(/\/$/, '')}${link.path}`;
      const event = finalized.clientId === undefined ? undefined : recordLinkEventOf(projectId, finalized.clientId, extTrackingId, url, now());
      if (!(await deps.calls.setRecordLink(stored, url, finalized.clientId, summarise(stored.state).startedAt, event))) {
        throw new HttpError(409, 'the call changed at the same moment; try again');
      }
      return json(200, { recordLink: url, expiresAt: new Date(link.expiresAt * 1000).toISOString() });
    })
    // A leaked link: every record link of the project stops working; webhooks are untouched.
    .on(ROUTES.revokeRecordLinks, async (request) => {
      const projectId = request.params.projectId!;
      const at = now();
      const generation = await store.revokeRecordLinks(projectId, at, (next) => auditEntry(callerOf(request), 'record-links.revoked', at, { generation: String(next) }));
      return json(200, { revokedAt: at.toISOString(), generation });
    })
    .on(ROUTES.connectPbx, async (request) => {
      const { params, event } = request;
      const { apiToken } = parseBody(bodyText(event), connectBody);
      let abonents: Abonent[];
      try {
        // The token is accepted only if the PBX accepts it; a refusal changes nothing.
        abonents = await deps.pbx(apiToken).listAbonents();
      } catch (caught) {
        throw pbxHttpError(caught, 422);
      }
      const hint = tokenHint(apiToken);
      // Another PBX token: what was subscribed with the previous one is removed there (the new
      // PBX knows nothing of it), and everything is subscribed again with the new one.
      const previous = await store.getConnection(params.projectId!);
      const replaced = previous !== undefined && (await deps.cipher.decrypt(previous.encryptedToken, params.projectId!)) !== apiToken;
      const watches = replaced ? await watchesOf(params.projectId!) : [];
      await Promise.all(watches.map((employeeId) => deps.subscriptions.reconcile(params.projectId!, employeeId, 'disconnected')));
      await store.putConnection(
        params.projectId!,
        {
          encryptedToken: await deps.cipher.encrypt(apiToken, params.projectId!),
          tokenHint: hint,
          connectedAt: now().toISOString(),
        },
        auditEntry(callerOf(request), 'pbx-token.set', now(), { tokenHint: hint }),
      );
      await Promise.all(watches.map((employeeId) => deps.queue.send({ v: 1, kind: 'subscription', projectId: params.projectId!, employeeId, reason: 'rotated' })));
      return json(200, { connected: true, tokenHint: hint, abonents: abonents.map(abonentView) });
    })
    .on(ROUTES.getPbx, async ({ params }) => {
      const connection = await store.getConnection(params.projectId!);
      return json(200, connection ? { connected: true, tokenHint: connection.tokenHint } : { connected: false });
    })
    .on(ROUTES.disconnectPbx, async (request) => {
      const projectId = request.params.projectId!;
      const employees = await store.listEmployees(projectId);
      // Subscriptions are removed at the PBX while the token is still there to do it.
      const watches = [...employees.map((employee) => employee.employeeId), WHOLE_PBX_WATCH];
      await Promise.all(watches.map((employeeId) => deps.subscriptions.reconcile(projectId, employeeId, 'disconnected')));
      await store.deleteConnection(projectId, auditEntry(callerOf(request), 'pbx-token.removed', now()));
      return json(200, { connected: false });
    })
    .on(ROUTES.rotateWebhookSecret, async (request) => {
      const projectId = request.params.projectId!;
      const current = await store.getWebhookSecret(projectId);
      const at = now();
      const next = rotated(current, at.getTime());
      const audit = auditEntry(callerOf(request), 'webhook-secret.rotated', at, { generation: String(next.generation) });
      if (!(await store.rotateWebhookSecret(projectId, current, next, audit))) throw new HttpError(409, 'the webhook secret was rotated at the same moment by another request; try again');
      // Each subscription is made again with the new URL through the queue (retried there on failure).
      const watches = await watchesOf(projectId);
      await Promise.all(watches.map((employeeId) => deps.queue.send({ v: 1, kind: 'subscription', projectId, employeeId, reason: 'rotated' })));
      return json(200, { rotatedAt: next.rotatedAt, previousValidUntil: new Date(next.previousValidUntil!).toISOString(), resubscribing: watches.length });
    })
    // Also watching the whole PBX: hunt-group and call-centre members who are not employees.
    .on(ROUTES.putWatch, async (request) => {
      const projectId = request.params.projectId!;
      const { wholePbx } = parseBody(bodyText(request.event), watchBody);
      if (wholePbx && !(await store.getConnection(projectId))) throw new HttpError(422, 'connect the PBX first: PUT /projects/{projectId}/beeline');
      const at = now();
      await store.putWatch(projectId, { wholePbx, savedAt: at.toISOString() }, auditEntry(callerOf(request), 'pbx-watch.set', at, { wholePbx: String(wholePbx) }));
      const state = await deps.subscriptions.reconcile(projectId, WHOLE_PBX_WATCH, wholePbx ? 'saved' : 'removed');
      return json(200, watchView(wholePbx, state));
    })
    .on(ROUTES.getWatch, async ({ params }) => {
      const [watch, { state }] = await Promise.all([store.getWatch(params.projectId!), store.getState(params.projectId!, WHOLE_PBX_WATCH)]);
      return json(200, watchView(watch.wholePbx, state));
    })
    .on(ROUTES.abonents, async ({ params }) => {
      return json(200, { abonents: (await abonentsOf(params.projectId!)).map(abonentView) });
    })
    .on(ROUTES.putEmployee, async ({ params, event }) => {
      const projectId = params.projectId!;
      if (params.employeeId === WHOLE_PBX_WATCH) throw new HttpError(400, `employeeId: ${WHOLE_PBX_WATCH} is reserved`);
      const body = parseBody(bodyText(event), employeeBody);
      const employee: Employee = { employeeId: params.employeeId!, name: body.name, callMethod: body.callMethod, savedAt: now().toISOString() };
      if (body.callMethod === BEELINE_CALL_METHOD) {
        if (body.beelineNumber === undefined) throw new HttpError(400, 'beelineNumber: required for the call method beeline_api');
        const found = abonentForEmployeeNumber(await abonentsOf(projectId), body.beelineNumber);
        if ('error' in found) {
          throw new HttpError(422, found.error === 'not-a-number' ? NOT_A_PBX_NUMBER : `beelineNumber: ${found.number} is not an abonent of the connected PBX`);
        }
        employee.beelineNumber = found.number;
        employee.abonentUserId = found.abonent.userId;
      } else if (body.beelineNumber !== undefined) {
        const number = employeeNumberOf(body.beelineNumber);
        if (!number) throw new HttpError(422, NOT_A_PBX_NUMBER);
        employee.beelineNumber = number;
      }
      await store.saveEmployee(projectId, employee);
      const { state } = await store.getState(projectId, employee.employeeId);
      return json(200, employeeView(employee, state));
    })
    .on(ROUTES.listEmployees, async ({ params }) => {
      const projectId = params.projectId!;
      const [employees, states] = await Promise.all([store.listEmployees(projectId), store.listStates(projectId)]);
      return json(200, { employees: employees.map((e) => employeeView(e, states.get(e.employeeId) ?? { status: 'none' })) });
    })
    .on(ROUTES.getEmployee, async ({ params }) => {
      const [employee, { state }] = await Promise.all([store.getEmployee(params.projectId!, params.employeeId!), store.getState(params.projectId!, params.employeeId!)]);
      return employee ? json(200, employeeView(employee, state)) : error(404, 'employee not found');
    })
    .on(ROUTES.deleteEmployee, async ({ params }) => {
      const deleted = await store.deleteEmployee(params.projectId!, params.employeeId!);
      return deleted ? json(200, { deleted: true }) : error(404, 'employee not found');
    });
}

const NOT_A_PBX_NUMBER = 'beelineNumber: the PBX number is 10 digits starting with 9, e.g. 9001234567, or the extension of a SIP account, e.g. 101';

function abonentView(abonent: Abonent) {
  return { userId: abonent.userId, phone: abonent.phone, extension: abonent.extension, firstName: abonent.firstName, lastName: abonent.lastName };
}

function employeeView(employee: Employee, state: SubscriptionState) {
  return {
    employeeId: employee.employeeId,
    name: employee.name,
    callMethod: employee.callMethod,
    beelineNumber: employee.beelineNumber,
    abonentUserId: employee.abonentUserId,
    subscription: subscriptionView(state),
  };
}

function watchView(wholePbx: boolean, state: SubscriptionState) {
  return { wholePbx, subscription: subscriptionView(state) };
}

function subscriptionView(state: SubscriptionState) {
  return {
    status: state.status,
    subscriptionId: state.subscriptionId,
    expiresAt: state.expiresAt,
    lastEventAt: state.lastEventAt,
    lastError: state.lastError,
  };
}

/** PBX refused → `refusedStatus` with its reason; unreachable or slow → 502; not connected → 422. */
function pbxHttpError(caught: unknown, refusedStatus = 502): HttpError {
  if (caught instanceof NotConnectedError) return new HttpError(422, 'connect the PBX first: PUT /projects/{projectId}/beeline');
  if (caught instanceof PbxError) {
    const refused = caught.failure === 'refused' || caught.failure === 'unauthorized';
    return new HttpError(refused ? refusedStatus : 502, caught.userMessage);
  }
  return caught as HttpError;
}
