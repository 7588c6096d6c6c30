import { defineConfig } from 'vitest/config';
import unit from './vitest.unit.config.js';

// The mutation run (stryker.config.json): the unit tests of the security core only, so that each mutant runs the
// few files that can notice it rather than the whole unit suite.
export default defineConfig({
  test: {
    ...unit.test,
    name: 'mutation',
    // Each listed module's own test files (redact.test.ts, redact-credentials.test.ts, ...), the logger's, and the
    // toolsets' (their resolution lives in policy.ts).
    include: ['test/unit/{redact,egress,policy,audit,untrusted,secrets,credentials,ratelimit,confirm,http-auth,logger,toolsets}{,-*}.test.ts', 'test/unit/core-*.test.ts', 'test/unit/http-exposure.test.ts'],
  },
});
