import { DEFAULT_FLAG_VALUES } from '../lib/shared/feature-flags';
import { AppConfigAgentFlags, parseAgentFlags } from '../lib/server-kit/flags-client';
import { HealthCheck } from '../lib/server-kit/health';
import { ServerKit } from '../lib/server-kit/server-kit';
import { AgentStandIn, agentUrl, freePort, simplifiedFlags } from './helpers/appconfig-agent-stand-in';

const OFF = { ...DEFAULT_FLAG_VALUES, auto_correction_enabled: false, enhanced_error_messages: false };

describe('parseAgentFlags', () => {
  test('reads the retrieval-time format; flags left out keep their previous value; unknown flags are ignored', () => {
    expect(parseAgentFlags({ auto_correction_enabled: { enabled: false, threshold: 2 }, other_flag: { enabled: true } }, DEFAULT_FLAG_VALUES)).toEqual({
      ...DEFAULT_FLAG_VALUES,
      auto_correction_enabled: false,
    });
  });

  test('reads a full definition document too', () => {
    expect(parseAgentFlags({ version: '1', flags: {}, values: { performance_monitoring: { enabled: false } } }, DEFAULT_FLAG_VALUES)).toEqual({
      ...DEFAULT_FLAG_VALUES,
      performance_monitoring: false,
    });
  });

  test.each([
    [[], 'the agent served [], not a JSON object of flags'],
    [{ auto_correction_enabled: true }, 'the agent served invalid flags: auto_correction_enabled: must be an object like {"enabled": true}, got true'],
    [{ auto_correction_enabled: { enabled: 'yes' } }, 'the agent served invalid flags: auto_correction_enabled: must be an object like {"enabled": true}, got {"enabled":"yes"}'],
  ])('refuses %j', (body, message) => {
    expect(() => parseAgentFlags(body, DEFAULT_FLAG_VALUES)).toThrow(message);
  });
});

describe('AppConfigAgentFlags against a stand-in agent on 127.0.0.1', () => {
  let agent: AgentStandIn;
  let log: string[];
  let now: number;
  const client = (options: object = {}) => new AppConfigAgentFlags({ url: agent.url, maxAgeMs: 1000, timeoutMs: 200, now: () => now, log: (m) => log.push(m), ...options });

  beforeEach(async () => {
    agent = await AgentStandIn.start(simplifiedFlags(OFF), '3');
    log = [];
    now = 1_000_000;
  });
  afterEach(async () => {
    await agent.stop().catch(() => undefined);
  });

  test("answers the seed's defaults before the first read, then the agent's values", async () => {
    const flags = client();
    expect(flags.status()).toEqual({ source: 'defaults', values: DEFAULT_FLAG_VALUES });
    expect(await flags.refresh()).toEqual({ source: 'agent', values: OFF, version: '3', readAt: now });
    expect(flags.get()).toEqual(OFF);
    expect(log).toEqual(['feature flags: read version 3 from the AppConfig Agent']);
  });

  test('get() reads again in the background once the values are older than maxAgeMs, and never blocks', async () => {
    const flags = client();
    await flags.refresh();
    agent.serve(simplifiedFlags(DEFAULT_FLAG_VALUES), '4');
    now += 999;
    expect(flags.get()).toEqual(OFF);
    expect(agent.requests).toBe(1);
    now += 1;
    expect(flags.get()).toEqual(OFF); // the read runs in the background
    await flags.refresh();
    expect(flags.get()).toEqual(DEFAULT_FLAG_VALUES);
    expect(flags.status().version).toBe('4');
  });

  test('keeps the last good values when the agent becomes unreachable, says so once, and recovers', async () => {
    const flags = client();
    await flags.refresh();
    await agent.stop();
    now += 5000;
    const status = await flags.refresh();
    expect(status).toEqual({ source: 'last-good', values: OFF, version: '3', readAt: 1_000_000, lastError: 'the AppConfig Agent is unreachable (ECONNREFUSED)' });
    await flags.refresh();
    expect(log).toEqual([
      'feature flags: read version 3 from the AppConfig Agent',
      'feature flags: the AppConfig Agent is unreachable (ECONNREFUSED); keeping the last good values (version 3)',
    ]);
  });

  test("keeps the seed's defaults when the agent was never reachable", async () => {
    await agent.stop();
    const flags = client();
    expect(await flags.refresh()).toEqual({ source: 'defaults', values: DEFAULT_FLAG_VALUES, lastError: 'the AppConfig Agent is unreachable (ECONNREFUSED)' });
    expect(log).toEqual(["feature flags: the AppConfig Agent is unreachable (ECONNREFUSED); keeping the seed's defaults (every flag on)"]);
  });

  test('gives up on a slow agent after timeoutMs', async () => {
    agent.slowDown(1000);
    const flags = client({ timeoutMs: 50 });
    expect((await flags.refresh()).lastError).toBe('the AppConfig Agent did not answer within 50 ms');
  });

  test('keeps the last good values on an HTTP error or an invalid document', async () => {
    const flags = client();
    await flags.refresh();
    agent.fail(404);
    expect(await flags.refresh()).toMatchObject({ source: 'last-good', values: OFF, lastError: 'the AppConfig Agent answered HTTP 404: ResourceNotFoundException' });
    agent.serve({ auto_correction_enabled: 'on' }, '5');
    expect(await flags.refresh()).toMatchObject({ source: 'last-good', values: OFF, lastError: 'the agent served invalid flags: auto_correction_enabled: must be an object like {"enabled": true}, got "on"' });
  });

  test('one read at a time', async () => {
    agent.slowDown(50);
    const flags = client();
    await Promise.all([flags.refresh(), flags.refresh(), flags.refresh()]);
    expect(agent.requests).toBe(1);
  });

  test('/health shows where the flags come from, and answers 200 while the agent is down', async () => {
    const flags = client();
    const kit = new ServerKit({ environment: 'staging', slot: 'canary', tools: [], flags });
    const health = new HealthCheck(kit, flags, () => now + 2000);
    await flags.refresh();
    expect(health.body()).toEqual({ status: 'ok', environment: 'staging', slot: 'canary', flags: { source: 'agent', version: '3', ageSeconds: 2 } });
    await agent.stop();
    await flags.refresh();
    expect(health.body()).toEqual({
      status: 'ok',
      environment: 'staging',
      slot: 'canary',
      flags: { source: 'last-good', version: '3', ageSeconds: 2, lastError: 'the AppConfig Agent is unreachable (ECONNREFUSED)' },
    });
    health.drain();
    expect(health.body().status).toBe('draining');
  });
});

