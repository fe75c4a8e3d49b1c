import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export const JSON_TYPE = 'application/json; charset=utf-8';

export function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(body) };
}

export function error(statusCode: number, message: string): APIGatewayProxyStructuredResultV2 {
  return json(statusCode, { error: message });
}

/** Path ids (projectId, employeeId, clientId): 1–64 chars of `A-Za-z0-9_-`. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * The PBX's tracking ids in paths: UUIDs, and the other forms BroadWorks ids take (`…:0`,
 * `…@host`), up to the 128 characters an event may carry; never `#`, `/` or `%`.
 */
export const TRACKING_ID_PATTERN = /^[A-Za-z0-9_:.@+=~-]{1,128}$/;

/** The request body as text, whether API Gateway passed it plain or base64-encoded. */
export function bodyText(event: { body?: string; isBase64Encoded?: boolean }): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export function bodyBytes(event: { body?: string; isBase64Encoded?: boolean }): number {
  if (!event.body) return 0;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').byteLength : Buffer.byteLength(event.body, 'utf8');
}
