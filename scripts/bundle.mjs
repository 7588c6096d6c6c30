// Bundles the CLI into dist/cli.js (plus chunks for what only some runs need: each connector, Redis, the HTTP
// transport), so that start-up reads a few files instead of hundreds. tsc has already type-checked and written
// dist/; this replaces its dist/cli.js. @napi-rs/keyring is a native module and stays in node_modules.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/chunks', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['@napi-rs/keyring'],
  // Bundled CommonJS packages call require(); an ES module has none unless it makes one.
  banner: { js: "import { createRequire as bastionCreateRequire } from 'node:module'; const require = bastionCreateRequire(import.meta.url);" },
  legalComments: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
