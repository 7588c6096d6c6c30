import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AuditLog, GENESIS_HASH, verifyAuditLog, type ToolCallEvent } from '../../src/core/audit.js';
import { clearRegisteredSecrets, registerSecret } from '../../src/core/redact.js';
import { captureLogger } from './helpers/capture-logger.js';
import { configErrorOf } from './helpers/errors.js';
import { makeTempDir, removeTempDirs } from './helpers/tmp.js';

afterEach(() => clearRegisteredSecrets());
afterAll(() => removeTempDirs());

function call(n: number, args: unknown = { id: n }): ToolCallEvent {
  return { type: 'tool_call', tool: 'redmine_get_issue', connector: 'redmine', caller: 'stdio', outcome: 'ok', duration_ms: n, args };
}

function logPath(): string {
  return join(makeTempDir('bastion-audit-'), 'audit.jsonl');
}

function readRecords(path: string): Array<Record<string, unknown>> {
  return readLines(path).map((line) => JSON.parse(line) as Record<string, unknown>);
}

function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
}

function writeLines(path: string, lines: string[]): void {
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function writeRecords(n: number): string {
  const path = logPath();
  const log = new AuditLog(path);
  for (let i = 1; i <= n; i += 1) log.record(call(i));
  return path;
}

describe('AuditLog', () => {
  it('writes one JSON record per event, chained by hash, in a mode 600 file', () => {
    const path = writeRecords(3);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const records = readRecords(path);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]!.prev).toBe(GENESIS_HASH);
    expect(records[1]!.prev).toBe(records[0]!.hash);
    expect(records[2]!.prev).toBe(records[1]!.hash);
    for (const record of records) {
      expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isNaN(Date.parse(record.time as string))).toBe(false);
    }
    expect(records[1]).toMatchObject({ type: 'tool_call', tool: 'redmine_get_issue', connector: 'redmine', outcome: 'ok', args: { id: 2 } });
  });

  it('continues the chain when the file is opened again', () => {
    const path = writeRecords(2);
    const reopened = new AuditLog(path);
    reopened.record(call(3));
    const records = readRecords(path);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[2]!.prev).toBe(records[1]!.hash);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 3 });
  });

  it('cuts long argument strings instead of storing them whole', () => {
    const path = logPath();
    const text = 'lorem ipsum '.repeat(1000);
    new AuditLog(path).record(call(1, { text }));
    const stored = (readRecords(path)[0]!.args as { text: string }).text;
    expect(stored.length).toBeLessThan(text.length);
    expect(stored).toContain(String(text.length));
    expect(text.startsWith(stored.slice(0, 500))).toBe(true);
    expect(verifyAuditLog(path).ok).toBe(true);
  });

  it('stores a SHA-256 of the full arguments as sent (keys sorted, no whitespace) beside their scrubbed, cut copy', () => {
    const path = logPath();
    const fakePem = `-----BEGIN PRIVATE KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'.repeat(4)}\n-----END PRIVATE KEY-----`;
    const long = 'lorem ipsum '.repeat(200);
    // Keys out of order, nested, with non-ASCII text: the digest does not depend on the order the client used.
    const args = { notes: `key: ${fakePem}`, issue_id: 7, fields: { z: [2, 1], a: 'Grüße ✓' }, description: long };
    new AuditLog(path).record(call(1, args));
    const record = readRecords(path)[0]!;
    const canonical = `{"description":${JSON.stringify(long)},"fields":{"a":"Grüße ✓","z":[2,1]},"issue_id":7,"notes":${JSON.stringify(`key: ${fakePem}`)}}`;
    expect(record.args_sha256).toBe(createHash('sha256').update(canonical, 'utf8').digest('hex'));
    // The stored copy is scrubbed and cut, so it alone could not prove what ran.
    expect(JSON.stringify(record.args)).not.toContain('MIIEvQ');
    expect((record.args as { description: string }).description.length).toBeLessThan(long.length);
    // The same arguments in another key order give the same digest; one changed character does not.
    new AuditLog(path).record(call(2, { description: long, issue_id: 7, notes: `key: ${fakePem}`, fields: { a: 'Grüße ✓', z: [2, 1] } }));
    new AuditLog(path).record(call(3, { ...args, issue_id: 8 }));
    const [, same, other] = readRecords(path);
    expect(same!.args_sha256).toBe(record.args_sha256);
    expect(other!.args_sha256).not.toBe(record.args_sha256);
    expect(verifyAuditLog(path).ok).toBe(true);
  });

  it('gives credential events no argument digest', () => {
    const path = logPath();
    new AuditLog(path).record({ type: 'credential', event: 'token_validation', connector: 'redmine', source: 'env', credential: 'abcd1234', outcome: 'ok' });
    expect(readRecords(path)[0]).not.toHaveProperty('args_sha256');
  });

  it('continues the chain after a record larger than 64 KiB', () => {
    const path = logPath();
    const chunk = 'lorem ipsum '.repeat(80);
    const issues = Array.from({ length: 80 }, (_, i) => ({ id: i + 1, notes: chunk }));
    new AuditLog(path).record(call(1, { issues }));
    expect(readFileSync(path).length).toBeGreaterThan(64 * 1024);
    const reopened = new AuditLog(path);
    reopened.record(call(2));
    const records = readRecords(path);
    expect(records.map((r) => r.seq)).toEqual([1, 2]);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 2 });
  });

  it('refuses to continue a file whose last line is damaged', () => {
    const path = writeRecords(2);
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"seq":3,"trunc\n`);
    expect(() => new AuditLog(path)).toThrow(/damaged line/);
    const endsInNull = writeRecords(2);
    writeFileSync(endsInNull, `${readFileSync(endsInNull, 'utf8')}null\n`);
    expect(() => new AuditLog(endsInNull)).toThrow(/damaged line/);
  });

  it('writes credential-named argument fields as [REDACTED]', () => {
    const path = logPath();
    new AuditLog(path).record(call(1, { subject: 'Printer broken', password: 'canary-pw-1234', nested: { api_key: 'canary-key-5678' } }));
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('canary-pw-1234');
    expect(text).not.toContain('canary-key-5678');
    expect(readRecords(path)[0]!.args).toEqual({ subject: 'Printer broken', password: '[REDACTED]', nested: { api_key: '[REDACTED]' } });
  });

  it('never writes a registered secret that appears in arguments or errors', () => {
    const secret = 'canary-secret-value-1234567890';
    registerSecret(secret);
    const path = logPath();
    new AuditLog(path).record({
      ...call(1, { notes: `pasted ${secret} by mistake`, list: [secret] }),
      outcome: 'error',
      error: `Redmine refused key ${secret}`,
    });
    expect(readFileSync(path, 'utf8')).not.toContain(secret);
    expect(verifyAuditLog(path).ok).toBe(true);
  });
});

