/**
 * Canary traffic percent -> ALB target group weights (DESIGN.md D1).
 *
 * ALB weights are relative: a target group gets weight / (sum of weights) of the requests
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#forward-actions).
 * With stable = 100 - p and canary = p the sum is always 100, so the canary gets exactly p %.
 */
export interface TrafficWeights {
  readonly stable: number;
  readonly canary: number;
}

export const MIN_TRAFFIC_PERCENT = 0;
export const MAX_TRAFFIC_PERCENT = 100;

export function assertTrafficPercent(field: string, value: number): void {
  if (!Number.isInteger(value) || value < MIN_TRAFFIC_PERCENT || value > MAX_TRAFFIC_PERCENT) {
    throw new Error(
      `${field} must be an integer from ${MIN_TRAFFIC_PERCENT} to ${MAX_TRAFFIC_PERCENT}, got ${String(value)}`,
    );
  }
}

export function trafficWeights(canaryPercent: number): TrafficWeights {
  assertTrafficPercent('canaryPercent', canaryPercent);
  return { stable: MAX_TRAFFIC_PERCENT - canaryPercent, canary: canaryPercent };
}

/** Every allowed percent, 0 to 100, in order. */
export function allTrafficPercents(): number[] {
  return Array.from({ length: MAX_TRAFFIC_PERCENT - MIN_TRAFFIC_PERCENT + 1 }, (_, i) => MIN_TRAFFIC_PERCENT + i);
}
