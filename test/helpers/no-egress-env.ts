// The environment that keeps a spawned Bastion on this machine (test/helpers/no-egress-child.ts is preloaded).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// tsx by path, so the child finds it whatever its working directory.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const preload = pathToFileURL(resolve(import.meta.dirname, 'no-egress-child.ts')).href;

/** Add to a spawned CLI's environment: tsx loads the preload, which refuses connections beyond loopback. */
export const NO_EGRESS_ENV = { NODE_OPTIONS: `--import ${tsx} --import ${preload}` };

/** What the preload writes to stderr when it refused a connection. */
export const BLOCKED_MARK = 'test: connections beyond loopback blocked';
