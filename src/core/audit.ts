// Append-only JSON-lines audit log. Each record carries the hash of the one before it,
// so an edited, removed or reordered line breaks the chain and `bastion audit verify` finds it.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './errors.js';
import { FileLock } from './file-lock.js';
import { silentLogger, type Logger } from './logger.js';
import { redactDeep } from './redact.js';
import { safeSlice } from './untrusted.js';

export const GENESIS_HASH = '0'.repeat(64);

/** `unknown`: a change failed after it may have reached the upstream system, so whether it was applied is not known. */
export type AuditOutcome = 'ok' | 'error' | 'denied' | 'unknown';

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
  /** For a tool that changes data: the id of its `tool_attempt` record. */
  call_id?: string;
  /** Who the call ran as upstream: "shared", or the login it was impersonated as or linked to (BASTION_IDENTITY). */
  upstream?: string;
  upstream_kind?: 'shared' | 'impersonated' | 'linked';
}

/**
 * Written before a tool that changes data runs, so that a call cut short (the process killed, say) still leaves a
 * trace; its `tool_call` record follows with the same `call_id` and the outcome. An attempt without one means the
 * outcome is unknown.
 */
export interface ToolAttemptEvent {
  type: 'tool_attempt';
  call_id: string;
  tool: string;
  connector: string;
  caller: string;
  args: unknown;
  credential?: string;
  upstream?: string;
  upstream_kind?: 'shared' | 'impersonated' | 'linked';
}

export interface CredentialEvent {
  type: 'credential';
  event:
    | 'token_validation'
    | 'client_initialization'
    | 'authentication_failure'
    | 'token_access'
    // A person's own upstream credential (per-user mode): linked, unlinked, revoked by an operator, refused when
    // linked, or refused upstream later.
    | 'identity_linked'
    | 'identity_unlinked'
    | 'identity_revoked'
    | 'identity_validation_failed'
    | 'identity_key_refused'
    /** Per-user mode found no upstream login for a caller, or upstream would not act as it. */
    | 'impersonation_refused';
  connector: string;
  source: string;
  credential: string;
  outcome: AuditOutcome;
  detail?: string;
  /** For per-user events: the MCP caller concerned. */
  caller?: string;
  /** The upstream login a personal credential authenticates as (linking events). */
  upstream_login?: string;
  /** The upstream login an impersonation was refused for. */
  upstream?: string;
}

/** One read of an MCP resource (resources/read), audited like a tool call. */
export interface ResourceReadEvent {
  type: 'resource_read';
  uri: string;
  /** The name policy knows it by (etim_resource_languages). */
  resource: string;
  connector: string;
  caller: string;
  outcome: AuditOutcome;
  duration_ms: number;
  credential?: string;
  error?: string;
}

/** One prompts/get, audited like a tool call (its arguments are what the person typed). */
export interface PromptGetEvent {
  type: 'prompt_get';
  prompt: string;
  connector: string;
  caller: string;
  outcome: AuditOutcome;
  args: unknown;
  error?: string;
}

export type AuditEvent = ToolCallEvent | ToolAttemptEvent | CredentialEvent | ResourceReadEvent | PromptGetEvent;

export interface AuditSink {
  /** Appends a record. Never throws: a record that cannot be written makes the sink unhealthy (and is logged once). */
  record(event: AuditEvent): void;
  /** False while records cannot be written; changes are refused then, and an HTTP instance reports itself unready. */
  readonly healthy: boolean;
  /** Why records cannot be written (e.g. "ENOSPC"), while unhealthy. */
  readonly problem?: string;
}

/** Records nothing: used when no audit log is configured. */
export const noAudit: AuditSink = { record: () => {}, healthy: true };

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

