// `bastion doctor`: checks everything a user would otherwise find out from a failing tool call.
import type { DoctorCheck } from '../core/connector.js';
import { osKeyring } from '../core/keyring.js';
import { redact } from '../core/redact.js';
import { createRuntime, type FlagSettings } from './runtime.js';
import { enabledTools } from './build.js';

const MARK: Record<DoctorCheck['status'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

/** Runs every check and prints them; returns the exit code (0 only when nothing failed or warned). */
export async function runDoctor(flags: FlagSettings, options: { json: boolean }): Promise<number> {
  // Doctor's own output goes to stdout; logs stay on stderr and only show warnings.
  const runtime = await createRuntime({ BASTION_LOG_LEVEL: 'warn', ...flags });
  const sections: Array<{ connector: string; checks: DoctorCheck[] }> = [];
  const general: DoctorCheck[] = [
    {
      name: 'policy',
      status: 'ok',
      detail: `${enabledTools(runtime).length} tools enabled${runtime.global.BASTION_READ_ONLY ? ', read-only' : ''}`,
    },
    runtime.global.BASTION_AUDIT_LOG
      ? { name: 'audit log', status: 'ok', detail: runtime.global.BASTION_AUDIT_LOG }
      : { name: 'audit log', status: 'warn', detail: 'no audit log configured (--audit-log / BASTION_AUDIT_LOG)' },
  ];
  if (runtime.global.BASTION_KEYRING) {
    const keyring = await osKeyring.describe();
    general.push({ name: 'keyring', status: keyring.available ? 'ok' : 'warn', detail: keyring.detail });
  } else {
    general.push({ name: 'keyring', status: 'ok', detail: 'not used (BASTION_KEYRING=false)' });
  }
  await runtime.cache.ready(3_000);
  const cache = runtime.cache.status();
  general.push({ name: 'shared cache', status: cache.healthy ? 'ok' : 'warn', detail: cache.detail });
  sections.push({ connector: 'bastion', checks: general });
  for (const { runtime: connector } of runtime.connectors) {
    const signal = AbortSignal.timeout(20_000);
    let checks: DoctorCheck[];
    try {
      checks = await connector.doctor(signal);
    } catch (error) {
      checks = [{ name: 'checks', status: 'fail', detail: error instanceof Error ? error.message : String(error) }];
    }
    sections.push({ connector: connector.name, checks });
  }
  await runtime.close();

  const all = sections.flatMap((section) => section.checks);
  if (options.json) {
    process.stdout.write(`${redact(JSON.stringify({ sections }, null, 2))}\n`);
  } else {
    for (const section of sections) {
      process.stdout.write(`${section.connector}\n`);
      for (const check of section.checks) process.stdout.write(redact(`  [${MARK[check.status]}] ${check.name}: ${check.detail}\n`));
    }
    const failed = all.filter((c) => c.status === 'fail').length;
    const warned = all.filter((c) => c.status === 'warn').length;
    process.stdout.write(failed || warned ? `\n${failed} failed, ${warned} warnings.\n` : '\nAll checks passed.\n');
  }
  return all.some((check) => check.status !== 'ok') ? 1 : 0;
}
