/**
 * Scheduled sweep: subscriptions whose renewal time has come (or whose retry is due) are
 * queued for reconciliation, so none lapses silently at the PBX; and every connected project
 * gets a recovery run for calls whose webhooks never arrived.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { queueFrom, storesFrom } from './commons/composition';
import { isQuiet } from './commons/domain/subscriptions';
import { SETTINGS } from './commons/contracts/settings';
import { lazyHandler, settingFrom, type Environment } from './commons/environment';
import { createMetrics } from './commons/adapters/metrics';
import { FUNCTIONS } from './commons/contracts/functions';

import type { SweepTask } from './commons/contracts/schedules';

export type { SweepTask };

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: FUNCTIONS.sweeper.serviceName }) } = {}) {
  const { pbx } = storesFrom(env);
  const queue = queueFrom(env, ['work']);
  const metrics = createMetrics('sweeper', env);
  const quietPeriodMs = settingFrom(env, SETTINGS.quietPeriodSeconds) * 1000;
  /** `renew` (often: renewals, retries, the quiet check) or `recover` (less often: it reads the PBX's history). */
  return async (event: { task?: SweepTask } = {}): Promise<{ renewals: number; recoveries: number; quiet: number }> => {
    const task = event.task ?? 'renew';
    const now = Date.now();
    const projects = await pbx.connectedProjects();
    if (task === 'recover') {
      await Promise.all(projects.map((projectId) => queue.send({ v: 1, kind: 'recover', projectId })));
      return { renewals: 0, recoveries: projects.length, quiet: 0 };
    }
    const due = await pbx.dueRenewals(new Date(now).toISOString());
    await Promise.all(due.map(({ projectId, employeeId }) => queue.send({ v: 1, kind: 'subscription', projectId, employeeId, reason: 'renewal' })));
    let quiet = 0;
    for (const projectId of projects) {
      for (const [employeeId, state] of await pbx.listStates(projectId)) {
        if (!isQuiet(state, now, quietPeriodMs)) continue;
        quiet++;
        logger.warn('no events for a subscribed employee for longer than the quiet period', { projectId, employeeId, lastEventAt: state.lastEventAt });
      }
    }
    if (due.length > 0) logger.info('renewals queued', { count: due.length });
    metrics.count('renewalsQueued', due.length);
    metrics.count('quietEmployees', quiet);
    metrics.publish();
    return { renewals: due.length, recoveries: 0, quiet };
  };
}

export const handler = lazyHandler(() => createHandler());
