package natsjs

import "github.com/hirebridge/hirebridge/sinks"

// The CloudEvents NATS protocol binding (1.0.3) carries each attribute as
// a ce-<name> header whose value is percent-encoded: a space, '"', '%' and
// every byte outside printable ASCII become %XX of its UTF-8 bytes, upper
// case. An entity key such as "app 1 é" so reads back exactly with any
// conforming decoder, and no value can break a header line.

// encodeAttribute percent-encodes a ce- header value: sinks.PercentEncode,
// the binding's rule.
func encodeAttribute(s string) string { return sinks.PercentEncode(s) }

// DecodeAttribute reads a ce- header value back; a value that is not
// valid percent-encoding is returned as it is.
func DecodeAttribute(s string) string { return sinks.PercentDecode(s) }
