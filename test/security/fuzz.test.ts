// Fuzzes every tool of every connector with arguments generated from the input schema it advertises in tools/list.
// Malformed arguments (wrong types, missing and unknown keys, strings past maxLength up to 1 MiB, numbers out of
// range, values off an enum or a pattern, control and invisible characters, traversal and other-host URLs where the
// schema forbids them): each must come back as an isError result naming the offending key, never as a protocol
// error or a crash, and none may reach upstream (counted at the doubles and at a recording proxy before the real
// Redmine). Valid arguments to read-only tools (and, on the doubles, to write tools) never crash, and what they
// return matches the advertised output schema.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCopilotDouble, startVerifierDouble, COPILOT_TEST_KEY } from '../doubles/copilot.js';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { corefluxObserver, pollUntil, startBastionOnCoreflux, startCoreflux, waitConnected } from '../helpers/coreflux.js';
import { startBastionOnEtim, startEtim } from '../helpers/etim.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { REDMINE_URL, redmine } from '../helpers/redmine.js';
import { compile, edgeCases, explain, malformedArgs, validArgs, withKey, type Hints, type JsonSchema, type MalformedCase } from '../helpers/schema-fuzz.js';
import { startBastionOnYouTrack, startYouTrack } from '../helpers/youtrack.js';

