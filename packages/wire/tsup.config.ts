import { packageBuild } from '@switchyard/tsup-preset';

export default packageBuild();
