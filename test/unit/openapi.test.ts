/** The API reference in docs/ is the one the route table and the handlers' schemas make. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/commons/http/routes';
import { buildOpenApi, OPENAPI_FILE, renderOpenApi } from '../../scripts/openapi';

describe('docs/openapi.json', () => {
  it('is what `npm run openapi` builds now (a changed route or body schema without a new reference fails here)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });

  it('documents every route with its method, its credential and the body schema the handler validates with', () => {
    const doc = buildOpenApi() as { paths: Record<string, Record<string, any>> };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(operations).toHaveLength(Object.keys(ROUTES).length);
    for (const [name, route] of Object.entries(ROUTES)) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op?.operationId, name).toBe(name);
      expect(op.security, name).toEqual(route.access === 'open' ? [] : [{ bearer: [] }]);
    }
    const employee = doc.paths['/projects/{projectId}/employees/{employeeId}']!.put.requestBody.content['application/json'].schema;
    expect(employee).toMatchObject({ type: 'object', required: ['callMethod'], additionalProperties: false, properties: { callMethod: { enum: ['beeline_api', 'none'] } } });
    const call = doc.paths['/projects/{projectId}/beeline/call']!.post.requestBody.content['application/json'].schema;
    expect(call).toMatchObject({ required: ['client_phone', 'user'], properties: { user: { pattern: '^(9[0-9]{9}|[0-9]{2,6})$' } } });
  });
});
