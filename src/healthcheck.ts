#!/usr/bin/env node
// Liveness probe for containers: GET /healthz on this instance's own HTTP listener; exit 0 when it answers
// {"status":"ok"}, 1 otherwise. Run with `node`, so an image needs neither a shell nor curl for its HEALTHCHECK.
// It reads the same settings as `bastion serve` (environment, BASTION_ENV_FILE or ~/.config/bastion/.env, BASTION_CONFIG),
// but not its flags.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { GlobalSettingsSchema, loadSettings, parseSettings } from './core/config.js';

const TIMEOUT_MS = 4_000;
const MAX_BODY = 4_096;
/** A listener on every address is reached on loopback. */
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

function unhealthy(reason: string): never {
  process.stdout.write(`unhealthy: ${reason}\n`);
  process.exit(1);
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) response.destroy(new Error('answer too large'));
    });
    response.on('end', () => resolve(body));
    response.on('error', reject);
  });
}

async function probe(): Promise<string> {
  const global = parseSettings(GlobalSettingsSchema, loadSettings().values);
  const configuredHost = global.BASTION_HTTP_HOST.replace(/^\[(.*)\]$/, '$1');
  const host = WILDCARDS.has(global.BASTION_HTTP_HOST) ? '127.0.0.1' : configuredHost;
  // The served certificate is usually issued for a public name, not for loopback, so it is pinned instead of
  // verified by name: the answer counts only if it came from the certificate this instance is configured with.
  const pinned = global.BASTION_TLS_CERT ? new X509Certificate(readFileSync(global.BASTION_TLS_CERT)) : undefined;
  const options = { host, port: global.BASTION_HTTP_PORT, path: '/healthz', method: 'GET', agent: false, timeout: TIMEOUT_MS } as const;

  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = pinned ? httpsRequest({ ...options, rejectUnauthorized: false }, resolve) : httpRequest(options, resolve);
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', reject);
    request.end();
  });
  if (pinned) {
    const served = (response.socket as TLSSocket).getPeerX509Certificate();
    if (!served?.raw.equals(pinned.raw)) throw new Error(`the listener on ${host}:${global.BASTION_HTTP_PORT} does not serve the certificate in BASTION_TLS_CERT`);
  }
  const body = await readBody(response);
  let status: unknown;
  try {
    status = (JSON.parse(body) as { status?: unknown }).status;
  } catch {
    status = undefined;
  }
  if (response.statusCode !== 200 || status !== 'ok') throw new Error(`/healthz answered ${response.statusCode}`);
  return `${pinned ? 'https' : 'http'}://${host}:${global.BASTION_HTTP_PORT}/healthz ok`;
}

try {
  process.stdout.write(`${await probe()}\n`);
} catch (error) {
  unhealthy(error instanceof Error ? error.message : String(error));
}
