import { packageProject } from '@switchyard/vitest-preset';
import { defineConfig } from 'vitest/config';

export default defineConfig(packageProject('dataplane'));
