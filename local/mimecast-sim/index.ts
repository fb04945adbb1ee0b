/** The Mimecast API simulator: start one with `startMimecastSimulator(options)`. */
export type {
  Fault,
  LateEventClass,
  MimecastSimulator,
  RandomFaults,
  ScriptedFault,
  SimEndpoint,
  SimRequestRecord,
  SimulatorOptions,
  StuckRange,
} from './api.js';
export { CATEGORIES } from './catalog.js';
export { startMimecastSimulator } from './server.js';
