// The Coreflux command channel: "-verb args [-requestId id]" published to the command topic, the answer taken from
// the output topic. Current brokers echo -requestId; older ones (and the official command reference) do not know
// it, and there the suffix would become part of a LoT body or an entity name. So, as Coreflux's own client does,
// an answer without a requestId goes to the pending command of the same name, else to the only pending command;
// and in `auto` mode Bastion first asks the broker (once per connection) whether it echoes the id, and sends none
// to a broker that does not. JSON envelopes and plain text are both understood; silence ends in a clear timeout,
// and a command is never sent twice.
import { randomUUID } from 'node:crypto';
import { UpstreamError } from '../../core/errors.js';
import type { MqttConnection, MqttMessage } from './mqtt.js';

/** MQTT_COMMAND_REQUEST_ID: `auto` asks the broker, `always` sends -requestId, `never` sends none. */
export const REQUEST_ID_MODES = ['auto', 'always', 'never'] as const;
export type RequestIdMode = (typeof REQUEST_ID_MODES)[number];

/** A verb no broker knows: its answer ("Unknown command") shows whether -requestId is echoed, and it changes nothing. */
export const PROBE_VERB = 'bastionRequestIdProbe';

export type AnswerError = { message: string; line?: number; column?: number; suggestions?: string[] };

export interface CommandAnswer {
  success: boolean;
  message: string;
  /** The id sent with the command; absent when it went without one (a broker that predates -requestId). */
  requestId?: string;
  command?: string;
  entityType?: string;
  entityName?: string;
  data?: unknown;
  errors?: AnswerError[];
  /** True when the broker answered in plain text. */
  plainText?: boolean;
  /** True when the answer carried the id that was sent. */
  echoed?: boolean;
}

interface Envelope {
  success?: boolean;
  command?: string;
  requestId?: string | null;
  message?: string;
  entityType?: string;
  entityName?: string;
  data?: unknown;
  errors?: unknown;
}

interface Waiter {
  /** The verb, compared without case and dashes with an envelope's `command`. */
  verb: string;
  requestId?: string;
  settle(answer: CommandAnswer): void;
}

const normalVerb = (verb: string) => verb.replace(/-/g, '').toLowerCase();

/** Without a success flag (plain text), the usual wording of refusals decides. */
const readsAsRefusal = (text: string) => /^(error|unknown command|permission denied|failed|usage:|invalid)|\bnot found\b|\bcannot\b/i.test(text.trim());

/** Errors as the broker sends them: objects with a message, or (some generations) plain strings. */
function answerErrors(value: unknown): AnswerError[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.flatMap((entry): AnswerError[] => {
    if (typeof entry === 'string') return [{ message: entry }];
    if (!entry || typeof entry !== 'object' || typeof (entry as AnswerError).message !== 'string') return [];
    const { message, line, column, suggestions } = entry as AnswerError;
    return [{ message, line, column, suggestions: Array.isArray(suggestions) ? suggestions.map(String) : undefined }];
  });
}

/** A refused command as a readable error, with the broker's line/column details. */
export function refusal(verb: string, answer: CommandAnswer): UpstreamError {
  const details = (answer.errors ?? []).map((e) => `${e.line !== undefined ? `line ${e.line}${e.column !== undefined ? `, column ${e.column}` : ''}: ` : ''}${e.message}${e.suggestions?.length ? ` (try: ${e.suggestions.join('; ')})` : ''}`);
  return new UpstreamError(`Coreflux refused -${verb}: ${answer.message || 'no reason given'}${details.length ? ` Details: ${details.join('; ')}` : ''}`, 'http', undefined, details);
}

export class CommandChannel {
  readonly outputTopic: string;
  private readonly waiters: Waiter[] = [];
  private subscription: Promise<() => Promise<void>> | undefined;
  private holders = 0;
  /** What the probe found, for the connection it ran on. */
  private echo: { connection: number; echoes: boolean } | undefined;
  private probing: Promise<boolean | undefined> | undefined;
  /** Commands without an id go one at a time: only then is "the only pending command" unambiguous. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: MqttConnection,
    readonly commandTopic: string,
    private readonly timeoutMs: number,
    readonly requestIds: RequestIdMode = 'auto',
  ) {
    this.outputTopic = `${commandTopic}/Output`;
  }

  /** Sends one command and waits for its answer. `verb` without the dash, `args` as the broker reads them. */
  async run(verb: string, args: string, signal: AbortSignal): Promise<CommandAnswer> {
    const withId = await this.sendsRequestId();
    if (withId) return this.exchange(verb, args, true, signal);
    const previous = this.queue;
    let done!: () => void;
    this.queue = new Promise<void>((resolve) => (done = resolve));
    try {
      await previous;
      if (signal.aborted) throw new UpstreamError(`-${verb} was cancelled before it was sent.`, 'cancelled');
      return await this.exchange(verb, args, false, signal);
    } finally {
      done();
    }
  }

  /** Runs a command and turns a refusal into a readable error with the broker's line/column details. */
  async runChecked(verb: string, args: string, signal: AbortSignal): Promise<CommandAnswer> {
    const answer = await this.run(verb, args, signal);
    if (!answer.success) throw refusal(verb, answer);
    return answer;
  }

