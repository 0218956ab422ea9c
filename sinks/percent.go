package sinks

import (
	"net/url"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// PercentEncode encodes a header value as the CloudEvents NATS binding
// (1.0.3) requires of ce- headers: a space, '"', '%' and every byte outside
// printable ASCII become %XX of its UTF-8 bytes, upper case. An entity key
// such as "app 1 é" so reads back exactly with any conforming decoder, and
// no value can break a header line. Values that need no encoding (ids,
// types, times, most keys) are returned as they are.
func PercentEncode(s string) string {
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

// PercentDecode reads a PercentEncode value back; a value that is not
// valid percent-encoding is returned as it is.
func PercentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// OneLine makes text safe as a header value on every broker: control
// characters (line breaks above all) become spaces. For words meant to be
// read, such as a broker's error, where percent-encoding would hide them.
func OneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
