// The Coreflux command desk without a transport: it takes a command payload (and who sent it), records it, runs it
// against the emulator's state and says what to publish on the Output topic. Both emulators use it: the aedes broker
// (../coreflux.ts, MQTT 3.1.1) and the emulator that is a client of a real broker (../coreflux-remote.ts, MQTT 5).
import { executeCommand, parseCommand, type CommandEffects, type CommandRecord, type CorefluxState, type DiagnosticForm, type Envelope } from './commands.js';

export type CorefluxMode = 'json' | 'plain' | 'silent';
export const MODES: readonly CorefluxMode[] = ['json', 'plain', 'silent'];

/**
 * How the broker treats `-requestId`:
 * - `echo`: current brokers strip it from the command and echo it in the envelope (the default);
 * - `null`: a broker that does not know it: the suffix stays part of the arguments (a LoT body or an entity name)
 *   and the envelope carries `"requestId": null`;
 * - `absent`: the same, but the envelope has no `requestId` field at all.
 * Plain-text mode carries no requestId in any case.
 */
export type RequestIdSupport = 'echo' | 'null' | 'absent';

export interface CommandDesk {
  commands: CommandRecord[];
  state: CorefluxState;
  setMode(mode: CorefluxMode): void;
  setRequestIdSupport(support: RequestIdSupport): void;
  /** Which -lotDiagnostic the broker has (see DiagnosticForm); default `entity`. */
  setDiagnosticForm(form: DiagnosticForm): void;
  denyCommandCall(user: string): void;
  /** Runs one command payload; returns the Output payload to publish, or undefined for none. */
  handle(payload: string, user: string | undefined): string | undefined;
}

export function createDesk(effects: CommandEffects): CommandDesk {
  const state: CorefluxState = { models: new Map(), actions: new Map(), routes: new Map(), rules: new Map() };
  const commands: CommandRecord[] = [];
  const denied = new Set<string>();
  let mode: CorefluxMode = 'json';
  let support: RequestIdSupport = 'echo';
  let diagnosticForm: DiagnosticForm = 'entity';
  return {
    commands,
    state,
    setMode(next) {
      if (!MODES.includes(next)) throw new Error(`Unknown mode '${String(next)}'; expected ${MODES.join(', ')}`);
      mode = next;
    },
    setRequestIdSupport(next) {
      support = next;
    },
    setDiagnosticForm(next) {
      diagnosticForm = next;
    },
    denyCommandCall(user) {
      denied.add(user);
    },
    handle(payload, user) {
      const parsed = parseCommand(payload, { requestId: support === 'echo' });
      const record: CommandRecord = { payload, verb: parsed.verb };
      if (user !== undefined) record.user = user;
      if (parsed.requestId !== undefined) record.requestId = parsed.requestId;
      commands.push(record);
      // Without CommandCall, Coreflux neither runs the command nor says anything.
      if (user !== undefined && denied.has(user)) return undefined;
      const envelope = executeCommand(parsed, state, effects, diagnosticForm);
      if (!envelope || mode === 'silent') return undefined;
      if (mode === 'plain') return envelope.message;
      if (support === 'absent') {
        const { requestId: _dropped, ...rest } = envelope;
        return JSON.stringify(rest);
      }
      return JSON.stringify(envelope satisfies Envelope);
    },
  };
}
