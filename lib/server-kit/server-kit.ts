/**
 * Instrumentation for MCP servers on the official TypeScript SDK: one EMF line per `tools/call`
 * with the contract's namespace, metrics and dimension sets (README "Server kit").
 *
 * The SDK has no middleware hook for tool calls, so the kit observes the transport: after
 * `server.connect(transport)` it wraps the transport's `onmessage` (requests in) and `send`
 * (responses out), the two members of the SDK's documented `Transport` interface that every
 * message crosses. It sees every call and its outcome on the wire, including those the SDK answers
 * itself (unknown tool, arguments that fail the schema: `isError` results).
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { ENVIRONMENT_NAMES, SLOT_NAMES, type EnvironmentName, type SlotName } from '../shared/environment-names';
import { DEFAULT_FLAG_VALUES, type FlagValues } from '../shared/feature-flags';
import { ERROR_CATEGORIES, OTHER_DIMENSION_VALUE, type ErrorCategory } from '../shared/metrics-contract';
import { EmfLineBuilder, type EnumCounts } from './emf-line';
import { checkEnumArguments, normalize, type EnumCheckResult, type ToolInputSchema } from './enum-arguments';

/** Anything that answers the current flag values without blocking (the AppConfig Agent client). */
export interface FlagSource {
  get(): FlagValues;
}

export interface ServerKitOptions {
  readonly environment: EnvironmentName;
  readonly slot: SlotName;
  /**
   * Every tool name the server can serve. Calls naming anything else are counted with
   * `Tool=_OTHER`, so a client cannot create a metric series per made-up name.
   */
  readonly tools: Iterable<string>;
  /** @default the seed's defaults (every flag on) */
  readonly flags?: FlagSource;
  /** Receives each line, without its newline. @default a write to stdout */
  readonly write?: (line: string) => void;
  /** Timestamps of the lines. @default Date.now */
  readonly now?: () => number;
  /** A monotonic clock in milliseconds for `durationMs`. @default performance.now */
  readonly monotonicMs?: () => number;
  /** Distinct uncorrectable values remembered to tell a new pattern from a known one. @default 10000 */
  readonly maxRememberedPatterns?: number;
}

/** The MCP tool name rule (SEP-986): 1 to 128 letters, digits, "_", "-" or ".". */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

interface PendingCall {
  readonly tool: string;
  readonly startedAt: number;
  enums?: MutableEnumCounts;
}

type MutableEnumCounts = { -readonly [K in keyof EnumCounts]: EnumCounts[K] };

export class ServerKit {
  readonly environment: EnvironmentName;
  readonly slot: SlotName;
  private readonly tools: ReadonlySet<string>;
  private readonly flagSource?: FlagSource;
  private readonly write: (line: string) => void;
  private readonly now: () => number;
  private readonly monotonicMs: () => number;
  private readonly lines: EmfLineBuilder;
  private readonly patterns = new Set<string>();
  private readonly maxPatterns: number;
  private readonly warned = new Set<string>();

  constructor(options: ServerKitOptions) {
    if (!(ENVIRONMENT_NAMES as readonly string[]).includes(options.environment)) {
      throw new Error(`environment must be one of ${ENVIRONMENT_NAMES.join(', ')}, got ${JSON.stringify(options.environment)}`);
    }
    if (!(SLOT_NAMES as readonly string[]).includes(options.slot)) {
      throw new Error(`slot must be one of ${SLOT_NAMES.join(', ')}, got ${JSON.stringify(options.slot)}`);
    }
    const tools = new Set(options.tools);
    for (const tool of tools) {
      if (!TOOL_NAME.test(tool) || tool === OTHER_DIMENSION_VALUE) {
        throw new Error(`tools: ${JSON.stringify(tool)} is not a tool name the kit can count: use 1 to 128 letters, digits, "_", "-" or ".", and not "${OTHER_DIMENSION_VALUE}"`);
      }
    }
    this.environment = options.environment;
    this.slot = options.slot;
    this.tools = tools;
    this.flagSource = options.flags;
    if (options.write === undefined) guardStdout();
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.now = options.now ?? Date.now;
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.maxPatterns = options.maxRememberedPatterns ?? 10_000;
    this.lines = new EmfLineBuilder(options.environment, options.slot);
  }

  /** The flag values now (the seed's defaults without a source). */
  flags(): FlagValues {
    return this.flagSource?.get() ?? DEFAULT_FLAG_VALUES;
  }

  /**
   * A tracker for one transport. Create it before registering handlers (they call
   * `checkArguments` with it), then call `observe(transport)` right after `server.connect`.
   */
  toolCalls(): ToolCallTracker {
    return new ToolCallTracker(this);
  }

  /** The `Tool` dimension value for a requested name. */
  toolDimension(name: unknown): string {
    return typeof name === 'string' && this.tools.has(name) ? name : OTHER_DIMENSION_VALUE;
  }

  /** @internal Writes the line of a finished call. Metrics never fail a call: a write error is reported once on stderr. */
  emit(call: PendingCall, errorCategory: ErrorCategory | undefined): void {
    const now = this.now();
    const line = this.lines.line(
      {
        tool: call.tool,
        ...(errorCategory !== undefined ? { errorCategory } : {}),
        ...(call.enums ? { enums: call.enums } : {}),
        ...(this.flags().performance_monitoring ? { durationMs: this.monotonicMs() - call.startedAt } : {}),
      },
      now,
    );
    try {
      this.write(line);
    } catch (error) {
      this.warnOnce(`cannot write EMF lines: ${String(error)}`);
    }
  }

