/**
 * The application layer on in-memory adapters: the call pipeline, the subscription service and
 * click-to-call wired as the composition root wires them, over MemoryPbx and the memory stores,
 * with a clock the test moves. `drain` plays the queue as SQS would: each message when it comes
 * due, in due order, the clock jumping to it.
 */
import { CallPipeline, type EventDelivery } from '../../../functions/commons/app/calls/call-pipeline';
import type { CallAnswer } from '../../../functions/commons/app/click-to-call/answer';
import { idempotentCalls } from '../../../functions/commons/app/click-to-call/idempotent';
import { beelineCallerPattern, connectionOf, createClickToCall, type CallAttempt } from '../../../functions/commons/app/click-to-call/start-call';
import { ProjectPbx } from '../../../functions/commons/app/project-pbx';
import { SubscriptionService } from '../../../functions/commons/app/subscription-service';
import type { Employee } from '../../../functions/commons/domain/subscriptions';
import { parseXsiEvent } from '../../../functions/commons/domain/xsi-parser';
import type { QueueMessage } from '../../../functions/commons/ports';
import { MemoryPbx, memoryCipher } from './pbx';
import { MemoryCallCounter, MemoryCallStore, MemoryEventFeed, MemoryIdempotencyStore, MemoryClients, MemoryPbxStore, MemoryProjects, MemoryQueue } from './stores';

export const PBX_TOKEN = 'pbx-token';
export const PUBLIC_URL = 'https://telephony.example';

export interface MemoryAppOptions {
  /** Epoch ms the clock starts at. */
  startAt: number;
  settleSeconds?: number;
  recordFirstDelaySeconds?: number;
  recordGiveUpSeconds?: number;
  callRateLimit?: { calls: number; windowSeconds: number };
}

export function memoryApp(options: MemoryAppOptions) {
  const clock = { now: options.startAt };
  const now = () => clock.now;
  const clients = new MemoryClients(now);
  const calls = new MemoryCallStore(clients);
  const projects = new MemoryProjects();
  const queue = new MemoryQueue(now);
  const events = new MemoryEventFeed(calls);
  const pbxStore = new MemoryPbxStore();
  const pbx = new MemoryPbx(new Set([PBX_TOKEN]));
  const projectPbx = new ProjectPbx(pbxStore, memoryCipher, pbx.factory());
  const handled: QueueMessage[] = [];

  const pipeline = new CallPipeline({
    calls,
    clients,
    projects,
    queue,
    events,
    settleSeconds: options.settleSeconds ?? 15,
    recordings: {
      source: {
        reference: async (projectId, extTrackingId, userId) => (await projectPbx.client(projectId)).recordReference(extTrackingId, userId),
        recordsCalls: async (projectId, userId) => (await projectPbx.client(projectId)).recordingEnabled(userId),
      },
      linkFor: async (projectId, extTrackingId) => `${PUBLIC_URL}/projects/${projectId}/calls/${extTrackingId}/record`,
      firstDelaySeconds: options.recordFirstDelaySeconds ?? 90,
      giveUpSeconds: options.recordGiveUpSeconds ?? 1200,
    },
    recovery: {
      history: {
        statistics: async (projectId, from, to) => (await projectPbx.client(projectId)).statistics(from, to),
        records: async (projectId, from, to) => (await projectPbx.client(projectId)).records(from, to),
      },
      windowSeconds: 7200,
      lagSeconds: 300,
    },
    now,
  });

  const subscriptions = new SubscriptionService({ store: pbxStore, projectPbx, queue, webhookKey: async () => 'webhook-key', publicUrl: PUBLIC_URL, now });

  const attempts: CallAttempt[] = [];
  const idempotency = new MemoryIdempotencyStore<CallAnswer>();
  const startCall = idempotentCalls(
    createClickToCall({
      connect: connectionOf(projectPbx),
      numberFormat: () => 'national',
      callerPattern: beelineCallerPattern(pbxStore),
      counter: new MemoryCallCounter(),
      noteOwnCallId: (projectId, callId, user, at) => calls.recordClickToCall(projectId, callId, user, at),
      rateLimit: options.callRateLimit,
      timeoutMs: 4000,
      now,
      log: (attempt) => attempts.push(attempt),
    }),
    idempotency,
    { now },
  );

  async function route(message: QueueMessage): Promise<void> {
    handled.push(message);
    switch (message.kind) {
      case 'settle':
        await pipeline.handleSettle(message.projectId, message.extTrackingId);
        return;
      case 'record':
        await pipeline.handleRecordLookup(message.projectId, message.extTrackingId, message.attempt);
        return;
      case 'recover':
        await pipeline.recoverLostCalls(message.projectId, message.page);
        return;
      case 'subscription':
        await subscriptions.reconcile(message.projectId, message.employeeId, message.reason);
        return;
      case 'missed':
        await pipeline.handleMissedCheck(message.projectId, message.extTrackingId);
        return;
      case 'event':
        await pipeline.handleEvent(message.projectId, message.event, message.receivedAt);
        return;
    }
  }

  return {
    clock,
    clients,
    calls,
    projects,
    queue,
    pbxStore,
    pbx,
    pipeline,
    subscriptions,
    startCall,
    attempts,
    /** Every queued message handled so far, in order. */
    handled,

    /** Connects the project's PBX with a token (stored encrypted, as the API stores it). */
    async connect(projectId: string, token = PBX_TOKEN): Promise<void> {
      await pbxStore.putConnection(
        projectId,
        { encryptedToken: await memoryCipher.encrypt(token, projectId), tokenHint: `…${token.slice(-4)}`, connectedAt: new Date(clock.now).toISOString() },
        {
          at: new Date(clock.now).toISOString(),
          action: 'pbx-token.set',
          credential: 'platform',
          details: {},
        },
      );
    },

    /** Saves an employee as the API does, then reconciles it as the employee stream would. */
    async saveEmployee(projectId: string, employee: Omit<Employee, 'savedAt'>) {
      await pbxStore.saveEmployee(projectId, { ...employee, savedAt: new Date(clock.now).toISOString() });
      return subscriptions.reconcile(projectId, employee.employeeId, 'saved');
    },

    /** Webhook bodies through the parser into the pipeline, each received at the clock's time. */
    async deliver(projectId: string, bodies: string[], delivered: EventDelivery = {}): Promise<void> {
      for (const body of bodies) {
        const parsed = parseXsiEvent(body);
        if (!parsed.ok) throw new Error(`test event does not parse: ${parsed.error}`);
        await pipeline.handleEvent(projectId, parsed.event, clock.now, delivered);
      }
    },

    /** Plays the queue until it is empty (or `untilMs` is reached), moving the clock to each message. */
    async drain(untilMs = Number.POSITIVE_INFINITY, maxMessages = 10_000): Promise<void> {
      for (let i = 0; i < maxMessages; i++) {
        const next = queue.next();
        if (!next) return;
        if (next.dueAt > untilMs) {
          queue.putBack(next);
          clock.now = Math.max(clock.now, untilMs);
          return;
        }
        clock.now = Math.max(clock.now, next.dueAt);
        await route(next.message);
      }
      throw new Error(`the queue did not empty within ${maxMessages} messages`);
    },
  };
}

export type MemoryApp = ReturnType<typeof memoryApp>;
