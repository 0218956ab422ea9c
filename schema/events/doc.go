// Package events is what a consumer of hirebridge's messages imports: the
// typed Hirempire events, the names of types, subjects and headers, the
// ids (ContentID: an event's id is that of its body, so it can be checked),
// and one call from a received message to its typed event. It imports
// nothing but the standard library, so a consumer links neither the
// bridge's validator nor any broker client.
//
// It is also where the bridge itself takes these names from: the sinks,
// the handler, package schema and the AsyncAPI generator use them, so what
// consumers are told cannot drift from what is published.
//
// A published body is the sender's object normalized: timestamps are UTC
// RFC 3339 and decode into time.Time, and Company.Name is set whenever the
// sender gave a company name under either spelling. The types hold the
// fields Hirempire documents; fields it adds later are in the published
// body but not in the types, so decode into a map to see them. Descriptive
// fields may be null: a null text decodes as "", a null number as an empty
// json.Number, a null flag or object as nil. Numbers are json.Number so
// their exact text survives.
//
// Messages of undocumented types (marked hirebridge-validated: false) and
// dead letters (<prefix>.dlq, raw rejected bodies, not CloudEvents) are not
// decoded here: Decode reports them with ErrUnknownType and
// ErrDeadLetter, so a consumer can skip them.
package events
