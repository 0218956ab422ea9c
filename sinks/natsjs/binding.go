package natsjs

import (
	"net/url"
	"strings"
)

// The CloudEvents NATS protocol binding (1.0.3) carries each attribute as
// a ce-<name> header whose value is percent-encoded: a space, '"', '%' and
// every byte outside printable ASCII become %XX of its UTF-8 bytes, upper
// case. An entity key such as "app 1 é" so reads back exactly with any
// conforming decoder, and no value can break a header line.

const upperHex = "0123456789ABCDEF"

// encodeAttribute percent-encodes a ce- header value. Values that need no
// encoding (ids, types, times, most keys) are returned as they are.
func encodeAttribute(s string) string {
	i := 0
	for i < len(s) && !mustEscape(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if mustEscape(c) {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&0xF])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func mustEscape(c byte) bool {
	return c <= ' ' || c == '"' || c == '%' || c > '~'
}

// DecodeAttribute reads a ce- header value back; a value that is not
// valid percent-encoding is returned as it is.
func DecodeAttribute(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}
