/**
 * The operator CLI run against the stateful fake: its clock is the fake's (every wait lets AppConfig
 * deployments and stack operations progress), and `cdk deploy` is a stack update in the fake,
 * waited for as the toolkit waits.
 */
import { Interrupted } from '../../lib/cli/errors';
import type { Toolkit, ToolkitDeployRequest } from '../../lib/cli/context';
import { FakeClock } from '../helpers/cli';
import type { AwsState } from './aws-state';

export class FakeAwsClock extends FakeClock {
  constructor(private readonly aws: () => AwsState) {
    super();
  }
  override now(): number {
    return this.aws().now();
  }
  override async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new Interrupted();
    this.sleeps.push(ms);
    this.aws().advance(ms);
  }
}

export class FakeCdk implements Toolkit {
  readonly requests: ToolkitDeployRequest[] = [];
  constructor(private readonly aws: () => AwsState) {}
  async synth(): Promise<never> {
    throw new Error('these tests deploy parameters only: nothing synthesizes');
  }
  async deploy(request: ToolkitDeployRequest): Promise<number> {
    this.requests.push(request);
    const status = this.aws().runStackUpdate(request.stackName, request.parameters);
    return status === 'UPDATE_COMPLETE' ? 0 : 1;
  }
}
