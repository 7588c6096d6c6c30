import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, registerSecret } from '../../src/core/redact.js';
import { Secret } from '../../src/core/secrets.js';
import { captureLogger } from './helpers/capture-logger.js';

const SECRET = 'canary-secret-value-1234567890';

afterEach(() => clearRegisteredSecrets());

function parsed(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('writes one JSON object per line with level label, name, time and message', () => {
    const log = captureLogger('info');
    log.logger.info({ issue: 42 }, 'issue read');
    log.logger.warn('careful');
    const records = parsed(log.lines());
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ level: 'info', name: 'bastion', issue: 42, msg: 'issue read' });
    expect(Number.isNaN(Date.parse(records[0]!.time as string))).toBe(false);
    expect(records[1]).toMatchObject({ level: 'warn', msg: 'careful' });
    expect(log.text().endsWith('\n')).toBe(true);
  });

  it('writes nothing below its level', () => {
    const log = captureLogger('warn');
    log.logger.info('not shown');
    log.logger.debug('not shown either');
    log.logger.error('shown');
    expect(parsed(log.lines()).map((r) => r.msg)).toEqual(['shown']);
  });

  it('redacts a registered secret in the message, in fields and in nested fields', () => {
    registerSecret(SECRET);
    const log = captureLogger();
    log.logger.info(`calling with ${SECRET}`);
    log.logger.info({ header: SECRET, request: { headers: { 'x-key': SECRET }, list: [SECRET] } }, 'request');
    expect(log.text()).not.toContain(SECRET);
    const records = parsed(log.lines());
    expect(records[0]!.msg).toBe('calling with [REDACTED]');
    expect(records[1]).toMatchObject({ header: '[REDACTED]', request: { headers: { 'x-key': '[REDACTED]' }, list: ['[REDACTED]'] } });
  });

  it('redacts a registered secret inside an error message', () => {
    registerSecret(SECRET);
    const log = captureLogger();
    log.logger.error({ err: new Error(`upstream refused ${SECRET}`) }, 'call failed');
    log.logger.error(new Error(`thrown with ${SECRET}`));
    expect(log.text()).not.toContain(SECRET);
    const records = parsed(log.lines());
    expect(records[0]!.err).toMatchObject({ type: 'Error', message: 'upstream refused [REDACTED]' });
    expect(log.text()).toContain('thrown with [REDACTED]');
  });

  it('redacts a secret holding characters that JSON escapes', () => {
    const secret = new Secret('canary"quote\\back-secret', 'env', 'TEST_SECRET');
    const log = captureLogger();
    log.logger.info({ value: secret.reveal() }, `message ${secret.reveal()}`);
    const text = log.text();
    expect(text).not.toContain('canary');
    expect(parsed(log.lines())[0]).toMatchObject({ value: '[REDACTED]', msg: 'message [REDACTED]' });
  });

  it('prints a Secret object as [REDACTED]', () => {
    const secret = new Secret(SECRET, 'env', 'REDMINE_API_KEY');
    clearRegisteredSecrets();
    const log = captureLogger();
    log.logger.info({ credential: secret }, 'using credential');
    expect(log.text()).not.toContain(SECRET);
    expect(parsed(log.lines())[0]!.credential).toBe('[REDACTED]');
  });

  it('redacts credential-shaped values it was never told about', () => {
    const log = captureLogger();
    log.logger.info({ authorization: 'Bearer canaryUnknownToken123', url: 'https://jdoe:canary-pass@redmine.example/x' }, 'headers');
    expect(log.text()).not.toContain('canaryUnknownToken123');
    expect(log.text()).not.toContain('canary-pass');
    expect(parsed(log.lines())[0]!.url).toBe('https://[REDACTED]@redmine.example/x');
  });

  it('keeps every line valid JSON when a message holds a private key block without its end line', () => {
    const log = captureLogger();
    log.logger.warn({ file: 'client.key' }, 'cannot use key: -----BEGIN PRIVATE KEY-----\nMIIEcanaryKeyMaterial');
    log.logger.info('next line');
    expect(log.text()).not.toContain('canaryKeyMaterial');
    const records = parsed(log.lines());
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ level: 'warn', file: 'client.key' });
    expect(records[1]).toMatchObject({ msg: 'next line' });
  });

  it('logs errors without their stack above debug level', () => {
    const log = captureLogger('info');
    log.logger.error({ err: new Error('boom') }, 'failed');
    const record = parsed(log.lines())[0]!;
    expect(record.err).toMatchObject({ type: 'Error', message: 'boom' });
    expect(record.err).not.toHaveProperty('stack');
  });

  it('logs errors with their stack at debug level', () => {
    const log = captureLogger('debug');
    log.logger.error({ err: new Error('boom') }, 'failed');
    expect(parsed(log.lines())[0]!.err).toHaveProperty('stack', expect.stringContaining('boom'));
  });
});
