/**
 * Reading which flag document an AppConfig environment serves, for the rollback Lambda and the
 * operator CLI alike. AppConfig lists deployments newest first
 * (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_ListDeployments.html).
 */
import {
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  type AppConfigClient,
  type DeploymentSummary,
} from '@aws-sdk/client-appconfig';
import { parseFlagDocument, type FlagDocument } from './feature-flags';

/** Deployment states in which AppConfig is still changing targets; a new deployment must wait. */
export const DEPLOYMENT_IN_PROGRESS: ReadonlySet<string> = new Set(['DEPLOYING', 'BAKING', 'VALIDATING', 'ROLLING_BACK']);
/** States whose version the agents do not end up with. */
const NOT_APPLIED: ReadonlySet<string> = new Set(['ROLLED_BACK', 'REVERTED']);

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
}

/** Wraps each AWS call (the Lambda retries throttling through it); the default calls straight through. */
export type CallWrapper = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

const direct: CallWrapper = (_what, fn) => fn();

export async function readFlagDeployments(client: AppConfigClient, ids: FlagProfileIds, call: CallWrapper = direct): Promise<FlagDeployments> {
  const deployments = await call('ListDeployments', () =>
    client.send(new ListDeploymentsCommand({ ApplicationId: ids.applicationId, EnvironmentId: ids.environmentId, MaxResults: 10 })),
  );
  const items = deployments.Items ?? [];
  const newest = items[0];
  const inProgress = items.find((d) => DEPLOYMENT_IN_PROGRESS.has(d.State ?? ''));
  const applied = items.find((d) => !NOT_APPLIED.has(d.State ?? ''));
  let document: FlagDocument | undefined;
  if (applied?.ConfigurationVersion) {
    const version = await call('GetHostedConfigurationVersion', () =>
      client.send(
        new GetHostedConfigurationVersionCommand({
          ApplicationId: ids.applicationId,
          ConfigurationProfileId: ids.profileId,
          VersionNumber: Number(applied.ConfigurationVersion),
        }),
      ),
    );
    document = parseFlagDocument(new TextDecoder().decode(version.Content));
  }
  return { ...(newest ? { newest } : {}), ...(inProgress ? { inProgress } : {}), ...(applied ? { applied } : {}), ...(document ? { document } : {}) };
}
