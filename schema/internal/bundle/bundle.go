package bundle

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hirebridge/hirebridge/schema"
)

const (
	// BaseURL starts every published schema's $id; the rest is the file's
	// path under schema/schemas.
	BaseURL = "https://hirebridge.dev/schemas/"
	// Dir is the bundles' directory under schema/schemas.
	Dir = "bundled"
	// defsFile is the shared definitions' file, as the sources name it in
	// their $refs.
	defsFile = "defs.json"
)

// Generate returns the bundle of every documented type (the schema
// catalog's, schema.KnownTypes) from the sources in dir (schema/schemas),
// by file name under dir/bundled.
func Generate(dir string) (map[string][]byte, error) {
	defs, err := os.ReadFile(filepath.Join(dir, defsFile))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, name := range schema.KnownTypes() {
		file := name + ".json"
		src, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return nil, err
		}
		comment := "Generated from ../" + file + " and the definitions it uses from ../" + defsFile +
			" by go generate ./schema/internal/bundle: edit those, not this file. It validates as " + file +
			" does (whose $id the messages name in dataschema), with no other file."
		b, err := Bundle(src, defs, BaseURL+Dir+"/"+file, comment)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out[file] = b
	}
	return out, nil
}

// Bundle returns source (a schema whose $refs name defs.json or its own
// document) as one document: $id set to id, $comment to comment (before
// any the source has), the definitions of defs.json's $defs that it uses,
// directly or through one another, appended to its own $defs in
// defs.json's order, and every $ref to defs.json rewritten to them. Keys
// keep the sources' order. Any other $ref is an error: it could not be
// resolved from the bundle alone.
func Bundle(source, defs []byte, id, comment string) ([]byte, error) {
	srcV, err := parse(source)
	if err != nil {
		return nil, err
	}
	src, ok := srcV.(object)
	if !ok {
		return nil, fmt.Errorf("the schema is not an object")
	}
	defsV, err := parse(defs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", defsFile, err)
	}
	defsDoc, _ := defsV.(object)
	shared, ok := defsDoc.get("$defs")
	if !ok {
		return nil, fmt.Errorf("%s has no $defs", defsFile)
	}
	b := &bundler{shared: shared.(object), used: map[string]bool{}}
	own, _ := src.get("$defs")
	ownDefs, _ := own.(object)

	if err := b.walk(src, true); err != nil {
		return nil, err
	}
	// The definitions used, and those they use, each rewritten once.
	for i := 0; i < len(b.queue); i++ {
		def, _ := b.shared.get(b.queue[i])
		if err := b.walk(def, false); err != nil {
			return nil, fmt.Errorf("%s#/$defs/%s: %w", defsFile, b.queue[i], err)
		}
	}
	merged := append(object{}, ownDefs...)
	for _, m := range b.shared {
		if !b.used[m.key] {
			continue
		}
		if _, clash := ownDefs.get(m.key); clash {
			return nil, fmt.Errorf("$defs/%s is defined both here and in %s", m.key, defsFile)
		}
		merged = append(merged, m)
	}

	if _, ok := src.get("$id"); !ok {
		return nil, fmt.Errorf("the schema has no $id")
	}
	if prev, ok := src.get("$comment"); ok {
		comment += " " + fmt.Sprint(prev)
	}
	var out object
	for _, m := range src {
		switch m.key {
		case "$comment", "$defs":
			continue
		case "$id":
			out = append(out, member{"$id", id}, member{"$comment", comment})
			continue
		}
		out = append(out, m)
	}
	if len(merged) > 0 {
		out = append(out, member{"$defs", merged})
	}
	return encode(out), nil
}

type bundler struct {
	shared object          // defs.json's $defs
	used   map[string]bool // their names the bundle needs
	queue  []string        // the same, in the order found
}

// walk rewrites the $refs of a schema in place; inSource says whether it
// is the source's (where "#" means the source) or one of defs.json's
// definitions (where "#" means defs.json).
func (b *bundler) walk(v any, inSource bool) error {
	switch v := v.(type) {
	case object:
		for i, m := range v {
			switch m.key {
			case "$ref":
				ref, ok := m.val.(string)
				if !ok {
					return fmt.Errorf("$ref %v is not a string", m.val)
				}
				to, err := b.rewrite(ref, inSource)
				if err != nil {
					return err
				}
				v[i].val = to
			case "const", "enum", "examples", "default":
				// Instances, not schemas: a {"$ref": ...} there is data.
			case "properties", "patternProperties", "$defs", "dependentSchemas":
				// Names to schemas: a property may be called "const".
				props, _ := m.val.(object)
				for _, p := range props {
					if err := b.walk(p.val, inSource); err != nil {
						return err
					}
				}
			default:
				if err := b.walk(m.val, inSource); err != nil {
					return err
				}
			}
		}
	case []any:
		for _, item := range v {
			if err := b.walk(item, inSource); err != nil {
				return err
			}
		}
	}
	return nil
}

// rewrite returns what ref becomes in the bundle, noting the definition
// of defs.json it names.
func (b *bundler) rewrite(ref string, inSource bool) (string, error) {
	const defsPointer = "#/$defs/"
	var pointer string
	switch {
	case strings.HasPrefix(ref, defsFile+defsPointer):
		pointer = strings.TrimPrefix(ref, defsFile)
	case strings.HasPrefix(ref, defsPointer) && !inSource:
		pointer = ref
	case strings.HasPrefix(ref, "#") && inSource:
		return ref, nil // the source's own document, kept as it is
	default:
		return "", fmt.Errorf("$ref %q: only %s%s... and the document's own pointers can be bundled", ref, defsFile, defsPointer)
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(pointer, defsPointer), "/")
	name = strings.NewReplacer("~1", "/", "~0", "~").Replace(name)
	if _, ok := b.shared.get(name); !ok {
		return "", fmt.Errorf("$ref %q: %s has no $defs/%s", ref, defsFile, name)
	}
	if !b.used[name] {
		b.used[name] = true
		b.queue = append(b.queue, name)
	}
	return pointer, nil
}
