/** The project's receiver of outbound events: set, shown (with its recent deliveries) and removed. */
import { checkDeliveryUrl, newDeliverySecret, PREVIOUS_SECRET_HOURS, RECENT_DELIVERIES, secretHint, type TargetPolicy } from '../../domain/delivery';
import type { AuditAction, AuditEntry } from '../../domain/access';
import type { DeliveryRecord, DeliverySettings, DeliveryStore, TokenCipher } from '../../ports';

/** Makes the audit entry of a change (who made it is the caller's). */
export type Audit = (action: AuditAction, at: Date, details?: Record<string, string>) => AuditEntry;

export interface DeliverySettingsDeps {
  store: DeliveryStore;
  cipher: TokenCipher;
  policy: TargetPolicy;
  now: () => Date;
}

export type DeliveryUpdate = { ok: true; url: string; secretHint: string; secret?: string } | { ok: false; reason: string };

export interface DeliveryView {
  url: string | null;
  secretHint?: string;
  /** Until when the previous secret still signs (ISO), during a rotation. */
  previousSecretUntil?: string;
  /** Set while the receiver keeps failing: no attempt before then (ISO). */
  pausedUntil?: string;
  recent: DeliveryRecord[];
}

export class DeliverySettingsService {
  constructor(private readonly deps: DeliverySettingsDeps) {}

  /** A new secret is made (and shown, once) when there is none or `rotateSecret` asks; the previous one keeps signing for a while. */
  async put(projectId: string, request: { url: string; rotateSecret?: boolean }, audit: Audit): Promise<DeliveryUpdate> {
    const checked = checkDeliveryUrl(request.url, this.deps.policy);
    if (!checked.ok) return checked;
    const { store, cipher } = this.deps;
    const at = this.deps.now();
    const now = at.getTime();
    const existing = await store.getSettings(projectId);
    const secret = !existing || request.rotateSecret ? newDeliverySecret() : undefined;
    const keptPrevious = existing?.previousSecretCipher && (existing.previousUntil ?? 0) > now ? { previousSecretCipher: existing.previousSecretCipher, previousUntil: existing.previousUntil } : {};
    const settings: DeliverySettings = {
      url: checked.url,
      ...(secret
        ? {
            secretCipher: await cipher.encrypt(secret, projectId),
            secretHint: secretHint(secret),
            ...(existing && { previousSecretCipher: existing.secretCipher, previousUntil: now + PREVIOUS_SECRET_HOURS * 3_600_000 }),
          }
        : { secretCipher: existing!.secretCipher, secretHint: existing!.secretHint, ...keptPrevious }),
      // The same receiver keeps its health; another one starts afresh.
      ...(existing && existing.url === checked.url && { failures: existing.failures, pausedUntil: existing.pausedUntil }),
      updatedAt: new Date(now).toISOString(),
    };
    const details = { url: settings.url, secretHint: settings.secretHint };
    await store.putSettings(projectId, settings, existing && secret ? audit('delivery.secret-rotated', at, details) : audit('delivery.set', at, details));
    return { ok: true, url: settings.url, secretHint: settings.secretHint, ...(secret && { secret }) };
  }

  async get(projectId: string): Promise<DeliveryView> {
    const [settings, recent] = await Promise.all([this.deps.store.getSettings(projectId), this.deps.store.recent(projectId, RECENT_DELIVERIES)]);
    const now = this.deps.now().getTime();
    if (!settings) return { url: null, recent };
    return {
      url: settings.url,
      secretHint: settings.secretHint,
      ...(settings.previousUntil !== undefined && settings.previousUntil > now && { previousSecretUntil: new Date(settings.previousUntil).toISOString() }),
      ...(settings.pausedUntil !== undefined && settings.pausedUntil > now && { pausedUntil: new Date(settings.pausedUntil).toISOString() }),
      recent,
    };
  }

  /** False when no receiver was set. Queued deliveries find no receiver and stop. */
  remove(projectId: string, audit: Audit): Promise<boolean> {
    return this.deps.store.deleteSettings(projectId, audit('delivery.removed', this.deps.now()));
  }
}
