// A second process appending to an audit log: `node --import tsx audit-writer.ts <log> <count> <name>`.
// Waits for "go" on stdin, so that several writers start appending at the same moment, and pauses a millisecond
// between records, as calls do, so that the writers' records interleave.
import { AuditLog } from '../../../src/core/audit.js';

const [path, count, name] = process.argv.slice(2) as [string, string, string];
const log = new AuditLog(path);
const pause = new Int32Array(new SharedArrayBuffer(4));
process.stdin.once('data', () => {
  for (let i = 1; i <= Number(count); i += 1) {
    log.record({ type: 'tool_call', tool: 'redmine_get_issue', connector: 'redmine', caller: name, outcome: 'ok', duration_ms: i, args: { id: i } });
    Atomics.wait(pause, 0, 0, 1);
  }
  process.stdout.write('done\n');
  process.exit(0);
});
