// The connect page (/connect/<connector>), where a person pastes their own Redmine API key or YouTrack token so that
// Bastion acts upstream as them (per-user mode). The key goes from the browser to Bastion only: never through the
// MCP client or the model.
//
// A person reaches the page through a link Bastion made for one MCP caller (createConnectLink). The link is the only
// thing that says whose key this is: it is unguessable, single-use, short-lived and bound to its caller and
// connector, and it lives in the shared cache so that any instance can serve it. The page never takes a caller name
// from the browser. A POST must come from the page itself: same Origin, and the anti-forgery token of the form (as a
// field and as a same-site cookie, both matching what the link's record holds). The key is checked upstream (who
// it belongs to) before it is sealed into the vault.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuditSink } from '../core/audit.js';
import { NamespacedCache, type CacheStore } from '../core/cache.js';
import type { ConnectorRuntime } from '../core/connector.js';
import { CredentialRefusedError } from '../core/identity.js';
import type { Logger } from '../core/logger.js';
import { Secret } from '../core/secrets.js';
import { recordIdentityEvent, type Vault } from '../core/vault.js';

/** A form carries a short key and a few tokens: anything larger is not this page's. */
export const CONNECT_MAX_BODY = 8 * 1024;
/** Wrong keys tried on one link before it is spent. */
const MAX_FAILURES = 3;
/** Longest wait for the upstream to say who a key belongs to. */
const VALIDATION_TIMEOUT_MS = 15_000;
const COOKIE = 'bastion_connect';
const LINK_PARAMETER = 'link';

/** What each connector's page asks for, in the words its users know. */
const WHAT_TO_PASTE: Record<string, { service: string; credential: string; where: string }> = {
  redmine: { service: 'Redmine', credential: 'API access key', where: 'In Redmine: My account, then API access key (Show).' },
  youtrack: { service: 'YouTrack', credential: 'permanent token', where: 'In YouTrack: Profile, Account Security, Tokens, New token (scope YouTrack).' },
};

interface LinkRecord {
  connector: string;
  caller: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** SHA-256 of the anti-forgery token of the form last shown for this link. */
  form?: string;
  used?: boolean;
  failures?: number;
}

const digest = (value: string): string => createHash('sha256').update(value).digest('hex');

// A link's record is sealed with a key derived from the link itself: the shared cache holds neither the caller's
// name nor anything a reader could use or alter without the link.
const linkKey = (token: string): Buffer => Buffer.from(hkdfSync('sha256', Buffer.from(token), Buffer.alloc(0), 'bastion connect link', 32));

