package asyncapi

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The generator builds the document as ordered mappings (obj), lists and
// scalars, and hands the encoder a yaml.Node tree rather than Go maps: a
// map would be written in sorted key order, the generator's order reads
// top-down as the document is meant to be read. The styles are chosen here,
// not left to the encoder, so the output depends on the generator alone.

// obj is a mapping whose keys keep their order.
type obj []field

type field struct {
	key string
	val any // string, bool, int, obj, []any
}

// set returns o with key = val appended.
func (o obj) set(key string, val any) obj { return append(o, field{key, val}) }

func encode(doc obj) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(node(doc)); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func node(v any) *yaml.Node {
	switch v := v.(type) {
	case obj:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, f := range v {
			n.Content = append(n.Content, key(f.key), node(f.val))
		}
		return emptyInline(n)
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, item := range v {
			n.Content = append(n.Content, node(item))
		}
		return emptyInline(n)
	case string:
		return text(v)
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
	}
	panic(fmt.Sprintf("asyncapi: no YAML for a %T", v))
}

// emptyInline writes an empty mapping or list as {} or [], on its key's
// line: block style has no way to write one.
func emptyInline(n *yaml.Node) *yaml.Node {
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

// text is a string value, always double-quoted so that none is read back
// as something else ("1.0" as a number, "no" as a boolean by YAML 1.1
// readers). Prose spanning lines is a literal block instead, which keeps
// its line breaks as written; the encoder falls back to double quotes when
// a block cannot hold it (a line ending in a space).
func text(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

// plainKey matches keys that need no quotes in YAML 1.2 (and 1.1: none is
// a boolean or null word there either, see keyword).
var plainKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$.-]*$`)

// key is a mapping key: plain when any YAML reader takes it for the same
// string, else double-quoted. The encoder alone would write YAML 1.1's
// boolean words (on, yes, n) plain, which 1.1 readers take for booleans.
func key(k string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}
	if !plainKey.MatchString(k) || keyword(k) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func keyword(s string) bool {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return true
	}
	return false
}
