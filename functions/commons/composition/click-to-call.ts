/**
 * The composition of `beeline_call` (the callback function), apart from the root module every
 * function loads: its request schemas and limits stay out of the other bundles.
 */
import { callRateLimitFrom, clickToCallTimeoutMs } from '../app/click-to-call/limits';
import { numberFormatFrom } from '../app/click-to-call/number-format';
import { idempotentCalls } from '../app/click-to-call/idempotent';
import { beelineCallerPattern, connectionOf, createClickToCall, type CallAttempt } from '../app/click-to-call/start-call';
import { projectPbxFrom, type Stores } from '../composition';
import type { Environment } from '../environment';

/**
 * The project's PBX through the shared ProjectPbx (connection + token cipher + PBX client),
 * with the click-to-call timeout; nothing this function never needs (queue, webhook key,
 * public URL), so it gets no more configuration or grants than it uses.
 */
export function clickToCallFrom(
  env: Environment,
  stores: Pick<Stores, 'pbx' | 'callCounter' | 'calls' | 'capture' | 'idempotency'>,
  log?: (attempt: CallAttempt) => void,
  onStoreError?: (error: unknown) => void,
) {
  const projectPbx = projectPbxFrom(env, stores);
  const format = numberFormatFrom(env);
  const startCall = createClickToCall({
    callerPattern: beelineCallerPattern(stores.pbx),
    counter: stores.callCounter,
    noteOwnCallId: (projectId, callId, user, at) => stores.calls.recordClickToCall(projectId, callId, user, at),
    rateLimit: callRateLimitFrom(env),
    connect: connectionOf(projectPbx),
    numberFormat: () => format,
    timeoutMs: clickToCallTimeoutMs(env),
    log,
  });
  return idempotentCalls(startCall, stores.idempotency, { onError: onStoreError });
}
