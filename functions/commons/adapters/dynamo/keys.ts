/**
 * Item keys of the single table. The tenant is in every partition key; ids are restricted to
 * `[A-Za-z0-9_-]`, so `#` separates components unambiguously.
 *
 * | item                  | pk                          | sk                               |
 * |-----------------------|-----------------------------|----------------------------------|
 * | project settings      | P#{p}                       | PROJECT                          |
 * | client                | P#{p}#C#{clientId}          | CLIENT                           |
 * | active call (ttl)     | P#{p}#C#{clientId}          | ACTIVE#{extTrackingId}           |
 * | dialog message        | P#{p}#C#{clientId}          | MSG#{at ISO}#{messageId}         |
 * | phone index: rank 1   | P#{p}#PH#{phone}            | TEL              (→ clientId)    |
 * | phone index: rank 2   | P#{p}#PH#{phone}            | VAR#{createdAt ISO}#{clientId}   |
 * | call (legs + summary) | P#{p}#CALL#{extTrackingId}  | CALL   (gsi1: P#{p}#CALLS, {startedAt}#{ext}) |
 *
 * `TEL` sorts before `VAR#…`, and `VAR#…` entries sort by the client's creation time, so the
 * first item of a phone partition is the §4 match: one Query with Limit 1, whatever the
 * project's size. `ACTIVE#…` sorts before `CLIENT`: one Query reads a client with its active calls.
 */
export const projectKey = (projectId: string) => ({ pk: `P#${projectId}`, sk: 'PROJECT' });

export const clientPk = (projectId: string, clientId: string) => `P#${projectId}#C#${clientId}`;
export const clientKey = (projectId: string, clientId: string) => ({ pk: clientPk(projectId, clientId), sk: CLIENT_SK });
export const CLIENT_SK = 'CLIENT';
export const ACTIVE_CALL_SK_PREFIX = 'ACTIVE#';
export const activeCallKey = (projectId: string, clientId: string, extTrackingId: string) => ({ pk: clientPk(projectId, clientId), sk: `${ACTIVE_CALL_SK_PREFIX}${extTrackingId}` });
export const MESSAGE_PREFIX = 'MSG#';
export const messageKey = (projectId: string, clientId: string, at: string, messageId: string) => ({
  pk: clientPk(projectId, clientId),
  sk: `${MESSAGE_PREFIX}${at}#${messageId}`,
});

export const phonePk = (projectId: string, phone: string) => `P#${projectId}#PH#${phone}`;
export const TELEPHONY_SK = 'TEL';
export const VARIABLE_SK_PREFIX = 'VAR#';
export const telephonyIndexKey = (projectId: string, phone: string) => ({ pk: phonePk(projectId, phone), sk: TELEPHONY_SK });
export const variableIndexKey = (projectId: string, phone: string, createdAt: string, clientId: string) => ({
  pk: phonePk(projectId, phone),
  sk: `${VARIABLE_SK_PREFIX}${createdAt}#${clientId}`,
});

export const callKey = (projectId: string, extTrackingId: string) => ({ pk: `P#${projectId}#CALL#${extTrackingId}`, sk: 'CALL' });
export const callsIndexPk = (projectId: string) => `P#${projectId}#CALLS`;
export const callsIndexSk = (startedAt: string, extTrackingId: string) => `${startedAt}#${extTrackingId}`;

/**
 * PBX connection, employees and their subscriptions:
 *
 * | item                      | pk                        | sk                    |
 * |---------------------------|---------------------------|-----------------------|
 * | PBX connection (token)    | P#{p}                     | BEELINE               |
 * | employee                  | P#{p}                     | EMP#{employeeId}      |
 * | subscription state        | P#{p}                     | SUBSTATE#{employeeId} (gsi1: RENEW, {renewAt}#{p}#{e}) |
 * | subscription id record    | P#{p}#SUB#{subscriptionId}| SUB                   |
 *
 * The table's stream reaches the subscription function only for `EMP#` items, so writes of
 * subscription state never re-trigger it.
 */
/** gsi1 of connection items: every connected project (the scheduled recovery walks them). */
export const CONNECTED_INDEX_PK = 'CONNECTED';
export const connectionKey = (projectId: string) => ({ pk: `P#${projectId}`, sk: 'BEELINE' });
/**
 * Capture mode: the setting (until when, how many kept) and the captured exchanges (TTL).
 *
 * | item              | pk             | sk                       |
 * |-------------------|----------------|--------------------------|
 * | capture setting   | P#{p}          | CAPTURE                  |
 * | captured exchange | P#{p}#CAPTURE  | {at ISO}#{random}  (ttl) |
 */
