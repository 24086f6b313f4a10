import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers/gitrepo.js';

// Each test file leaves no temp folder behind, whether or not its tests removed their own.
afterAll(() => removeTempDirs());
