/**
 * The CLI's AWS clients answered by the stateful fake world (test/fakes/rollout-world.ts) instead
 * of canned responses: a StartExecution really starts the engine's definition, an approval's
 * token really comes from the run's history, an abort really rolls back. Every call first lets
 * the world catch up with the fake clock, so the CLI's sleeps move the rollout on.
 */
import { GetHostedConfigurationVersionCommand, ListDeploymentsCommand } from '@aws-sdk/client-appconfig';
import { DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, GetParameterHistoryCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import type { RolloutPlan } from '../../lib/shared/rollout-contract';
import type { ManualRollbackRequest } from '../../lib/shared/rollback-contract';
import { worldTasks } from '../fakes/rollout-world';
import { FakeClock, FLAGS_ON, FLAGS_ROLLED_BACK, hostedVersion, mocks, outputsFor, resetMocks, rules } from './cli';
import { engineWorld, JUDGE_ARN, LATCH, MACHINE_ARN, ROLLBACK_ARN } from './rollout-world';

export function cliWorld(options: { plan?: RolloutPlan; stack?: NonNullable<Parameters<typeof engineWorld>[1]>['stack']; clock?: FakeClock } = {}) {
  resetMocks();
  const clock = options.clock ?? new FakeClock();
  const { world, start } = engineWorld(clock, { ...(options.plan ? { plan: options.plan } : {}), ...(options.stack ? { stack: options.stack } : {}), serviceOutputs: outputsFor('production') });
  const tasks = worldTasks(world, { rollbackArn: ROLLBACK_ARN, judgeArn: JUDGE_ARN, latchParameter: LATCH });
  const live = <I, O>(fn: (input: I) => O | Promise<O>) => async (input: I): Promise<O> => {
    await world.catchUp();
    return fn(input);
  };

  mocks.cloudformation.on(DescribeStacksCommand).callsFake(live((i: { StackName: string }) => world.describeStacks(i.StackName)));
  mocks.cloudformation.on(UpdateStackCommand).callsFake(live((i: Parameters<typeof world.updateStack>[0]) => world.updateStack(i)));
  mocks.ssm.on(GetParameterCommand).callsFake(live((i: { Name: string }) => world.getParameter(i.Name)));
  mocks.ssm.on(PutParameterCommand).callsFake(live((i: { Name: string; Value: string; Overwrite?: boolean }) => world.putParameter(i.Name, i.Value, 'alice', i.Overwrite === true)));
  mocks.ssm.on(GetParameterHistoryCommand).callsFake(live((i: { Name: string }) => world.parameterHistory(i.Name)));
  mocks.elb.on(DescribeRulesCommand).callsFake(live(() => rules('production', world.weights.stable, world.weights.canary)));
  mocks.appconfig.on(ListDeploymentsCommand).callsFake(
    live(() => ({ Items: [{ DeploymentNumber: world.flagsRolledBack ? 8 : 7, State: 'COMPLETE', ConfigurationVersion: world.flagsRolledBack ? '8' : '7', PercentageComplete: 100 }] })),
  );
  mocks.appconfig.on(GetHostedConfigurationVersionCommand).callsFake(live((i: { VersionNumber: number }) => hostedVersion(i.VersionNumber === 8 ? FLAGS_ROLLED_BACK : FLAGS_ON)));
  mocks.lambda.on(InvokeCommand).callsFake(
    live((i: { FunctionName: string; Payload: Uint8Array }) => {
      if (i.FunctionName !== outputsFor('production').rollbackFunctionName) throw Object.assign(new Error(`Function not found: ${i.FunctionName}`), { name: 'ResourceNotFoundException' });
      const result = world.invokeRollback(LATCH, JSON.parse(new TextDecoder().decode(i.Payload)) as ManualRollbackRequest);
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)) as never };
    }),
  );
  mocks.elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }] });
  const o = outputsFor('production');
  const service = (name: string) => ({ serviceName: name, runningCount: 1, desiredCount: 1, pendingCount: 0, taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${name}:1`, deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' as const }] });
  mocks.ecs.on(DescribeServicesCommand).resolves({ services: [service(o.stableServiceName), service(o.canaryServiceName)] });
  mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  mocks.cloudwatch.on(GetMetricDataCommand).callsFake(
    live((i: { StartTime: Date; MetricDataQueries: { Id: string }[] }) => {
      // Half of each hour's calls per slot query: the report sums both slots.
      const hours = world.hourlyToolCalls.map((_, h) => new Date(i.StartTime.getTime() + h * 3_600_000));
      return { MetricDataResults: i.MetricDataQueries.map((q) => ({ Id: q.Id, Timestamps: hours, Values: world.hourlyToolCalls.map((v) => v / 2), StatusCode: 'Complete' })) };
    }),
  );
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
  mocks.cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });

  const error = (name: string, message: string) => Object.assign(new Error(message), { name });
  mocks.sfn.on(StartExecutionCommand).callsFake(
    live(async (i: { stateMachineArn: string; name: string; input: string }) => {
      const e = await world.startExecution(i.stateMachineArn, i.name, i.input, tasks);
      return { executionArn: e.context.executionArn, startDate: e.startDate };
    }),
  );
  mocks.sfn.on(ListExecutionsCommand).callsFake(live((i: { stateMachineArn: string; statusFilter?: string; maxResults?: number }) => ({ executions: world.listExecutions(i.stateMachineArn, i.statusFilter).slice(0, i.maxResults ?? 100) })));
  mocks.sfn.on(DescribeExecutionCommand).callsFake(
    live((i: { executionArn: string }) => {
      const e = world.execution(i.executionArn);
      return {
        executionArn: i.executionArn,
        stateMachineArn: e.context.stateMachineArn,
        name: e.context.name,
        status: e.status,
        startDate: e.startDate,
        ...(e.stopDate ? { stopDate: e.stopDate } : {}),
        input: JSON.stringify(e.input),
        ...(e.error ? { error: e.error } : {}),
        ...(e.cause ? { cause: e.cause } : {}),
      };
    }),
  );
  mocks.sfn.on(DescribeStateMachineForExecutionCommand).callsFake(
    live((i: { executionArn: string }) => ({ stateMachineArn: MACHINE_ARN, name: 'mcp-rollout-production-rollout', definition: world.machines.get(world.execution(i.executionArn).context.stateMachineArn)?.definition })),
  );
  mocks.sfn.on(GetExecutionHistoryCommand).callsFake(
    live((i: { executionArn: string; maxResults?: number; nextToken?: string }) => {
      const all = world.history(i.executionArn);
      const from = Number(i.nextToken ?? '0');
      const to = from + (i.maxResults ?? 1000);
      return { events: all.slice(from, to), ...(to < all.length ? { nextToken: String(to) } : {}) };
    }),
  );
  const answer = (token: string, outcome: Parameters<typeof world.sendTask>[1]) => {
    try {
      world.sendTask(token, outcome);
    } catch (e) {
      throw error((e as Error).name, (e as Error).message);
    }
    return {};
  };
  mocks.sfn.on(SendTaskSuccessCommand).callsFake(live((i: { taskToken: string; output: string }) => answer(i.taskToken, { output: JSON.parse(i.output) })));
  mocks.sfn.on(SendTaskFailureCommand).callsFake(live((i: { taskToken: string; error: string; cause: string }) => answer(i.taskToken, { error: i.error, cause: i.cause })));
  mocks.sfn.on(StopExecutionCommand).rejects(error('AccessDeniedException', 'the CLI never stops an execution: abort rolls back and the run stops itself'));
  return { world, clock, start };
}
