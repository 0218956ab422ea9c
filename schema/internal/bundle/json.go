package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// The bundles keep the sources' key order (a Go map would sort them) and
// read as the sources do: a value holding no object is written on one
// line, {"type": "string", "description": "..."}; anything else one member
// a line, indented by two spaces.

// object is a JSON object whose members keep their order.
type object []member

type member struct {
	key string
	val any // object, []any, string, json.Number, bool or nil
}

func (o object) get(key string) (any, bool) {
	for _, m := range o {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

func parse(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := object{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key := k.(string)
			if _, dup := o.get(key); dup {
				return nil, fmt.Errorf("member %q twice", key)
			}
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, member{key, v})
		}
		_, err := dec.Token() // }
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token() // ]
		return a, err
	}
	return tok, nil
}

func encode(v any) []byte {
	var b strings.Builder
	write(&b, v, "")
	b.WriteByte('\n')
	return []byte(b.String())
}

func write(b *strings.Builder, v any, indent string) {
	if !holdsObject(v) {
		writeInline(b, v)
		return
	}
	inner := indent + "  "
	switch v := v.(type) {
	case object:
		b.WriteString("{")
		for i, m := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n" + inner)
			writeString(b, m.key)
			b.WriteString(": ")
			write(b, m.val, inner)
		}
		b.WriteString("\n" + indent + "}")
	case []any:
		b.WriteString("[")
		for i, item := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n" + inner)
			write(b, item, inner)
		}
		b.WriteString("\n" + indent + "]")
	}
}

// holdsObject reports whether an object or array is among v's members or
// items, at any depth.
func holdsObject(v any) bool {
	var items []any
	switch v := v.(type) {
	case object:
		for _, m := range v {
			items = append(items, m.val)
		}
	case []any:
		items = v
	}
	for _, item := range items {
		if _, ok := item.(object); ok || holdsObject(item) {
			return true
		}
	}
	return false
}

func writeInline(b *strings.Builder, v any) {
	switch v := v.(type) {
	case object:
		b.WriteString("{")
		for i, m := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeString(b, m.key)
			b.WriteString(": ")
			writeInline(b, m.val)
		}
		b.WriteString("}")
	case []any:
		b.WriteString("[")
		for i, item := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeInline(b, item)
		}
		b.WriteString("]")
	case string:
		writeString(b, v)
	case json.Number:
		b.WriteString(v.String())
	case bool:
		fmt.Fprint(b, v)
	case nil:
		b.WriteString("null")
	default:
		panic(fmt.Sprintf("bundle: no JSON for a %T", v))
	}
}

// writeString writes s as a JSON string, leaving <, > and & as they are
// (encoding/json's default escapes them, for HTML).
func writeString(b *strings.Builder, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
