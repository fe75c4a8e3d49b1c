/**
 * Field-level encryption of secrets at rest (PBX tokens, receivers' signing secrets): AWS KMS on
 * AWS, a local AES-256-GCM key in the local stack, behind one interface, a key per purpose. The
 * project id is bound to the ciphertext (KMS encryption context / GCM additional data), so a value
 * copied to another project's item does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { CIPHER_KEYS, LOCAL_CIPHER_SECRET_ENV, type CipherPurpose } from '../contracts/keys';
import type { Environment } from '../environment';

import type { TokenCipher } from '../ports';

export type { TokenCipher };

export class LocalTokenCipher implements TokenCipher {
  private readonly key: Buffer;

  constructor(secret: string, label: string) {
    this.key = createHash('sha256').update(`${label}:${secret}`).digest();
  }

  async encrypt(plaintext: string, projectId: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(projectId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `local:v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  async decrypt(ciphertext: string, projectId: string): Promise<string> {
    const raw = Buffer.from(ciphertext.replace(/^local:v1:/, ''), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12)).setAAD(Buffer.from(projectId));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

export class KmsTokenCipher implements TokenCipher {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async encrypt(plaintext: string, projectId: string): Promise<string> {
    const { CiphertextBlob } = await this.kms.send(new EncryptCommand({ KeyId: this.keyId, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: { projectId } }));
    return `kms:v1:${Buffer.from(CiphertextBlob!).toString('base64')}`;
  }

  async decrypt(ciphertext: string, projectId: string): Promise<string> {
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(ciphertext.replace(/^kms:v1:/, ''), 'base64'),
        EncryptionContext: { projectId },
      }),
    );
    return Buffer.from(Plaintext!).toString('utf8');
  }
}

/** The purpose's KMS key (AWS), or its key derived from the local stack's secret. */
export function cipherFrom(env: Environment, purpose: CipherPurpose): TokenCipher {
  const { kmsKeyEnv, localLabel } = CIPHER_KEYS[purpose];
  const kmsKeyId = env[kmsKeyEnv];
  if (kmsKeyId) return new KmsTokenCipher(new KMSClient({ region: env.AWS_REGION }), kmsKeyId);
  const localSecret = env[LOCAL_CIPHER_SECRET_ENV];
  if (localSecret) return new LocalTokenCipher(localSecret, localLabel);
  throw new Error(`configuration: set ${kmsKeyEnv} or ${LOCAL_CIPHER_SECRET_ENV}`);
}
