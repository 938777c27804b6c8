/**
 * What needs Node's file system: a checkpoint store on disk and saving/loading a model as
 * `model.json` + `weights.bin` without tfjs-node. The main module (`tfjs-prune`) never imports
 * this one, so it stays browser-safe.
 *
 * @module tfjs-prune/node
 */
// Entry point `tfjs-prune/node`: what needs Node's file system. Named exports only.
// The main entry (`tfjs-prune`) never imports this, so it stays browser-safe.
export { fileCheckpointStore } from './file-checkpoint-store';
export type { FileCheckpointStoreOptions } from './file-checkpoint-store';
export { loadModelDirectory, modelDirectoryHandler, saveModelDirectory } from './model-directory';
export type { SavedModelDirectory } from './model-directory';
export { PruneError } from '../errors';
export type { PruneErrorCode } from '../errors';
