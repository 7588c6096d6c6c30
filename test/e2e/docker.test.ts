// The container image without a Docker engine: the Dockerfile, .dockerignore and compose.yaml are held to the rules
// that make the image hardened, then the image's own entry command and HEALTHCHECK run here with the environment
// compose.yaml gives, image paths mapped to the checkout and to temporary stand-ins for /run/secrets, the audit
// volume and the /tmp tmpfs, and the compose service names mapped to local stand-ins (a real Redis with a password).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/bastion.js';
import { startHttpBastion, type HttpBastion } from '../helpers/http-server.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, REDMINE_URL } from '../helpers/redmine.js';
import { makeSelfSignedCert, type SelfSignedCert } from '../unit/helpers/tls-cert.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

// ---- Dockerfile -------------------------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (!pending) start = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const match = /^(\S+)\s*(.*)$/.exec(pending + line)!;
    pending = '';
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: start });
  });
  return instructions;
}

interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      stages.push({ image: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      if (!stages.length) throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** An exec-form argument list (a JSON array of strings), or undefined for shell form. */
function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const match of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) env[match[1]!] = match[3] ?? match[2]!;
  }
  return env;
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const stages = stagesOf(dockerfile);
const runtime = stages.at(-1)!;
const only = (keyword: string): Instruction[] => runtime.instructions.filter((i) => i.keyword === keyword);
const imageEnv = envOf(runtime);
const entrypoint = execForm(only('ENTRYPOINT').at(-1)?.args ?? '') ?? [];
const cmd = execForm(only('CMD').at(-1)?.args ?? '') ?? [];
const healthcheckArgs = only('HEALTHCHECK').at(-1)?.args ?? '';
const healthcheck = execForm(healthcheckArgs.replace(/^(--\S+\s+)*CMD\s+/, '')) ?? [];
const workdir = only('WORKDIR').at(-1)?.args ?? '/';

/** Files of the repository that `npm run build` names (its tsconfig, a bundling script...). */
const buildScriptFiles = (JSON.parse(read('package.json')) as { scripts: { build: string } }).scripts.build
  .split(/\s+/)
  .filter((word) => /\.(json|mjs|js|ts)$/.test(word) && existsSync(join(ROOT, word)));

/** Variable names that would hold a credential itself rather than a path to one. */
const CREDENTIAL_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)$/;

// ---- compose.yaml -----------------------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null>;
  secrets?: string[];
  ports?: string[];
  networks?: string[];
  volumes?: string[];
  tmpfs?: string[];
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  healthcheck?: { test: string[] };
  command?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean } | null>;
  secrets: Record<string, { file: string }>;
}
const compose = parse(read('compose.yaml')) as Compose;
const bastionService = compose.services.bastion!;
const redisService = compose.services.redis!;

/** Compose's own interpolation: ${NAME}, ${NAME:-default}, ${NAME:?error}, and $$ for a literal $. */
function interpolate(value: string, variables: Record<string, string>): string {
  return value
    .replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, operator: string | undefined, argument: string) => {
      if (variables[name]) return variables[name];
      if (operator === '-') return argument;
      throw new Error(`compose.yaml needs ${name}${operator === '?' ? `: ${argument}` : ''}`);
    })
    .replace(/\$\$/g, '$');
}

