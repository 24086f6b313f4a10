export { CONFIG_FILES, findConfigFile, implicitConfig, KNOWN_RULE_IDS, parseConfig, parseConfigBuffer, type ConfigResult } from './load.js';
export { parseDuration, parseSize } from './units.js';
export type * from './types.js';
