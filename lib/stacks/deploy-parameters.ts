import { CfnCondition, CfnMapping, CfnParameter, Fn, Token, type Stack } from 'aws-cdk-lib';
import { LATCH_CLEAR } from '../shared/rollback-contract';
import { allTrafficPercents, trafficWeights, type TrafficWeights } from '../shared/traffic-weights';
import type { SlotName } from '../shared/environment-names';
import { CANARY_TRAFFIC_PATTERN, IMAGE_TAG_PATTERN, PARAMETER_NAMES } from '../shared/stack-contract';

/** The condition that is true while the rollback latch is set. */
export const LATCHED_CONDITION = 'IsRolledBack';

export interface DeployParameters {
  readonly canaryTraffic: CfnParameter;
  /** True while the rollback latch is set: the weights resolve to all-stable whatever CanaryTraffic says. */
  readonly latched: CfnCondition;
  readonly imageTags: Readonly<Record<SlotName, string>>;
  /** Weights for the traffic rule, resolved by CloudFormation from CanaryTraffic and the latch. */
  readonly weights: TrafficWeights;
}

export interface DeployParameterDefaults {
  readonly trafficPercent: number;
  readonly imageTag: string;
  /** The SSM parameter holding the rollback latch. */
  readonly latchParameterName: string;
}

/**
 * The deploy-time parameters of DESIGN.md D1: one synthesized template serves every phase.
 *
 * CloudFormation has no arithmetic, so both weights come from a mapping keyed by the percent.
 * CanaryTraffic is a String with a pattern (not a Number) because a Number parameter accepts
 * "10.5" and "010", which would pass the constraint and then miss the mapping at deploy time.
 */
export function addDeployParameters(stack: Stack, defaults: DeployParameterDefaults): DeployParameters {
  const canaryTraffic = new CfnParameter(stack, PARAMETER_NAMES.canaryTraffic, {
    type: 'String',
    default: String(defaults.trafficPercent),
    allowedPattern: CANARY_TRAFFIC_PATTERN,
    constraintDescription: 'CanaryTraffic must be an integer from 0 to 100',
    description: 'Percent of requests the canary slot gets (0 to 100); stable gets the rest.',
  });
  const imageTag = (id: string, slot: SlotName) =>
    new CfnParameter(stack, id, {
      type: 'String',
      default: defaults.imageTag,
      allowedPattern: IMAGE_TAG_PATTERN,
      constraintDescription: `${id} must be an image tag: letters, digits, "_", "." and "-", 1 to 128 characters`,
      description: `Image tag the ${slot} slot runs.`,
    }).valueAsString;

  const mapping = new CfnMapping(stack, 'CanaryTrafficWeights', {
    mapping: Object.fromEntries(
      allTrafficPercents().map((percent) => {
        const w = trafficWeights(percent);
        return [String(percent), { Stable: w.stable, Canary: w.canary }];
      }),
    ),
  });
  // DESIGN.md D2: CloudFormation reads the latch at every deploy; while it is anything but
  // "clear", the canary gets nothing whatever CanaryTraffic asks.
  const latch = new CfnParameter(stack, PARAMETER_NAMES.rollbackLatch, {
    type: 'AWS::SSM::Parameter::Value<String>',
    default: defaults.latchParameterName,
    description: `SSM parameter of the rollback latch; while its value is not "${LATCH_CLEAR}", every deploy keeps all traffic on stable and the rollback flags off.`,
  });
  const latched = new CfnCondition(stack, LATCHED_CONDITION, {
    expression: Fn.conditionNot(Fn.conditionEquals(latch.valueAsString, LATCH_CLEAR)),
  });
  const weight = (name: 'Stable' | 'Canary') =>
    Token.asNumber(
      Fn.conditionIf(latched.logicalId, name === 'Stable' ? 100 : 0, Fn.findInMap(mapping.logicalId, canaryTraffic.valueAsString, name)),
    );

  return {
    canaryTraffic,
    latched,
    imageTags: {
      stable: imageTag(PARAMETER_NAMES.stableImageTag, 'stable'),
      canary: imageTag(PARAMETER_NAMES.canaryImageTag, 'canary'),
    },
    weights: { stable: weight('Stable'), canary: weight('Canary') },
  };
}