describe('Dockerfile', () => {
  it('is multi-stage: the runtime stage takes only dist/, the production node_modules and package.json from the build', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages[0]!;
    const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' && ');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npm prune --omit=dev');
    const copies = only('COPY').concat(only('ADD')).map((i) => i.args.split(/\s+/));
    expect(copies.every((words) => words[0] === `--from=${build.name}`)).toBe(true);
    expect(copies.map((words) => words.at(-2)).sort()).toEqual(['/src/dist', '/src/node_modules', '/src/package.json'].sort());
  });

  it('pins every base image to an exact version (no latest, no floating major)', () => {
    const names = stages.map((stage) => stage.name).filter(Boolean);
    for (const stage of stages.filter((s) => !names.includes(s.image))) {
      expect(stage.image).toMatch(/^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$/);
    }
    // The entry command is tested below on this machine's Node: the image must run the same major version.
    expect(runtime.image).toMatch(new RegExp(`^node:${process.versions.node.split('.')[0]}\\.`));
  });

  it('runs as a numeric non-root user, set before the entry command', () => {
    const users = only('USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!;
    const [uid, gid] = user.args.split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(Number(gid ?? uid)).toBeGreaterThan(0);
    const entry = [...only('ENTRYPOINT'), ...only('CMD')];
    expect(entry.every((instruction) => instruction.line > user.line)).toBe(true);
    expect(bastionService.user).toBe(user.args);
  });

  it('takes no build arguments and holds no credential in any ENV', () => {
    expect(dockerfile.filter((i) => i.keyword === 'ARG')).toEqual([]);
    for (const stage of stages) for (const name of Object.keys(envOf(stage))) expect(name).not.toMatch(CREDENTIAL_NAME);
  });

  it('uses exec form for ENTRYPOINT, CMD and HEALTHCHECK, and the health check needs no shell, curl or node -e', () => {
    expect(entrypoint).toEqual(['node', `${workdir}/dist/cli.js`]);
    expect(cmd.slice(0, 5)).toEqual(['serve', '--transport', 'http', '--host', '0.0.0.0']);
    expect(healthcheck).toEqual(['node', `${workdir}/dist/healthcheck.js`]);
    expect(bastionService.healthcheck?.test).toEqual(['CMD', ...healthcheck]);
  });

  it('downloads nothing at build time and pipes nothing into a shell', () => {
    for (const { keyword, args } of dockerfile) {
      expect(args).not.toMatch(/\b(curl|wget)\b/);
      expect(args).not.toMatch(/\|\s*(ba|da)?sh\b/);
      if (keyword === 'ADD') expect(args).not.toMatch(/https?:\/\//);
    }
  });

  it('declares the audit log directory a volume and exposes the port it listens on', () => {
    const volumes = only('VOLUME').flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
    const auditLog = String(bastionService.environment?.BASTION_AUDIT_LOG ?? imageEnv.BASTION_AUDIT_LOG);
    expect(volumes.some((volume) => auditLog.startsWith(`${volume}/`))).toBe(true);
    expect(only('EXPOSE').map((i) => i.args)).toEqual([imageEnv.BASTION_HTTP_PORT]);
    expect(bastionService.ports?.map((port) => port.split(':').at(-1))).toEqual([imageEnv.BASTION_HTTP_PORT]);
  });

  it('gets every file the build script names into the build stage', () => {
    expect(buildScriptFiles).toContain('tsconfig.build.json');
    const copied = stages[0]!.instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const file of buildScriptFiles) expect(copied).toContain(file);
  });

  it('.dockerignore lets in only the build inputs and never keys, certificates or .env files', () => {
    const patterns = read('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
    expect(patterns[0]).toBe('*');
    const included = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
    const inputs = new Set(['package.json', 'package-lock.json', 'tsconfig.json', 'src/', ...buildScriptFiles]);
    expect(included.sort()).toEqual([...inputs].sort());
    const lastInclude = patterns.findLastIndex((p) => p.startsWith('!'));
    for (const secret of ['**/.env', '**/.env.*', '**/*.pem', '**/*.key']) expect(patterns.indexOf(secret)).toBeGreaterThan(lastInclude);
  });
});

