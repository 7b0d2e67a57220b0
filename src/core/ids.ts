/**
 * Node ids are opaque to protocols: compare with ===, use as Map keys, send in messages.
 * The simulator uses small non-negative integers (cheap keys for 10^5 peers); the net host
 * uses libp2p PeerId strings. Protocol code must never look inside an id.
 */
export type NodeId = number | string

/** Upper bound on the encoded size of any node id (a base58 Ed25519 PeerId is 52 chars). */
export const MAX_NODE_ID_BYTES = 64

/** Size a node id takes on the wire; the simulator uses it to charge bandwidth without encoding. */
export const NODE_ID_WIRE_BYTES = 39
