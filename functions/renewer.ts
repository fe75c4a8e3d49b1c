/**
 * Scheduled sweep: subscriptions whose renewal time has come (or whose retry is due) are
 * queued for reconciliation, so none lapses silently at the PBX; and every connected project
 * gets a recovery run for calls whose webhooks never arrived.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { queueFrom, storesFrom } from './commons/composition';
import { lazyHandler, type Environment } from './commons/environment';

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: 'beeline-renewer' }) } = {}) {
  const { pbx } = storesFrom(env);
  const queue = queueFrom(env);
  return async (): Promise<{ renewals: number; recoveries: number }> => {
    const [due, projects] = await Promise.all([pbx.dueRenewals(new Date().toISOString()), pbx.connectedProjects()]);
    await Promise.all([
      ...due.map(({ projectId, employeeId }) => queue.send({ v: 1, kind: 'subscription', projectId, employeeId, reason: 'renewal' })),
      ...projects.map((projectId) => queue.send({ v: 1, kind: 'recover', projectId })),
    ]);
    if (due.length > 0) logger.info('renewals queued', { count: due.length });
    return { renewals: due.length, recoveries: projects.length };
  };
}

export const handler = lazyHandler(() => createHandler());
