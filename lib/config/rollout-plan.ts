import { z } from 'zod';
import { planProblems, SEED_ROLLOUT_PLAN, type RolloutPlan, type RolloutStep } from '../shared/rollout-contract';
import { boolean, intRange, show } from './validators';

/**
 * The `rollout` section of an environment's config: the plan the rollout engine runs (DESIGN.md
 * D8). Field shapes are checked here; the plan's rules (first a weight, a bake after every weight,
 * weights growing to 100) by `planProblems`, so the CLI and the construct read one definition.
 */

const STEP_TYPES = ['weight', 'bake', 'approval'] as const;

const weightStep = z.strictObject({ type: z.literal('weight'), canaryPercent: intRange(1, 100) });
const bakeStep = z.strictObject({
  type: z.literal('bake'),
  minutes: intRange(1, 1440),
  judge: z.strictObject({ holdMinutes: intRange(0, 1440) }).default({ holdMinutes: 30 }),
});
const approvalStep = z.strictObject({ type: z.literal('approval'), timeoutMinutes: intRange(1, 10080).default(1440) });

const stepSchema = z.discriminatedUnion('type', [weightStep, bakeStep, approvalStep], {
  error: (iss) => `must be one of ${STEP_TYPES.map((t) => `"${t}"`).join(', ')}, got ${show((iss.input as { type?: unknown } | undefined)?.type)}`,
});

export const rolloutSchema = z
  .strictObject({
    /** The steps in order; promotion follows the last one. @default - the seed's plan */
    steps: z.array(stepSchema, { error: (iss) => `must be a list of steps, got ${show(iss.input)}` }).default(SEED_ROLLOUT_PLAN.steps.map((s) => ({ ...s }))),
    /** How long one Service stack update may take before the rollout rolls back. */
    stackUpdateTimeoutMinutes: intRange(5, 360).default(SEED_ROLLOUT_PLAN.stackUpdateTimeoutMinutes),
    /** AWS X-Ray tracing of the state machine (Control Tower's CT.STEPFUNCTIONS.PR.2; X-Ray bills per trace). @default true */
    tracing: boolean().default(true),
  })
  .superRefine((plan, ctx) => {
    // Paths here are relative to `rollout`; formatIssues adds the environment's prefix.
    for (const problem of planProblems({ steps: plan.steps as RolloutStep[], stackUpdateTimeoutMinutes: plan.stackUpdateTimeoutMinutes }, '')) {
      const [path, ...message] = problem.split(': ');
      ctx.addIssue({ code: 'custom', path: (path ?? '').split('.').filter((p) => p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message: message.join(': ') });
    }
  });

export type RolloutEngineConfig = RolloutPlan & { readonly tracing: boolean };

export const DEFAULT_ROLLOUT_CONFIG = {
  steps: SEED_ROLLOUT_PLAN.steps.map((s) => ({ ...s })),
  stackUpdateTimeoutMinutes: SEED_ROLLOUT_PLAN.stackUpdateTimeoutMinutes,
  tracing: true,
};
