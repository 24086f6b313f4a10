import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers/gitrepo.js';

// Children that tests run through tsx (the CLI, the CI entry, queue children) would leave
// tsx's compile cache in TMPDIR; tests leave nothing there.
process.env.TSX_DISABLE_CACHE = '1';
// No test reaches the internet: charts from outside the repository are fetched only by
// tests that serve them on loopback and pass their own fetcher.
process.env.FERRY_CHARTS = 'off';

// Each test file leaves no temp folder behind, whether or not its tests removed their own.
afterAll(() => removeTempDirs());
