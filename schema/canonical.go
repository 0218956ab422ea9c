package schema

import (
	"bytes"
	"unicode/utf8"
)

// canonical encodes the normalized tree, its members sorted (sortMembers),
// compactly, without HTML escaping, so the body is what the sender meant and its
// hash does not depend on how the sender spaced or ordered it. The output
// is byte for byte what encoding/json's Encoder with SetEscapeHTML(false)
// writes for the same value decoded into a map (a fuzz test holds it to
// that). The result is a copy of exactly its size: the tree's buffer goes
// back to the pool, the body goes to a broker.
func (t *tree) canonical() []byte {
	t.out = t.appendValue(t.out[:0], 0)
	return bytes.Clone(t.out)
}

func (t *tree) appendValue(b []byte, i int32) []byte {
	n := t.nodes[i]
	switch n.kind {
	case 'n':
		return append(b, "null"...)
	case 't':
		return append(b, "true"...)
	case 'f':
		return append(b, "false"...)
	case '0':
		// The decoder checked the number's syntax; its text is kept as sent.
		return append(b, t.number(i)...)
	case '"':
		return t.appendString(b, i)
	case '[':
		b = append(b, '[')
		for k, e := range t.kids[n.off:n.end] {
			if k > 0 {
				b = append(b, ',')
			}
			b = t.appendValue(b, e)
		}
		return append(b, ']')
	default:
		// sortMembers has put the members in order.
		b = append(b, '{')
		pairs := t.kids[n.off:n.end]
		for k := 0; k < len(pairs); k += 2 {
			if k > 0 {
				b = append(b, ',')
			}
			b = t.appendString(b, pairs[k])
			b = append(b, ':')
			b = t.appendValue(b, pairs[k+1])
		}
		return append(b, '}')
	}
}

// appendString writes a string node. One the sender wrote without escapes
// is copied as sent unless it holds U+2028 or U+2029, which encoding/json
// escapes; the others are quoted from their decoded bytes.
func (t *tree) appendString(b []byte, i int32) []byte {
	n := t.nodes[i]
	if !n.inText {
		raw := t.src[n.off:n.end]
		if !t.lineSeparators || bytes.IndexByte(raw, 0xE2) < 0 {
			return append(b, raw...)
		}
	}
	return appendQuoted(b, t.str(i))
}

const hexDigits = "0123456789abcdef"

// appendQuoted quotes s, valid UTF-8 (the decoder saw to that), as
// encoding/json does without HTML escaping: the short escapes for \b \f \n
// \r \t, \u00XX for other control bytes, and \u2028 \u2029, which JSON
// allows raw but JavaScript does not.
func appendQuoted(b []byte, s []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
		if c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[s[i+2]&0xF])
			i += 3
			start = i
			continue
		}
		i++
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