/** Starts a writer process that appends `count` records once told to go; resolves when it has finished. */
function writerProcess(path: string, count: number, name: string): { go(): void; done: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'helpers/audit-writer.ts'), path, String(count), name], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const done = new Promise<number | null>((settle) => child.on('close', settle));
  return { go: () => child.stdin.write('go\n'), done };
}

describe('AuditLog on a disk that refuses writes', () => {
  const full = (): never => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };

  it('completes a record that the disk takes a few bytes at a time', () => {
    const path = logPath();
    const log = new AuditLog(path, { write: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, Math.min(length, 7)) });
    for (let i = 1; i <= 3; i += 1) log.record(call(i));
    expect(log.healthy).toBe(true);
    expect(readRecords(path).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 3 });
  });

  it('never leaves a torn record: a write cut by a full disk is cut back to the last complete record', () => {
    const path = logPath();
    const log = captureLogger('info');
    let disk: 'ok' | 'full after 50 bytes' = 'ok';
    const audit = new AuditLog(path, {
      logger: log.logger,
      write: (fd, buffer, offset, length) => {
        if (disk === 'ok') return writeSync(fd, buffer, offset, length);
        // Takes the first 50 bytes of a record, then the disk is full.
        return offset === 0 ? writeSync(fd, buffer, offset, Math.min(length, 50)) : full();
      },
    });
    audit.record(call(1));
    const complete = readFileSync(path);

    disk = 'full after 50 bytes';
    for (let i = 2; i <= 4; i += 1) audit.record(call(i));
    expect(readFileSync(path)).toEqual(complete);
    expect(audit.healthy).toBe(false);
    expect(audit.problem).toBe('ENOSPC');
    const errors = log.lines().filter((line) => line.includes('the audit log cannot be written'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('ENOSPC');

    disk = 'ok';
    audit.record(call(5));
    expect(audit.healthy).toBe(true);
    expect(readRecords(path).map((r) => [r.seq, r.duration_ms])).toEqual([[1, 1], [2, 5]]);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 2 });
    const recovered = log.lines().filter((line) => line.includes('audit log can be written again'));
    expect(recovered).toHaveLength(1);
    expect(JSON.parse(recovered[0]!)).toMatchObject({ lost_records: 3 });
  });

  it('reports a write refused outright (read-only file system, permissions) the same way', () => {
    const path = logPath();
    const audit = new AuditLog(path, {
      write: () => {
        throw Object.assign(new Error('EROFS: read-only file system, write'), { code: 'EROFS' });
      },
    });
    audit.record(call(1));
    expect(audit.healthy).toBe(false);
    expect(audit.problem).toBe('EROFS');
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});

