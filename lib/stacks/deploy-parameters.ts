import { CfnMapping, CfnParameter, Fn, Token, type Stack } from 'aws-cdk-lib';
import { allTrafficPercents, trafficWeights, type TrafficWeights } from '../shared/traffic-weights';
import type { SlotName } from '../shared/environment-names';

/** Logical ids of the deploy-time parameters; `cdk deploy --parameters` and the CLI use these names. */
export const PARAMETER_NAMES = {
  canaryTraffic: 'CanaryTraffic',
  stableImageTag: 'StableImageTag',
  canaryImageTag: 'CanaryImageTag',
} as const;

const IMAGE_TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';

export interface DeployParameters {
  readonly canaryTraffic: CfnParameter;
  readonly imageTags: Readonly<Record<SlotName, string>>;
  /** Weights for the traffic rule, resolved by CloudFormation from CanaryTraffic. */
  readonly weights: TrafficWeights;
}

export interface DeployParameterDefaults {
  readonly trafficPercent: number;
  readonly imageTag: string;
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
    allowedPattern: '^(100|[1-9]?[0-9])$',
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
  const weight = (name: 'Stable' | 'Canary') =>
    Token.asNumber(Fn.findInMap(mapping.logicalId, canaryTraffic.valueAsString, name));

  return {
    canaryTraffic,
    imageTags: {
      stable: imageTag(PARAMETER_NAMES.stableImageTag, 'stable'),
      canary: imageTag(PARAMETER_NAMES.canaryImageTag, 'canary'),
    },
    weights: { stable: weight('Stable'), canary: weight('Canary') },
  };
}