describe('compose.yaml', () => {
  it('keeps Redis on an internal network only, with no published port and its password from a secret', () => {
    expect(redisService.ports).toBeUndefined();
    expect(redisService.networks?.length).toBeGreaterThan(0);
    for (const network of redisService.networks ?? []) expect(compose.networks[network]?.internal).toBe(true);
    expect(redisService.secrets).toContain('redis_password');
    expect(redisService.command?.join(' ')).toMatch(/requirepass \$\$\(cat \/run\/secrets\/redis_password\)/);
    expect(redisService.image).toMatch(/^redis:\d+\.\d+\.\d+-alpine$/);
  });

  it('hardens both services: read-only root filesystem, no capabilities, no new privileges, non-root', () => {
    for (const service of [bastionService, redisService]) {
      expect(service.read_only).toBe(true);
      expect(service.cap_drop).toEqual(['ALL']);
      expect(service.security_opt).toContain('no-new-privileges:true');
      expect(service.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    }
    expect(bastionService.tmpfs?.map((entry) => entry.split(':')[0])).toEqual(['/tmp']);
    expect(bastionService.volumes?.map((entry) => entry.split(':')[1])).toEqual([dirnameOf(String(bastionService.environment?.BASTION_AUDIT_LOG))]);
  });

  it('passes every credential as a *_FILE path to a declared secret, never as a value, and names only documented settings', () => {
    const environment = bastionService.environment ?? {};
    const readme = read('README.md');
    for (const [name, value] of Object.entries(environment)) {
      expect(name).not.toMatch(CREDENTIAL_NAME);
      expect(readme).toContain(`\`${name.replace(/_FILE$/, '')}`);
      if (name.endsWith('_FILE')) {
        const secret = /^\/run\/secrets\/(\w+)$/.exec(String(value))?.[1];
        expect(bastionService.secrets).toContain(secret);
      }
    }
    expect(new URL(String(environment.REDIS_URL)).password).toBe('');
    for (const [name, { file }] of Object.entries(compose.secrets)) {
      expect(file, name).toMatch(/^\.\/docker\/secrets\/[\w.]+$/);
      expect(existsSync(join(ROOT, file)), `${file} must not be in the repository`).toBe(false);
    }
    expect(read('docker/secrets/.gitignore').split('\n')[1]).toBe('*');
  });
});

function dirnameOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

// ---- The image's commands, run here -----------------------------------------------------------------------------

const TOKEN = 'canary-docker-bearer-token-3k9';
const REDIS_PASSWORD = 'canary-docker-redis-password-7m2';
const execFileAsync = promisify(execFile);

/** Every file under a directory (relative paths), for "nothing appeared here" checks. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** What could change in the checkout if the process wrote next to its own code or in its working directory. */
function checkoutSnapshot(): string[] {
  return [...readdirSync(ROOT).sort(), ...filesUnder(join(ROOT, 'dist')).map((file) => `dist/${file}`)];
}

describe('the image entry command and HEALTHCHECK, run with compose.yaml settings', () => {
  const temp = mkdtempSync(join(tmpdir(), 'bastion-docker-'));
  const dirs = { secrets: join(temp, 'run-secrets'), volume: join(temp, 'volume'), tmpfs: join(temp, 'tmpfs'), cwd: join(temp, 'workdir') };
  let redis: TestRedis;
  let server: HttpBastion | undefined;
  let cert: SelfSignedCert;
  let env: Record<string, string>;
  let port: number;
  let before: string[];

  /** An image path as the process here sees it. */
  function mapPath(value: string): string {
    const volumeTarget = bastionService.volumes![0]!.split(':')[1]!;
    const mounts: Array<[string, string]> = [
      ['/run/secrets', dirs.secrets],
      [volumeTarget, dirs.volume],
      ['/tmp', dirs.tmpfs],
      [workdir, ROOT],
    ];
    for (const [inImage, here] of mounts) if (value === inImage || value.startsWith(`${inImage}/`)) return here + value.slice(inImage.length);
    return value;
  }

  const command = (argv: string[]): string[] => {
    expect(argv[0]).toBe('node');
    return argv.slice(1).map(mapPath);
  };

  async function runHealthcheck(overrides: Record<string, string> = {}): Promise<{ status: number; stdout: string }> {
    try {
      const { stdout } = await execFileAsync(process.execPath, command(healthcheck), { env: { ...env, ...overrides }, cwd: dirs.cwd, timeout: 20_000 });
      return { status: 0, stdout };
    } catch (error) {
      const failure = error as { code?: unknown; stdout?: string };
      return { status: typeof failure.code === 'number' ? failure.code : -1, stdout: failure.stdout ?? '' };
    }
  }

  /** POST /mcp over HTTPS, trusting the test certificate. */
  function postMcp(headers: Record<string, string>): Promise<number> {
    return new Promise((done, fail) => {
      // A 2025-era client starts with initialize: other requests need the session it opens.
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'docker-test', version: '1.0.0' } } });
      const req = request(
        { host: '127.0.0.1', port, path: '/mcp', method: 'POST', ca: cert.cert, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
        (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  beforeAll(async () => {
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    redis = await startRedis(REDIS_PASSWORD);
    cert = makeSelfSignedCert(temp);
    const contents: Record<string, string | Buffer> = {
      bastion_tokens: JSON.stringify({ tokens: [{ name: 'docker-example', sha256: createHash('sha256').update(TOKEN).digest('hex'), scopes: ['bastion:read'] }] }),
      bastion_tls_cert: cert.cert,
      bastion_tls_key: cert.key,
      redis_password: REDIS_PASSWORD,
      redmine_api_key: ADMIN_KEY,
    };
    for (const name of bastionService.secrets ?? []) {
      if (!(name in contents)) throw new Error(`compose.yaml mounts the secret ${name}: tell this test what it holds`);
      const file = join(dirs.secrets, name);
      writeFileSync(file, contents[name]!);
      chmodSync(file, 0o600);
    }

    port = await freePort();
    const composeEnv = Object.fromEntries(
      Object.entries(bastionService.environment ?? {}).map(([name, value]) => [name, mapPath(interpolate(String(value), { REDMINE_URL }))]),
    );
    // The compose service name "redis" resolves to the stand-in Redis here.
    const redisUrl = new URL(composeEnv.REDIS_URL!);
    expect(redisUrl.hostname).toBe('redis');
    redisUrl.host = `127.0.0.1:${redis.port}`;
    env = {
      PATH: process.env.PATH ?? '',
      ...Object.fromEntries(Object.entries(imageEnv).map(([name, value]) => [name, mapPath(value)])),
      ...composeEnv,
      REDIS_URL: redisUrl.toString(),
      // The image's port may be taken on this machine; the health check reads the same variable.
      BASTION_HTTP_PORT: String(port),
      TMPDIR: dirs.tmpfs,
    };
    expect(env.HOME).toBe(dirs.tmpfs);

    before = checkoutSnapshot();
    server = await startHttpBastion({ env, command: command([...entrypoint, ...cmd]), cwd: dirs.cwd });
  });

  afterAll(async () => {
    await server?.stop(2_000);
    await redis?.stop();
  });

  it('serves HTTPS on every interface and requires the bearer token from the tokens secret', async () => {
    expect(server!.stderr()).toContain('"tls":true');
    expect(await postMcp({})).toBe(401);
    expect(await postMcp({ authorization: 'Bearer canary-docker-wrong-token' })).toBe(401);
    expect(await postMcp({ authorization: `Bearer ${TOKEN}` })).toBe(200);
  });

  it('uses the shared Redis with the password from REDIS_PASSWORD_FILE', async () => {
    await expect.poll(() => server!.stderr(), { timeout: 10_000 }).toContain('Redis is reachable: shared cache in use');
    // A call made once Redis is reachable counts in Redis (before that, the memory fallback counts it). The bucket's
    // key lives only until the bucket is full again (half a second at the default rate), so watch the commands instead.
    const client = createClient({ url: redis.url, password: REDIS_PASSWORD });
    await client.connect();
    const commands: string[] = [];
    try {
      await client.monitor((line) => commands.push(String(line)));
      expect(await postMcp({ authorization: `Bearer ${TOKEN}` })).toBe(200);
      await expect.poll(() => commands.some((line) => /ratelimit\S*:docker-example/.test(line)), { timeout: 10_000 }).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('reports healthy through the image HEALTHCHECK command', async () => {
    const result = await runHealthcheck();
    expect(result).toEqual({ status: 0, stdout: `https://127.0.0.1:${port}/healthz ok\n` });
  });

  it('reports unhealthy when the listener does not serve the configured certificate', async () => {
    const other = makeSelfSignedCert(mkdtempSync(join(temp, 'other-')));
    const result = await runHealthcheck({ BASTION_TLS_CERT: other.certFile });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('does not serve the certificate in BASTION_TLS_CERT');
  });

  it('after SIGTERM: exits 0, the health check fails, and only the audit volume was written', async () => {
    expect(await server!.stop()).toBe(0);
    const result = await runHealthcheck();
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^unhealthy: connect ECONNREFUSED/);

    expect(filesUnder(dirs.volume)).toEqual(['audit.jsonl']);
    expect(filesUnder(dirs.cwd)).toEqual([]);
    expect(checkoutSnapshot()).toEqual(before);

    const auditLog = join(dirs.volume, 'audit.jsonl');
    const verified = await runCli(['audit', 'verify', auditLog], { PATH: env.PATH! });
    expect(verified.status).toBe(0);
    expect(verified.stdout).toContain('chain intact');
    const audit = readFileSync(auditLog, 'utf8');
    const sources = audit.trim().split('\n').map((line) => JSON.parse(line) as { event?: string; connector?: string; source?: string });
    expect(sources.filter((r) => r.event === 'token_access').map((r) => [r.connector, r.source]).sort()).toEqual([
      ['redis', 'env-file'],
      ['redmine', 'env-file'],
    ]);
    for (const secret of [ADMIN_KEY, REDIS_PASSWORD, TOKEN]) expect(audit).not.toContain(secret);
  });
});
