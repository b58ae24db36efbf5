import { packageProject } from '@switchyard/vitest-preset';
import { defineConfig } from 'vitest/config';

// The benchmarks' pure parts (report parsing, gap and split-brain analysis); the runs themselves
// are benchmarks, not tests.
export default defineConfig(packageProject('bench'));
