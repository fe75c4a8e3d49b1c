/**
 * A PBX in memory behind the PbxClient port, for the fast tier: abonents, subscriptions, call
 * starts and recordings, with the failures the PBX gives (an unknown token, an unknown abonent,
 * an outage). The HTTP-level behaviour is the simulator's (local/pbx-sim), used by the slower tiers.
 */
import type { PbxExchange } from '../../../functions/commons/domain/capture';
import { PbxError, type Abonent, type PbxClient, type PbxFailure, type PbxRecord, type PbxStatisticsRow, type Subscription, type TokenCipher } from '../../../functions/commons/ports';

export interface MemorySubscription extends Subscription {
  pattern?: string;
  token: string;
}

export class MemoryPbx {
  readonly abonents: Abonent[] = [];
  readonly subscriptions = new Map<string, MemorySubscription>();
  readonly calls: { pattern: string; phoneNumber: string; token: string }[] = [];
  readonly recordings = new Map<string, string>();
  readonly recorded = new Set<string>();
  readonly statisticsRows: PbxStatisticsRow[] = [];
  readonly records: PbxRecord[] = [];
  /** Seconds the PBX grants whatever was asked (the evidence shows grants shorter than asked). */
  grantSeconds = 3600;
  /** When set, every request fails this way. */
  failure: PbxFailure | undefined;
  /** The call start names no id (some PBX answers carry none). */
  callIdInAnswer = true;
  private sequence = 0;

  constructor(readonly tokens: Set<string> = new Set(['pbx-token'])) {}

  addAbonent(abonent: Abonent): void {
    this.abonents.push(abonent);
  }

  /** The live subscriptions of an abonent (by pattern: its userId, phone or extension). */
  subscriptionsOf(pattern: string | undefined): MemorySubscription[] {
    return [...this.subscriptions.values()].filter((s) => s.pattern === pattern);
  }

  /** A client for a token, as the product's factory makes them. */
  client(token: string): PbxClient {
    const check = () => {
      if (this.failure) throw new PbxError(this.failure, `the PBX failed: ${this.failure}`);
      if (!this.tokens.has(token)) throw new PbxError('unauthorized', 'the PBX refused the token', 401, 'InvalidToken', 'Invalid API token');
    };
    const abonent = (pattern: string) => {
      const found = this.abonents.find((a) => a.userId === pattern || a.phone === pattern || a.extension === pattern);
      if (!found) throw new PbxError('refused', 'the PBX refused the request', 400, 'AbonentNotFound', `Abonent ${pattern} not found`);
      return found;
    };
    return {
      listAbonents: async () => {
        check();
        return structuredClone(this.abonents);
      },
      recordingEnabled: async (pattern) => {
        check();
        return this.recorded.has(abonent(pattern).userId);
      },
      call: async (pattern, phoneNumber) => {
        check();
        abonent(pattern);
        this.calls.push({ pattern, phoneNumber, token });
        return this.callIdInAnswer ? { callId: `pbx-call-${++this.sequence}` } : {};
      },
      subscribe: async ({ pattern, expires, url, subscriptionType }) => {
        check();
        if (pattern !== undefined) abonent(pattern);
        const subscription: MemorySubscription = { subscriptionId: `sub-${++this.sequence}`, expires: Math.min(expires, this.grantSeconds), url, subscriptionType, pattern, token };
        this.subscriptions.set(subscription.subscriptionId, subscription);
        return { subscriptionId: subscription.subscriptionId, expires: subscription.expires, url };
      },
      getSubscription: async (subscriptionId) => {
        check();
        return structuredClone(this.subscriptions.get(subscriptionId));
      },
      unsubscribe: async (subscriptionId) => {
        check();
        this.subscriptions.delete(subscriptionId);
      },
      recordReference: async (extTrackingId, userId) => {
        check();
        return this.recordings.get(`${extTrackingId}/${userId}`);
      },
      records: async (from, to) => {
        check();
        return this.records.filter((r) => r.date >= from.getTime() && r.date <= to.getTime());
      },
      statistics: async (from, to) => {
        check();
        return this.statisticsRows.filter((r) => r.startDate >= from.getTime() && r.startDate <= to.getTime());
      },
    };
  }

  /** The product's PbxClientFactory over this PBX. */
  factory(): (token: string, timeoutMs?: number, retries?: number, observe?: (exchange: PbxExchange) => Promise<void>) => PbxClient {
    return (token) => this.client(token);
  }
}

/** Tokens at rest, reversible and bound to the project like the real ciphers (not a secret: for tests only). */
export const memoryCipher: TokenCipher = {
  encrypt: async (plaintext, projectId) => Buffer.from(`${projectId}\u0000${plaintext}`).toString('base64'),
  decrypt: async (ciphertext, projectId) => {
    const [boundTo, plaintext] = Buffer.from(ciphertext, 'base64').toString().split('\u0000');
    if (boundTo !== projectId || plaintext === undefined) throw new Error('the token belongs to another project');
    return plaintext;
  },
};
