// Append-only JSON-lines audit log. Each record carries the hash of the one before it,
// so an edited, removed or reordered line breaks the chain and `bastion audit verify` finds it.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, fstatSync, writeSync } from 'node:fs';
import { redactDeep } from './redact.js';
import { safeSlice } from './untrusted.js';

export const GENESIS_HASH = '0'.repeat(64);

export type AuditOutcome = 'ok' | 'error' | 'denied';

export interface ToolCallEvent {
  type: 'tool_call';
  tool: string;
  connector: string;
  caller: string;
  outcome: AuditOutcome;
  duration_ms: number;
  args: unknown;
  credential?: string;
  error?: string;
}

export interface CredentialEvent {
  type: 'credential';
  event: 'token_validation' | 'client_initialization' | 'authentication_failure' | 'token_access';
  connector: string;
  source: string;
  credential: string;
  outcome: AuditOutcome;
  detail?: string;
}

export type AuditEvent = ToolCallEvent | CredentialEvent;

export interface AuditSink {
  record(event: AuditEvent): void;
}

/** Records nothing: used when no audit log is configured. */
export const noAudit: AuditSink = { record: () => {} };

/** Longest string kept in a record: arguments such as file contents or wiki text are cut, not stored whole. */
const MAX_FIELD_CHARS = 1000;

function shorten<T>(value: T): T {
  if (typeof value === 'string') {
    return (value.length > MAX_FIELD_CHARS ? `${safeSlice(value, MAX_FIELD_CHARS)}… [${value.length} chars]` : value) as T;
  }
  if (Array.isArray(value)) return value.map(shorten) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shorten(item)])) as T;
  }
  return value;
}

/**
 * The canonical text of a value for `args_sha256`: JSON as JSON.stringify writes it (no whitespace), with the keys
 * of every object sorted by UTF-16 code units (JavaScript's default sort), array order kept.
 */
export function canonicalJson(value: unknown): string {
  const sorted = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sorted);
    if (item && typeof item === 'object') {
      return Object.fromEntries(Object.keys(item).sort().map((key) => [key, sorted((item as Record<string, unknown>)[key])]));
    }
    return item;
  };
  return JSON.stringify(sorted(value)) ?? 'null';
}

/** SHA-256 (hex) of the UTF-8 canonical JSON of a tool call's full arguments, before redaction and cutting. */
export function argumentsDigest(args: unknown): string {
  return hashOf(canonicalJson(args));
}

function hashOf(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The canonical text a record's hash covers: the record as written, without its own `hash` field. */
function recordBody(record: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = record;
  return JSON.stringify(rest);
}

export class AuditLog implements AuditSink {
  private lastHash: string;
  private seq: number;
  private fd: number | undefined;

  constructor(readonly path: string) {
    const tail = existsSync(path) ? readLastRecord(path) : undefined;
    this.lastHash = typeof tail?.hash === 'string' ? tail.hash : GENESIS_HASH;
    this.seq = typeof tail?.seq === 'number' ? tail.seq : 0;
  }

  record(event: AuditEvent): void {
    this.seq += 1;
    // Arguments are stored scrubbed and cut; their digest, taken of the full arguments, lets an investigator who
    // holds what was sent prove it is what ran.
    const digest = event.type === 'tool_call' ? { args_sha256: argumentsDigest(event.args) } : {};
    const body = { seq: this.seq, time: new Date().toISOString(), ...shorten(redactDeep(event)), ...digest, prev: this.lastHash };
    const text = JSON.stringify(body);
    const hash = hashOf(text);
    // Synchronous append: records stay in call order and survive a crash right after the call. The file is opened
    // once, in append mode, so every write lands at the end even if another process appends too.
    // The line is the hashed text with `hash` added as its last field, which is what recordBody() takes off again.
    this.fd ??= openSync(this.path, 'a', 0o600);
    writeSync(this.fd, `${text.slice(0, -1)},"hash":"${hash}"}\n`);
    this.lastHash = hash;
  }
}

/** Reads the last line of a file, from the end, in growing windows (records have no size limit). */
function readLastRecord(path: string): Record<string, unknown> | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let window = 64 * 1024;
    for (;;) {
      const length = Math.min(size, window);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      const text = buffer.toString('utf8').replace(/\n+$/, '');
      const newline = text.lastIndexOf('\n');
      if (newline === -1 && length < size) {
        window *= 4;
        continue;
      }
      const last = text.slice(newline + 1);
      if (!last.trim()) return undefined;
      try {
        return JSON.parse(last) as Record<string, unknown>;
      } catch {
        throw new Error(`Audit log ${path} ends with a damaged line; run "bastion audit verify ${path}" and move the file aside.`);
      }
    }
  } finally {
    closeSync(fd);
  }
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  /** 1-based line number of the first broken record. */
  brokenLine?: number;
  reason?: string;
}

/** Checks the whole chain: every line parses, its hash matches its body, and it points at the previous hash. */
export function verifyAuditLog(path: string): VerifyResult {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  let prev = GENESIS_HASH;
  for (const [index, line] of lines.entries()) {
    const lineNo = index + 1;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return { ok: false, records: index, brokenLine: lineNo, reason: 'not valid JSON' };
    }
    if (record.prev !== prev) {
      return { ok: false, records: index, brokenLine: lineNo, reason: 'does not follow the previous record (a line was removed, inserted or reordered)' };
    }
    if (hashOf(recordBody(record)) !== record.hash) {
      return { ok: false, records: index, brokenLine: lineNo, reason: 'its content was changed after it was written' };
    }
    prev = record.hash as string;
  }
  return { ok: true, records: lines.length };
}
