// Who is calling over HTTP: static bearer tokens from a file (stored as SHA-256 hashes, each with a name), or JWTs
// verified against an issuer's JWKS. The caller's scopes can only narrow what the operator enabled.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import { assertEgressUrl, guardedLookup } from '../core/egress.js';
import { ConfigError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { PolicyTool } from '../core/policy.js';

export interface Caller {
  name: string;
  scopes: string[];
  /** Epoch seconds. */
  expiresAt: number;
  /** The person's upstream login from the JWT claim named by BASTION_IDENTITY_CLAIM (per-user mode), if the token has one. */
  person?: string;
}

export class AuthenticationError extends Error {
  constructor(
    message: string,
    /** invalid_token (401) or insufficient_scope (403), as RFC 6750 names them. */
    readonly code: 'invalid_token' | 'insufficient_scope',
  ) {
    super(message);
  }
}

export interface Authenticator {
  /** Verifies a bearer token and returns the caller, or throws an AuthenticationError. */
  authenticate(token: string): Promise<Caller>;
  describe(): string;
}

/** Scopes Bastion understands. A caller needs read or write; connector scopes limit it to those connectors. */
export const SCOPES = {
  read: 'bastion:read',
  write: 'bastion:write',
  connectorPrefix: 'bastion:connector:',
} as const;

function requireUsableScopes(scopes: string[]): void {
  if (!scopes.includes(SCOPES.read) && !scopes.includes(SCOPES.write)) {
    throw new AuthenticationError(`the token needs the scope ${SCOPES.read} or ${SCOPES.write}`, 'insufficient_scope');
  }
}

/** Why a caller may not use a tool (or read a resource), or undefined when it may. Never widens the operator's own policy. */
export function callerRefusal(scopes: string[], tool: PolicyTool, connector: string): string | undefined {
  if (!tool.annotations.readOnlyHint && !scopes.includes(SCOPES.write)) return `${tool.name} changes data and this caller may only read (${SCOPES.write} missing).`;
  const connectors = scopes.filter((s) => s.startsWith(SCOPES.connectorPrefix)).map((s) => s.slice(SCOPES.connectorPrefix.length));
  if (connectors.length && !connectors.includes(connector)) return `${tool.name} belongs to ${connector}, which this caller may not use.`;
  return undefined;
}

const TokensFileSchema = z.object({
  tokens: z
    .array(
      z.object({
        name: z.string().min(1).max(100),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 of the token (printf %s "$TOKEN" | sha256sum)'),
        scopes: z.array(z.string().min(1).max(200)).min(1),
      }),
    )
    .min(1),
});

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Tokens kept as SHA-256 hashes in a file readable only by its owner. */
export class StaticTokens implements Authenticator {
  private readonly entries: Array<{ name: string; hash: Buffer; scopes: string[] }>;

  constructor(private readonly path: string) {
    let mode: number;
    try {
      mode = statSync(path).mode;
    } catch {
      throw new ConfigError(`The tokens file ${path} (BASTION_HTTP_TOKENS_FILE) does not exist.`);
    }
    if ((mode & 0o077) !== 0) throw new ConfigError(`The tokens file ${path} is readable by group or others. Fix it with: chmod 600 ${path}`, `chmod 600 ${path}`);
    let parsed: unknown;
    try {
      // Stryker disable next-line StringLiteral: equivalent; without the encoding readFileSync returns a Buffer, which JSON.parse reads as UTF-8 all the same.
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      throw new ConfigError(`The tokens file ${path} is not valid JSON ({"tokens": [{"name", "sha256", "scopes"}]}).`);
    }
    const result = TokensFileSchema.safeParse(parsed);
    if (!result.success) throw new ConfigError(`The tokens file ${path}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.entries = result.data.tokens.map((t) => ({ name: t.name, hash: Buffer.from(t.sha256, 'hex'), scopes: t.scopes }));
  }

  async authenticate(token: string): Promise<Caller> {
    const hash = sha256(token);
    // Compare against every entry in constant time, so timing reveals nothing about which token almost matched.
    let found: (typeof this.entries)[number] | undefined;
    for (const entry of this.entries) if (timingSafeEqual(entry.hash, hash)) found = entry;
    if (!found) throw new AuthenticationError('unknown token', 'invalid_token');
    // Bounded: only the tokens named in the file are ever registered.
    registerSecret(token);
    requireUsableScopes(found.scopes);
    return { name: found.name, scopes: found.scopes, expiresAt: Math.floor(Date.now() / 1000) + 3600 };
  }

  describe(): string {
    return `${this.entries.length} named tokens from ${this.path}`;
  }
}

/** JWTs signed by an issuer, checked for issuer, audience, expiry and scopes. */
export class JwtAuthenticator implements Authenticator {
  private jwks: ReturnType<typeof import('jose').createRemoteJWKSet> | undefined;
  private readonly keyServer = new Agent({ connect: { lookup: guardedLookup() } });

  constructor(
    readonly issuer: string,
    private readonly audience: string,
    private readonly jwksUrl: string,
    /** BASTION_IDENTITY_CLAIM: the claim holding the person's upstream login. */
    private readonly identityClaim?: string,
  ) {
    assertEgressUrl('The JWKS URL (BASTION_OAUTH_JWKS_URL, or BASTION_OAUTH_ISSUER/.well-known/jwks.json)', new URL(jwksUrl));
  }

  async authenticate(token: string): Promise<Caller> {
    const { createRemoteJWKSet, customFetch, jwtVerify, errors } = await import('jose');
    this.jwks ??= createRemoteJWKSet(new URL(this.jwksUrl), {
      timeoutDuration: 5_000,
      cooldownDuration: 30_000,
      // The key server's name is checked after DNS like every upstream's.
      [customFetch]: (url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: this.keyServer }),
    });
    try {
      // Not registered with the scrubber: a JWT is new on every login, so the list would only grow; the JWT
      // pattern of redact.ts removes any JWT anyway, and inbound tokens never go upstream.
      const { payload } = await jwtVerify(token, this.jwks, { issuer: this.issuer, audience: this.audience, clockTolerance: 30 });
      // Stryker disable next-line ArrayDeclaration: equivalent; any other list without bastion:read or bastion:write is refused just the same below.
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : Array.isArray(payload.scp) ? payload.scp.map(String) : [];
      requireUsableScopes(scopes);
      const name = String(payload.client_id ?? payload.azp ?? payload.sub ?? 'jwt');
      const person = this.identityClaim ? payload[this.identityClaim] : undefined;
      return {
        name,
        scopes,
        expiresAt: typeof payload.exp === 'number' ? payload.exp : Math.floor(Date.now() / 1000) + 300,
        ...(typeof person === 'string' ? { person } : {}),
      };
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      if (error instanceof errors.JWTExpired) throw new AuthenticationError('the token has expired', 'invalid_token');
      if (error instanceof errors.JWTClaimValidationFailed) throw new AuthenticationError(`the token's ${error.claim} claim is not accepted`, 'invalid_token');
      throw new AuthenticationError('the token could not be verified', 'invalid_token');
    }
  }

  describe(): string {
    return `JWTs from ${this.issuer} (audience ${this.audience}, keys ${this.jwksUrl})`;
  }
}
