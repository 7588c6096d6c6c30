// The Coreflux command channel: "-verb args -requestId id" published to the command topic, the answer matched by
// its requestId on the output topic. JSON envelopes and plain text are both understood; silence ends in a clear
// timeout, and a command is never sent twice.
import { randomUUID } from 'node:crypto';
import { UpstreamError } from '../../core/errors.js';
import type { MqttConnection } from './mqtt.js';

export interface CommandAnswer {
  success: boolean;
  message: string;
  requestId: string;
  command?: string;
  entityType?: string;
  entityName?: string;
  data?: unknown;
  errors?: Array<{ message: string; line?: number; column?: number; suggestions?: string[] }>;
  /** True when the broker answered in plain text, which carries no requestId to match. */
  plainText?: boolean;
}

interface Envelope {
  success?: boolean;
  command?: string;
  requestId?: string;
  message?: string;
  entityType?: string;
  entityName?: string;
  data?: unknown;
  errors?: CommandAnswer['errors'];
}

export class CommandChannel {
  readonly outputTopic: string;

  constructor(
    private readonly connection: MqttConnection,
    readonly commandTopic: string,
    private readonly timeoutMs: number,
  ) {
    this.outputTopic = `${commandTopic}/Output`;
  }

  /** Sends one command and waits for its answer. `verb` without the dash, `args` as the broker reads them. */
  async run(verb: string, args: string, signal: AbortSignal): Promise<CommandAnswer> {
    const requestId = `bastion-${randomUUID().slice(0, 8)}`;
    const line = `-${verb}${args ? ` ${args}` : ''} -requestId ${requestId}`;
    let settle!: (answer: CommandAnswer) => void;
    const answered = new Promise<CommandAnswer>((resolve) => (settle = resolve));
    // Subscribe to the answers before publishing, or a fast broker's answer would be missed.
    const stop = await this.connection.listen(this.outputTopic, 0, ({ payload }) => {
      const text = payload.toString('utf8');
      let envelope: Envelope | undefined;
      try {
        const parsed = JSON.parse(text) as unknown;
        if (parsed && typeof parsed === 'object') envelope = parsed as Envelope;
      } catch {
        // Older brokers answer in plain text.
      }
      if (envelope?.requestId !== undefined) {
        if (envelope.requestId !== requestId) return;
        settle({
          success: envelope.success !== false,
          message: envelope.message ?? '',
          requestId,
          command: envelope.command,
          entityType: envelope.entityType,
          entityName: envelope.entityName,
          data: envelope.data,
          errors: envelope.errors,
        });
        return;
      }
      const plain = envelope ? (envelope.message ?? text) : text;
      // Without a success flag (plain text), the usual wording of refusals decides.
      const refused =
        typeof envelope?.success === 'boolean' ? !envelope.success : /^(error|unknown command|permission denied|failed|usage:|invalid)|\bnot found\b|\bcannot\b/i.test(plain.trim());
      settle({ success: !refused, message: plain, requestId, plainText: true });
    });
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
      await stop();
    }
  }

  /** Runs a command and turns a refusal into a readable error with the broker's line/column details. */
  async runChecked(verb: string, args: string, signal: AbortSignal): Promise<CommandAnswer> {
    const answer = await this.run(verb, args, signal);
    if (!answer.success) {
      const details = (answer.errors ?? []).map((e) => `${e.line !== undefined ? `line ${e.line}${e.column !== undefined ? `, column ${e.column}` : ''}: ` : ''}${e.message}${e.suggestions?.length ? ` (try: ${e.suggestions.join('; ')})` : ''}`);
      throw new UpstreamError(`Coreflux refused -${verb}: ${answer.message || 'no reason given'}${details.length ? ` Details: ${details.join('; ')}` : ''}`, 'http', undefined, details);
    }
    return answer;
  }
}

/** A command that went out and got no answer: whether the broker applied it is unknown. */
function sentUnanswered(error: UpstreamError): UpstreamError {
  error.maybeApplied = true;
  return error;
}
