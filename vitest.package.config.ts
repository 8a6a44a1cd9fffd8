import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The pack-and-install test alone (`npm run test:package`): it installs the packed tarball into fresh CDK
// apps, so it needs the npm registry, and it runs apart from the timing-sensitive end-to-end tests.
export default defineConfig({ test: { ...base.test, include: ['test/package/**/*.test.ts'], exclude: [] } });