/** Set BASTION_FUZZ_SEED to replay a run (failures report the seed they ran with). */
const SEED = Number(process.env.BASTION_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MALFORMED_RUNS = 200;
const VALID_RUNS_READ_ONLY = 20;
const VALID_RUNS_WRITE = 10;
/** An error about the arguments names them; it never echoes a large input back. */
const MAX_ERROR_TEXT = 4_000;

interface ListedTool {
  name: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  annotations?: { readOnlyHint?: boolean };
}

interface Target {
  bastion: Bastion;
  /** Upstream requests (HTTP requests, broker commands and publishes) seen so far. */
  upstream(): number;
  /** Waits until anything sent upstream so far has been recorded. */
  settle(): Promise<void>;
  /** Valid generated arguments may go to write tools too (a double, not the shared Redmine). */
  writesAllowed: boolean;
  /** Ids and codes that exist upstream, for valid arguments. */
  hints: Hints;
  close(): Promise<void>;
}

function describeCase(malformed: MalformedCase): string {
  const args = JSON.stringify(malformed.args, (_key, value: unknown) => (typeof value === 'string' && value.length > 200 ? `<${value.length} chars>` : value));
  return `${malformed.kind} (${JSON.stringify(malformed.field)}): ${args.slice(0, 600)}`;
}

/** The validation message names the key: "field: ..." / "field.0.x: ..." or 'unknown argument "field"' (nested: "Unrecognized key: "field""). */
function namesTheProblem(text: string, malformed: MalformedCase): boolean {
  if (malformed.kind === 'unknown key') return (text.includes('Unrecognized key') || text.includes('unknown argument')) && text.includes(`"${malformed.field}"`);
  return text.includes(`${malformed.field}:`) || text.includes(`${malformed.field}.`);
}

/** Keeps valid runs fast: waits and timeouts always given, at the low end of what the schema allows. */
function quick(schema: JsonSchema): JsonSchema {
  const limits: Record<string, number> = { timeout_seconds: 0.3, wait_ms: 200 };
  const properties = { ...schema.properties };
  const required = [...(schema.required ?? [])];
  for (const [key, limit] of Object.entries(limits)) {
    const property = properties[key];
    if (!property) continue;
    properties[key] = { ...property, maximum: Math.max(property.minimum ?? 0, limit) };
    if (!required.includes(key)) required.push(key);
  }
  return { ...schema, properties, required };
}

interface FuzzReport {
  failures: string[];
  sent: Record<string, number>;
  upstreamDuring: Record<string, number>;
}

async function fuzzMalformed(target: Target, tools: ListedTool[]): Promise<FuzzReport> {
  const report: FuzzReport = { failures: [], sent: {}, upstreamDuring: {} };
  for (const tool of tools) {
    const before = target.upstream();
    let sent = 0;
    const property = fc.asyncProperty(malformedArgs(tool.inputSchema), async (malformed) => {
      sent += 1;
      const result = await call(target.bastion, tool.name, malformed.args);
      if (result.isError !== true) throw new Error(`accepted: ${result.text.slice(0, 300)}`);
      if (!result.text.includes(`Invalid arguments for tool ${tool.name}`)) throw new Error(`not refused by validation: ${result.text.slice(0, 300)}`);
      if (!namesTheProblem(result.text, malformed)) throw new Error(`message does not name ${JSON.stringify(malformed.field)}: ${result.text.slice(0, 300)}`);
      if (result.text.length > MAX_ERROR_TEXT) throw new Error(`message of ${result.text.length} characters`);
    });
    const examples = edgeCases(tool.inputSchema).map((malformed) => [malformed] as [MalformedCase]);
    const details = await fc.check(property, { numRuns: MALFORMED_RUNS, examples, seed: SEED });
    if (details.failed) {
      const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      const example = details.counterexample ? describeCase(details.counterexample[0]) : '(no counterexample)';
      report.failures.push(`${tool.name}: ${error.split('\n')[0]} — ${example} (seed ${details.seed}, path ${details.counterexamplePath})`);
    }
    await target.settle();
    report.sent[tool.name] = sent;
    report.upstreamDuring[tool.name] = target.upstream() - before;
  }
  return report;
}

/** What is wrong with a valid call's outcome, if anything. */
async function checkValid(
  target: Target,
  tool: ListedTool,
  args: Record<string, unknown>,
  output: ((value: unknown) => boolean) | undefined,
): Promise<{ problem?: string; handled: boolean; ok: boolean }> {
  const result = await call(target.bastion, tool.name, args);
  const handled = !result.text.includes('Invalid arguments for tool');
  if (/failed unexpectedly/i.test(result.text)) return { problem: `crashed: ${result.text.slice(0, 300)}`, handled, ok: false };
  if (result.isError) return { handled, ok: false };
  if (!output) return { problem: 'a result without an output schema to check it against', handled, ok: true };
  if (!output(result.structured)) return { problem: `output does not match the schema: ${explain(tool.outputSchema!, result.structured)}`, handled, ok: true };
  return { handled, ok: true };
}

interface ValidReport {
  failures: string[];
  /** Per tool: calls that got past argument validation into the tool. */
  handled: Record<string, number>;
  /** Per tool: calls that succeeded (their output checked against the schema). */
  succeeded: Record<string, number>;
  samples: Record<string, number>;
}

/** Valid arguments: a tool's samples are sent at once (their waits overlap), the tools one after the other. */
async function fuzzValid(target: Target, tools: ListedTool[]): Promise<ValidReport> {
  const report: ValidReport = { failures: [], handled: {}, succeeded: {}, samples: {} };
  for (const tool of tools) {
    const readOnly = tool.annotations?.readOnlyHint === true;
    if (!readOnly && !target.writesAllowed) continue;
    const output = tool.outputSchema ? compile(tool.outputSchema) : undefined;
    const samples = fc.sample(validArgs(quick(tool.inputSchema), target.hints), { numRuns: readOnly ? VALID_RUNS_READ_ONLY : VALID_RUNS_WRITE, seed: SEED });
    report.samples[tool.name] = samples.length;
    report.handled[tool.name] = 0;
    report.succeeded[tool.name] = 0;
    await Promise.all(
      samples.map(async (args) => {
        const outcome = await checkValid(target, tool, args, output).catch((error: unknown) => ({ problem: `call failed: ${String(error)}`, handled: false, ok: false }));
        if (outcome.handled) report.handled[tool.name]! += 1;
        if (outcome.ok) report.succeeded[tool.name]! += 1;
        if (outcome.problem) report.failures.push(`${tool.name}: ${outcome.problem} — ${JSON.stringify(args).slice(0, 600)} (seed ${SEED})`);
      }),
    );
  }
  return report;
}

const connectors: Array<{ name: string; tools: number; start: () => Promise<Target> }> = [
  {
    name: 'redmine',
    tools: 51,
    start: async () => {
      const { body } = await redmine<{ issue: { attachments: Array<{ id: number }> } }>('GET', '/issues/1.json?include=attachments');
      const attachments = body.issue.attachments.map((attachment) => attachment.id);
      const proxy = await startFaultProxy(REDMINE_URL);
      // Nothing here may change the shared Redmine, even when a bug lets a write through: the proxy answers writes
      // itself (and still records them).
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) proxy.failNext({ method, count: Number.MAX_SAFE_INTEGER, status: 403 });
      const bastion = await startBastion({ env: redmineEnv({ REDMINE_URL: proxy.url, BASTION_LOG_LEVEL: 'info' }) });
      return {
        bastion,
        upstream: () => proxy.seen.length,
        settle: async () => undefined,
        writesAllowed: false,
        // Seeded by scripts/redmine/seed.rb.
        hints: { project: ['alpha', 'beta', '1'], issue_id: [1, 2, 3, 4, 5, 31], user_id: [1, 5, 6], version_id: [1], title: ['Runbook', 'Deploy', 'Wiki'], attachment_id: attachments, q: ['issue', 'export'] },
        close: async () => {
          await bastion.close();
          await proxy.close();
        },
      };
    },
  },
  {
    name: 'youtrack',
    tools: 46,
    start: async () => {
      const double = await startYouTrack();
      const bastion = await startBastionOnYouTrack(double, { BASTION_LOG_LEVEL: 'info' });
      return {
        bastion,
        upstream: () => double.requests.length,
        settle: async () => undefined,
        writesAllowed: true,
        hints: {
          issue_id: double.state.issues.map((issue) => issue.idReadable),
          target_issue_id: double.state.issues.map((issue) => issue.idReadable),
          issue_ids: [double.state.issues.slice(0, 2).map((issue) => issue.idReadable)],
          project: double.state.projects.map((project) => project.shortName),
          comment_id: double.state.comments.map((comment) => comment.id),
          tag: double.state.tags.map((tag) => tag.name),
          article_id: double.state.articles.map((article) => article.idReadable),
          board: double.state.agiles.flatMap((agile) => [agile.id, agile.name]),
          sprint: ['current', ...double.state.sprints.map((sprint) => sprint.name)],
          query: ['', 'project: DEMO', '#Unresolved', 'admin'],
        },
        close: async () => {
          await bastion.close();
          await double.close();
        },
      };
    },
  },
  {
    name: 'etim',
    tools: 21,
    start: async () => {
      const double = await startEtim();
      const bastion = await startBastionOnEtim(double, { BASTION_LOG_LEVEL: 'info' });
      return {
        bastion,
        upstream: () => double.apiRequests.length + double.tokenRequests.length,
        settle: async () => undefined,
        writesAllowed: true,
        hints: {
          code: [...double.state.classes.keys(), ...double.state.features.keys(), ...double.state.values.keys(), ...double.state.units.keys(), ...double.state.groups.keys(), ...double.state.featureGroups.keys()],
          codes: [[...double.state.classes.keys()].slice(0, 2), [...double.state.classes.keys()].slice(1, 4)],
          release: double.state.releases.map((release) => release.description),
          language: double.state.allowedLanguages,
          text: ['', 'lamp', 'EC'],
        },
        close: async () => {
          await bastion.close();
          await double.close();
        },
      };
    },
  },
  {
    name: 'coreflux',
    tools: 26,
    start: async () => {
      const [broker, copilot, verifier] = await Promise.all([startCoreflux(), startCopilotDouble(), startVerifierDouble()]);
      const bastion = await startBastionOnCoreflux(broker, {
        COREFLUX_COPILOT_URL: copilot.url,
        DO_AGENT_API_KEY: COPILOT_TEST_KEY,
        LOT_VERIFIER_API_URL: verifier.url,
        MQTT_COMMAND_TIMEOUT: '2',
        BASTION_LOG_LEVEL: 'info',
      });
      await waitConnected(bastion);
      // Every publish on the broker, plain topics and $SYS alike (the observer is a system user).
      const observer = await corefluxObserver(broker);
      await observer.client.subscribeAsync(['#', '$SYS/#'], { qos: 0 });
      // The observer's own markers, which say that everything published before them has arrived.
      const MARKER = 'bastion-fuzz/settled';
      let markers = 0;
      const published = () => observer.inbox.filter((message) => message.topic !== MARKER).length;
      return {
        bastion,
        upstream: () => broker.commands.length + published() + copilot.requests.length + verifier.requests.length,
        settle: async () => {
          await broker.flush();
          const payload = String(++markers);
          await observer.client.publishAsync(MARKER, payload, { qos: 1 });
          await pollUntil(() => observer.on(MARKER).some((message) => message.payload === payload), Boolean, 'the settle marker');
        },
        writesAllowed: true,
        hints: {
          definition: [
            'DEFINE MODEL FuzzModel WITH TOPIC "fuzz/model/state"\n    ADD "temperature" WITH TOPIC "fuzz/model/temp" AS TRIGGER',
            'DEFINE ACTION FuzzAction\nDO\n    PUBLISH TOPIC "fuzz/action/lamp" WITH "on"',
            'DEFINE ROUTE FuzzRoute WITH TYPE MQTT_BRIDGE\n    ADD SOURCE_CONFIG\n        WITH BROKER SELF',
            'DEFINE RULE FuzzRule WITH PRIORITY 100 FOR Publish TO TOPIC "fuzz/+/lamp"\n    IF USER IS "root" THEN ALLOW ELSE DENY',
          ],
          name: ['FuzzModel', 'FuzzAction', 'FuzzRoute', 'FuzzRule'],
          topic: ['fuzz/a', 'fuzz/#', 'fuzz/+/lamp'],
        },
        close: async () => {
          await bastion.close();
          await observer.close();
          await Promise.all([broker.close(), copilot.close(), verifier.close()]);
        },
      };
    },
  },
];

