/**
 * The one error type of the `.tessera` reader and writer. Every problem with a file (or with a graph handed to the
 * writer) surfaces as a FormatError whose message says what is wrong and where: a byte offset for the binary
 * framing, a JSON field path (`header.tensors[3].byteLength`) for the header.
 */
export class FormatError extends Error {
  override name = 'FormatError';
  constructor(
    message: string,
    /** Where the problem is: `byte 12`, `header.graph.nodes[2].attrs.pads`, ... (already part of the message). */
    readonly where?: string,
  ) {
    super(where !== undefined ? `${where}: ${message}` : message);
  }
}
