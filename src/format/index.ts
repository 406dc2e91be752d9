/** The single-file `.tessera` model format (docs/format.md). */
export { FormatError } from './errors.js';
export { writeTessera, FP16_WEIGHT_OPS, type WriteOptions } from './writer.js';
export { assembleTessera } from './framing.js';
export { readTessera, readTesseraHeader, isTessera, type ReadOptions, type TesseraHeaderInfo } from './reader.js';
export { TesseraStreamReader, type StreamReaderOptions } from './stream_reader.js';
export { FORMAT_VERSION, ALIGNMENT, MAGIC, MAX_HEADER_BYTES, PRELUDE_BYTES } from './constants.js';
export type { TesseraHeader, TensorEntry, NodeEntry, AttrEntry, GraphEntry, ValueInfoEntry } from './header.js';
