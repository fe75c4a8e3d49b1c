import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Environment } from '../environment';

/**
 * A secret named NAME comes from Secrets Manager when `NAME_SECRET_ARN` is set (AWS), else
 * from the variable `NAME` itself (local stack, tests). Read once per process.
 */
export function secretFromEnvironment(name: 'WEBHOOK_KEY' | 'ADMIN_TOKEN', env: Environment): () => Promise<string> {
  let value: Promise<string> | undefined;
  return () => {
    value ??= load(name, env).catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}

async function load(name: string, env: Environment): Promise<string> {
  const arn = env[`${name}_SECRET_ARN`];
  if (arn) {
    const { SecretString } = await new SecretsManagerClient({ region: env.AWS_REGION }).send(new GetSecretValueCommand({ SecretId: arn }));
    if (!SecretString) throw new Error(`secret ${name} is empty`);
    return SecretString;
  }
  const direct = env[name];
  if (!direct) throw new Error(`configuration: set ${name}_SECRET_ARN or ${name}`);
  return direct;
}
