/**
 * Every AWS call of a command is a wait the reporter knows about, so any call that takes over a
 * second shows a spinner naming the service and the operation (`CloudFormation DescribeStacks`)
 * on a terminal. Added as a middleware at the initialize step: it sees each command once, retries
 * included, and changes nothing in the request.
 */
import type { Clients } from './context';
import type { Reporter } from './output';

interface HandlerContext {
  readonly clientName?: string;
  readonly commandName?: string;
}

/** The part of a client's middleware stack this needs; every SDK v3 client has it. */
interface WithMiddleware {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: HandlerContext) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string; override: boolean },
    ): void;
  };
}

/** `CloudFormationClient` + `DescribeStacksCommand` -> `CloudFormation DescribeStacks`. */
export function activityLabel(context: HandlerContext): string {
  const service = (context.clientName ?? 'AWS').replace(/Client$/, '');
  const operation = (context.commandName ?? 'call').replace(/Command$/, '');
  return `waiting for ${service} ${operation}`;
}

export function reportActivity(clients: Clients, report: Reporter): Clients {
  for (const client of Object.values(clients) as unknown as WithMiddleware[]) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const done = report.waiting(activityLabel(context));
        try {
          return await next(args);
        } finally {
          done();
        }
      },
      { step: 'initialize', name: 'mcpRolloutActivity', override: true },
    );
  }
  return clients;
}