describe('AppConfigAgentFlags without an agent URL', () => {
  test("answers the seed's defaults and reads nothing", async () => {
    const fetch = jest.fn();
    const flags = new AppConfigAgentFlags({ fetch });
    expect(flags.get()).toEqual(DEFAULT_FLAG_VALUES);
    expect(await flags.refresh()).toEqual({ source: 'defaults', values: DEFAULT_FLAG_VALUES });
    expect(fetch).not.toHaveBeenCalled();
  });

  test.each([
    [{ url: 'localhost:2772/x' }, 'the feature flags URL must be an http:// URL of the AppConfig Agent, got "localhost:2772/x"'],
    [{ url: 'https://localhost:2772/x' }, 'the feature flags URL must be an http:// URL of the AppConfig Agent, got "https://localhost:2772/x"'],
    [{ timeoutMs: 0 }, 'timeoutMs must be a number of milliseconds above 0, got 0'],
  ])('fails when %j', (options, message) => {
    expect(() => new AppConfigAgentFlags(options)).toThrow(message);
  });
});

describe('the first read at start-up (a task whose AppConfig Agent is not ready yet)', () => {
  const agents: AgentStandIn[] = [];
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.stop().catch(() => undefined);
  });

  test('waitForFirstRead retries until the agent answers; ready() only then', async () => {
    const port = await freePort();
    const log: string[] = [];
    const flags = new AppConfigAgentFlags({ url: agentUrl(port), timeoutMs: 200, log: (m) => log.push(m) });
    expect(flags.ready()).toBe(false);
    setTimeout(() => void AgentStandIn.start(simplifiedFlags(OFF), '9', port).then((a) => agents.push(a)), 300);
    const status = await flags.waitForFirstRead({ deadlineMs: 5000, retryDelayMs: 50 });
    expect(status).toMatchObject({ source: 'agent', values: OFF, version: '9' });
    expect(flags.ready()).toBe(true);
    expect(log).toEqual(["feature flags: the AppConfig Agent is unreachable (ECONNREFUSED); keeping the seed's defaults (every flag on)", 'feature flags: read version 9 from the AppConfig Agent']);
  });

  test('waitForFirstRead gives up at the deadline with the last error; the client stays not ready', async () => {
    const flags = new AppConfigAgentFlags({ url: agentUrl(await freePort()), timeoutMs: 200, log: () => undefined });
    const started = Date.now();
    const status = await flags.waitForFirstRead({ deadlineMs: 400, retryDelayMs: 50 });
    const took = Date.now() - started;
    expect(status).toEqual({ source: 'defaults', values: DEFAULT_FLAG_VALUES, lastError: 'the AppConfig Agent is unreachable (ECONNREFUSED)' });
    expect(flags.ready()).toBe(false);
    expect(took).toBeGreaterThanOrEqual(400);
    expect(took).toBeLessThan(1500);
  });

  test('without an agent URL the client is ready at once (a local run)', async () => {
    const flags = new AppConfigAgentFlags();
    expect(flags.ready()).toBe(true);
    expect(await flags.waitForFirstRead({ deadlineMs: 10_000 })).toEqual({ source: 'defaults', values: DEFAULT_FLAG_VALUES });
  });

  test('/health answers 503 "starting" before the first good read, then 200; a lost agent later keeps it 200', async () => {
    const port = await freePort();
    const flags = new AppConfigAgentFlags({ url: agentUrl(port), timeoutMs: 200, log: () => undefined });
    const health = new HealthCheck(new ServerKit({ environment: 'production', slot: 'canary', tools: [], flags }), flags);
    await flags.refresh();
    expect(health.ready).toBe(false);
    expect(health.body()).toEqual({ status: 'starting', environment: 'production', slot: 'canary', flags: { source: 'defaults', lastError: 'the AppConfig Agent is unreachable (ECONNREFUSED)' } });
    expect(health.statusCode()).toBe(503);
    const agent = await AgentStandIn.start(simplifiedFlags(OFF), '2', port);
    agents.push(agent);
    await flags.refresh();
    expect(health.ready).toBe(true);
    expect(health.body().status).toBe('ok');
    expect(health.statusCode()).toBe(200);
    await agent.stop();
    await flags.refresh();
    expect([health.body().status, health.statusCode()]).toEqual(['ok', 200]);
  });
});
