#!/usr/bin/env node
// The `bastion` command: serve, doctor, secret, identities, audit verify.
import { Command, Option } from 'commander';
import { verifyAuditLog } from './core/audit.js';
import { ConfigError } from './core/errors.js';
import { LOG_LEVELS } from './core/logger.js';
import { redact } from './core/redact.js';
import { CONNECTORS } from './connectors/index.js';
import { TOOLSETS } from './connectors/toolsets.js';
import { SERVER_VERSION } from './server/build.js';
import type { FlagSettings } from './server/runtime.js';

/** Options shared by `serve` and `doctor`, each with the BASTION_* variable it stands for. */
const SHARED_OPTIONS: Array<[flags: string, description: string, variable: string]> = [
  ['--connectors <list>', 'comma-separated connectors to enable (default: every configured one)', 'BASTION_CONNECTORS'],
  ['--read-only', 'hide and refuse every tool that changes data', 'BASTION_READ_ONLY'],
  ['--tools <globs>', 'allow list of tool names or globs, comma-separated', 'BASTION_TOOLS'],
  ['--exclude-tools <globs>', 'deny list of tool names or globs (deny wins)', 'BASTION_EXCLUDE_TOOLS'],
  ['--toolsets <sets>', 'named sets of tools, comma-separated, e.g. redmine:issues,youtrack:read (bastion --help lists them); allowed beside --tools', 'BASTION_TOOLSETS'],
  ['--env-file <file>', 'read variables from this file (default: $XDG_CONFIG_HOME/bastion/.env, i.e. ~/.config/bastion/.env, if present; a .env in the working directory is read only when named here)', 'BASTION_ENV_FILE'],
  ['--config <file>', 'JSON file of settings ({"REDMINE_URL": "..."}), lowest precedence', 'BASTION_CONFIG'],
  ['--log-level <level>', `log level on stderr: ${LOG_LEVELS.join(', ')} (default info)`, 'BASTION_LOG_LEVEL'],
  ['--audit-log <file>', 'append a hash-chained JSON-lines audit record per tool call to this file', 'BASTION_AUDIT_LOG'],
];

/** Options of `serve` only: the transport and its listener. */
const SERVE_OPTIONS: Array<[flags: string, description: string, variable: string]> = [
  ['--transport <kind>', 'stdio (default) or http (Streamable HTTP at /mcp)', 'BASTION_TRANSPORT'],
  ['--tool-schemas <mode>', 'compact (default): lean tool list, text results; full: every schema rule, output schemas and structured results', 'BASTION_TOOL_SCHEMAS'],
  ['--host <address>', 'HTTP: address to bind (default 127.0.0.1)', 'BASTION_HTTP_HOST'],
  ['--port <number>', 'HTTP: port (default 3000)', 'BASTION_HTTP_PORT'],
  ['--tls-cert <file>', 'HTTP: PEM certificate to serve HTTPS (TLS >= 1.2)', 'BASTION_TLS_CERT'],
  ['--tls-key <file>', 'HTTP: PEM private key of that certificate', 'BASTION_TLS_KEY'],
];

function addSharedOptions(command: Command, extra: typeof SHARED_OPTIONS = []): Command {
  for (const [flags, description, variable] of [...SHARED_OPTIONS, ...extra]) command.addOption(new Option(flags, `${description} [${variable}]`));
  return command;
}

/** Commander's camelCase options → BASTION_* variables, so flags and variables go through one schema. */
function toFlagSettings(options: Record<string, unknown>): FlagSettings {
  const out: FlagSettings = {};
  for (const [flags, , variable] of [...SHARED_OPTIONS, ...SERVE_OPTIONS]) {
    const key = flags.replace(/^--/, '').split(' ')[0]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const value = options[key];
    if (value !== undefined) out[variable] = String(value);
  }
  return out;
}

