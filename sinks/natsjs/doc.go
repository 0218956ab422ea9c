// Package natsjs publishes to NATS JetStream: one subject per event type
// under the prefix, all captured by one stream, with JetStream's
// Nats-Msg-Id deduplication. It can also run an embedded JetStream server for
// the zero-configuration default.
package natsjs
