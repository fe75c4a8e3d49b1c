/** A project's PBX: its stored connection, decrypted on use, as a ready API client. */
import type { PbxClient, StoredConnection, TokenCipher } from '../ports';
import type { PbxExchange } from '../domain/capture';

export class NotConnectedError extends Error {
  constructor() {
    super('the PBX is not connected for this project');
  }
}

/**
 * A PBX client for a token; `timeoutMs` per attempt and `retries` (of safe requests) override
 * the defaults; `observe` is told of every exchange (capture mode).
 */
export type PbxClientFactory = (token: string, timeoutMs?: number, retries?: number, observe?: (exchange: PbxExchange) => Promise<void>) => PbxClient;

/** Who is told of a project's PBX exchanges (capture mode), given the project and its token (to redact it). */
export type PbxObserver = (projectId: string, token: string) => ((exchange: PbxExchange) => Promise<void>) | undefined;

export class ProjectPbx {
  constructor(
    private readonly store: { getConnection(projectId: string): Promise<StoredConnection | undefined> },
    private readonly cipher: TokenCipher,
    private readonly clients: PbxClientFactory,
    private readonly observer?: PbxObserver,
  ) {}

  /** The project's PBX client (optionally with another timeout and retry count), or NotConnectedError. */
  async client(projectId: string, timeoutMs?: number, retries?: number): Promise<PbxClient> {
    return (await this.connect(projectId))(timeoutMs, retries);
  }

  /** Reads and decrypts the connection once; clients with any timeout can then be made from it. */
  async connect(projectId: string): Promise<(timeoutMs?: number, retries?: number) => PbxClient> {
    const connection = await this.store.getConnection(projectId);
    if (!connection) throw new NotConnectedError();
    const token = await this.cipher.decrypt(connection.encryptedToken, projectId);
    const observe = this.observer?.(projectId, token);
    return (timeoutMs, retries) => this.clients(token, timeoutMs, retries, observe);
  }
}
