import { describe, expect, it } from 'vitest';
import { cipherFrom, KmsTokenCipher } from '../../functions/commons/adapters/token-cipher';

describe('a key per purpose', () => {
  it("locally, a PBX token's ciphertext does not decrypt as a receiver's secret, nor for another project", async () => {
    const env = { TOKEN_KEY: 'local-secret' };
    const tokens = cipherFrom(env, 'pbxTokens');
    const secrets = cipherFrom(env, 'deliverySecrets');
    const token = await tokens.encrypt('pbx-token-1', 'p-a');
    expect(await tokens.decrypt(token, 'p-a')).toBe('pbx-token-1');
    await expect(secrets.decrypt(token, 'p-a')).rejects.toThrow();
    await expect(tokens.decrypt(token, 'p-b')).rejects.toThrow();
    const secret = await secrets.encrypt('whsec_abc', 'p-a');
    expect(await secrets.decrypt(secret, 'p-a')).toBe('whsec_abc');
    await expect(tokens.decrypt(secret, 'p-a')).rejects.toThrow();
  });

  it("on AWS, each purpose takes its own key's variable and never falls back to the other's", () => {
    expect(cipherFrom({ DELIVERY_KMS_KEY_ID: 'arn:aws:kms:eu-central-1:1:key/d', AWS_REGION: 'eu-central-1' }, 'deliverySecrets')).toBeInstanceOf(KmsTokenCipher);
    expect(() => cipherFrom({ TOKEN_KMS_KEY_ID: 'arn:aws:kms:eu-central-1:1:key/t', AWS_REGION: 'eu-central-1' }, 'deliverySecrets')).toThrow('configuration: set DELIVERY_KMS_KEY_ID or TOKEN_KEY');
    expect(() => cipherFrom({ DELIVERY_KMS_KEY_ID: 'arn:aws:kms:eu-central-1:1:key/d', AWS_REGION: 'eu-central-1' }, 'pbxTokens')).toThrow('configuration: set TOKEN_KMS_KEY_ID or TOKEN_KEY');
  });
});