  private async sendsRequestId(): Promise<boolean> {
    if (this.requestIds !== 'auto') return this.requestIds === 'always';
    if (this.echo && this.echo.connection === this.connection.connectionNumber) return this.echo.echoes;
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
    // Unknown (the probe got no answer): this command goes without an id, which is safe on any broker.
    return (await this.probing) ?? false;
  }

  private async probe(): Promise<boolean | undefined> {
    const connection = this.connection.connectionNumber;
    try {
      // Not tied to a caller's signal: other commands wait for the same probe.
      const answer = await this.exchange(PROBE_VERB, '', true, new AbortController().signal);
      const echoes = answer.echoed === true;
      this.echo = { connection, echoes };
      return echoes;
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'timeout') return undefined;
      throw error;
    }
  }

  private async exchange(verb: string, args: string, withId: boolean, signal: AbortSignal): Promise<CommandAnswer> {
    const requestId = withId ? `bastion-${randomUUID().slice(0, 8)}` : undefined;
    const line = `-${verb}${args ? ` ${args}` : ''}${requestId ? ` -requestId ${requestId}` : ''}`;
    let settle!: (answer: CommandAnswer) => void;
    const answered = new Promise<CommandAnswer>((resolve) => (settle = resolve));
    const waiter: Waiter = { verb: normalVerb(verb), requestId, settle };
    // Subscribe to the answers before publishing, or a fast broker's answer would be missed.
    await this.hold();
    this.waiters.push(waiter);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await this.connection.publish(this.commandTopic, line, 1, false);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              sentUnanswered(
                new UpstreamError(
                  `Coreflux did not answer -${verb} within ${this.timeoutMs / 1000} s. The command was sent once and not repeated; it may still have been applied ` +
                    '(check with coreflux_lot_diagnostic). No answer also happens when the user lacks the CommandCall right.',
                  'timeout',
                ),
              ),
            ),
          this.timeoutMs,
        );
      });
      const cancelled = new Promise<never>((_, reject) => {
        onAbort = () =>
          reject(
            sentUnanswered(
              new UpstreamError(`-${verb} was cancelled while waiting for the broker's answer: it was sent once and may or may not have been applied (check with coreflux_lot_diagnostic).`, 'cancelled'),
            ),
          );
        signal.addEventListener('abort', onAbort, { once: true });
      });
      return await Promise.race([answered, timeout, cancelled]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      const index = this.waiters.indexOf(waiter);
      if (index >= 0) this.waiters.splice(index, 1);
      await this.release();
    }
  }

  /** One subscription to the output topic (QoS 1, as Coreflux's client) while any command waits. */
  private async hold(): Promise<void> {
    this.holders += 1;
    this.subscription ??= this.connection.listen(this.outputTopic, 1, (message) => this.dispatch(message));
    const subscription = this.subscription;
    try {
      await subscription;
    } catch (error) {
      this.holders -= 1;
      if (this.subscription === subscription) this.subscription = undefined;
      throw error;
    }
  }

  private async release(): Promise<void> {
    this.holders -= 1;
    if (this.holders > 0 || !this.subscription) return;
    const subscription = this.subscription;
    this.subscription = undefined;
    await (await subscription)();
  }

  /** Gives one answer to one waiting command: by its id, else by command name, else to the only one waiting. */
  private dispatch({ payload }: MqttMessage): void {
    const text = payload.toString('utf8');
    let envelope: Envelope | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) envelope = parsed as Envelope;
    } catch {
      // Older brokers answer in plain text.
    }
    const id = typeof envelope?.requestId === 'string' && envelope.requestId !== '' ? envelope.requestId : undefined;
    let waiter: Waiter | undefined;
    if (id !== undefined) {
      waiter = this.waiters.find((candidate) => candidate.requestId === id);
    } else {
      const command = typeof envelope?.command === 'string' ? normalVerb(envelope.command) : undefined;
      waiter = (command ? this.waiters.find((candidate) => candidate.verb === command) : undefined) ?? (this.waiters.length === 1 ? this.waiters[0] : undefined);
    }
    if (!waiter) return;
    this.waiters.splice(this.waiters.indexOf(waiter), 1);
    if (envelope) {
      const message = typeof envelope.message === 'string' ? envelope.message : '';
      waiter.settle({
        success: typeof envelope.success === 'boolean' ? envelope.success : !readsAsRefusal(message),
        message,
        requestId: waiter.requestId,
        command: envelope.command,
        entityType: envelope.entityType,
        entityName: envelope.entityName,
        data: envelope.data,
        errors: answerErrors(envelope.errors),
        echoed: id !== undefined,
      });
      return;
    }
    waiter.settle({ success: !readsAsRefusal(text), message: text, requestId: waiter.requestId, plainText: true });
  }
}

/** A command that went out and got no answer: whether the broker applied it is unknown. */
function sentUnanswered(error: UpstreamError): UpstreamError {
  error.maybeApplied = true;
  return error;
}
