import { defineConfig } from 'vitest/config';

// The in-process tests that pin the modules `npm run mutate` mutates (redaction among them): fast, no bundle,
// no emulator process.
export default defineConfig({
  test: {
    include: [
      'test/unit/ownership.test.ts',
      'test/unit/ownership-rule.test.ts',
      'test/unit/provenance.test.ts',
      'test/unit/revocation.test.ts',
      'test/unit/revocation-outcomes.test.ts',
      'test/unit/recheck.test.ts',
      'test/unit/steps/finish-secret.test.ts',
      'test/unit/steps/finish-secret-outcomes.test.ts',
      'test/unit/seal.test.ts',
      'test/unit/sensitive.test.ts',
      'test/unit/no-echo.test.ts',
    ],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 30_000,
  },
});