function sealWithLink(token: string, text: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', linkKey(token), nonce);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

function openWithLink(token: string, sealed: string): string {
  const [nonce, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', linkKey(token), nonce!);
  decipher.setAuthTag(body!.subarray(body!.length - 16));
  return Buffer.concat([decipher.update(body!.subarray(0, body!.length - 16)), decipher.final()]).toString('utf8');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface ConnectLinksOptions {
  cache: CacheStore;
  /** The URL people reach Bastion at (BASTION_PUBLIC_URL, or the listener's address). */
  baseUrl: () => string;
  /** Seconds a link stays usable (BASTION_CONNECT_LINK_TTL). */
  ttlSeconds: number;
  /** The clock (tests move it). */
  now?: () => number;
}

/** Links to the connect page: made for one caller and connector, kept (by their hash) in the shared cache. */
export class ConnectLinks {
  private readonly store: CacheStore;
  readonly now: () => number;

  constructor(private readonly options: ConnectLinksOptions) {
    this.store = new NamespacedCache(options.cache, 'bastion:connect');
    this.now = options.now ?? Date.now;
  }

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  /** A new single-use link for this caller to link their own account on this connector. */
  async create(connector: string, caller: string): Promise<URL> {
    const token = randomBytes(32).toString('base64url');
    const record: LinkRecord = { connector, caller, expiresAt: this.now() + this.options.ttlSeconds * 1000 };
    // Kept a while past expiry, so that a late visit is told the link expired rather than that it never existed.
    await this.store.set(this.key(token), sealWithLink(token, JSON.stringify(record)), this.options.ttlSeconds + 3600);
    const url = new URL(`/connect/${encodeURIComponent(connector)}`, this.options.baseUrl());
    url.searchParams.set(LINK_PARAMETER, token);
    return url;
  }

  private key(token: string): string {
    // Only the hash is stored: a reader of the cache (a Redis dump) cannot use a link.
    return `link:${digest(token)}`;
  }

  async read(token: string): Promise<LinkRecord | undefined> {
    const text = await this.store.get(this.key(token));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(openWithLink(token, text)) as LinkRecord;
    } catch {
      // Altered in the cache: as good as no link.
      return undefined;
    }
  }

  async write(token: string, record: LinkRecord): Promise<void> {
    await this.store.set(this.key(token), sealWithLink(token, JSON.stringify(record)), Math.max(1, Math.ceil((record.expiresAt - this.now()) / 1000)) + 3600);
  }

  /** Runs `change` on the link's record while no other request (on any instance) changes it. */
  async exclusive<T>(token: string, change: () => Promise<T>): Promise<T | undefined> {
    const release = await this.store.lock(this.key(token), VALIDATION_TIMEOUT_MS + 5_000);
    if (!release) return undefined;
    try {
      return await change();
    } finally {
      await release();
    }
  }
}

/**
 * A link for `caller` to link their own account on `connector`: single-use, expiring after BASTION_CONNECT_LINK_TTL
 * seconds, usable on every instance that shares the cache.
 */
export function createConnectLink(links: ConnectLinks, connector: string, caller: string): Promise<URL> {
  return links.create(connector, caller);
}

export interface ConnectPageOptions {
  links: ConnectLinks;
  vault: Vault;
  connectors: ConnectorRuntime[];
  audit: AuditSink;
  logger: Logger;
  /** The one Origin a form may be posted from (the page's own). */
  origin: () => string;
  /** Whether the page is served over HTTPS (the cookie is then Secure). */
  secure: boolean;
}

interface Page {
  status: number;
  title: string;
  /** HTML, already escaped. */
  body: string;
  cookie?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function render(page: Page): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="referrer" content="no-referrer">
<title>${escapeHtml(page.title)}</title></head>
<body><main><h1>${escapeHtml(page.title)}</h1>
${page.body}
</main></body></html>
`;
  const headers: Record<string, string> = {
    'content-type': 'text/html; charset=utf-8',
    // Nothing but this document: no scripts, styles, images, frames or other origins; forms post to this page only.
    'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
  if (page.cookie) headers['set-cookie'] = page.cookie;
  return new Response(html, { status: page.status, headers });
}

const paragraph = (text: string): string => `<p>${escapeHtml(text)}</p>`;

function refusal(status: number, title: string, ...lines: string[]): Response {
  return render({ status, title, body: lines.map(paragraph).join('\n') });
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

async function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const NEW_LINK = 'Ask your assistant again for a tool that needs this account: it gives you a new link.';

/** Serves /connect/<connector>: GET shows the form, POST links (or disconnects) the account of the link's caller. */
export class ConnectPage {
  constructor(private readonly options: ConnectPageOptions) {}

  /** Whether a request is the page's (the transport routes it here before bearer authentication: browsers have no token). */
  static matches(pathname: string): boolean {
    return /^\/connect\/[a-z]+$/.test(pathname);
  }

  /**
   * Everything decided from the request line and headers, before the body is read: method, size, content type and
   * Origin. Undefined when the request may go on.
   */
  precheck(req: IncomingMessage): Response | undefined {
    if (req.method !== 'GET' && req.method !== 'POST') return refusal(405, 'Not allowed', 'This page takes GET and POST only.');
    if (req.method === 'GET') return undefined;
    if (Number(req.headers['content-length'] ?? 0) > CONNECT_MAX_BODY) return refusal(413, 'Too large', `The form must not exceed ${CONNECT_MAX_BODY} bytes.`);
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      return refusal(415, 'Not a form', 'This page takes the form it shows, sent by the browser (application/x-www-form-urlencoded).');
    }
    // Browsers send Origin with every POST; a missing or foreign one is not this page's own form.
    const origin = req.headers.origin;
    if (origin !== this.options.origin()) {
      return refusal(403, 'Refused: not sent from this page', `The form was sent from ${origin ? `another site (${origin})` : 'no known page (no Origin)'}; nothing was stored. Open the link you were given and use the form there.`);
    }
    return undefined;
  }

  async handle(req: IncomingMessage, url: URL): Promise<Response> {
    const early = this.precheck(req);
    if (early) return early;
    const connector = url.pathname.slice('/connect/'.length);
    const runtime = this.options.connectors.find((candidate) => candidate.name === connector);
    const what = WHAT_TO_PASTE[connector];
    if (!runtime?.checkPersonalCredential || !what) return refusal(404, 'Unknown connector', `There is no ${connector} account to connect on this server.`);
    const token = url.searchParams.get(LINK_PARAMETER) ?? '';
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return refusal(400, 'Link incomplete', 'This address lacks its link code, or it was cut when copied.', NEW_LINK);

    if (req.method === 'GET') return this.showForm(token, connector, what);
    const form = await readForm(req, CONNECT_MAX_BODY);
    if (!form) return refusal(413, 'Too large', `The form must not exceed ${CONNECT_MAX_BODY} bytes.`);
    const outcome = await this.options.links.exclusive(token, () => this.submit(req, token, connector, runtime, what, form));
    return outcome ?? refusal(409, 'Busy', 'This link is being used in another window right now; nothing was stored.');
  }

  /** Why this link cannot be used now (unknown, for another connector, used, expired), or undefined. */
  private linkProblem(record: LinkRecord | undefined, connector: string): Response | undefined {
    if (!record) return refusal(404, 'Link not valid', 'This link is not valid (it may have been mistyped, or it expired long ago).', NEW_LINK);
    if (record.connector !== connector) return refusal(403, 'Link not for this page', `This link was made to connect a ${record.connector} account, not ${connector}; nothing was stored.`, NEW_LINK);
    if (record.used) return refusal(410, 'Link already used', 'This link was already used; each link works once. Nothing was changed now.', NEW_LINK);
    if (this.options.links.now() >= record.expiresAt) return refusal(410, 'Link expired', `This link expired (links last ${Math.round(this.options.links.ttlSeconds / 60) || 1} minute(s)); nothing was stored.`, NEW_LINK);
    return undefined;
  }

  private async showForm(token: string, connector: string, what: (typeof WHAT_TO_PASTE)[string]): Promise<Response> {
    const record = await this.options.links.read(token);
    const problem = this.linkProblem(record, connector);
    if (problem) return problem;
    // A fresh anti-forgery token per form shown; the record keeps its hash for whichever instance gets the POST.
    const formToken = randomBytes(32).toString('base64url');
    await this.options.links.write(token, { ...record!, form: digest(formToken) });
    const current = await this.options.vault.get(connector, record!.caller).catch(() => undefined);
    const action = `/connect/${connector}?${LINK_PARAMETER}=${token}`;
    const hidden = `<input type="hidden" name="csrf" value="${formToken}">`;
    const body = [
      paragraph(`This connects your own ${what.service} account to the Bastion caller "${record!.caller}". From then on, what you ask your assistant to do in ${what.service} is done as you, with your permissions.`),
      paragraph(`Use this page only if you asked your assistant for it and you are ${record!.caller}.`),
      current ? paragraph(`Currently connected as ${what.service} user ${current.login} (since ${current.linkedAt}). A new ${what.credential} replaces it.`) : '',
      `<form method="post" action="${escapeHtml(action)}">${hidden}<input type="hidden" name="action" value="link">`,
      `<p><label for="key">Your ${escapeHtml(what.service)} ${escapeHtml(what.credential)}</label><br><input id="key" name="key" type="password" autocomplete="off" required maxlength="512"></p>`,
      paragraph(what.where),
      '<p><button type="submit">Connect</button></p></form>',
      current ? `<form method="post" action="${escapeHtml(action)}">${hidden}<input type="hidden" name="action" value="disconnect"><p><button type="submit">Disconnect my ${escapeHtml(what.service)} account</button></p></form>` : '',
    ].filter(Boolean);
    const path = `/connect/${connector}`;
    const cookie = `${COOKIE}=${formToken}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${this.options.links.ttlSeconds}${this.options.secure ? '; Secure' : ''}`;
    return render({ status: 200, title: `Connect your ${what.service} account`, body: body.join('\n'), cookie });
  }

  private async submit(req: IncomingMessage, token: string, connector: string, runtime: ConnectorRuntime, what: (typeof WHAT_TO_PASTE)[string], form: URLSearchParams): Promise<Response> {
    const record = await this.options.links.read(token);
    const problem = this.linkProblem(record, connector);
    if (problem) return problem;
    const { caller } = record!;
    // The anti-forgery token: in the form, in the page's own cookie, and the one this link's form was shown with.
    const field = form.get('csrf') ?? '';
    const cookie = cookieValue(req, COOKIE) ?? '';
    if (!field || !record!.form || !sameText(field, cookie) || !sameText(digest(field), record!.form)) {
      return refusal(403, 'Refused: form not recognised', 'The form was not the one this page showed (its anti-forgery token is missing or wrong); nothing was stored. Open the link again and use the form there.');
    }
    // The caller is the link's: a caller named by the browser is not taken, and one that differs is refused.
    const named = form.get('caller');
    if (named !== null && named !== caller) {
      return refusal(403, "Refused: another caller's link", `This link was made for another Bastion caller, not "${named}"; nothing was stored.`, NEW_LINK);
    }
    const action = form.get('action') ?? 'link';
    if (action === 'disconnect') return this.disconnect(token, record!, what);
    if (action !== 'link') return refusal(400, 'Unknown action', 'The form asked for something this page does not do; nothing was changed.');
    const value = (form.get('key') ?? '').trim();
    if (!value) return refusal(400, `No ${what.credential} entered`, `Paste your ${what.service} ${what.credential} into the field; nothing was stored.`);
    if (value.length > 512 || /\s/.test(value)) return refusal(400, `Not a ${what.credential}`, `A ${what.service} ${what.credential} is one word without spaces; nothing was stored.`);
    const secret = new Secret(value, 'vault', `${connector} connect page`);
    let login: string;
    try {
      login = await runtime.checkPersonalCredential!(secret, AbortSignal.timeout(VALIDATION_TIMEOUT_MS));
    } catch (error) {
      const refused = error instanceof CredentialRefusedError;
      const failures = (record!.failures ?? 0) + 1;
      await this.options.links.write(token, { ...record!, failures, used: refused && failures >= MAX_FAILURES });
      recordIdentityEvent(this.options.audit, {
        event: 'identity_validation_failed',
        connector,
        caller,
        source: 'connect-page',
        outcome: refused ? 'denied' : 'error',
        credential: secret,
        detail: refused ? `${what.service} refused the key (attempt ${failures} of ${MAX_FAILURES})` : `cannot ask ${what.service}: ${(error as Error).message}`,
      });
      if (!refused) {
        this.options.logger.warn({ err: error, connector }, 'cannot check a key on the connect page');
        return refusal(502, `${what.service} cannot be reached`, `Bastion could not ask ${what.service} whose ${what.credential} this is; nothing was stored. Try again in a moment.`);
      }
      const left = MAX_FAILURES - failures;
      return refusal(
        400,
        `Refused by ${what.service}`,
        `${what.service} did not accept this ${what.credential} (it is wrong, expired or revoked, or belongs to no active user); nothing was stored.`,
        left > 0 ? `${what.where} Then go back and try again (${left} more attempt${left === 1 ? '' : 's'} with this link).` : `This link is now spent. ${NEW_LINK}`,
      );
    }
    const linkedAt = new Date(this.options.links.now()).toISOString();
    await this.options.vault.link(connector, caller, { secret, login, linkedAt });
    await this.options.links.write(token, { ...record!, used: true, form: undefined });
    recordIdentityEvent(this.options.audit, { event: 'identity_linked', connector, caller, source: 'connect-page', outcome: 'ok', login, credential: secret });
    return render({
      status: 200,
      title: `Connected to ${what.service}`,
      body: [
        paragraph(`Bastion caller "${caller}" now acts in ${what.service} as ${login}.`),
        paragraph('Go back to your assistant and ask again: it runs the request as you now. You can close this page.'),
      ].join('\n'),
    });
  }

  private async disconnect(token: string, record: LinkRecord, what: (typeof WHAT_TO_PASTE)[string]): Promise<Response> {
    const { connector, caller } = record;
    const before = await this.options.vault.get(connector, caller).catch(() => undefined);
    const removed = await this.options.vault.unlink(connector, caller);
    await this.options.links.write(token, { ...record, used: true, form: undefined });
    if (removed) recordIdentityEvent(this.options.audit, { event: 'identity_unlinked', connector, caller, source: 'connect-page', outcome: 'ok', login: before?.login, credential: before?.secret });
    return render({
      status: 200,
      title: `Disconnected from ${what.service}`,
      body: paragraph(
        removed
          ? `Bastion caller "${caller}" no longer acts in ${what.service} as ${before?.login ?? 'you'}; your ${what.credential} was removed from Bastion. (It still works in ${what.service} itself: revoke it there too if you no longer need it.)`
          : `Bastion caller "${caller}" had no ${what.service} account connected; nothing changed.`,
      ),
    });
  }
}
