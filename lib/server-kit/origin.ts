/**
 * The Origin check the MCP Streamable HTTP transport requires: "Servers MUST validate the Origin
 * header on all incoming connections to prevent DNS rebinding attacks. If the Origin header is
 * present and invalid, servers MUST respond with HTTP 403 Forbidden"
 * (https://modelcontextprotocol.io/specification/2025-11-25/basic/transports, Security Warning).
 *
 * Only browsers send Origin: a request without it (an agent, a server-to-server client, the SDK's
 * Node client, the load balancer's health check) is not a page of another site and passes. A page
 * may call when its origin is listed (MCP_ALLOWED_ORIGINS), or, for a server that listens on
 * loopback only, when it is a page of this machine. The SDK leaves this to middleware (its
 * transport's `allowedOrigins` is deprecated), so the kit has it for servers on plain `node:http`.
 */
export interface OriginPolicy {
  /** Origins (`scheme://host[:port]`, normalized) whose pages may call. */
  readonly allowedOrigins: readonly string[];
  /** Pages of this machine (localhost, 127.0.0.0/8, [::1]) may call: the server listens on loopback. */
  readonly allowLoopbackOrigins: boolean;
}

/** The variable the example server reads the allowed origins from. */
export const ALLOWED_ORIGINS_VARIABLE = 'MCP_ALLOWED_ORIGINS';

/** Whether `host` (a listen address or a URL's host name) is this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** The policy of a server that listens on `listenHost`. */
export function originPolicy(listenHost: string, allowedOrigins: readonly string[] = []): OriginPolicy {
  return { allowedOrigins: allowedOrigins.map(normalize), allowLoopbackOrigins: isLoopbackHost(listenHost) };
}

/** Why a request with this Origin header must get 403, or undefined when it may be served. */
export function originProblem(origin: string | undefined, policy: OriginPolicy): string | undefined {
  if (origin === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(origin);
  } catch {
    parsed = undefined;
  }
  if (parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) {
    if (policy.allowedOrigins.includes(parsed.origin)) return undefined;
    if (policy.allowLoopbackOrigins && isLoopbackHost(parsed.hostname)) return undefined;
  }
  const allowed = [...(policy.allowLoopbackOrigins ? ['pages on this machine'] : []), ...policy.allowedOrigins];
  return `Origin ${JSON.stringify(origin)} is not allowed (allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'}; set ${ALLOWED_ORIGINS_VARIABLE})`;
}

/** A comma-separated list of exact origins; throws, naming the variable, on anything else (a path, a wildcard). */
export function parseAllowedOrigins(raw: string | undefined, variable = ALLOWED_ORIGINS_VARIABLE): string[] {
  const entries = (raw ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  return entries.map((entry) => {
    const origin = asOrigin(entry);
    if (origin === undefined) {
      throw new Error(`${variable}: ${JSON.stringify(entry)} is not an origin; list each one as scheme://host[:port], e.g. https://console.example.com`);
    }
    return origin;
  });
}

/** `scheme://host[:port]` of an http(s) URL with nothing after the host, normalized; else undefined. */
function asOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const bare = (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && !url.search && !url.hash && !url.username && !text.endsWith('#');
  return bare ? url.origin : undefined;
}

function normalize(origin: string): string {
  return asOrigin(origin) ?? origin;
}
