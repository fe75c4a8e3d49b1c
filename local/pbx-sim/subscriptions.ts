/**
 * Event subscriptions of the simulated PBX (`PUT/GET/DELETE subscription`): creation,
 * lookup, deletion, termination by the PBX, and which live subscriptions see a leg.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { requireAbonent } from './abonents.js';
import type { EventSender } from './events.js';
import { isPlainObject } from './input.js';
import { PbxApiError, SimInputError, type Abonent, type Pbx, type SentEvent, type SimData, type Subscription, type SubscriptionView } from './model.js';
import { buildSubscriptionTerminatedXml } from './xml.js';

export class Subscriptions {
  constructor(
    private readonly sim: SimData,
    private readonly events: EventSender,
    private readonly log: (line: string) => void,
  ) {}

  isLive(sub: Subscription, now = Date.now()): boolean {
    return sub.endedAt === undefined && sub.expiresAt > now;
  }

  createSubscription(pbx: Pbx, body: unknown): { subscriptionId: string; expires: number } {
    if (!isPlainObject(body)) throw new PbxApiError(400, 'BadRequest', 'Тело запроса должно быть JSON-объектом');
    let expires: number;
    const e = body.expires;
    if (typeof e === 'number' && Number.isInteger(e) && e > 0) expires = e;
    else if (typeof e === 'string' && /^\d+$/.test(e) && Number(e) > 0) expires = Number(e);
    else throw new PbxApiError(400, 'BadRequest', 'Некорректное значение параметра expires');
    const type = body.subscriptionType;
    if (type !== 'BASIC_CALL' && type !== 'ADVANCED_CALL') {
      throw new PbxApiError(400, 'BadRequest', 'Некорректное значение параметра subscriptionType');
    }
    const url = body.url;
    let parsedUrl: URL | null = null;
    if (typeof url === 'string') {
      try {
        parsedUrl = new URL(url);
      } catch {
        parsedUrl = null;
      }
    }
    if (!parsedUrl || (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:')) {
      throw new PbxApiError(400, 'BadRequest', 'Некорректное значение параметра url');
    }
    let target: Abonent | null = null;
    const pattern = body.pattern;
    if (pattern !== undefined && pattern !== null && pattern !== '') {
      if (typeof pattern !== 'string') throw new PbxApiError(400, 'BadRequest', 'Некорректное значение параметра pattern');
      target = requireAbonent(pbx, pattern);
    }
    const granted = Math.min(expires, this.sim.faults.maxSubscriptionSeconds);
    const now = Date.now();
    const sub: Subscription = {
      subscriptionId: randomUUID(),
      token: pbx.token,
      pattern: target ? (pattern as string) : null,
      targetUserId: target ? target.userId : null,
      targetType: target ? 'User' : 'Enterprise',
      targetId: target ? target.userId : `MPBX_${pbx.pbxId}@ip.beeline.ru`,
      subscriptionType: type,
      url: url as string,
      createdAt: now,
      expiresAt: now + granted * 1000,
      grantedSeconds: granted,
      nextSeq: 1,
      subscriberUserId: `MPBX_E_${pbx.pbxId}_${pbx.customerId}_EventSubscription@ip.beeline.ru`,
      externalApplicationId: `${pbx.customerId}_${randomBytes(16).toString('hex')}`,
    };
    this.sim.subscriptions.set(sub.subscriptionId, sub);
    this.log(`pbx-sim: subscription ${sub.subscriptionId} for ${sub.targetId} (${granted}s) → ${sub.url}`);
    return { subscriptionId: sub.subscriptionId, expires: granted };
  }

  private liveSubscriptionOf(pbx: Pbx, id: string): Subscription | undefined {
    const sub = this.sim.subscriptions.get(id);
    if (!sub || sub.token !== pbx.token || !this.isLive(sub)) return undefined;
    return sub;
  }

  getSubscription(pbx: Pbx, id: string | null): Record<string, unknown> {
    if (!id) throw new PbxApiError(400, 'BadRequest', 'Не указан параметр subscriptionId');
    const sub = this.liveSubscriptionOf(pbx, id);
    if (!sub) throw new PbxApiError(404, 'GetSubscriptionInfoError', `Подписка ${id} не найдена`);
    return {
      subscriptionId: sub.subscriptionId,
      targetType: sub.targetType,
      targetId: sub.targetId,
      subscriptionType: sub.subscriptionType,
      expires: Math.max(0, Math.ceil((sub.expiresAt - Date.now()) / 1000)),
      url: sub.url,
    };
  }

  deleteSubscription(pbx: Pbx, id: string | null): void {
    if (!id) throw new PbxApiError(400, 'BadRequest', 'Не указан параметр subscriptionId');
    const sub = this.liveSubscriptionOf(pbx, id);
    if (!sub) throw new PbxApiError(404, 'DeleteSubscriptionError', `Подписка ${id} не найдена`);
    sub.endedAt = Date.now();
    sub.endReason = 'deleted';
    this.log(`pbx-sim: subscription ${id} deleted`);
  }

  listLiveSubscriptions(): SubscriptionView[] {
    const now = Date.now();
    return [...this.sim.subscriptions.values()]
      .filter((s) => this.isLive(s, now))
      .map((s) => ({
        subscriptionId: s.subscriptionId,
        token: s.token,
        pattern: s.pattern,
        url: s.url,
        expiresAt: new Date(s.expiresAt).toISOString(),
        targetId: s.targetId,
        subscriptionType: s.subscriptionType,
      }));
  }

  /** Ends a live subscription and sends it a SubscriptionTerminatedEvent; resolves when the
   * delivery attempt(s) finished. */
  async terminateSubscription(id: string): Promise<SentEvent> {
    const sub = this.sim.subscriptions.get(id);
    if (!sub || !this.isLive(sub)) throw new SimInputError(`no live subscription ${id}`, 404);
    sub.endedAt = Date.now();
    sub.endReason = 'terminated';
    const env = this.events.nextEnvelope(sub, sub.targetId);
    const ev = this.events.newEvent(sub, env, 'SubscriptionTerminatedEvent', buildSubscriptionTerminatedXml(env));
    this.log(`pbx-sim: subscription ${id} terminated`);
    if (this.sim.faults.dropEvents) {
      ev.dropped = true;
      return ev;
    }
    await this.events.dispatch(ev, sub);
    return ev;
  }

  /** Live subscriptions that receive the events of a leg at this abonent. */
  subscriptionsFor(token: string, userId: string): Subscription[] {
    const now = Date.now();
    return [...this.sim.subscriptions.values()].filter((s) => s.token === token && this.isLive(s, now) && (s.targetUserId === null || s.targetUserId === userId));
  }
}
