/**
 * The metrics contract (DESIGN.md D3): the one place that names the namespace, metrics and
 * dimensions the server emits. Pure TypeScript, no aws-cdk-lib import (D4).
 */
export const METRICS_NAMESPACE = 'MCP/HierarchicalTools';
