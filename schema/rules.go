package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// rule is a JSON Schema compiled to what its keywords check. The schemas
// in schemas/ stay the documented truth; the bridge validates from this
// form of them because a generic validator walking a map tree was most of
// a request's CPU. compileRules refuses any keyword it does not implement,
// so a schema cannot say more than is checked, and a fuzz test holds the
// verdicts equal to a full JSON Schema 2020-12 validator's.
type rule struct {
	// types is the set of kinds the value may have; zero means any.
	types typeSet
	// constString is the value a const keyword demands, if hasConst.
	constString string
	hasConst    bool
	// minLength counts runes; -1 when absent.
	minLength int
	required  []string
	// props are the properties' rules, sorted by name as sortMembers
	// sorts an object's members, so the two are walked side by side.
	props []property
	items *rule
}

type property struct {
	name string
	rule *rule
}

// typeSet holds JSON types as bits, in the order JSON Schema validators
// list them in messages.
type typeSet uint8

const (
	typeNull typeSet = 1 << iota
	typeBoolean
	typeNumber
	typeString
	typeArray
	typeObject
)

var typeNames = [...]struct {
	bit  typeSet
	name string
}{
	{typeNull, "null"}, {typeBoolean, "boolean"}, {typeNumber, "number"},
	{typeString, "string"}, {typeArray, "array"}, {typeObject, "object"},
}

func (s typeSet) String() string {
	var names []string
	for _, t := range typeNames {
		if s&t.bit != 0 {
			names = append(names, t.name)
		}
	}
	return strings.Join(names, " or ")
}

func typeOfKind(kind byte) typeSet {
	switch kind {
	case 'n':
		return typeNull
	case 't', 'f':
		return typeBoolean
	case '0':
		return typeNumber
	case '"':
		return typeString
	case '[':
		return typeArray
	}
	return typeObject
}

// annotations are keywords that describe and never reject.
var annotations = []string{"$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly", "format", "$defs"}

// ruleCompiler builds rules from the schema documents, following $refs
// between them.
type ruleCompiler struct {
	docs map[string]map[string]any // by file name
	done map[string]*rule          // by "file#pointer"
}

func (c *ruleCompiler) compile(file, pointer string) (*rule, error) {
	key := file + "#" + pointer
	if r, ok := c.done[key]; ok {
		return r, nil
	}
	doc, ok := c.docs[file]
	if !ok {
		return nil, fmt.Errorf("no schema file %s", file)
	}
	var v any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		if tok == "" {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %s does not resolve", file, pointer)
		}
		if v, ok = m[tok]; !ok {
			return nil, fmt.Errorf("%s: %s does not resolve", file, pointer)
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s#%s: a schema must be an object", file, pointer)
	}
	r := &rule{minLength: -1}
	// Stored before its parts compile, so a schema that refers to itself
	// gets this rule back.
	c.done[key] = r
	at := func(kw string) string { return file + "#" + pointer + "/" + kw }
	for kw, val := range m {
		switch kw {
		case "$ref":
			ref, _ := val.(string)
			if len(m) > 1 && !onlyAnnotationsBeside(m) {
				return nil, fmt.Errorf("%s: $ref beside other assertions is not supported", at(kw))
			}
			target, frag, _ := strings.Cut(ref, "#")
			if target == "" {
				target = file
			}
			resolved, err := c.compile(target, frag)
			if err != nil {
				return nil, err
			}
			c.done[key] = resolved
			return resolved, nil
		case "type":
			names, err := stringList(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", at(kw), err)
			}
			for _, name := range names {
				i := slices.IndexFunc(typeNames[:], func(t struct {
					bit  typeSet
					name string
				}) bool {
					return t.name == name
				})
				if i < 0 {
					return nil, fmt.Errorf("%s: type %q is not supported", at(kw), name)
				}
				r.types |= typeNames[i].bit
			}
		case "const":
			s, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("%s: only string constants are supported", at(kw))
			}
			r.constString, r.hasConst = s, true
		case "minLength":
			n, ok := val.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil || i < 0 {
				return nil, fmt.Errorf("%s: not a count", at(kw))
			}
			r.minLength = int(i)
		case "required":
			names, err := stringList(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", at(kw), err)
			}
			r.required = names
		case "properties":
			props, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: not an object", at(kw))
			}
			for name := range props {
				p, err := c.compile(file, pointer+"/properties/"+name)
				if err != nil {
					return nil, err
				}
				r.props = append(r.props, property{name, p})
			}
			slices.SortFunc(r.props, func(a, b property) int { return strings.Compare(a.name, b.name) })
		case "items":
			items, err := c.compile(file, pointer+"/items")
			if err != nil {
				return nil, err
			}
			r.items = items
		default:
			if !slices.Contains(annotations, kw) {
				return nil, fmt.Errorf("%s: keyword %s is not supported by the compiled validator", at(kw), kw)
			}
		}
	}
	return r, nil
}

func onlyAnnotationsBeside(m map[string]any) bool {
	for kw := range m {
		if kw != "$ref" && !slices.Contains(annotations, kw) {
			return false
		}
	}
	return true
}

func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("a list of strings is expected")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("a string or a list of strings is expected")
}