describe('AuditLog with several writers', () => {
  it('keeps one intact chain when two processes append at the same time', async () => {
    const path = logPath();
    const writers = [writerProcess(path, 300, 'first'), writerProcess(path, 300, 'second')];
    // Both have opened the log before either appends.
    await new Promise((settle) => setTimeout(settle, 1500));
    for (const writer of writers) writer.go();
    expect(await Promise.all(writers.map((writer) => writer.done))).toEqual([0, 0]);
    const records = readRecords(path);
    expect(records).toHaveLength(600);
    expect(records.map((record) => record.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    // Interleaved, not one after the other: the test really had two writers at once.
    const switches = records.filter((record, i) => i > 0 && record.caller !== records[i - 1]!.caller).length;
    expect(switches).toBeGreaterThan(10);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 600 });
    expect(readdirSync(dirname(path))).toEqual(['audit.jsonl']);
  });

  it('chains from the records another writer appended in between', () => {
    const path = logPath();
    const one = new AuditLog(path);
    const two = new AuditLog(path);
    one.record(call(1));
    two.record(call(2));
    one.record(call(3));
    two.record(call(4));
    expect(readRecords(path).map((record) => record.seq)).toEqual([1, 2, 3, 4]);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 4 });
  });

  it('takes over the lock of a writer that died holding it', async () => {
    const path = logPath();
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((settle) => gone.on('close', settle));
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: gone.pid, host: hostname() }));
    const log = new AuditLog(path);
    log.record(call(1));
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 1 });
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('AuditLog target', () => {
  it('refuses a file that is not an audit log, such as a shell start-up file, and leaves it unchanged', () => {
    const path = join(makeTempDir('bastion-audit-'), '.bashrc');
    writeFileSync(path, 'export PATH=$HOME/bin:$PATH\n');
    const error = configErrorOf(() => new AuditLog(path));
    expect(error.message).toContain(`BASTION_AUDIT_LOG points at ${path}, a file whose first line is not a Bastion audit record`);
    expect(error.fix).toMatch(/set BASTION_AUDIT_LOG to a new file/);
    expect(readFileSync(path, 'utf8')).toBe('export PATH=$HOME/bin:$PATH\n');
  });

  it('refuses a symbolic link, even to an audit log, and a directory, naming the setting it came from', () => {
    const real = writeRecords(1);
    const link = join(dirname(real), 'link.jsonl');
    symlinkSync(real, link);
    expect(configErrorOf(() => new AuditLog(link)).message).toContain(`BASTION_AUDIT_LOG points at ${link}, a symbolic link`);
    const dir = join(makeTempDir('bastion-audit-'), 'logs');
    mkdirSync(dir);
    expect(configErrorOf(() => new AuditLog(dir, { setting: 'YOUTRACK_SECURITY_AUDIT_LOG' })).message).toContain(`YOUTRACK_SECURITY_AUDIT_LOG points at ${dir}, a directory`);
  });

  it('creates a new log with mode 600 and continues an existing one or an empty file', () => {
    const fresh = logPath();
    new AuditLog(fresh);
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    const empty = logPath();
    writeFileSync(empty, '');
    new AuditLog(empty).record(call(1));
    expect(verifyAuditLog(empty)).toMatchObject({ ok: true, records: 1 });
  });
});

describe('AuditLog folder', () => {
  it('creates the missing folders of a new log, private to this user (mode 700)', () => {
    const base = makeTempDir('bastion-audit-');
    const path = join(base, 'state', 'bastion', 'audit.jsonl');
    new AuditLog(path).record(call(1));
    expect(statSync(join(base, 'state')).mode & 0o777).toBe(0o700);
    expect(statSync(join(base, 'state', 'bastion')).mode & 0o777).toBe(0o700);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 1 });
  });

  it('names the setting, the folder and the cause when the folder cannot be made', () => {
    const blocker = join(makeTempDir('bastion-audit-'), 'not-a-folder');
    writeFileSync(blocker, '');
    const error = configErrorOf(() => new AuditLog(join(blocker, 'audit.jsonl'), { setting: 'YOUTRACK_SECURITY_AUDIT_LOG' }));
    expect(error.message).toBe(`YOUTRACK_SECURITY_AUDIT_LOG: cannot create the folder ${blocker} for the audit log ${join(blocker, 'audit.jsonl')} (a file of that name is in the way).`);
    expect(error.fix).toBe('set YOUTRACK_SECURITY_AUDIT_LOG to a file in a folder this user may write');
  });
});

