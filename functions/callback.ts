/**
 * `POST /projects/{projectId}/beeline/call`: `beeline_call(client_phone, user)` from bots
 * (product spec §6). The platform token, an admin key or a call key of the project (401/403
 * only for bad auth); every other answer is HTTP 200 in the call contract of
 * functions/commons/app/click-to-call/answer.ts.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { failed, SERVICE_FAILURES, type CallFailureCode } from './commons/app/click-to-call/answer';
import type { CallAttempt } from './commons/app/click-to-call/start-call';
import { credentialsFrom, storesFrom } from './commons/composition';
import { clickToCallFrom } from './commons/composition/click-to-call';
import { maskedPhone } from './commons/domain/phone';
import { lazyHandler, type Environment } from './commons/environment';
import { createMetrics } from './commons/adapters/metrics';
import { FUNCTIONS } from './commons/contracts/functions';
import { Router } from './commons/http/router';
import { bodyText, json } from './commons/http/responses';
import { ROUTES } from './commons/http/routes';

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: FUNCTIONS.callback.serviceName }) } = {}) {
  const stores = storesFrom(env);
  const metrics = createMetrics('callback', env);
  const startCall = clickToCallFrom(
    env,
    stores,
    (attempt) => {
      logAttempt(logger, attempt);
      metrics.count(attempt.outcome === 'started' ? 'callStarted' : 'callStartFailed');
      if (attempt.failure !== undefined && SERVICE_FAILURES.has(attempt.failure)) metrics.count('callStartError');
    },
    (error) => logger.error('idempotency key not kept', { error: error as Error }),
  );
  const router = new Router(credentialsFrom(env, stores, (error) => logger.warn('lastUsedAt not written', { error: error as Error }))).on(
    ROUTES.beelineCall,
    async ({ params, event }) => json(200, await startCall(params.projectId!, bodyText(event), event.headers?.['idempotency-key'])),
    // Refusals keep the call contract; only bad auth (401, 403) is not HTTP 200.
    (statusCode, message) =>
      json(statusCode === 401 || statusCode === 403 ? statusCode : 200, failed(message, statusCode === 401 ? 'unauthorized' : statusCode === 403 ? 'forbidden' : 'invalid_request')),
  );

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      return await router.route(event);
    } catch (caught) {
      // Only reading a credential can get here; the answer stays in the contract.
      logger.error('beeline call failed', { error: caught as Error });
      return json(200, failed('the call could not be started because of an internal error; try again', 'internal_error'));
    } finally {
      metrics.publish();
    }
  };
}

/** Failures that are the caller's, not the product's or the PBX's: logged at info. */
const QUIET_FAILURES: ReadonlySet<CallFailureCode> = new Set(['invalid_request', 'invalid_client_phone', 'invalid_user', 'pbx_not_connected']);

/** One line per attempt; the PBX token never reaches this function's logs, a client's number only by its last digits. */
function logAttempt(logger: Logger, { error: cause, clientPhone, phoneNumber, ...rest }: CallAttempt): void {
  const attempt = { ...rest, ...(clientPhone !== undefined && { clientPhone: maskedPhone(clientPhone) }), ...(phoneNumber !== undefined && { phoneNumber: maskedPhone(phoneNumber) }) };
  if (cause !== undefined) logger.error('beeline call', { ...attempt, error: cause as Error });
  else if (attempt.outcome === 'started' || QUIET_FAILURES.has(attempt.failure!)) logger.info('beeline call', { ...attempt });
  else logger.warn('beeline call', { ...attempt });
}

export const handler = lazyHandler(() => createHandler());
