/**
 * The meshflow wire format: protocol ids, message types, validating cbor-x codecs,
 * length-prefixed framing and block CIDs. Imports nothing from `node/` or `connectors/`.
 *
 * @example
 * ```ts
 * import { CLIENT_CODEC, decodeFrames, decodeClientMessage, encodeFrame } from './protocol/index.ts'
 *
 * // one message, framed as it travels on a libp2p stream …
 * const frame = encodeFrame(CLIENT_CODEC.encode({ type: 'status-request', id: 1 }))
 * // … and read back through the frame decoder and the validating message decoder
 * for await (const payload of decodeFrames([frame], { maxBytes: CLIENT_CODEC.maxFrameBytes })) {
 *   console.log(decodeClientMessage(payload)) // { type: 'status-request', id: 1 }
 * }
 * ```
 *
 * Serving a protocol on a libp2p 3 node (a malformed frame aborts only that stream):
 * ```ts
 * node.handle(CLIENT_CODEC.protocol, createMessageHandler(CLIENT_CODEC, async (m, ctx) => {
 *   if (m.type === 'status-request') await ctx.send({ type: 'status-response', id: m.id, leader: null, term: 0, peers: [] })
 * }))
 * ```
 */
export * from './constants.ts'
export * from './ids.ts'
export * from './errors.ts'
export type * from './raft.ts'
export * from './membership.ts'
export * from './client.ts'
export { savepointNameProblem } from './client-fields.ts'
export { datasetNameProblem, DATASET_NAME_RULE } from './dataset-fields.ts'
export * from './data.ts'
export * from './codec.ts'
export * from './element-codec.ts'
export * from './data-mux.ts'
export * from './framing.ts'
export * from './message-handler.ts'
export * from './cid.ts'
