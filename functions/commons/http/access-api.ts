/** Routes of project keys and of the audit log. */
import { auditEntry, issueKey, isKeyId, type ProjectKey } from '../domain/access';
import { callerOf, HttpError, parseBody, type Router } from './router';
import { bodyText, error, json } from './responses';
import { keyBody } from './bodies';
import { ROUTES } from './routes';
import type { AccessStore } from '../ports';

const MAX_KEYS_PER_PROJECT = 50;
export const DEFAULT_AUDIT_LIMIT = 50;
const MAX_AUDIT_LIMIT = 200;

export function addAccessRoutes(router: Router, store: AccessStore, now: () => Date): void {
  router
    .on(ROUTES.createKey, async (request) => {
      const { params, event } = request;
      const projectId = params.projectId!;
      const body = parseBody(bodyText(event), keyBody);
      if ((await store.listKeys(projectId)).length >= MAX_KEYS_PER_PROJECT) {
        throw new HttpError(409, `a project has at most ${MAX_KEYS_PER_PROJECT} keys: delete one first`);
      }
      const at = now();
      const issued = issueKey(projectId);
      const key: ProjectKey = { projectId, keyId: issued.keyId, scope: body.scope, ...(body.name !== undefined && { name: body.name }), secretHash: issued.secretHash, createdAt: at.toISOString() };
      await store.createKey(key, auditEntry(callerOf(request), 'key.created', at, { keyId: key.keyId, scope: key.scope }));
      return json(201, { ...keyView(key), key: issued.key });
    })
    .on(ROUTES.listKeys, async ({ params }) => json(200, { keys: (await store.listKeys(params.projectId!)).map(keyView) }))
    .on(ROUTES.revokeKey, async (request) => {
      const { projectId, keyId } = request.params as { projectId: string; keyId: string };
      if (!isKeyId(keyId)) return error(404, 'key not found');
      const revoked = await store.revokeKey(projectId, keyId, auditEntry(callerOf(request), 'key.revoked', now(), { keyId }));
      return revoked ? { statusCode: 204, body: '' } : error(404, 'key not found');
    })
    .on(ROUTES.audit, async ({ params, query }) => {
      const limit = query.limit === undefined ? DEFAULT_AUDIT_LIMIT : Number(query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) throw new HttpError(400, `limit: a whole number from 1 to ${MAX_AUDIT_LIMIT}`);
      return json(200, { entries: await store.listAudit(params.projectId!, limit) });
    });
}

function keyView({ keyId, scope, name, createdAt, lastUsedAt }: ProjectKey) {
  return { keyId, scope, name, createdAt, lastUsedAt };
}
