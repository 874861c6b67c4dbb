/**
 * The server kit's added CPU per `tools/call` (goal: under 50 µs): the same request and response
 * pass through a transport with and without the kit's observation, and the kit's line is built and
 * written (synchronously, to /dev/null). CPU time from process.cpuUsage, median of several rounds,
 * interleaved so that machine noise hits both alike. A second row adds an enum check with one
 * auto-correction, as the example server runs it on every call.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_FLAG_VALUES } from '../lib/shared/feature-flags';
import { ServerKit, type ToolCallTracker } from '../lib/server-kit/server-kit';
import type { ToolInputSchema } from '../lib/server-kit/enum-arguments';
import type { BenchRow } from './run';

const CALLS = Number(process.env.BENCH_KIT_CALLS ?? 50_000);
const ROUNDS = 7;
const SCHEMA: ToolInputSchema = {
  type: 'object',
  properties: { operation: { type: 'string', enum: ['search', 'get', 'summarize', 'list_recent'], enumDescriptions: ['a', 'b', 'c', 'd'] }, query: { type: 'string' } },
};

/** A transport whose "SDK" answers every request at once, as the SDK's onmessage and send would. */
function loopbackTransport(onRequest?: (id: number) => void): Transport {
  const transport: Transport = {
    start: async () => undefined,
    close: async () => undefined,
    send: () => Promise.resolve(),
  };
  transport.onmessage = (message: JSONRPCMessage) => {
    const id = (message as { id: number }).id;
    onRequest?.(id);
    void transport.send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ok' }] } });
  };
  return transport;
}

function cpuMicros(transport: Transport, calls: number, firstId: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    transport.onmessage!({ jsonrpc: '2.0', id: firstId + i, method: 'tools/call', params: { name: 'documents', arguments: { operation: 'serch', query: 'x' } } });
  }
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export function benchServerKit(): BenchRow[] {
  const devNull = openSync('/dev/null', 'w');
  try {
    const kit = new ServerKit({
      environment: 'production',
      slot: 'canary',
      tools: ['documents'],
      // performance_monitoring on: the line with durationMs, the most a line carries without enums.
      flags: { get: () => DEFAULT_FLAG_VALUES },
      write: (line) => writeSync(devNull, `${line}\n`),
    });
    const bare = loopbackTransport();
    const observed = loopbackTransport();
    kit.toolCalls().observe(observed);
    let tracker: ToolCallTracker | undefined;
    const withEnums = loopbackTransport((id) => tracker!.checkArguments(id, SCHEMA, { operation: 'serch', query: 'x' }));
    tracker = kit.toolCalls();
    tracker.observe(withEnums);

    let id = 0;
    const run = (t: Transport, n: number) => {
      const us = cpuMicros(t, n, id);
      id += n;
      return us;
    };
    for (const t of [bare, observed, withEnums]) run(t, 5000); // warm up the JIT
    const added: number[] = [];
    const addedWithEnums: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const base = run(bare, CALLS);
      added.push((run(observed, CALLS) - base) / CALLS);
      addedWithEnums.push((run(withEnums, CALLS) - base) / CALLS);
    }
    return [
      { name: `server kit: added CPU per tools/call, line written (median of ${ROUNDS} x ${CALLS})`, value: `${median(added).toFixed(1)} µs`, goal: '< 50 µs' },
      { name: 'server kit: the same with an enum check and one correction', value: `${median(addedWithEnums).toFixed(1)} µs` },
    ];
  } finally {
    closeSync(devNull);
  }
}

if (require.main === module) {
  for (const row of benchServerKit()) console.log(`${row.name}  ${row.value}${row.goal ? `  (goal ${row.goal})` : ''}`);
}