  /** @internal A misuse or a failing write is reported once on stderr, never thrown into a call. */
  warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    process.stderr.write(`server-kit: ${message}\n`);
  }

  /** @internal True the first time this process sees an uncorrectable value of a tool's parameter. */
  isNewPattern(tool: string, parameter: string, value: unknown): boolean {
    const shown = typeof value === 'string' ? normalize(value) : `${typeof value}:${JSON.stringify(value) ?? ''}`;
    const key = `${tool}\u0000${parameter}\u0000${shown.slice(0, 200)}`;
    if (this.patterns.has(key)) return false;
    if (this.patterns.size >= this.maxPatterns) {
      // Forget the oldest: a value seen long ago may count as new once more, memory stays bounded.
      this.patterns.delete(this.patterns.values().next().value as string);
    }
    this.patterns.add(key);
    return true;
  }

  /** @internal */
  startedAt(): number {
    return this.monotonicMs();
  }
}

let stdoutGuarded = false;

/**
 * A stdout that went away (EPIPE: the log driver or the reading end closed) fails a write with an
 * 'error' event, not a throw, and an 'error' event nobody listens to ends the process: the server
 * would die on its next tool call. Metrics never fail the server: say so once on stderr instead.
 */
function guardStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  let warned = false;
  process.stdout.on('error', (error: Error) => {
    if (warned) return;
    warned = true;
    process.stderr.write(`server-kit: cannot write EMF lines to stdout (${error.message}); the calls go on without metrics\n`);
  });
}

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId; method: string; params?: Record<string, unknown> } {
  return 'method' in message && 'id' in message;
}

/**
 * The calls of one transport, from request to response. In a stateless server (one transport per
 * HTTP request) it lives as long as the request.
 */
export class ToolCallTracker {
  private readonly pending = new Map<RequestId, PendingCall>();
  private observed = false;

  constructor(private readonly kit: ServerKit) {}

  /** Starts observing; call right after `server.connect(transport)`, which installs the SDK's own callbacks. */
  observe(transport: Transport): void {
    if (this.observed) throw new Error('observe: this tracker already observes a transport; create one tracker per transport');
    const receive = transport.onmessage;
    if (!receive) throw new Error('observe(transport) must be called after server.connect(transport): the transport has no onmessage yet');
    this.observed = true;
    const send = transport.send.bind(transport);
    const onclose = transport.onclose;

    transport.onmessage = (message, extra) => {
      this.received(message);
      receive.call(transport, message, extra);
    };
    transport.send = (message, options) => {
      this.sending(message);
      return send(message, options);
    };
    transport.onclose = () => {
      // Calls the server never answered: the connection closed under them.
      for (const id of [...this.pending.keys()]) this.finish(id, 'cancelled');
      onclose?.call(transport);
    };
  }

  /**
   * Checks a call's enum parameters and corrects near misses as the flags allow
   * (`enumdescriptions_validation`, `auto_correction_enabled`), and counts the result on the call's
   * line. Handlers call it with `extra.requestId` before they act on the arguments.
   */
  checkArguments(requestId: RequestId, schema: ToolInputSchema, args: Readonly<Record<string, unknown>> | undefined): EnumCheckResult {
    const flags = this.kit.flags();
    const result = checkEnumArguments(schema, args, { validate: flags.enumdescriptions_validation, autoCorrect: flags.auto_correction_enabled });
    if (result.validations === 0 && result.corrections.length === 0) return result;
    const call = this.pending.get(requestId);
    if (!call) {
      this.kit.warnOnce(`checkArguments: a request id that is not a tools/call this tracker observes; call observe(transport) right after server.connect(transport) and pass extra.requestId`);
      return result;
    }
    const counts = (call.enums ??= { validations: 0, failures: 0, corrections: 0, newPatterns: 0 });
    counts.validations += result.validations;
    counts.failures += result.failures.length;
    counts.corrections += result.corrections.length;
    // New patterns are the failures nothing could correct, seen for the first time.
    counts.newPatterns += result.failures.filter((f) => f.suggestion === undefined && this.kit.isNewPattern(call.tool, f.parameter, f.value)).length;
    return result;
  }

  private received(message: JSONRPCMessage): void {
    if (isRequest(message)) {
      if (message.method === 'tools/call') {
        this.pending.set(message.id, { tool: this.kit.toolDimension(message.params?.name), startedAt: this.kit.startedAt() });
      }
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      // The SDK sends no response to a cancelled request (MCP cancellation), so this is its end.
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) this.finish(id, 'cancelled');
    }
  }

  private sending(message: JSONRPCMessage): void {
    if ('method' in message || !('id' in message) || message.id === undefined) return;
    if (!this.pending.has(message.id)) return;
    if ('error' in message) {
      const code = String(message.error.code);
      this.finish(message.id, Object.prototype.hasOwnProperty.call(ERROR_CATEGORIES, code) ? (code as ErrorCategory) : '_OTHER');
    } else if ('result' in message) {
      this.finish(message.id, (message.result as { isError?: unknown }).isError === true ? 'tool_error' : undefined);
    }
  }

  private finish(id: RequestId, errorCategory: ErrorCategory | undefined): void {
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    this.kit.emit(call, errorCategory);
  }
}
