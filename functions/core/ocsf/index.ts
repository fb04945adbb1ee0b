/** Archive records as OCSF events (docs/ocsf.md). */
export * from './classify.js';
export * from './layout.js';
export * from './map.js';
export * from './parquet-schema.js';
export * from './parquet-writer.js';
export { OCSF_VERSION } from './version.js';
