import { defineConfig } from 'tsup';

// A private app: one ESM bundle per entry point; workspace packages stay external.
export default defineConfig({
  entry: ['src/bin.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
});