describe('verifyAuditLog', () => {
  it('accepts an intact log', () => {
    expect(verifyAuditLog(writeRecords(4))).toMatchObject({ ok: true, records: 4 });
  });

  it('accepts an empty log', () => {
    const path = logPath();
    writeFileSync(path, '');
    expect(verifyAuditLog(path)).toEqual({ ok: true, records: 0, head: GENESIS_HASH });
  });

  it('finds an edited field and reports its line', () => {
    const path = writeRecords(4);
    const lines = readLines(path);
    lines[2] = lines[2]!.replace('"outcome":"ok"', '"outcome":"denied"');
    writeLines(path, lines);
    const result = verifyAuditLog(path);
    expect(result).toMatchObject({ ok: false, brokenLine: 3, records: 2 });
    expect(result.reason).toMatch(/changed/);
  });

  it('finds an edit even when the edited record is given a fresh hash', () => {
    const path = writeRecords(4);
    const records = readRecords(path);
    const body: Record<string, unknown> = { ...records[1]!, outcome: 'denied' };
    delete body.hash;
    const forged = { ...body, hash: createHash('sha256').update(JSON.stringify(body)).digest('hex') };
    const lines = readLines(path);
    lines[1] = JSON.stringify(forged);
    writeLines(path, lines);
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, brokenLine: 3 });
  });

  it('finds a deleted line', () => {
    const path = writeRecords(4);
    const lines = readLines(path);
    lines.splice(1, 1);
    writeLines(path, lines);
    const result = verifyAuditLog(path);
    expect(result).toMatchObject({ ok: false, brokenLine: 2 });
    expect(result.reason).toMatch(/removed/);
  });

  it('finds swapped lines', () => {
    const path = writeRecords(4);
    const lines = readLines(path);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    writeLines(path, lines);
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, brokenLine: 2 });
  });

  it('gives the head hash: the hash of the last record, which the next record chains from', () => {
    const path = writeRecords(4);
    const records = readRecords(path);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 4, head: records[3]!.hash });
  });

  it('finds records removed from the end when given the head noted before, and accepts records added since', () => {
    const path = writeRecords(4);
    const noted = verifyAuditLog(path).head;
    new AuditLog(path).record(call(5));
    expect(verifyAuditLog(path, { expectHead: noted })).toMatchObject({ ok: true, records: 5, expectedHeadLine: 4 });
    // Cutting the last two records leaves an intact chain: only the noted head shows the cut.
    writeLines(path, readLines(path).slice(0, 3));
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 3 });
    const cut = verifyAuditLog(path, { expectHead: noted });
    expect(cut.ok).toBe(true);
    expect(cut.expectedHeadLine).toBeUndefined();
  });

  it('finds a line that is not JSON', () => {
    const path = writeRecords(3);
    const lines = readLines(path);
    lines.splice(2, 0, 'not json at all');
    writeLines(path, lines);
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, brokenLine: 3, records: 2, reason: 'not valid JSON' });
  });

  it.each(['1', '"x"', 'null', '[]', 'true'])('names a line that is valid JSON but not a record (%s)', (line) => {
    const path = writeRecords(3);
    const lines = readLines(path);
    lines.splice(1, 0, line);
    writeLines(path, lines);
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, records: 1, brokenLine: 2, reason: 'not an audit record (valid JSON, but not an object)' });
  });
});

