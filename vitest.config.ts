import { defineConfig } from 'vitest/config';

// One run over every package: `projects` picks up each package's own config,
// coverage is measured on sources and gated per package.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'bench'],
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
      exclude: [
        '**/*.d.ts',
        // The daemon's process entry and the lab demo run as root in child processes inside
        // network namespaces, where V8 coverage is not collected; the netns end-to-end tests
        // (apps/switchyardd/test/*.netns.test.ts) are what exercise them.
        'apps/switchyardd/src/run.ts',
        'apps/switchyardd/src/addresses.ts',
        'apps/switchyardd/src/lab/demo.ts',
        'apps/switchyardd/src/bin.ts',
      ],
      reporter: ['text-summary', 'text'],
      reportsDirectory: 'coverage',
      // Per package, so one well-covered package cannot hide a poorly covered one.
      thresholds: {
        'packages/wire/src/**/*.ts': { lines: 95 },
        'packages/netsim/src/**/*.ts': { lines: 95 },
        'packages/arp/src/**/*.ts': { lines: 95 },
        'packages/flowhash/src/**/*.ts': { lines: 95 },
        'packages/hrw/src/**/*.ts': { lines: 95 },
        'packages/election/src/**/*.ts': { lines: 95 },
        'packages/dataplane/src/**/*.ts': { lines: 95 },
        'packages/netlab/src/**/*.ts': { lines: 90 },
        // Worker-side code runs in worker threads, which V8 coverage does not collect.
        'packages/link/src/**/*.ts': { lines: 80 },
        'apps/switchyardd/src/**/*.ts': { lines: 90 },
      },
    },
  },
});
