// Package schema owns what a Hirempire event is: the catalog of documented
// types and their embedded JSON Schemas, the rules for event names and
// timestamps, normalization, the event id and the entity key.
//
// It knows nothing of HTTP or brokers: the bridge hands it a body and gets
// back either an Event ready to publish or a *Rejection saying why not.
//
// # Typed events
//
// Go consumers decode a published body (the message on <prefix>.<event>)
// with encoding/json into JobEvent, ApplicantEvent or MeetingEvent. These
// hold the fields Hirempire documents; fields it adds later are in the
// published body but not in the types, so decode into a map to see them.
//
// The types rely on normalization: timestamps are UTC RFC 3339 and decode
// into time.Time, and Company.Name is set whenever the sender gave a company
// name under either spelling. Descriptive fields may be null: a null text
// decodes as "", a null number as an empty json.Number, a null flag or
// object as nil. Numbers are json.Number so their exact text survives.
package schema
