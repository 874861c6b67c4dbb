/**
 * The rollback function's AWS clients (issue 11 review, item 4): each has an HTTP handler with a
 * connection timeout and a request timeout that throws, and makes one attempt, because
 * lambda/rollback/retry.ts is the one retry policy. Against a local server that never answers, a
 * call ends with the SDK's TimeoutError, which that policy retries. No AWS, no network: 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { rollbackClients } from '../lambda/rollback/clients';
import { isRetryable } from '../lib/shared/aws-errors';
import { ROLLBACK_CALL_LIMITS } from '../lib/shared/rollback-contract';

describe('the clients', () => {
  test('each has a NodeHttpHandler with the connection and request timeouts, throws on the request timeout, and makes one attempt (retry.ts retries)', async () => {
    const clients = rollbackClients();
    for (const [name, client] of Object.entries(clients)) {
      const handler = client.config.requestHandler as NodeHttpHandler;
      expect([name, handler]).toEqual([name, expect.any(NodeHttpHandler)]);
      expect(await (handler as unknown as { configProvider: Promise<Record<string, unknown>> }).configProvider).toMatchObject({
        connectionTimeout: ROLLBACK_CALL_LIMITS.connectionTimeoutMs,
        requestTimeout: ROLLBACK_CALL_LIMITS.requestTimeoutMs,
        throwOnRequestTimeout: true,
      });
      expect(await client.config.maxAttempts()).toBe(1);
    }
  });

  describe('against a server that never answers', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer(() => undefined); // accepts, reads, never responds
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    test('a hung call ends with the request timeout, as an error the policy retries', async () => {
      const limits = { ...ROLLBACK_CALL_LIMITS, requestTimeoutMs: 300 };
      const { elb } = rollbackClients(limits, { region: 'eu-west-1', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } });
      const error = await elb.send(new DescribeRulesCommand({ RuleArns: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/a/b/c/d'] })).catch((e: unknown) => e);
      elb.destroy();
      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect(isRetryable(error)).toBe(true);
    });
  });
});
