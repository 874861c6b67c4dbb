/**
 * Reading which flag document an AppConfig environment serves, and stopping a flag deployment in
 * progress, for the rollback Lambda and the operator CLI alike. Pure SDK v3 (DESIGN.md D4).
 *
 * AppConfig rules this module relies on (docs/AWS-BEHAVIOURS.md):
 * - ListDeployments lists newest first
 *   (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_ListDeployments.html);
 * - one deployment per environment at a time: StartDeployment answers ConflictException meanwhile
 *   (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_StartDeployment.html);
 * - StopDeployment works only on a DEPLOYING deployment unless AllowRevert is given; with it an
 *   in-progress deployment ends ROLLED_BACK and a completed one REVERTED (within 72 hours), and
 *   either way the targets return to the previous version
 *   (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_StopDeployment.html,
 *   https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying-reverting.html).
 */
import {
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type AppConfigClient,
  type DeploymentSummary,
} from '@aws-sdk/client-appconfig';
import { parseFlagDocument, type FlagDocument } from './feature-flags';

/** Deployment states in which AppConfig is still changing targets; a new deployment must wait. */
export const DEPLOYMENT_IN_PROGRESS: ReadonlySet<string> = new Set(['DEPLOYING', 'BAKING', 'VALIDATING', 'ROLLING_BACK']);
/** States whose version the agents do not end up with. */
const NOT_APPLIED: ReadonlySet<string> = new Set(['ROLLED_BACK', 'REVERTED']);
/** Pages of ListDeployments read while looking for the last completed deployment. */
const MAX_PAGES = 5;

export interface FlagProfileIds {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
}

export interface FlagDeployments {
  /** The newest deployment, whatever its state. */
  readonly newest?: DeploymentSummary;
  /** A deployment AppConfig is still rolling out, if any. */
  readonly inProgress?: DeploymentSummary;
  /** The newest deployment that was not rolled back: its version is what the agents serve, or will. */
  readonly applied?: DeploymentSummary;
  /** The applied version's document. */
  readonly document?: FlagDocument;
  /**
   * The newest COMPLETE deployment: what every target serves once a deployment in progress is
   * stopped (it returns them to this version). A rollback starts from its document.
   */
  readonly completed?: DeploymentSummary;
  readonly completedDocument?: FlagDocument;
  /** The document the deployment in progress is spreading. */
  readonly inProgressDocument?: FlagDocument;
  /** The deployments read, newest first (at least the newest ten). */
  readonly recent?: readonly DeploymentSummary[];
}

/** Wraps each AWS call (the Lambda retries throttling through it); the default calls straight through. */
export type CallWrapper = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

const direct: CallWrapper = (_what, fn) => fn();

export async function readFlagDeployments(client: AppConfigClient, ids: FlagProfileIds, call: CallWrapper = direct): Promise<FlagDeployments> {
  const items: DeploymentSummary[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const deployments = await call('ListDeployments', () =>
      client.send(
        new ListDeploymentsCommand({ ApplicationId: ids.applicationId, EnvironmentId: ids.environmentId, MaxResults: 10, ...(nextToken ? { NextToken: nextToken } : {}) }),
      ),
    );
    items.push(...(deployments.Items ?? []));
    nextToken = deployments.NextToken;
    // The newest deployment is on the first page; read on only to find the last completed one.
    if (!nextToken || items.some((d) => d.State === 'COMPLETE')) break;
  }
  const newest = items[0];
  const inProgress = items.find((d) => DEPLOYMENT_IN_PROGRESS.has(d.State ?? ''));
  const applied = items.find((d) => !NOT_APPLIED.has(d.State ?? ''));
  const completed = items.find((d) => d.State === 'COMPLETE');

  const documents = new Map<string, FlagDocument>();
  const documentOf = async (d: DeploymentSummary | undefined): Promise<FlagDocument | undefined> => {
    const version = d?.ConfigurationVersion;
    if (!version) return undefined;
    const known = documents.get(version);
    if (known) return known;
    const content = await call('GetHostedConfigurationVersion', () =>
      client.send(new GetHostedConfigurationVersionCommand({ ApplicationId: ids.applicationId, ConfigurationProfileId: ids.profileId, VersionNumber: Number(version) })),
    );
    const document = parseFlagDocument(new TextDecoder().decode(content.Content));
    documents.set(version, document);
    return document;
  };
  const document = await documentOf(applied);
  const completedDocument = await documentOf(completed);
  const inProgressDocument = await documentOf(inProgress);
  return {
    ...(newest ? { newest } : {}),
    ...(inProgress ? { inProgress } : {}),
    ...(applied ? { applied } : {}),
    ...(document ? { document } : {}),
    ...(completed ? { completed } : {}),
    ...(completedDocument ? { completedDocument } : {}),
    ...(inProgressDocument ? { inProgressDocument } : {}),
    recent: items,
  };
}

/** A deployment with no steps and no bake (the immediate strategy): it ends within seconds. */
export function isImmediate(deployment: DeploymentSummary): boolean {
  return deployment.DeploymentDurationInMinutes === 0 && deployment.FinalBakeTimeInMinutes === 0;
}

export interface StoppedDeployment {
  readonly number: number;
  /** The state it was seen in before the stop. */
  readonly stateBefore: string;
  /** The state AppConfig answered with (ROLLED_BACK, REVERTED), or the state it was left in. */
  readonly stateAfter: string;
  readonly allowRevert: boolean;
}

/**
 * Stops a flag deployment in progress so that its targets return to the previous version. A
 * DEPLOYING deployment stops without AllowRevert; BAKING and VALIDATING need it. If the deployment
 * left DEPLOYING between the read and the stop (BadRequestException), it is stopped again with
 * AllowRevert: in-progress becomes ROLLED_BACK, just-completed becomes REVERTED; both return the
 * targets to the version before it. A deployment already ROLLING_BACK is left to finish.
 */
export async function stopFlagDeployment(
  client: AppConfigClient,
  ids: Pick<FlagProfileIds, 'applicationId' | 'environmentId'>,
  deployment: DeploymentSummary,
  call: CallWrapper = direct,
): Promise<StoppedDeployment> {
  const number = deployment.DeploymentNumber;
  const stateBefore = deployment.State ?? 'UNKNOWN';
  if (number === undefined) throw new Error('cannot stop a flag deployment without a DeploymentNumber');
  if (stateBefore === 'ROLLING_BACK') return { number, stateBefore, stateAfter: stateBefore, allowRevert: false };
  const stop = (allowRevert: boolean) =>
    call('StopDeployment', () =>
      client.send(
        new StopDeploymentCommand({
          ApplicationId: ids.applicationId,
          EnvironmentId: ids.environmentId,
          DeploymentNumber: number,
          ...(allowRevert ? { AllowRevert: true } : {}),
        }),
      ),
    );
  let allowRevert = stateBefore !== 'DEPLOYING';
  let answer;
  try {
    answer = await stop(allowRevert);
  } catch (error) {
    if (allowRevert || !(error instanceof Error) || error.name !== 'BadRequestException') throw error;
    allowRevert = true;
    answer = await stop(true);
  }
  return { number, stateBefore, stateAfter: answer.State ?? 'UNKNOWN', allowRevert };
}
