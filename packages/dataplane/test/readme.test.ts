import { describeReadmeExamples } from '@switchyard/vitest-preset/readme';

describeReadmeExamples(new URL('..', import.meta.url));
