import { exampleServerConfig } from '../examples/mcp-server/settings';
import { FLAGS_START_DEADLINE_MS, HEALTH_CHECK_TIMING } from '../lib/shared/metrics-contract';

const STACK = {
  MCP_ENVIRONMENT: 'production',
  MCP_SLOT: 'canary',
  MCP_METRICS_NAMESPACE: 'MCP/HierarchicalTools',
  MCP_FEATURE_FLAGS_URL: 'http://localhost:2772/applications/a/environments/e/configurations/p',
};

describe('exampleServerConfig', () => {
  test('a local run: loopback, 8080, no browser origin but pages on this machine, the contract deadline', () => {
    expect(exampleServerConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8080,
      allowedOrigins: [],
      flagsMaxAgeMs: 5000,
      flagsStartDeadlineMs: FLAGS_START_DEADLINE_MS,
      kit: { environment: 'staging', slot: 'stable', defaulted: ['MCP_ENVIRONMENT', 'MCP_SLOT', 'MCP_METRICS_NAMESPACE', 'MCP_FEATURE_FLAGS_URL'] },
    });
  });

  test('what the stack sets in a task (PORT and HOST included)', () => {
    expect(exampleServerConfig({ ...STACK, HOST: '0.0.0.0', PORT: '3000', ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/x', MCP_ALLOWED_ORIGINS: 'https://console.example.com' })).toMatchObject({
      host: '0.0.0.0',
      port: 3000,
      allowedOrigins: ['https://console.example.com'],
      kit: { environment: 'production', slot: 'canary', featureFlagsUrl: STACK.MCP_FEATURE_FLAGS_URL, defaulted: [] },
    });
  });

  test('fails with every bad variable, named, with what is allowed', () => {
    expect(() =>
      exampleServerConfig({
        HOST: 'bad host!',
        PORT: '80a',
        MCP_ALLOWED_ORIGINS: '*',
        MCP_FEATURE_FLAGS_MAX_AGE_MS: '0',
        MCP_FEATURE_FLAGS_START_DEADLINE_MS: 'soon',
        MCP_SLOT: 'green',
        ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/x',
      }),
    ).toThrow(
      [
        'Invalid server environment:',
        '  - MCP_ENVIRONMENT is required on ECS (ECS_CONTAINER_METADATA_URI_V4 is set): one of staging, production',
        '  - MCP_SLOT must be one of stable, canary, got "green"',
        "  - MCP_FEATURE_FLAGS_URL is required on ECS (ECS_CONTAINER_METADATA_URI_V4 is set): the AppConfig Agent's http:// URL of the flags profile",
        '  - HOST must be a host name or an IP address to listen on, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface), got "bad host!"',
        '  - PORT must be an integer from 0 to 65535, got "80a"',
        '  - MCP_ALLOWED_ORIGINS: "*" is not an origin; list each one as scheme://host[:port], e.g. https://console.example.com',
        '  - MCP_FEATURE_FLAGS_MAX_AGE_MS must be an integer from 1 to 3600000, got "0"',
        '  - MCP_FEATURE_FLAGS_START_DEADLINE_MS must be an integer from 1 to 3600000, got "soon"',
      ].join('\n'),
    );
  });
});

test('the first-read deadline leaves a starting task time for one passing probe inside the health check grace period', () => {
  const { gracePeriodSeconds, intervalSeconds, timeoutSeconds } = HEALTH_CHECK_TIMING;
  expect(FLAGS_START_DEADLINE_MS).toBe((gracePeriodSeconds - intervalSeconds - timeoutSeconds) * 1000);
  expect(FLAGS_START_DEADLINE_MS).toBeGreaterThan(0);
});
