// Preloaded into the servers the memory benchmark measures (NODE_OPTIONS="--expose-gc --import=..."): SIGUSR2 runs
// a full garbage collection, so the benchmark can tell memory still in use from garbage not yet collected.
import process from 'node:process';

process.on('SIGUSR2', () => globalThis.gc?.());