/** A record as Bastion writes it starts like this; any other first line means the file is not an audit log. */
const RECORD_START = /^\{"seq":\d+,"time":"/;

export interface AuditLogOptions {
  /** The setting that named the file, for error messages (BASTION_AUDIT_LOG or its alias). */
  setting?: string;
  /** Told once when records cannot be written, and once when they can again. */
  logger?: Logger;
  /** The write function (tests pass one that fails like a full disk). */
  write?: (fd: number, buffer: Buffer, offset: number, length: number) => number;
}

/**
 * Several Bastion processes may append to one log (two MCP hosts of one user, say). Each append takes a lock file
 * beside the log and chains from the record actually at the end of the file, so the chain stays whole whatever
 * the number of writers.
 */
export class AuditLog implements AuditSink {
  private lastHash = GENESIS_HASH;
  private seq = 0;
  /** File size right after this process's last append: when it still matches, nobody else appended since. */
  // Stryker disable next-line UnaryOperator: any size no file can have at start works (an existing log holds at least one whole record, a new one is empty).
  private knownSize = -1;
  private readonly fd: number;
  private readonly lock: FileLock;
  private readonly setting: string;
  private readonly logger: Logger;
  private readonly write: NonNullable<AuditLogOptions['write']>;
  /** Set while records cannot be written: the error code, and how many records were lost since. */
  private failure?: { code: string; lost: number };

  constructor(
    readonly path: string,
    options: AuditLogOptions = {},
  ) {
    this.setting = options.setting ?? 'BASTION_AUDIT_LOG';
    this.logger = options.logger ?? silentLogger;
    this.write = options.write ?? ((fd, buffer, offset, length) => writeSync(fd, buffer, offset, length));
    this.fd = openAuditFile(path, this.setting);
    this.lock = new FileLock(path);
    // A damaged end stops start-up, not the first tool call.
    this.catchUp();
  }

  get healthy(): boolean {
    return this.failure === undefined;
  }

  get problem(): string | undefined {
    return this.failure?.code;
  }

  record(event: AuditEvent): void {
    // Arguments are stored scrubbed and cut; their digest, taken of the full arguments, lets an investigator who
    // holds what was sent prove it is what ran.
    const digest = event.type === 'tool_call' || event.type === 'tool_attempt' ? { args_sha256: argumentsDigest(event.args) } : {};
    const entry = { time: new Date().toISOString(), ...shorten(redactDeep(event)), ...digest };
    try {
      this.lock.hold(() => this.append(entry));
    } catch (error) {
      // The next append reads the chain's end from the file again, whatever this one changed in memory.
      // Stryker disable next-line UnaryOperator: any size the log cannot have after a failed append forces the re-read (it is empty or holds whole records).
      this.knownSize = -1;
      this.failed(error);
      return;
    }
    if (this.failure) {
      this.logger.warn({ audit_log: this.path, lost_records: this.failure.lost }, 'audit log can be written again; the records counted as lost were not written');
      this.failure = undefined;
    }
  }

  private append(entry: Record<string, unknown>): void {
    const size = this.catchUp();
    const seq = this.seq + 1;
    const text = JSON.stringify({ seq, ...entry, prev: this.lastHash });
    const hash = hashOf(text);
    // Synchronous append: records stay in call order and survive a crash right after the call.
    // The line is the hashed text with `hash` added as its last field, which is what recordBody() takes off again.
    const line = Buffer.from(`${text.slice(0, -1)},"hash":"${hash}"}\n`);
    let written = 0;
    try {
      // A write may take only part of the line (a nearly full disk): the rest follows, or the error below.
      while (written < line.length) written += this.write(this.fd, line, written, line.length - written);
    } catch (error) {
      // Never a torn record: cut back to the end of the last complete one, which under the lock was `size`.
      // Stryker disable next-line ConditionalExpression,EqualityOperator: with nothing written the file is already `size` long, so cutting it back changes nothing.
      if (written > 0) ftruncateSync(this.fd, size);
      throw error;
    }
    this.seq = seq;
    this.lastHash = hash;
    // In append mode the line landed at the end, which under the lock was `size`.
    // Stryker disable next-line ArithmeticOperator: knownSize only spares re-reading the last record; a wrong value re-reads it and finds the same chain end.
    this.knownSize = size + line.length;
  }

  /** Logs the first failure of a run of them (not one line per record) and counts the records lost. */
  private failed(error: unknown): void {
    if (this.failure) {
      this.failure.lost += 1;
      return;
    }
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    this.failure = { code, lost: 1 };
    this.logger.error(
      { audit_log: this.path, code, err: error },
      `the audit log cannot be written (${code}): tools that change data are refused until it can, reads go on unrecorded. Free space on its disk or fix its permissions (${this.setting}); the server log says when it works again`,
    );
  }

  /** Takes the chain's end from the file when another process appended since this one last did. */
  private catchUp(): number {
    const size = fstatSync(this.fd).size;
    // Stryker disable next-line ConditionalExpression: skipping this shortcut re-reads the last record, which is the chain end already held.
    if (size === this.knownSize) return size;
    const tail = size > 0 ? readLastRecord(this.fd, this.path, size) : undefined;
    this.lastHash = typeof tail?.hash === 'string' ? tail.hash : GENESIS_HASH;
    this.seq = typeof tail?.seq === 'number' ? tail.seq : 0;
    this.knownSize = size;
    return size;
  }
}

/**
 * Opens the log for reading and appending, refusing anything but an audit log of Bastion's: a symlink, a device
 * or directory, or a file that holds something else (say, a shell start-up file) would receive tool arguments.
 */
function openAuditFile(path: string, setting: string): number {
  const refuse = (what: string): never => {
    throw new ConfigError(
      `${setting} points at ${path}, ${what}: Bastion appends audit records only to its own audit log, never to another file.`,
      `set ${setting} to a new file (e.g. ~/.local/state/bastion/audit.jsonl) or to an existing Bastion audit log`,
    );
  };
  // A log in a folder that does not exist yet (~/.local/state/bastion on a fresh machine) gets the folder, private
  // to this user like the log itself. An existing folder keeps its mode.
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    // Stryker disable next-line StringLiteral: file system errors always carry a code; the fallback only keeps the message readable.
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    // mkdir says EEXIST when a file stands where the folder should be.
    const cause = code === 'EEXIST' ? 'a file of that name is in the way' : code;
    throw new ConfigError(
      `${setting}: cannot create the folder ${dirname(path)} for the audit log ${path} (${cause}).`,
      code === 'EEXIST'
        ? `set ${setting} to a file in a folder this user may write`
        : `set ${setting} to a file in a folder this user may write, or create ${dirname(path)} (mkdir -p -m 700 ${dirname(path)})`,
    );
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    // Stryker disable next-line StringLiteral: file system errors always carry a code; the fallback only keeps the message readable.
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ELOOP') refuse('a symbolic link');
    if (code === 'EISDIR') refuse('a directory');
    throw new ConfigError(`${setting}: cannot open ${path} (${code}).`, `check that this user may write ${path} and its folder, or set ${setting} to another file`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) refuse('which is not a regular file');
    if (stat.size > 0) {
      // Stryker disable next-line MethodExpression: reading more of the head changes nothing, RECORD_START looks at its start only.
      const head = Buffer.alloc(Math.min(stat.size, 64));
      readSync(fd, head, 0, head.length, 0);
      if (!RECORD_START.test(head.toString('utf8'))) refuse('a file whose first line is not a Bastion audit record');
    }
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Reads the last line of the open log, from the end, in growing windows (records have no size limit). */
function readLastRecord(fd: number, path: string, size: number): Record<string, unknown> | undefined {
  // Stryker disable next-line ArithmeticOperator: the first window only sets how much is read at once; it grows until it holds the last line.
  let window = 16 * 1024;
  for (;;) {
    const length = Math.min(size, window);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    // Only the one line break that ends every record: a blank line after it is damage, as `audit verify` says.
    const text = buffer.toString('utf8').replace(/\n$/, '');
    const newline = text.lastIndexOf('\n');
    if (
      // Stryker disable next-line ConditionalExpression: growing the window although the line break is in it only reads more; the last line found is the same.
      newline === -1 &&
      length < size
    ) {
      window *= 4;
      continue;
    }
    const last = text.slice(newline + 1);
    let record: unknown;
    try {
      record = JSON.parse(last);
    } catch {
      // Handled below, with a line that is JSON but no record.
    }
    if (!record || typeof record !== 'object' || Array.isArray(record)) {
      throw new Error(`Audit log ${path} ends with a damaged line; run "bastion audit verify ${path}" and move the file aside.`);
    }
    return record as Record<string, unknown>;
  }
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  /** The hash of the last intact record (GENESIS_HASH for an empty log): the value to keep elsewhere. */
  head: string;
  /** 1-based line number of the first broken record. */
  brokenLine?: number;
  reason?: string;
  /**
   * With `expectHead`: the line of the record carrying that hash (0 for GENESIS_HASH), or undefined when no record
   * does, which means records were removed from the end (or the file was replaced) since the head was noted.
   */
  expectedHeadLine?: number;
}

/**
 * Checks the whole chain: every line parses, its hash matches its body, and it points at the previous hash.
 * A chain cannot show that records were cut off its end; a head hash noted earlier (`expectHead`) can: the record
 * carrying it must still be there.
 */
export function verifyAuditLog(path: string, options: { expectHead?: string } = {}): VerifyResult {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const expected = options.expectHead?.trim().toLowerCase();
  let expectedHeadLine = expected === GENESIS_HASH ? 0 : undefined;
  let prev = GENESIS_HASH;
  const broken = (index: number, reason: string): VerifyResult => ({ ok: false, records: index, head: prev, brokenLine: index + 1, reason, expectedHeadLine });
  for (const [index, line] of lines.entries()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return broken(index, 'not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return broken(index, 'not an audit record (valid JSON, but not an object)');
    }
    const record = parsed as Record<string, unknown>;
    if (record.prev !== prev) {
      return broken(index, 'does not follow the previous record (a line was removed, inserted or reordered)');
    }
    if (hashOf(recordBody(record)) !== record.hash) {
      return broken(index, 'its content was changed after it was written');
    }
    prev = record.hash as string;
    if (prev === expected) expectedHeadLine = index + 1;
  }
  return { ok: true, records: lines.length, head: prev, expectedHeadLine };
}
