/**
 * The benchmark's baseline: the app a team would get from the stock CDK pattern, two stacks of
 * `ApplicationLoadBalancedFargateService`. `bench/run.ts` compares our full synth against it.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';

const app = new App();
for (const name of ['Staging', 'Production']) {
  const stack = new Stack(app, `Baseline${name}`);
  new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Service', {
    taskImageOptions: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/nginx:stable') },
    desiredCount: 2,
    minHealthyPercent: 100,
  });
}
app.synth();
