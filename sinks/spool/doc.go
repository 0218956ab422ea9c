// Package spool keeps events the broker does not acknowledge in time on a
// local durable store, and forwards them once it does.
//
// Spool is a sinks.Sink in front of the broker's sink. A publish first goes
// to the broker, with a deadline of Config.After; when the broker does not
// acknowledge in time (or says it is unavailable), the message is written to
// the spool, synced to disk, and answered Ack{Spooled: true}. While the
// spool holds messages, new ones are written behind them without trying the
// broker, so messages reach the broker in the order they were accepted. A
// forwarder publishes the spooled messages oldest first, with their
// original id, topic, key, headers and CloudEvents context, in ordered
// batches when the broker's sink publishes batches (sinks.BatchPublisher;
// batch.go), else one at a time, and removes each only after the broker's
// ack (a duplicate counts: the broker holds it).
//
// The store is bbolt: one file, each commit synced (fdatasync) before it
// returns. Concurrent writes share commits (group commit: while one commit
// syncs, the next gathers everything that arrived meanwhile), so a burst of
// spooled requests costs a few syncs, not one each. See docs/spool.md
// for the measurements that chose it over a JetStream file store.
//
// Close forwards what the spool holds before it returns, while the broker
// takes it and within Close's context (less a moment kept for closing the
// broker's sink), and leaves the rest on disk for the next start. Drain
// does the same for a spool no bridge runs on any more.
//
// Lazy opens the broker's sink in the background, so a bridge with a spool
// starts and serves while the broker is unreachable.
package spool