function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  // The remedy on its own line, as doctor shows it.
  const fix = error instanceof ConfigError && error.fix ? `\n  Fix: ${error.fix}` : '';
  process.stderr.write(`bastion: ${redact(message + fix)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}

/** Runs a command that answers with one message: printed on success, reported by fail() otherwise. */
async function printOrFail(command: () => Promise<string>): Promise<void> {
  try {
    process.stdout.write(`${await command()}\n`);
  } catch (error) {
    fail(error);
  }
}

const connectorHelp = CONNECTORS.map((c) => `  ${c.name.padEnd(10)} ${c.title}: set ${c.setupHint}`).join('\n');
const toolsetHelp = Object.entries(TOOLSETS)
  .map(([connector, sets]) =>
    [`  ${connector}:read`.padEnd(22) + ' its read-only tools', `  ${connector}:all`.padEnd(22) + ' all its tools', ...Object.entries(sets).map(([set, { description }]) => `  ${connector}:${set}`.padEnd(22) + ` ${description}`)].join('\n'),
  )
  .join('\n');

const program = new Command()
  .name('bastion')
  .description('One hardened MCP server for your Redmine, YouTrack, ETIM and Coreflux/MQTT systems.')
  .version(SERVER_VERSION)
  .showHelpAfterError()
  .addHelpText('after', `\nConnectors:\n${connectorHelp}\n\nToolsets (--toolsets; a connector's resources and prompts and bastion_status come with any set):\n${toolsetHelp}\n\nEvery flag also reads a BASTION_* variable (shown in brackets). Precedence: flags, environment, .env (--env-file or ~/.config/bastion/.env), --config.\nA settings file that turns a protection off is warned about at start and by doctor.\nDocs: README.md and SECURITY.md.`);

addSharedOptions(
  program
    .command('serve')
    .description('run the MCP server over stdio (for Claude Desktop, IDEs and any MCP client), or over Streamable HTTP')
    .addHelpText(
      'after',
      '\nExamples:\n  REDMINE_URL=https://redmine.example.com REDMINE_API_KEY_FILE=~/.redmine-key bastion serve --read-only\n' +
        '  BASTION_HTTP_TOKENS_FILE=tokens.json bastion serve --transport http --port 3000\n' +
        '\nHTTP settings without flags: BASTION_HTTP_TOKENS_FILE, BASTION_OAUTH_ISSUER, BASTION_OAUTH_JWKS_URL, BASTION_OAUTH_AUDIENCE,\n' +
        'BASTION_HTTP_AUTH, BASTION_HTTP_ALLOWED_HOSTS, BASTION_HTTP_ALLOWED_ORIGINS, BASTION_PUBLIC_URL, BASTION_RATE_LIMIT,\n' +
        'BASTION_HTTP_MAX_BODY, BASTION_HTTP_SESSION_IDLE, BASTION_HTTP_MAX_SESSIONS, BASTION_METRICS_PORT, BASTION_HTTP_FORCE (see README).\n' +
        'Personal credentials (connect page at /connect/<connector>): BASTION_VAULT_KEY_FILE, BASTION_VAULT_FILE, BASTION_CONNECT_LINK_TTL.',
    ),
  SERVE_OPTIONS,
).action(async (options: Record<string, unknown>) => {
  try {
    const { createRuntime } = await import('./server/runtime.js');
    const runtime = await createRuntime(toFlagSettings(options), { checkIdentity: true });
    if (runtime.global.BASTION_TRANSPORT === 'http') {
      const { serveHttpFromSettings } = await import('./server/http-settings.js');
      await serveHttpFromSettings(runtime);
    } else {
      const { serveOverStdio } = await import('./server/stdio.js');
      await serveOverStdio(runtime);
    }
  } catch (error) {
    fail(error);
  }
});

addSharedOptions(
  program
    .command('doctor')
    .description(
      'check the configuration without serving: credentials and their sources, file modes, TLS, reachability, identity, privileges, ' +
        'Redis, the keyring and (with --transport http) the HTTP listener; each warning says how to fix it',
    )
    .option('--json', 'print the checks as JSON'),
  SERVE_OPTIONS,
).action(async (options: Record<string, unknown>) => {
  try {
    const { runDoctor } = await import('./server/doctor.js');
    process.exitCode = await runDoctor(toFlagSettings(options), { json: options.json === true });
  } catch (error) {
    fail(error);
  }
});

const secret = program
  .command('secret')
  .description('store, remove or list connector credentials in the OS keyring (values are read from a hidden prompt or stdin, never from arguments)');
const usernameOption = new Option('--username <user>', 'keyring account user (the connector\'s *_KEYRING_USERNAME), default "default"');

secret
  .command('set')
  .description('store a credential: prompts with hidden input, or reads it from stdin (e.g. bastion secret set redmine < key.txt)')
  .argument('<connector>', 'the connector the credential is for')
  .addOption(usernameOption)
  .action(async (connector: string, options: { username?: string }) => {
    await printOrFail(async () => (await import('./server/secret-command.js')).setSecret(connector, options.username));
  });

secret
  .command('delete')
  .description('remove a stored credential')
  .argument('<connector>', 'the connector the credential is for')
  .addOption(usernameOption)
  .action(async (connector: string, options: { username?: string }) => {
    await printOrFail(async () => (await import('./server/secret-command.js')).deleteSecret(connector, options.username));
  });

secret
  .command('list')
  .description('show which connectors have a stored credential (never the values)')
  .action(async () => {
    await printOrFail(async () => (await import('./server/secret-command.js')).listSecrets());
  });

const identities = program
  .command('identities')
  .description('list or revoke the personal upstream credentials people linked on the connect page (per-user mode; keys are never shown)')
  .addHelpText('after', '\nReads the vault the server uses: BASTION_VAULT_KEY_FILE, and REDIS_URL (shared by all instances) or BASTION_VAULT_FILE.');
const identityOptions = (command: Command): Command =>
  command
    .addOption(new Option('--env-file <file>', 'read variables from this file [BASTION_ENV_FILE]'))
    .addOption(new Option('--config <file>', 'JSON file of settings [BASTION_CONFIG]'));
identityOptions(
  identities
    .command('list')
    .description('show each linked identity: connector, caller, upstream login and when it was linked')
    .option('--json', 'print them as JSON'),
).action(async (options: Record<string, unknown>) => {
  await printOrFail(async () => (await import('./server/identities-command.js')).listIdentities(toFlagSettings(options), { json: options.json === true }));
});
identityOptions(
  identities
    .command('revoke')
    .description("remove a person's linked identity on every instance sharing the vault; they must link again (an audit record is written)")
    .argument('<connector>', 'redmine or youtrack')
    .argument('<caller>', 'the caller name as identities list shows it'),
).action(async (connector: string, caller: string, options: Record<string, unknown>) => {
  await printOrFail(async () => (await import('./server/identities-command.js')).revokeIdentity(toFlagSettings(options), connector, caller));
});

const audit = program.command('audit').description('work with the audit log');
audit
  .command('verify')
  .description(
    'check the audit log\'s hash chain and print its head hash and record count; with --expect-head, also detect records removed from the end since that head was noted',
  )
  .argument('<file>', 'the audit log (JSON lines)')
  .option('--expect-head <hash>', 'a head hash printed by an earlier verify (kept elsewhere): its record must still be in the log')
  .action((file: string, options: { expectHead?: string }) => {
    const expectHead = options.expectHead;
    if (expectHead !== undefined && !/^[0-9a-f]{64}$/i.test(expectHead.trim())) {
      fail(new ConfigError(`--expect-head must be the 64-hex-digit head hash that audit verify printed, got "${expectHead}".`));
    }
    let result: ReturnType<typeof verifyAuditLog>;
    try {
      result = verifyAuditLog(file, { expectHead });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      fail(new ConfigError(code ? `Cannot read ${file} (${code}).` : String(error)));
    }
    if (!result.ok) {
      process.stdout.write(`${file}: chain BROKEN at line ${result.brokenLine}: ${result.reason}. ${result.records} records before it are intact.\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${file}: ${result.records} records, chain intact.\nhead ${result.head}\n`);
    if (expectHead === undefined) return;
    if (result.expectedHeadLine === undefined) {
      process.stdout.write(
        `${file}: the expected head ${expectHead.trim()} is not in the log: records were removed from its end (or the file was replaced) since that head was noted.\n`,
      );
      process.exitCode = 1;
    } else {
      const added = result.records - result.expectedHeadLine;
      process.stdout.write(`expected head found at line ${result.expectedHeadLine}; ${added} record${added === 1 ? '' : 's'} added since.\n`);
    }
  });

await program.parseAsync(process.argv);
