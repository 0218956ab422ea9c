// Package schema owns what a Hirempire event is: the catalog of documented
// types and their embedded JSON Schemas, the rules for event names and
// timestamps, normalization, the event id and the entity key.
//
// It knows nothing of HTTP or brokers: the bridge hands it a body and gets
// back either an Event ready to publish or a *Rejection saying why not.
//
// # Typed events
//
// Consumers import package events (schema/events) instead: the typed events
// and their names, without this package's validator. The type names here
// are aliases of those.
package schema
