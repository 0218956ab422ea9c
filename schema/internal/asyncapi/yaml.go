package asyncapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A small YAML writer rather than a YAML library: the document is a tree
// of ordered maps, lists and scalars, its order is the generator's (so the
// output is deterministic and reads top-down as written), and every string
// is written double-quoted with JSON escapes, which YAML reads the same.

// obj is a mapping whose keys keep their order.
type obj []field

type field struct {
	key string
	val any // string, bool, int, obj, []any
}

// set returns o with key = val appended.
func (o obj) set(key string, val any) obj { return append(o, field{key, val}) }

// plainKey matches keys that need no quotes in YAML 1.2 (and 1.1: none is
// a boolean or null word there either, see keyword).
var plainKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$.-]*$`)

func keyword(s string) bool {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return true
	}
	return false
}

func encode(v obj) []byte {
	var b bytes.Buffer
	writeObj(&b, v, 0)
	return b.Bytes()
}

func writeObj(b *bytes.Buffer, o obj, indent int) {
	for _, f := range o {
		b.WriteString(strings.Repeat(" ", indent))
		writeKey(b, f.key)
		b.WriteByte(':')
		writeValue(b, f.val, indent)
	}
}

// writeValue writes what follows "key:" or "-": a scalar or empty
// collection on the same line, anything else on the lines below.
func writeValue(b *bytes.Buffer, v any, indent int) {
	switch v := v.(type) {
	case obj:
		if len(v) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteByte('\n')
		writeObj(b, v, indent+2)
	case []any:
		if len(v) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteByte('\n')
		for _, item := range v {
			b.WriteString(strings.Repeat(" ", indent+2))
			b.WriteString("- ")
			switch item := item.(type) {
			case obj:
				// The first key sits after the dash, the others under it.
				writeObjInline(b, item, indent+4)
			default:
				writeScalar(b, item)
				b.WriteByte('\n')
			}
		}
	case string:
		if literal(v) {
			// Prose keeps its line breaks: a literal block, kept as is.
			b.WriteString(" |-\n")
			for _, line := range strings.Split(v, "\n") {
				if line != "" {
					b.WriteString(strings.Repeat(" ", indent+2))
					b.WriteString(line)
				}
				b.WriteByte('\n')
			}
			return
		}
		b.WriteByte(' ')
		writeString(b, v)
		b.WriteByte('\n')
	default:
		b.WriteByte(' ')
		writeScalar(b, v)
		b.WriteByte('\n')
	}
}

// literal reports whether s can be a literal block scalar: several lines of
// printable text, none starting or ending with a space (which a block would
// need indicators for), and no trailing line break.
func literal(s string) bool {
	if !strings.Contains(s, "\n") || strings.HasSuffix(s, "\n") {
		return false
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, " ") || strings.HasSuffix(line, " ") {
			return false
		}
		for _, r := range line {
			if r < ' ' || r == 0x7f {
				return false
			}
		}
	}
	return true
}

func writeObjInline(b *bytes.Buffer, o obj, indent int) {
	for i, f := range o {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", indent))
		}
		writeKey(b, f.key)
		b.WriteByte(':')
		writeValue(b, f.val, indent)
	}
}

func writeKey(b *bytes.Buffer, k string) {
	if plainKey.MatchString(k) && !keyword(k) {
		b.WriteString(k)
		return
	}
	writeString(b, k)
}

func writeScalar(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case string:
		writeString(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	default:
		panic(fmt.Sprintf("asyncapi: no YAML for a %T", v))
	}
}

// writeString writes s double-quoted; JSON's escapes are YAML's.
func writeString(b *bytes.Buffer, s string) {
	var q bytes.Buffer
	enc := json.NewEncoder(&q)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	b.Write(bytes.TrimSuffix(q.Bytes(), []byte("\n")))
}
