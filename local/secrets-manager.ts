/**
 * A local Secrets Manager endpoint: no emulator for it exists on npm, so this serves the one call the
 * project makes, `GetSecretValue`, on its real wire protocol (AWS JSON 1.1, `X-Amz-Target`), so the
 * functions' client (lib/aws) and Powertools run unchanged against it. It counts calls per secret.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredSecret {
  value: string;
  versionId: string;
  created: number;
}

export class LocalSecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly server: Server;
  readonly calls = new Map<string, number>();

  constructor(
    initial: Record<string, string> = {},
    private readonly region = 'us-east-1',
  ) {
    for (const [name, value] of Object.entries(initial)) this.put(name, value);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { status, body, type } = this.dispatch(String(req.headers['x-amz-target'] ?? ''), Buffer.concat(chunks).toString('utf8'));
        res.writeHead(status, {
          'Content-Type': 'application/x-amz-json-1.1',
          'x-amzn-RequestId': randomUUID(),
          ...(type ? { 'x-amzn-ErrorType': type } : {}),
        });
        res.end(JSON.stringify(body));
      });
    });
  }

  /** Creates or rotates a secret (a new version each time). */
  put(name: string, value: string): void {
    this.secrets.set(name, { value, versionId: randomUUID(), created: Date.now() / 1000 });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return this.url;
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dispatch(target: string, text: string): { status: number; body: unknown; type?: string } {
    if (target !== 'secretsmanager.GetSecretValue') {
      return awsError('UnknownOperationException', `The local Secrets Manager serves GetSecretValue only, not ${target || 'this request'}`);
    }
    let secretId: unknown;
    try {
      secretId = (JSON.parse(text) as { SecretId?: unknown }).SecretId;
    } catch {
      return awsError('SerializationException', 'Request body is not valid JSON');
    }
    if (typeof secretId !== 'string' || secretId === '') return awsError('InvalidParameterException', 'SecretId is required');
    this.calls.set(secretId, (this.calls.get(secretId) ?? 0) + 1);
    const secret = this.secrets.get(secretId);
    if (!secret) return awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return {
      status: 200,
      body: {
        ARN: `arn:aws:secretsmanager:${this.region}:000000000000:secret:${secretId}`,
        Name: secretId,
        SecretString: secret.value,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.created,
      },
    };
  }
}

function awsError(type: string, message: string) {
  return { status: 400, type, body: { __type: type, message } };
}
