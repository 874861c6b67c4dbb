/**
 * The Origin check of the MCP Streamable HTTP transport: "Servers MUST validate the Origin header
 * on all incoming connections to prevent DNS rebinding attacks. If the Origin header is present
 * and invalid, servers MUST respond with HTTP 403 Forbidden" (MCP specification 2025-11-25,
 * Transports, Security Warning). A request without Origin (a server-to-server client, the SDK's
 * Node client) is not a browser page and passes.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { isLoopbackHost, originPolicy, originProblem, parseAllowedOrigins } from '../lib/server-kit/origin';
import { HealthCheck, ServerKit } from '../lib/server-kit';
import { startExampleServer, type RunningExampleServer } from '../examples/mcp-server/http-server';

describe('originPolicy and originProblem', () => {
  const network = originPolicy('0.0.0.0', ['https://console.example.com', 'http://tools.internal:8443']);
  const loopback = originPolicy('127.0.0.1');

  test.each([
    [undefined, undefined],
    ['https://console.example.com', undefined],
    ['HTTPS://Console.Example.com:443', undefined],
    ['http://tools.internal:8443', undefined],
    ['https://evil.example', 'Origin "https://evil.example" is not allowed (allowed: https://console.example.com, http://tools.internal:8443; set MCP_ALLOWED_ORIGINS)'],
    ['http://console.example.com', 'Origin "http://console.example.com" is not allowed (allowed: https://console.example.com, http://tools.internal:8443; set MCP_ALLOWED_ORIGINS)'],
    ['http://localhost:5173', 'Origin "http://localhost:5173" is not allowed (allowed: https://console.example.com, http://tools.internal:8443; set MCP_ALLOWED_ORIGINS)'],
    ['null', 'Origin "null" is not allowed (allowed: https://console.example.com, http://tools.internal:8443; set MCP_ALLOWED_ORIGINS)'],
  ])('listening on every interface, Origin %j -> %j', (origin, problem) => {
    expect(originProblem(origin, network)).toBe(problem);
  });

  test.each([
    [undefined, undefined],
    ['http://localhost:5173', undefined],
    ['http://127.0.0.1:3000', undefined],
    ['http://[::1]:8080', undefined],
    ['https://evil.example', 'Origin "https://evil.example" is not allowed (allowed: pages on this machine; set MCP_ALLOWED_ORIGINS)'],
    ['http://localhost.evil.example', 'Origin "http://localhost.evil.example" is not allowed (allowed: pages on this machine; set MCP_ALLOWED_ORIGINS)'],
  ])('listening on loopback, Origin %j -> %j', (origin, problem) => {
    expect(originProblem(origin, loopback)).toBe(problem);
  });

  test('behind a load balancer with no allowed origins, no browser page may call', () => {
    expect(originProblem('https://mcp.example.com', originPolicy('0.0.0.0'))).toBe('Origin "https://mcp.example.com" is not allowed (allowed: none; set MCP_ALLOWED_ORIGINS)');
  });

  test.each([
    ['127.0.0.1', true],
    ['127.0.0.2', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.1.5', false],
  ])('isLoopbackHost(%s) is %s', (host, loopbackHost) => {
    expect(isLoopbackHost(host)).toBe(loopbackHost);
  });

  test('parseAllowedOrigins reads a comma-separated list of exact origins', () => {
    expect(parseAllowedOrigins(' https://a.example.com ,http://localhost:3000,')).toEqual(['https://a.example.com', 'http://localhost:3000']);
    expect(parseAllowedOrigins(undefined)).toEqual([]);
  });

  test.each([
    ['*', 'MCP_ALLOWED_ORIGINS: "*" is not an origin; list each one as scheme://host[:port], e.g. https://console.example.com'],
    ['https://a.example.com/app', 'MCP_ALLOWED_ORIGINS: "https://a.example.com/app" is not an origin; list each one as scheme://host[:port], e.g. https://console.example.com'],
    ['a.example.com', 'MCP_ALLOWED_ORIGINS: "a.example.com" is not an origin; list each one as scheme://host[:port], e.g. https://console.example.com'],
  ])('parseAllowedOrigins refuses %j', (raw, message) => {
    expect(() => parseAllowedOrigins(raw)).toThrow(message);
  });
});

describe('the example server applies it on /mcp (a server behind the ALB: HOST 0.0.0.0)', () => {
  let server: RunningExampleServer;
  beforeAll(async () => {
    const kit = new ServerKit({ environment: 'production', slot: 'stable', tools: [], write: () => undefined });
    // Bound to loopback for the test, with the policy of a server that listens on every interface.
    server = await startExampleServer({ host: '127.0.0.1', port: 0, kit, health: new HealthCheck(kit), origins: originPolicy('0.0.0.0', ['https://console.example.com']) });
  });
  afterAll(async () => {
    await server.close();
  });

  const initialize = (headers: Record<string, string>) =>
    fetch(`${server.origin}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });

  test('a browser page of another origin gets 403 and a JSON-RPC error without id', async () => {
    const res = await initialize({ origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Forbidden: Origin "https://evil.example" is not allowed (allowed: https://console.example.com; set MCP_ALLOWED_ORIGINS)' },
      id: null,
    });
  });

  test('a client without Origin (server to server) and an allowed page are served', async () => {
    expect((await initialize({})).status).toBe(200);
    expect((await initialize({ origin: 'https://console.example.com' })).status).toBe(200);
  });

  test('the load balancer\'s health check, which sends no Origin, is not affected', async () => {
    expect((await fetch(`${server.origin}/health`, { headers: { origin: 'https://evil.example' } })).status).toBe(200);
  });
});

test('a plain node server can use the check too (the kit exports it)', async () => {
  const policy = originPolicy('0.0.0.0');
  const http = createServer((req, res) => {
    const problem = originProblem(req.headers.origin, policy);
    res.writeHead(problem ? 403 : 200).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    expect((await fetch(base, { headers: { origin: 'https://x.example' } })).status).toBe(403);
    expect((await fetch(base)).status).toBe(200);
  } finally {
    await new Promise((resolve) => http.close(resolve));
  }
});
