import { defineConfig } from 'vitest/config';

// One run over every package: `projects` picks up each package's own config,
// coverage is measured on sources and gated per package.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
      exclude: ['**/*.d.ts'],
      reporter: ['text-summary', 'text'],
      reportsDirectory: 'coverage',
      thresholds: {
        'packages/wire/src/**/*.ts': { lines: 95 },
      },
    },
  },
});
