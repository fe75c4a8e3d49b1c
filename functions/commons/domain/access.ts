/**
 * Who is calling, and whether that caller may use a route of a project.
 * Plain rules; where credentials come from is the application layer's business.
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * Who may call a route:
 * - `open`: anyone (the route authenticates by other means: a URL secret, a signature);
 * - `platform`: the platform token only;
 * - `project`: the platform token or an `admin` key of the route's project;
 * - `call`: the platform token, an `admin` or a `call` key of the route's project.
 */
export type Access = 'open' | 'platform' | 'project' | 'call';

export const KEY_SCOPES = ['admin', 'call'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

export type Principal = { kind: 'platform' } | { kind: 'key'; projectId: string; keyId: string; scope: KeyScope };

/** What the audit log says of a caller: `platform` or `key:<keyId>`, never a secret. */
export function principalLabel(principal: Principal): string {
  return principal.kind === 'platform' ? 'platform' : `key:${principal.keyId}`;
}

export type AccessDecision = 'allow' | 'unauthenticated' | 'forbidden';

/** Deny by default: only what the route's access level names is allowed. */
export function decideAccess(principal: Principal | undefined, access: Access, projectId: string | undefined): AccessDecision {
  if (access === 'open') return 'allow';
  if (!principal) return 'unauthenticated';
  if (principal.kind === 'platform') return 'allow';
  if (projectId === undefined || principal.projectId !== projectId) return 'forbidden';
  switch (access) {
    case 'platform':
      return 'forbidden';
    case 'project':
      return principal.scope === 'admin' ? 'allow' : 'forbidden';
    case 'call':
      return 'allow';
  }
}

// ---------------------------------------------------------------- project keys

/**
 * A project key as handed out: `bpk.<projectId>.<keyId>.<secret>`. The project and key id say
 * where its hash is stored (one keyed read); only the secret's hash is ever stored. Ids are
 * `[A-Za-z0-9_-]`, so dots separate the parts unambiguously.
 */
const KEY_PREFIX = 'bpk';
const KEY_ID_PATTERN = /^k[0-9a-f]{16}$/;
const KEY_SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Longer presented keys are refused before anything is parsed or read. */
export const MAX_KEY_CHARS = 160;

export interface IssuedKey {
  keyId: string;
  /** The whole key, shown once. */
  key: string;
  secretHash: string;
}

export function issueKey(projectId: string): IssuedKey {
  const keyId = `k${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  return { keyId, key: `${KEY_PREFIX}.${projectId}.${keyId}.${secret}`, secretHash: hashKeySecret(secret) };
}

export function isKeyId(value: string): boolean {
  return KEY_ID_PATTERN.test(value);
}

/** The parts of a presented key, or undefined when it cannot be one of ours. */
export function parseKey(presented: string): { projectId: string; keyId: string; secretHash: string } | undefined {
  if (presented.length > MAX_KEY_CHARS) return undefined;
  const parts = presented.split('.');
  if (parts.length !== 4 || parts[0] !== KEY_PREFIX) return undefined;
  const [, projectId, keyId, secret] = parts as [string, string, string, string];
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(projectId) || !isKeyId(keyId) || !KEY_SECRET_PATTERN.test(secret)) return undefined;
  return { projectId, keyId, secretHash: hashKeySecret(secret) };
}

/** 256 random bits need no salt or stretching: a plain SHA-256 cannot be reversed or guessed. */
function hashKeySecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** A project key as stored: the hash of its secret, never the secret. */
export interface ProjectKey {
  projectId: string;
  keyId: string;
  scope: KeyScope;
  name?: string;
  secretHash: string;
  createdAt: string;
  lastUsedAt?: string;
}

// ---------------------------------------------------------------- audit

export const AUDIT_ACTIONS = [
  'key.created',
  'key.revoked',
  'pbx-token.set',
  'pbx-token.removed',
  'pbx-watch.set',
  'capture.started',
  'capture.stopped',
  'webhook-secret.rotated',
  'record-links.revoked',
  'delivery.set',
  'delivery.secret-rotated',
  'delivery.removed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One change to a project's credentials: who made it (a credential's label) and what it was, never a secret. */
export interface AuditEntry {
  at: string;
  action: AuditAction;
  credential: string;
  details: Record<string, string>;
}

export function auditEntry(principal: Principal, action: AuditAction, at: Date, details: Record<string, string> = {}): AuditEntry {
  return { at: at.toISOString(), action, credential: principalLabel(principal), details };
}