for (const connector of connectors) {
  describe(`fuzzing the ${connector.name} tools`, () => {
    let target: Target;
    let tools: ListedTool[];

    beforeAll(async () => {
      target = await connector.start();
      tools = (await target.bastion.client.listTools()).tools as ListedTool[];
    });
    afterAll(async () => {
      await target?.close();
    });

    it(`lists all ${connector.tools} tools, each with an input and an output schema`, () => {
      expect(tools.map((tool) => tool.name)).toHaveLength(connector.tools);
      for (const tool of tools) {
        expect(tool.inputSchema.type, tool.name).toBe('object');
        expect(tool.inputSchema.additionalProperties, tool.name).toBe(false);
        expect(tool.outputSchema, tool.name).toBeDefined();
      }
    });

    it(`refuses ${MALFORMED_RUNS}+ malformed inputs per tool with a readable isError and sends nothing upstream`, async () => {
      const before = target.upstream();
      const report = await fuzzMalformed(target, tools);
      expect(report.failures).toEqual([]);
      for (const tool of tools) expect(report.sent[tool.name], tool.name).toBeGreaterThanOrEqual(MALFORMED_RUNS);
      expect(report.upstreamDuring).toEqual(Object.fromEntries(tools.map((tool) => [tool.name, 0])));
      await target.settle();
      expect(target.upstream() - before).toBe(0);
      // Still alive and serving after all of it.
      await target.bastion.client.ping();
      expect((await target.bastion.client.listTools()).tools).toHaveLength(connector.tools);
      expect(target.bastion.stderr()).not.toMatch(/failed unexpectedly/);
    }, 240_000);

    it('drops an own "__proto__" argument while parsing the request (SDK), so it cannot smuggle arguments in', async () => {
      // JSON.parse keeps "__proto__" as an ordinary key; the SDK's request schema leaves it out of the arguments.
      const tool = tools.find((candidate) => (candidate.inputSchema.required ?? []).length > 0)!;
      const [args] = fc.sample(validArgs(tool.inputSchema), { numRuns: 1, seed: 7 });
      const before = target.upstream();
      const result = await call(target.bastion, tool.name, withKey({}, '__proto__', args));
      expect(result.isError).toBe(true);
      expect(result.text).toContain(`Invalid arguments for tool ${tool.name}: ${tool.inputSchema.required![0]}:`);
      await target.settle();
      expect(target.upstream() - before).toBe(0);
    });

    it('answers valid generated inputs without crashing, with results that match the output schema', async () => {
      // The check below is live: it rejects a result that lacks the keys an output schema requires.
      const strict = tools.find((tool) => (tool.outputSchema?.required ?? []).length > 0)!;
      expect(compile(strict.outputSchema!)({})).toBe(false);
      const report = await fuzzValid(target, tools);
      expect(report.failures).toEqual([]);
      // Most generated inputs get past argument validation into the tool (a stricter check may refuse a few), and
      // some succeed, so that output schemas were checked.
      for (const [name, count] of Object.entries(report.handled)) expect(count, name).toBeGreaterThan(report.samples[name]! / 2);
      expect(Object.values(report.succeeded).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
      await target.bastion.client.ping();
      expect(target.bastion.stderr()).not.toMatch(/failed unexpectedly/);
    }, 240_000);
  });
}
