/**
 * Field-level encryption of PBX tokens at rest: AWS KMS on AWS, a local AES-256-GCM key in the
 * local stack, behind one interface. The project id is bound to the ciphertext (KMS encryption
 * context / GCM additional data), so a token copied to another project's item does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Environment } from '../environment';

import type { TokenCipher } from '../ports';

export type { TokenCipher };

export class LocalTokenCipher implements TokenCipher {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash('sha256').update(`beeline-token-key:${secret}`).digest();
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

/** `TOKEN_KMS_KEY_ID` (AWS) or `TOKEN_KEY` (local stack). */
export function tokenCipherFrom(env: Environment): TokenCipher {
  if (env.TOKEN_KMS_KEY_ID) return new KmsTokenCipher(new KMSClient({ region: env.AWS_REGION }), env.TOKEN_KMS_KEY_ID);
  if (env.TOKEN_KEY) return new LocalTokenCipher(env.TOKEN_KEY);
  throw new Error('configuration: set TOKEN_KMS_KEY_ID or TOKEN_KEY');
}
