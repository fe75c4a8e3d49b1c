/** Routes of the project's receiver of outbound events: set it (a secret shown once), look at it with its recent deliveries, remove it. */
import { auditEntry } from '../domain/access';
import type { DeliverySettingsService } from '../app/delivery/settings';
import { callerOf, parseBody, type Router } from './router';
import { deliveryBody } from './bodies';
import { bodyText, error, json } from './responses';
import { ROUTES } from './routes';

export type DeliveryApiDeps = Pick<DeliverySettingsService, 'put' | 'get' | 'remove'>;

export function addDeliveryRoutes(router: Router, delivery: DeliveryApiDeps): void {
  router
    .on(ROUTES.putDelivery, async (request) => {
      const body = parseBody(bodyText(request.event), deliveryBody);
      const caller = callerOf(request);
      const result = await delivery.put(request.params.projectId!, body, (action, at, details) => auditEntry(caller, action, at, details));
      if (!result.ok) return error(400, result.reason);
      return json(200, { url: result.url, secretHint: result.secretHint, ...(result.secret !== undefined && { secret: result.secret }) });
    })
    .on(ROUTES.getDelivery, async ({ params }) => json(200, await delivery.get(params.projectId!)))
    .on(ROUTES.deleteDelivery, async (request) => {
      const caller = callerOf(request);
      const removed = await delivery.remove(request.params.projectId!, (action, at, details) => auditEntry(caller, action, at, details));
      return removed ? { statusCode: 204, body: '' } : error(404, 'no delivery URL is set');
    });
}