describe('AuditLog records', () => {
  it('keeps arrays in arguments as arrays, cutting the long strings inside them', () => {
    const path = logPath();
    const long = 'lorem ipsum '.repeat(200);
    new AuditLog(path).record(call(1, { ids: [3, 1, 2], notes: ['short', long] }));
    const args = readRecords(path)[0]!.args as { ids: unknown; notes: string[] };
    expect(args.ids).toEqual([3, 1, 2]);
    expect(Array.isArray(args.notes)).toBe(true);
    expect(args.notes[0]).toBe('short');
    expect(args.notes[1]!.length).toBeLessThan(long.length);
  });

  it('gives a call without arguments the digest of JSON null, which an investigator can reproduce', () => {
    const path = logPath();
    new AuditLog(path).record({ ...call(1), args: undefined });
    expect(readRecords(path)[0]!.args_sha256).toBe(createHash('sha256').update('null').digest('hex'));
  });

  it('gives a refused attempt the digest of its arguments, like a call', () => {
    const path = logPath();
    new AuditLog(path).record({ type: 'tool_attempt', call_id: 'c1', tool: 'redmine_delete_issue', connector: 'redmine', caller: 'stdio', args: { id: 7 } });
    expect(readRecords(path)[0]!.args_sha256).toBe(createHash('sha256').update('{"id":7}').digest('hex'));
  });

  it('reports no problem while the log can be written', () => {
    const log = new AuditLog(logPath());
    log.record(call(1));
    expect(log.healthy).toBe(true);
    expect(log.problem).toBeUndefined();
  });

  it('names the log and the error code in the log line when records cannot be written, and "error" when the cause has no code', () => {
    const path = logPath();
    const captured = captureLogger('info');
    const audit = new AuditLog(path, {
      logger: captured.logger,
      write: () => {
        throw new Error('the disk went away');
      },
    });
    audit.record(call(1));
    expect(audit.problem).toBe('error');
    const line = captured.lines().find((text) => text.includes('the audit log cannot be written'));
    expect(JSON.parse(line!)).toMatchObject({ audit_log: path, code: 'error' });
  });
});

describe('AuditLog and the end of an existing log', () => {
  it('refuses to continue a log whose last line is a blank line, which audit verify reports as broken', () => {
    const path = writeRecords(2);
    writeFileSync(path, `${readFileSync(path, 'utf8')}\n`);
    expect(verifyAuditLog(path).ok).toBe(false);
    expect(() => new AuditLog(path)).toThrow(/damaged line/);
    const spaces = writeRecords(2);
    writeFileSync(spaces, `${readFileSync(spaces, 'utf8')}   \n`);
    expect(() => new AuditLog(spaces)).toThrow(/damaged line/);
  });

  it.each(['42', '"text"', 'true'])('refuses to continue a log whose last line is JSON but not a record (%s)', (line) => {
    const path = writeRecords(2);
    writeFileSync(path, `${readFileSync(path, 'utf8')}${line}\n`);
    expect(() => new AuditLog(path)).toThrow(/damaged line/);
  });

  it('continues a log whose last record lacks only its line break', () => {
    const path = writeRecords(2);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n$/, ''));
    expect(() => new AuditLog(path)).not.toThrow();
  });
});

describe('AuditLog files it cannot use', () => {
  it('refuses a device such as /dev/null, which would swallow the records', () => {
    expect(configErrorOf(() => new AuditLog('/dev/null')).message).toContain('BASTION_AUDIT_LOG points at /dev/null, which is not a regular file');
  });

  it('names the setting, the folder and the error code when a folder of the path is a file, and how to create the folder', () => {
    const blocker = join(makeTempDir('bastion-audit-'), 'not-a-folder');
    writeFileSync(blocker, '');
    const folder = join(blocker, 'logs');
    const error = configErrorOf(() => new AuditLog(join(folder, 'audit.jsonl')));
    expect(error.message).toBe(`BASTION_AUDIT_LOG: cannot create the folder ${folder} for the audit log ${join(folder, 'audit.jsonl')} (ENOTDIR).`);
    expect(error.fix).toBe(`set BASTION_AUDIT_LOG to a file in a folder this user may write, or create ${folder} (mkdir -p -m 700 ${folder})`);
  });

  it('names the setting, the file and the error code when the file cannot be opened', () => {
    const path = join(makeTempDir('bastion-audit-'), `${'a'.repeat(300)}.jsonl`);
    const error = configErrorOf(() => new AuditLog(path, { setting: 'YOUTRACK_SECURITY_AUDIT_LOG' }));
    expect(error.message).toBe(`YOUTRACK_SECURITY_AUDIT_LOG: cannot open ${path} (ENAMETOOLONG).`);
    expect(error.fix).toBe(`check that this user may write ${path} and its folder, or set YOUTRACK_SECURITY_AUDIT_LOG to another file`);
  });
});

describe('verifyAuditLog and a head noted on an empty log', () => {
  it('places the empty log head before the first line, so every record counts as added since', () => {
    const path = writeRecords(2);
    expect(verifyAuditLog(path, { expectHead: GENESIS_HASH })).toMatchObject({ ok: true, records: 2, expectedHeadLine: 0 });
  });
});