export const captureSettingKey = (projectId: string) => ({ pk: `P#${projectId}`, sk: 'CAPTURE' });
export const capturedPk = (projectId: string) => `P#${projectId}#CAPTURE`;
/** Whether the project also watches the whole PBX (see WHOLE_PBX_WATCH). */
export const watchSettingKey = (projectId: string) => ({ pk: `P#${projectId}`, sk: 'WATCH' });
/** The project's webhook secret generations (no secret: they are derived). */
export const webhookSecretStateKey = (projectId: string) => ({ pk: `P#${projectId}`, sk: 'WEBHOOK' });
/** The generation the project's record links are signed with (a revocation is a new one). */
export const recordLinksKey = (projectId: string) => ({ pk: `P#${projectId}`, sk: 'RECORD_LINKS' });
import { EMPLOYEE_SK_PREFIX } from '../../contracts/stream';

export { EMPLOYEE_SK_PREFIX };
export const employeeKey = (projectId: string, employeeId: string) => ({ pk: `P#${projectId}`, sk: `${EMPLOYEE_SK_PREFIX}${employeeId}` });
export const SUBSCRIPTION_STATE_SK_PREFIX = 'SUBSTATE#';
export const subscriptionStateKey = (projectId: string, employeeId: string) => ({
  pk: `P#${projectId}`,
  sk: `${SUBSCRIPTION_STATE_SK_PREFIX}${employeeId}`,
});
export const subscriptionRecordKey = (projectId: string, subscriptionId: string) => ({ pk: `P#${projectId}#SUB#${subscriptionId}`, sk: 'SUB' });
export const RENEWALS_INDEX_PK = 'RENEW';
export const renewalsIndexSk = (renewAt: string, projectId: string, employeeId: string) => `${renewAt}#${projectId}#${employeeId}`;

/**
 * Project keys and the audit log:
 *
 * | item         | pk              | sk                      |
 * |--------------|-----------------|-------------------------|
 * | project key  | P#{p}           | KEY#{keyId}             |
 * | audit entry  | P#{p}#AUDIT     | {at ISO}#{random}  (ttl) |
 */
export const PROJECT_KEY_SK_PREFIX = 'KEY#';
export const projectKeyKey = (projectId: string, keyId: string) => ({ pk: `P#${projectId}`, sk: `${PROJECT_KEY_SK_PREFIX}${keyId}` });
export const auditPk = (projectId: string) => `P#${projectId}#AUDIT`;

/** beeline_call starts of a project in one rate-limit window: pk `P#{p}#RATE`, sk `CALL#{window start ms}` (ttl). */
export const callCounterKey = (projectId: string, windowStart: number) => ({ pk: `P#${projectId}#RATE`, sk: `CALL#${windowStart}` });

/**
 * Click-to-calls whose PBX answer named no call id (the bot got `c2c-…` of this product):
 *
 * | item                         | pk                          | sk                     |
 * |------------------------------|-----------------------------|------------------------|
 * | a start, by employee and time | P#{p}#C2C#{operator number} | {at ISO}#{callId} (ttl) |
 * | the call it became           | P#{p}#CALLID#{callId}       | ALIAS (→ extTrackingId) |
 */
export const clickToCallStartPk = (projectId: string, operator: string) => `P#${projectId}#C2C#${operator}`;
export const callAliasKey = (projectId: string, callId: string) => ({ pk: `P#${projectId}#CALLID#${callId}`, sk: 'ALIAS' });

/**
 * Outbound events of a project, oldest first: pk `P#{p}#EVT`, sk `{occurredAt ISO}#{eventId}`
 * (ttl: OUTBOUND_EVENT_KEPT_DAYS after it occurred). Written in the transaction of the effect.
 */
export const eventsPk = (projectId: string) => `P#${projectId}#EVT`;
export const eventKey = (projectId: string, occurredAt: string, eventId: string) => ({ pk: eventsPk(projectId), sk: `${occurredAt}#${eventId}` });

/** beeline_call answers by Idempotency-Key: pk `P#{p}#IDEM#{sha256 of the key}`, sk `IDEM` (ttl 24 h). */
export const idempotencyKey = (projectId: string, keyHash: string) => ({ pk: `P#${projectId}#IDEM#${keyHash}`, sk: 'IDEM' });

/**
 * Outbound delivery: the project's receiver (URL, encrypted secrets, its health) and how each
 * event's delivery went.
 *
 * | item             | pk          | sk                                  |
 * |------------------|-------------|-------------------------------------|
 * | receiver         | P#{p}       | DELIVERY                            |
 * | delivery record  | P#{p}#DLV   | {occurredAt ISO}#{eventId}  (ttl)   |
 */
export const deliverySettingsKey = (projectId: string) => ({ pk: `P#${projectId}`, sk: 'DELIVERY' });
export const deliveriesPk = (projectId: string) => `P#${projectId}#DLV`;
export const deliveryRecordKey = (projectId: string, occurredAt: string, eventId: string) => ({ pk: deliveriesPk(projectId), sk: `${occurredAt}#${eventId}` });
