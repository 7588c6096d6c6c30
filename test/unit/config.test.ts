import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GlobalSettingsSchema, booleanSetting, listSetting, loadSettings, parseSettings } from '../../src/core/config.js';
import { weakeningsFromFiles } from '../../src/core/protection.js';
import { makeTempDir, removeTempDirs } from './helpers/tmp.js';
import { configErrorOf } from './helpers/errors.js';

afterAll(() => removeTempDirs());

function workspace(files: Record<string, string>): string {
  const dir = makeTempDir('bastion-config-');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe('loadSettings', () => {
  it('takes each value from the highest source: flag > env > .env > config file', () => {
    const cwd = workspace({
      'bastion.json': JSON.stringify({ A: 'config', B: 'config', C: 'config', D: 'config' }),
      '.env': 'B=dotenv\nC=dotenv\nD=dotenv\n',
    });
    const settings = loadSettings({
      cwd,
      processEnv: { BASTION_CONFIG: 'bastion.json', BASTION_ENV_FILE: '.env', C: 'env', D: 'env' },
      flags: { D: 'flag', E: undefined },
    });
    expect(settings.values).toMatchObject({ A: 'config', B: 'dotenv', C: 'env', D: 'flag' });
    expect(settings.sourceOf('A')).toBe('config');
    expect(settings.sourceOf('B')).toBe('dotenv');
    expect(settings.sourceOf('C')).toBe('env');
    expect(settings.sourceOf('D')).toBe('flag');
    expect(settings.sourceOf('E')).toBeUndefined();
    expect('E' in settings.values).toBe(false);
  });

  it('reads the config file named by a flag', () => {
    const cwd = workspace({ 'other.json': JSON.stringify({ REDMINE_URL: 'https://redmine.example' }) });
    const settings = loadSettings({ cwd, processEnv: {}, flags: { BASTION_CONFIG: 'other.json' } });
    expect(settings.values.REDMINE_URL).toBe('https://redmine.example');
  });

  it('turns numbers, booleans and lists in the config file into setting strings', () => {
    const cwd = workspace({ 'c.json': JSON.stringify({ LIMIT: 25, BASTION_READ_ONLY: true, REDMINE_PROJECTS: ['demo', 'ops'] }) });
    const settings = loadSettings({ cwd, processEnv: { BASTION_CONFIG: 'c.json' } });
    expect(settings.values).toMatchObject({ LIMIT: '25', BASTION_READ_ONLY: 'true', REDMINE_PROJECTS: 'demo,ops' });
  });

  it('reads the file given with --env-file instead of .env', () => {
    const cwd = workspace({ '.env': 'X=from-dot-env\nY=only-in-dot-env\n', 'custom.env': 'X=from-custom\n' });
    const settings = loadSettings({ cwd, processEnv: {}, flags: { BASTION_ENV_FILE: 'custom.env' } });
    expect(settings.values.X).toBe('from-custom');
    expect(settings.values.Y).toBeUndefined();
    expect(settings.sourceOf('X')).toBe('dotenv');
  });

  it('does not read a .env in the working directory that nobody named, and reports it as ignored', () => {
    const cwd = workspace({ '.env': 'BASTION_CONFIRM_DESTRUCTIVE=false\nBASTION_AUDIT_LOG=/home/me/.bashrc\nREDMINE_API_KEY=planted\n' });
    const home = makeTempDir('bastion-home-');
    const settings = loadSettings({ cwd, processEnv: { HOME: home } });
    expect(settings.values.BASTION_CONFIRM_DESTRUCTIVE).toBeUndefined();
    expect(settings.values.BASTION_AUDIT_LOG).toBeUndefined();
    expect(settings.values.REDMINE_API_KEY).toBeUndefined();
    expect(settings.files).toMatchObject({ dotenv: undefined, ignoredDotenv: join(cwd, '.env') });
  });

  it('reads the working directory .env when it is named, by flag or BASTION_ENV_FILE', () => {
    const cwd = workspace({ '.env': 'X=local\n' });
    const home = makeTempDir('bastion-home-');
    expect(loadSettings({ cwd, processEnv: { HOME: home }, flags: { BASTION_ENV_FILE: '.env' } }).values.X).toBe('local');
    const named = loadSettings({ cwd, processEnv: { HOME: home, BASTION_ENV_FILE: '.env' } });
    expect(named.values.X).toBe('local');
    expect(named.files).toMatchObject({ dotenv: join(cwd, '.env'), ignoredDotenv: undefined });
  });

  it('reads Bastion\'s own .env ($XDG_CONFIG_HOME/bastion/.env, else ~/.config/bastion/.env) when none is named', () => {
    const cwd = workspace({ '.env': 'X=local\n' });
    const home = makeTempDir('bastion-home-');
    mkdirSync(join(home, '.config', 'bastion'), { recursive: true });
    writeFileSync(join(home, '.config', 'bastion', '.env'), 'X=home-config\n');
    const fromHome = loadSettings({ cwd, processEnv: { HOME: home } });
    expect(fromHome.values.X).toBe('home-config');
    expect(fromHome.files).toMatchObject({ dotenv: join(home, '.config', 'bastion', '.env'), ignoredDotenv: join(cwd, '.env') });
    const xdg = makeTempDir('bastion-xdg-');
    mkdirSync(join(xdg, 'bastion'));
    writeFileSync(join(xdg, 'bastion', '.env'), 'X=xdg\n');
    expect(loadSettings({ cwd, processEnv: { HOME: home, XDG_CONFIG_HOME: xdg } }).values.X).toBe('xdg');
    // A named file replaces Bastion's own.
    expect(loadSettings({ cwd, processEnv: { HOME: home, BASTION_ENV_FILE: '.env' } }).values.X).toBe('local');
  });

  it('expands ~ at the start of every path setting, from the environment, a flag, the .env and the config file', () => {
    const home = workspace({
      'bastion.json': JSON.stringify({ BASTION_TLS_CERT: '~/tls/server.crt', REDMINE_CLIENT_KEY: '~/redmine.pem', REDMINE_URL: 'https://x/~/y' }),
      'my.env': 'REDMINE_API_KEY_FILE=~/keys/redmine\nYOUTRACK_SECURITY_AUDIT_LOG=~/yt.jsonl\n',
    });
    const cwd = workspace({});
    const settings = loadSettings({
      cwd,
      processEnv: { HOME: home, BASTION_CONFIG: '~/bastion.json', BASTION_ENV_FILE: '~/my.env', MQTT_CA_CERT: '~', REDMINE_CA_CERT: '~other/ca.pem' },
      flags: { BASTION_AUDIT_LOG: '~/state/audit.jsonl' },
    });
    expect(settings.files?.config).toBe(join(home, 'bastion.json'));
    expect(settings.files?.dotenv).toBe(join(home, 'my.env'));
    expect(settings.values).toMatchObject({
      BASTION_AUDIT_LOG: join(home, 'state/audit.jsonl'),
      BASTION_TLS_CERT: join(home, 'tls/server.crt'),
      REDMINE_CLIENT_KEY: join(home, 'redmine.pem'),
      REDMINE_API_KEY_FILE: join(home, 'keys/redmine'),
      YOUTRACK_SECURITY_AUDIT_LOG: join(home, 'yt.jsonl'),
      MQTT_CA_CERT: home,
      // Only `~` and `~/` at the start: another user's home and non-path settings stay as written.
      REDMINE_CA_CERT: '~other/ca.pem',
      REDMINE_URL: 'https://x/~/y',
    });
    // Credentials read *_FILE source by source: the expanded path is what they see.
    expect(settings.valueIn('dotenv', 'REDMINE_API_KEY_FILE')).toBe(join(home, 'keys/redmine'));
  });

  it('refuses an --env-file that does not exist, naming it', () => {
    const cwd = workspace({});
    const error = configErrorOf(() => loadSettings({ cwd, processEnv: {}, flags: { BASTION_ENV_FILE: 'nope.env' } }));
    expect(error.message).toContain(join(cwd, 'nope.env'));
  });

  it('refuses a config file that is not valid JSON, naming it', () => {
    const cwd = workspace({ 'bad.json': '{"REDMINE_URL": "https://x",' });
    const error = configErrorOf(() => loadSettings({ cwd, processEnv: { BASTION_CONFIG: 'bad.json' } }));
    expect(error.message).toContain(join(cwd, 'bad.json'));
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('refuses a missing config file, naming it', () => {
    const cwd = workspace({});
    const error = configErrorOf(() => loadSettings({ cwd, processEnv: { BASTION_CONFIG: 'missing.json' } }));
    expect(error.message).toContain(join(cwd, 'missing.json'));
  });

  it('refuses a config file that is not an object of settings', () => {
    const cwd = workspace({ 'list.json': '["REDMINE_URL"]', 'nested.json': JSON.stringify({ REDMINE: { URL: 'x' } }) });
    expect(configErrorOf(() => loadSettings({ cwd, processEnv: { BASTION_CONFIG: 'list.json' } })).message).toMatch(/JSON object/);
    expect(configErrorOf(() => loadSettings({ cwd, processEnv: { BASTION_CONFIG: 'nested.json' } })).message).toContain('"REDMINE"');
  });
});

describe('settings files that weaken protection', () => {
  function weakenings(files: Record<string, string>, processEnv: Record<string, string> = {}) {
    const cwd = workspace(files);
    const env = { HOME: makeTempDir('bastion-home-'), ...(files['.env'] ? { BASTION_ENV_FILE: '.env' } : {}), ...(files['c.json'] ? { BASTION_CONFIG: 'c.json' } : {}), ...processEnv };
    return { cwd, found: weakeningsFromFiles(loadSettings({ cwd, processEnv: env })) };
  }

  it('names every protection a named .env gives up, with the file and the fix', () => {
    const { cwd, found } = weakenings({
      '.env': [
        'BASTION_CONFIRM_DESTRUCTIVE=false',
        'REDMINE_VERIFY_SSL=false',
        'YOUTRACK_VERIFY_SSL=0',
        'ETIM_VERIFY_SSL=no',
        'BASTION_AUDIT_LOG=/home/me/.bashrc',
        'BASTION_ALLOW_INSECURE_SECRET_FILES=true',
        'BASTION_ALLOW_LINK_LOCAL=yes',
        'BASTION_HTTP_AUTH=off',
        'BASTION_HTTP_FORCE=1',
        'REDMINE_URL=https://redmine.example',
      ].join('\n'),
    });
    const file = join(cwd, '.env');
    expect(found.map((w) => w.variable).sort()).toEqual([
      'BASTION_ALLOW_INSECURE_SECRET_FILES',
      'BASTION_ALLOW_LINK_LOCAL',
      'BASTION_AUDIT_LOG',
      'BASTION_CONFIRM_DESTRUCTIVE',
      'BASTION_HTTP_AUTH',
      'BASTION_HTTP_FORCE',
      'ETIM_VERIFY_SSL',
      'REDMINE_VERIFY_SSL',
      'YOUTRACK_VERIFY_SSL',
    ]);
    const byName = Object.fromEntries(found.map((w) => [w.variable, w]));
    expect(byName.BASTION_CONFIRM_DESTRUCTIVE!.message).toBe(`BASTION_CONFIRM_DESTRUCTIVE=false from ${file} lets destructive tools run without asking the person at the client`);
    expect(byName.BASTION_AUDIT_LOG!.message).toBe(`BASTION_AUDIT_LOG=/home/me/.bashrc from ${file} writes the audit log to /home/me/.bashrc`);
    expect(byName.REDMINE_VERIFY_SSL!.message).toContain('turns TLS certificate verification off');
    expect(byName.BASTION_HTTP_AUTH!.fix).toContain(`remove BASTION_HTTP_AUTH from ${file}`);
  });

  it('names them in the --config file too (a JSON boolean as well as text)', () => {
    const { cwd, found } = weakenings({ 'c.json': JSON.stringify({ BASTION_CONFIRM_DESTRUCTIVE: false, BASTION_ALLOW_LINK_LOCAL: true }) });
    expect(found.map((w) => w.message)).toEqual([
      `BASTION_CONFIRM_DESTRUCTIVE=false from ${join(cwd, 'c.json')} lets destructive tools run without asking the person at the client`,
      `BASTION_ALLOW_LINK_LOCAL=true from ${join(cwd, 'c.json')} lets Bastion connect to link-local and cloud-metadata addresses`,
    ]);
  });

  it('says nothing about protective values, or weak ones from the environment', () => {
    expect(weakenings({ '.env': 'BASTION_CONFIRM_DESTRUCTIVE=true\nREDMINE_VERIFY_SSL=true\nBASTION_HTTP_AUTH=true\nBASTION_READ_ONLY=true\n' }).found).toEqual([]);
    expect(weakenings({ '.env': 'BASTION_CONFIRM_DESTRUCTIVE=true\n' }, { BASTION_CONFIRM_DESTRUCTIVE: 'false', REDMINE_VERIFY_SSL: 'false' }).found).toEqual([]);
  });

  it('counts read-only off only when the .env turns off what the config file turned on', () => {
    expect(weakenings({ '.env': 'BASTION_READ_ONLY=false\nMQTT_USE_TLS=false\n' }).found).toEqual([]);
    const { found } = weakenings({ '.env': 'BASTION_READ_ONLY=false\n', 'c.json': JSON.stringify({ BASTION_READ_ONLY: true, MQTT_USE_TLS: true }) });
    expect(found.map((w) => w.variable)).toEqual(['BASTION_READ_ONLY']);
  });
});

describe('parseSettings with GlobalSettingsSchema', () => {
  it('applies the defaults', () => {
    expect(parseSettings(GlobalSettingsSchema, {})).toEqual({
      BASTION_READ_ONLY: false,
      BASTION_TOOLS: [],
      BASTION_EXCLUDE_TOOLS: [],
      BASTION_TOOL_SCHEMAS: 'compact',
      BASTION_CONFIRM_DESTRUCTIVE: 'ask',
      BASTION_ATTACHMENT_MAX_BYTES: 5242880,
      BASTION_LOG_LEVEL: 'info',
      BASTION_ALLOW_INSECURE_SECRET_FILES: false,
      BASTION_ALLOW_LINK_LOCAL: false,
      BASTION_KEYRING: true,
      BASTION_TRANSPORT: 'stdio',
      BASTION_HTTP_HOST: '127.0.0.1',
      BASTION_HTTP_PORT: 3000,
      BASTION_HTTP_AUTH: true,
      BASTION_RATE_LIMIT: '120/min',
      BASTION_RATE_LIMIT_INSTANCES: 1,
      BASTION_HTTP_MAX_BODY: 1048576,
      BASTION_HTTP_SESSION_IDLE: 1800,
      BASTION_HTTP_MAX_SESSIONS: 1000,
      BASTION_HTTP_REQUEST_TIMEOUT: 30,
      BASTION_HTTP_MAX_CONNECTIONS: 500,
      BASTION_HTTP_REFUSAL_LIMIT: '30/min',
      BASTION_HTTP_TRUSTED_PROXIES: [],
      BASTION_HTTP_FORCE: false,
      BASTION_CONNECT_LINK_TTL: 600,
      BASTION_IDENTITY: 'shared',
    });
  });

  it('refuses a connect link life outside 1 to 3600 seconds, naming the setting', () => {
    for (const value of ['0', '3601', 'ten']) expect(() => parseSettings(GlobalSettingsSchema, { BASTION_CONNECT_LINK_TTL: value })).toThrow(/BASTION_CONNECT_LINK_TTL/);
    expect(parseSettings(GlobalSettingsSchema, { BASTION_CONNECT_LINK_TTL: '60' }).BASTION_CONNECT_LINK_TTL).toBe(60);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    [' yes ', true],
    ['1', true],
    ['false', false],
    ['No', false],
    ['0', false],
  ])('reads BASTION_READ_ONLY=%j as %s', (text, expected) => {
    expect(parseSettings(GlobalSettingsSchema, { BASTION_READ_ONLY: text }).BASTION_READ_ONLY).toBe(expected);
  });

  it.each([
    ['true', 'ask'],
    [' Yes ', 'ask'],
    ['1', 'ask'],
    ['ask', 'ask'],
    ['require', 'require'],
    ['REQUIRE', 'require'],
    ['false', 'off'],
    ['off', 'off'],
    ['0', 'off'],
  ])('reads BASTION_CONFIRM_DESTRUCTIVE=%j as %s, the boolean spellings included', (text, expected) => {
    expect(parseSettings(GlobalSettingsSchema, { BASTION_CONFIRM_DESTRUCTIVE: text }).BASTION_CONFIRM_DESTRUCTIVE).toBe(expected);
  });

  it('refuses an unknown confirmation mode, naming the variable, the value and the choices', () => {
    const error = configErrorOf(() => parseSettings(GlobalSettingsSchema, { BASTION_CONFIRM_DESTRUCTIVE: 'always' }));
    expect(error.message).toMatch(/BASTION_CONFIRM_DESTRUCTIVE: expected true .*require .*false .*got "always"/);
  });

  it('refuses a misspelt boolean, naming the variable and the value', () => {
    const error = configErrorOf(() => parseSettings(GlobalSettingsSchema, { BASTION_READ_ONLY: 'ture' }));
    expect(error.message).toContain('BASTION_READ_ONLY');
    expect(error.message).toContain('"ture"');
  });

  it('splits and trims lists, dropping blanks', () => {
    const settings = parseSettings(GlobalSettingsSchema, { BASTION_TOOLS: ' redmine_get_issue ,, redmine_list_* ,' });
    expect(settings.BASTION_TOOLS).toEqual(['redmine_get_issue', 'redmine_list_*']);
  });

  it('lists every invalid variable at once', () => {
    const error = configErrorOf(() =>
      parseSettings(GlobalSettingsSchema, {
        BASTION_READ_ONLY: 'ture',
        BASTION_LOG_LEVEL: 'loud',
        BASTION_ALLOW_INSECURE_SECRET_FILES: 'maybe',
        BASTION_TOOLS: 'redmine_get_issue',
      }),
    );
    expect(error.message).toContain('BASTION_READ_ONLY');
    expect(error.message).toContain('BASTION_LOG_LEVEL');
    expect(error.message).toContain('BASTION_ALLOW_INSECURE_SECRET_FILES');
    expect(error.message).not.toContain('BASTION_TOOLS');
    expect(error.message.split('\n').filter((line) => line.startsWith('  '))).toHaveLength(3);
  });
});

describe('setting types', () => {
  it('booleanSetting accepts real booleans', () => {
    expect(booleanSetting.parse(true)).toBe(true);
    expect(booleanSetting.parse(false)).toBe(false);
  });

  it('listSetting gives an empty list for blank text', () => {
    expect(listSetting.parse(' , ,')).toEqual([]);
  });

  it('parseSettings works with a connector schema', () => {
    const schema = z.object({ REDMINE_URL: z.url(), REDMINE_VERIFY_SSL: booleanSetting.default(true) });
    expect(parseSettings(schema, { REDMINE_URL: 'https://redmine.example' })).toEqual({
      REDMINE_URL: 'https://redmine.example',
      REDMINE_VERIFY_SSL: true,
    });
    const error = configErrorOf(() => parseSettings(schema, { REDMINE_VERIFY_SSL: 'nope' }));
    expect(error.message).toContain('REDMINE_URL');
    expect(error.message).toContain('REDMINE_VERIFY_SSL');
  });
});
