import { packageBuild } from '@switchyard/tsup-preset';

export default packageBuild(['src/index.ts', 'src/compliance.ts']);
