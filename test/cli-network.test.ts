/**
 * A stalled network (a VPN or proxy that accepts connections and never answers), reproduced with a
 * real TCP listener on 127.0.0.1 and the real SDK clients pointed at it through AWS_ENDPOINT_URL
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html). No AWS mock here:
 * the clients, their timeouts, retries and abort signals are the ones the bin uses.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { AWS_TIMEOUTS, awsClients, ROLLBACK_INVOKE_TIMEOUT_MS } from '../lib/cli/aws-clients';
import type { CliDeps } from '../lib/cli/context';
import { Interrupted } from '../lib/cli/errors';
import { Interrupts } from '../lib/cli/interrupts';
import { runCli } from '../lib/cli/main';
import { ROLLBACK_FUNCTION_TIMEOUT } from '../lib/constructs/rollback-automation';
import { testConfig } from './helpers/config';

/** A listener that accepts every connection and never writes a byte. */
class StalledEndpoint {
  readonly sockets: net.Socket[] = [];
  private readonly server = net.createServer((socket) => {
    this.sockets.push(socket);
    this.connected?.();
  });
  private connected?: () => void;

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** Resolves at the first connection. */
  firstConnection(): Promise<void> {
    return this.sockets.length > 0 ? Promise.resolve() : new Promise((resolve) => (this.connected = resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Fake credentials and no shared files: the SDK must not look for a real account. */
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_REGION: 'eu-west-1',
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

let endpoint: StalledEndpoint;
let url: string;
const saved: Record<string, string | undefined> = {};

beforeEach(async () => {
  endpoint = new StalledEndpoint();
  url = await endpoint.start();
  for (const [key, value] of Object.entries({ ...AWS_ENV, AWS_ENDPOINT_URL: url })) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  delete process.env.AWS_PROFILE;
});

afterEach(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await endpoint.stop();
});

function deps(overrides: Partial<CliDeps> & { timeouts?: { connectionMs: number; requestMs: number } }): { deps: CliDeps; stderr: () => string } {
  let err = '';
  const { timeouts, ...rest } = overrides;
  return {
    stderr: () => err,
    deps: {
      clients: (region, options) => awsClients(region, { ...options, ...(timeouts ? { timeouts } : {}) }),
      terminal: { stdout: () => undefined, stderr: (text) => (err += text), interactive: false },
      clock: { now: () => Date.now(), sleep: () => Promise.resolve() },
      toolkit: { deploy: () => Promise.resolve(0), synth: () => Promise.reject(new Error('no synth in this test')) },
      environments: testConfig().environments,
      user: 'alice',
      signal: new AbortController().signal,
      env: { ...AWS_ENV, AWS_ENDPOINT_URL: url },
      awsProfiles: () => ({ names: [], files: [] }),
      ...rest,
    },
  };
}

/** Settles with what the promise gave, or 'still running' after `ms`. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms)));
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

test('a call AWS never answers ends with an error naming the service, the wait and what to try', async () => {
  const { deps: d, stderr } = deps({ timeouts: { connectionMs: 1000, requestMs: 400 } });
  const started = Date.now();
  const code = await within(5000, runCli(['status', '--environment', 'staging'], d));
  const waited = Date.now() - started;
  expect(code).toBe(1);
  // Two attempts of 400 ms and the SDK's backoff between them; never the five attempts of a throttled call.
  expect(waited).toBeLessThan(3000);
  expect(endpoint.sockets).toHaveLength(2);
  const [error, next] = stderr().split('\n');
  expect(error).toMatch(
    /^error: CloudFormation \(eu-west-1\) did not answer DescribeStacks within \d+(\.\d)? s \(2 attempts of up to 400 ms each\) while reading stack Staging-Service$/,
  );
  expect(next).toBe(
    `next: The network path to AWS looks stalled (VPN, proxy or firewall): check it, e.g. \`aws sts get-caller-identity --region eu-west-1\`, then run the same command again. AWS_ENDPOINT_URL is set to ${url}: unset it unless you meant to use another endpoint.`,
  );
});

test('Ctrl-C during a call AWS never answers ends the command within a second', async () => {
  const controller = new AbortController();
  const { deps: d, stderr } = deps({ signal: controller.signal });
  const run = runCli(['status', '--environment', 'staging'], d);
  await endpoint.firstConnection();
  const interruptedAt = Date.now();
  controller.abort();
  expect(await within(1000, run)).toBe(130);
  expect(Date.now() - interruptedAt).toBeLessThan(1000);
  expect(stderr()).toBe('error: interrupted (Ctrl-C)\nnext: Nothing was changed after the interrupt.\n');
});

const bin = path.join(__dirname, '..', 'bin', 'mcp-rollout.js');

test('the bin: Ctrl-C (SIGINT) while AWS does not answer exits 130 within a second', async () => {
  const child = spawn(process.execPath, [bin, 'status', '--environment', 'staging'], {
    env: { ...process.env, ...AWS_ENV, AWS_ENDPOINT_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await endpoint.firstConnection();
  const interruptedAt = Date.now();
  child.kill('SIGINT');
  const result = await within(1000, exited);
  if (result === 'still running') child.kill('SIGKILL');
  expect(result).toEqual([130, null]);
  expect(Date.now() - interruptedAt).toBeLessThan(1000);
  expect(err).toContain('error: interrupted (Ctrl-C)');
});

test('the bin: output into a closed pipe (`--help | head -1`) exits quietly', async () => {
  const child = spawn(process.execPath, [bin, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The reader is gone before the CLI writes its first line, as when head exits.
  child.stdout.destroy();
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(err).toBe('');
  expect(code).toBe(0);
});

describe('Ctrl-C and changes in flight (real SSM client, local HTTP endpoint)', () => {
  /** Answers PutParameter after `putDelayMs`; never answers GetParameter. */
  async function ssmEndpoint(putDelayMs: number) {
    const received: string[] = [];
    let onRequest: (() => void) | undefined;
    const server = http.createServer((req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      received.push(target);
      onRequest?.();
      req.resume();
      if (target.endsWith('.PutParameter')) {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ Version: 2, Tier: 'Standard' }));
        }, putDelayMs);
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    return {
      received,
      nextRequest: () => new Promise<void>((resolve) => (onRequest = resolve)),
      close: () => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(resolve));
      },
    };
  }

  test('a change in flight finishes and is announced; then no change starts and reads stop at once', async () => {
    const endpoint = await ssmEndpoint(300);
    const controller = new AbortController();
    const notes: string[] = [];
    const interrupts = new Interrupts(controller.signal, (line) => notes.push(line));
    const { ssm } = awsClients('eu-west-1', { interrupts });
    try {
      const put = ssm.send(new PutParameterCommand({ Name: '/mcp-rollout/staging/rollback-latch', Value: 'clear', Overwrite: true }));
      await endpoint.nextRequest();
      controller.abort();
      expect(interrupts.signal.aborted).toBe(false);
      await expect(put).resolves.toMatchObject({ Version: 2 });
      expect(notes).toEqual([
        'Ctrl-C: waiting for SSM PutParameter to finish first: a change cut off half-way would be worse than one that finishes. Stopping right after.',
      ]);
      expect(interrupts.signal.aborted).toBe(true);
      expect(interrupts.finishedAfterInterrupt).toEqual(['SSM PutParameter']);

      await expect(ssm.send(new PutParameterCommand({ Name: '/x', Value: 'y', Overwrite: true }))).rejects.toBeInstanceOf(Interrupted);
      expect(endpoint.received).toEqual(['AmazonSSM.PutParameter']);
    } finally {
      await endpoint.close();
    }
  });

  test('a read in flight stops at once on Ctrl-C', async () => {
    const endpoint = await ssmEndpoint(0);
    const controller = new AbortController();
    const interrupts = new Interrupts(controller.signal, () => undefined);
    const { ssm } = awsClients('eu-west-1', { interrupts });
    try {
      const get = ssm.send(new GetParameterCommand({ Name: '/mcp-rollout/staging/rollback-latch' }));
      await endpoint.nextRequest();
      const at = Date.now();
      controller.abort();
      await expect(get).rejects.toBeInstanceOf(Interrupted);
      expect(Date.now() - at).toBeLessThan(200);
    } finally {
      await endpoint.close();
    }
  });
});

test("the rollback invoke waits longer than the function's own timeout", () => {
  expect(ROLLBACK_INVOKE_TIMEOUT_MS).toBeGreaterThan(ROLLBACK_FUNCTION_TIMEOUT.toMilliseconds() + AWS_TIMEOUTS.connectionMs);
});

test('the bin: a refused connection (nothing listens) gets network advice, not "run status", which fails the same way', async () => {
  const closed = new StalledEndpoint();
  const closedUrl = await closed.start();
  await closed.stop();
  const child = spawn(process.execPath, [bin, 'rollback', '--environment', 'staging'], {
    env: { ...process.env, ...AWS_ENV, AWS_ENDPOINT_URL: closedUrl, AWS_MAX_ATTEMPTS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(1);
  const [error, next] = err.split('\n');
  expect(error).toMatch(/^error: could not reach AWS \(ECONNREFUSED\) while reading stack Staging-Service: Error: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  expect(next).toBe(
    `next: Check the network path to AWS (VPN, proxy, DNS or firewall), e.g. \`aws sts get-caller-identity\`, then run the same command again. AWS_ENDPOINT_URL is set to ${closedUrl}: unset it unless you meant to use another endpoint.`,
  );
}, 20_000);
