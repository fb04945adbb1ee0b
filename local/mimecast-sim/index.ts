/** The Mimecast API simulator: start one with `startMimecastSimulator(options)`. */
export type {
  Fault,
  MimecastSimulator,
  RandomFaults,
  ScriptedFault,
  SimEndpoint,
  SimRequestRecord,
  SimulatorOptions,
} from './api.js';
export { CATEGORIES } from './catalog.js';
export { startMimecastSimulator } from './server.js';
