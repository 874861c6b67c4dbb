/**
 * The server kit (DESIGN.md D10): what a TypeScript MCP server on the official SDK needs to feed
 * the stack's alarms. README "Server kit" shows how a server adopts it; `examples/mcp-server/`
 * uses all of it. Imports the shared contract and the MCP SDK, nothing from aws-cdk-lib.
 */
export { ServerKit, ToolCallTracker, type FlagSource, type ServerKitOptions } from './server-kit';
export { AppConfigAgentFlags, FlagsReadError, parseAgentFlags, type AgentFlagsOptions, type FirstReadOptions, type FlagsStatus } from './flags-client';
export { HealthCheck, type HealthBody } from './health';
export { serverKitEnvironment, ServerKitEnvironmentError, ECS_MARKER, LOCAL_DEFAULTS, type ServerKitEnvironment } from './environment';
export { ALLOWED_ORIGINS_VARIABLE, isLoopbackHost, originPolicy, originProblem, parseAllowedOrigins, type OriginPolicy } from './origin';
export {
  checkEnumArguments,
  enumFailureMessage,
  enumSchemaProblems,
  nearMiss,
  type Correction,
  type EnumCheckResult,
  type EnumFailure,
  type ToolInputSchema,
} from './enum-arguments';
export { checkEmfLine, checkEmfLines, formatEmfReport, type EmfCheckResult } from './emf-checker';
export { FLAGS_START_DEADLINE_MS } from '../shared/metrics-contract';
