/**
 * The Serverless Framework works offline, as the README promises: `invoke local` runs a TypeScript
 * handler through esbuild, and `package` writes the CloudFormation without a login or network.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServerless } from '../../local/serverless-config';

const root = join(__dirname, '../..');
const serverless = (...args: string[]) => runServerless(args, { timeout: 120_000 });

jest.setTimeout(180_000);

describe('serverless (osls) offline', () => {
  it('invokes a TypeScript handler locally with a sample event', async () => {
    const { stdout } = await serverless('invoke', 'local', '-f', 'health', '-p', 'events/health.json');
    const response = JSON.parse(stdout.slice(stdout.indexOf('{')));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'ok', service: 's2s-vault' });
  });

  it('packages every function and the HTTP API into CloudFormation, leaving nothing in the temporary directory', async () => {
    // serverless-esbuild's zip directories: `<function>-<pid>-<ms>-<hex>`.
    const zipDirectories = () => new Set(readdirSync(tmpdir()).filter((name) => /^\w+-\d+-\d+-[0-9a-f]{8}$/.test(name)));
    const before = zipDirectories();
    await serverless('package', '--stage', 'ci');
    expect([...zipDirectories()].filter((name) => !before.has(name))).toEqual([]);
    const template = JSON.parse(readFileSync(join(root, '.serverless/cloudformation-template-update-stack.json'), 'utf8'));
    const functions = Object.values(template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    expect(template.Resources.HttpApiRouteGetHealth.Properties.RouteKey).toBe('GET /health');
  });
});
