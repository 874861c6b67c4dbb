import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serverKitEnvironment } from '../lib/server-kit/environment';
import { HealthCheck } from '../lib/server-kit/health';
import { ServerKit } from '../lib/server-kit/server-kit';
import { DEFAULT_CONFIG } from '../lib/config/environments';

describe('serverKitEnvironment', () => {
  test('reads the variables the stack sets', () => {
    expect(
      serverKitEnvironment({
        MCP_ENVIRONMENT: 'production',
        MCP_SLOT: 'canary',
        MCP_METRICS_NAMESPACE: 'MCP/HierarchicalTools',
        MCP_FEATURE_FLAGS_URL: 'http://localhost:2772/applications/a/environments/e/configurations/p',
      }),
    ).toEqual({
      environment: 'production',
      slot: 'canary',
      featureFlagsUrl: 'http://localhost:2772/applications/a/environments/e/configurations/p',
      defaulted: [],
    });
  });

  test('outside the stack, unset variables get the local defaults and are listed', () => {
    expect(serverKitEnvironment({})).toEqual({
      environment: 'staging',
      slot: 'stable',
      defaulted: ['MCP_ENVIRONMENT', 'MCP_SLOT', 'MCP_METRICS_NAMESPACE', 'MCP_FEATURE_FLAGS_URL'],
    });
  });

  test('fails with every bad variable, its value and what is allowed', () => {
    expect(() =>
      serverKitEnvironment({ MCP_ENVIRONMENT: 'prod', MCP_SLOT: 'green', MCP_METRICS_NAMESPACE: 'MCP/Tools', MCP_FEATURE_FLAGS_URL: 'localhost:2772' }),
    ).toThrow(
      [
        'Invalid server environment:',
        '  - MCP_ENVIRONMENT must be one of staging, production, got "prod"',
        '  - MCP_SLOT must be one of stable, canary, got "green"',
        '  - MCP_METRICS_NAMESPACE must be "MCP/HierarchicalTools" (the namespace the alarms read), got "MCP/Tools"',
        '  - MCP_FEATURE_FLAGS_URL must be the AppConfig Agent\'s http:// URL of the flags profile, got "localhost:2772"',
      ].join('\n'),
    );
  });
});

describe('HealthCheck over HTTP', () => {
  let server: Server;
  let base: string;
  const health = new HealthCheck(new ServerKit({ environment: 'staging', slot: 'stable', tools: [] }));

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (!health.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('the stack probes the path the handler answers', () => {
    for (const env of Object.values(DEFAULT_CONFIG.environments)) expect(env.container.healthCheckPath).toBe(health.path);
  });

  test('GET answers 200 with the status, uncached; HEAD the same without a body; a query string is ignored', async () => {
    const get = await fetch(`${base}/health?probe=1`);
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('no-store');
    expect(await get.json()).toEqual({ status: 'ok', environment: 'staging', slot: 'stable', flags: { source: 'defaults' } });
    const head = await fetch(`${base}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  test('other methods get 405 with Allow; other paths fall through', async () => {
    const post = await fetch(`${base}/health`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/mcp`)).status).toBe(404);
  });

  test('after drain() it answers 503', async () => {
    health.drain();
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { status: string }).status).toBe('draining');
  });
});

describe('on ECS (ECS_CONTAINER_METADATA_URI_V4 set, as Fargate sets it in every container)', () => {
  const ecs = { ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/0123456789abcdef-1234567890' };

  test('MCP_ENVIRONMENT, MCP_SLOT and MCP_FEATURE_FLAGS_URL are required: without them a task would report as staging/stable, or serve the rollback flags on while rolled back', () => {
    expect(() => serverKitEnvironment(ecs)).toThrow(
      [
        'Invalid server environment:',
        '  - MCP_ENVIRONMENT is required on ECS (ECS_CONTAINER_METADATA_URI_V4 is set): one of staging, production',
        '  - MCP_SLOT is required on ECS (ECS_CONTAINER_METADATA_URI_V4 is set): one of stable, canary',
        "  - MCP_FEATURE_FLAGS_URL is required on ECS (ECS_CONTAINER_METADATA_URI_V4 is set): the AppConfig Agent's http:// URL of the flags profile",
      ].join('\n'),
    );
  });

  test('with the three set it starts; the namespace keeps its default', () => {
    const url = 'http://localhost:2772/applications/a/environments/e/configurations/p';
    expect(serverKitEnvironment({ ...ecs, MCP_ENVIRONMENT: 'production', MCP_SLOT: 'canary', MCP_FEATURE_FLAGS_URL: url })).toEqual({
      environment: 'production',
      slot: 'canary',
      featureFlagsUrl: url,
      defaulted: ['MCP_METRICS_NAMESPACE'],
    });
  });
});
