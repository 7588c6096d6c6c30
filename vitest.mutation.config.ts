import { defineConfig } from 'vitest/config';
import unit from './vitest.unit.config.js';

// The mutation run (stryker.config.json): the unit tests of the security core only, so that each mutant runs the
// few files that can notice it rather than the whole unit suite.
export default defineConfig({
  test: {
    ...unit.test,
    name: 'mutation',
    // Each listed module's own test files (redact.test.ts, redact-credentials.test.ts, ...), and the logger's.
    include: ['test/unit/{redact,egress,policy,audit,untrusted,secrets,credentials,ratelimit,confirm,http-auth,logger}{,-*}.test.ts', 'test/unit/core-*.test.ts', 'test/unit/http-exposure.test.ts'],
  },
});
