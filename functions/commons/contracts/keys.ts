/**
 * What each KMS key of the stack protects, and the environment variable naming it to a function:
 * the PBX tokens and the receivers' signing secrets have a key each, so a function given one
 * cannot read what the other protects (the delivery function never reads a PBX token).
 */
export const CIPHER_KEYS = {
  pbxTokens: { kmsKeyEnv: 'TOKEN_KMS_KEY_ID', localLabel: 'beeline-token-key' },
  deliverySecrets: { kmsKeyEnv: 'DELIVERY_KMS_KEY_ID', localLabel: 'beeline-delivery-key' },
} as const;

export type CipherPurpose = keyof typeof CIPHER_KEYS;

/** The local stack's one secret, from which each purpose's AES key is derived apart (`localLabel`). */
export const LOCAL_CIPHER_SECRET_ENV = 'TOKEN_KEY';
