// Worker entry: registers tsx in the worker thread (bench runs TypeScript sources), then the data plane.
import { register } from 'tsx/esm/api';

register();
await import('./worker-dataplane.ts');
