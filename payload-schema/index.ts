/** stadtsensor payload schema: the message catalog, the codec and the schema definition language. */
export { catalog } from './src/catalog/index.ts';
export * as messages from './src/catalog/index.ts';
export { Codec, codec, decode, encode } from './src/codec.ts';
export type { DecodedObject, DecodedValue, DecodeResult, EncodeResult } from './src/codec.ts';
export { PayloadError, type PayloadErrorCode } from './src/errors.ts';
export { messageSize, walkFields, type MessageSize } from './src/layout.ts';
export { MAX_PAYLOAD_BYTES, validateCatalog } from './src/validate.ts';
export * from './src/dsl.ts';
export { CATALOG_VERSION } from './src/generate/index.ts';
