import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers/gitrepo.js';

// Children that tests run through tsx (the CLI, the CI entry, queue children) would leave
// tsx's compile cache in TMPDIR; tests leave nothing there.
process.env.TSX_DISABLE_CACHE = '1';

// Each test file leaves no temp folder behind, whether or not its tests removed their own.
afterAll(() => removeTempDirs());
