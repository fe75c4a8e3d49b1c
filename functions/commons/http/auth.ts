import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { secretsEqual } from '../domain/webhook-secret';

/** `Authorization: Bearer <admin token>`, compared in constant time; the token is never logged. */
export async function bearerAuthorized(event: APIGatewayProxyEventV2, adminToken: () => Promise<string>): Promise<boolean> {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const match = header && /^Bearer (.+)$/.exec(header);
  if (!match) return false;
  return secretsEqual(match[1]!, await adminToken());
}
