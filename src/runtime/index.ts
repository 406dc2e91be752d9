export { Session, InputError, SessionReleasedError, type SessionOptions, type ProfileResult, type BackendName, type ProfileRow, type LoadProgress, type StreamSource } from './session.js';
export { loadModelBytes, graphFromBytes, ModelLoadError, type ModelSource } from './load.js';
