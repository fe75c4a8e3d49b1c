import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Environment } from '../environment';

export type SecretName = 'WEBHOOK_KEY' | 'ADMIN_TOKEN';

/** How long a secret read is trusted: a rotated value reaches every warm function within this. */
export const SECRET_REFRESH_MS = 5 * 60_000;

/** The values of a secret that are valid now: the current one first, then the previous one while a rotation is under way. */
export type SecretVersions = () => Promise<string[]>;

/**
 * A secret named NAME comes from Secrets Manager when `NAME_SECRET_ARN` is set (AWS: the
 * `AWSCURRENT` and `AWSPREVIOUS` versions), else from the variables `NAME` and
 * `NAME_PREVIOUS` (local stack, tests). Re-read every SECRET_REFRESH_MS; a failed read is
 * retried on the next use.
 */
export function secretVersionsFromEnvironment(name: SecretName, env: Environment, { refreshMs = SECRET_REFRESH_MS, now = Date.now } = {}): SecretVersions {
  let cached: { values: Promise<string[]>; at: number } | undefined;
  return () => {
    if (!cached || now() - cached.at >= refreshMs) {
      const values = load(name, env);
      const entry = { values, at: now() };
      cached = entry;
      values.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.values;
  };
}

/** The current value of a secret (see secretVersionsFromEnvironment). */
export function secretFromEnvironment(name: SecretName, env: Environment): () => Promise<string> {
  const versions = secretVersionsFromEnvironment(name, env);
  return async () => (await versions())[0]!;
}

async function load(name: SecretName, env: Environment): Promise<string[]> {
  const arn = env[`${name}_SECRET_ARN`];
  if (arn) {
    const client = new SecretsManagerClient({ region: env.AWS_REGION });
    const [current, previous] = await Promise.all([
      client.send(new GetSecretValueCommand({ SecretId: arn })),
      // Exists only after a rotation; until the previous value is retired it keeps working.
      client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' })).catch((error: unknown) => {
        if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
        throw error;
      }),
    ]);
    if (!current.SecretString) throw new Error(`secret ${name} is empty`);
    return previous?.SecretString ? [current.SecretString, previous.SecretString] : [current.SecretString];
  }
  const direct = env[name];
  if (!direct) throw new Error(`configuration: set ${name}_SECRET_ARN or ${name}`);
  const previous = env[`${name}_PREVIOUS`];
  return previous ? [direct, previous] : [direct];
}
