// Preloaded into a spawned Bastion (see NO_EGRESS_ENV): every connection beyond loopback is refused inside that
// process before a packet leaves, and named on stderr when it exits, so a test of an egress refusal stays on this
// machine even if the code under test is broken.
import { blockNonLoopback } from '../unit/helpers/no-egress.js';
import { BLOCKED_MARK } from './no-egress-env.js';

const block = blockNonLoopback();
process.on('exit', () => {
  if (block.attempts.length) process.stderr.write(`${BLOCKED_MARK}: ${block.attempts.join(', ')}\n`);
});
