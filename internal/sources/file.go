// Package sources reads HIREBRIDGE_SOURCES_FILE, the list of the bridge's
// sources with their tokens, and watches it for changes.
package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hirebridge/hirebridge/bridge"
)

// Defaults are what a source leaves out: the service's own
// HIREBRIDGE_EVENT_SOURCE and HIREBRIDGE_STRICT.
type Defaults struct {
	EventSource string
	Strict      bool
}

// entry is one source as written. JSON is YAML, so one decoder reads both.
type entry struct {
	Name   string   `yaml:"name"`
	Tokens []string `yaml:"tokens"`
	Source *string  `yaml:"source"`
	Strict *bool    `yaml:"strict"`
}

// Read reads and checks the file at path. Its errors are one line naming
// the file and, where there is one, the line at fault; they never quote a
// token.
func Read(path string, d Defaults) ([]bridge.Source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	srcs, err := Parse(data, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return srcs, nil
}

// Parse reads a list of sources from JSON or YAML.
func Parse(data []byte, d Defaults) ([]bridge.Source, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, noQuotes(err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.SequenceNode {
		line := 1
		if len(doc.Content) > 0 {
			line = doc.Content[0].Line
		}
		return nil, fmt.Errorf("line %d: want a list of sources, each with a name and tokens", line)
	}
	var out []bridge.Source
	for _, item := range doc.Content[0].Content {
		src, err := parseEntry(item, d)
		if err != nil && strings.HasPrefix(err.Error(), "line ") {
			return nil, err // a value's own line, more precise than the entry's
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", item.Line, err)
		}
		// Checked one at a time, so the line is the entry's.
		if err := bridge.ValidateSources(append(out, src)); err != nil {
			return nil, fmt.Errorf("line %d: %w", item.Line, err)
		}
		out = append(out, src)
	}
	if err := bridge.ValidateSources(out); err != nil {
		return nil, fmt.Errorf("line %d: %w", doc.Content[0].Line, err)
	}
	return out, nil
}

func parseEntry(item *yaml.Node, d Defaults) (bridge.Source, error) {
	if item.Kind != yaml.MappingNode {
		return bridge.Source{}, errors.New("each source is an object with a name and tokens")
	}
	known := map[string]bool{"name": true, "tokens": true, "source": true, "strict": true}
	for i := 0; i < len(item.Content); i += 2 {
		if k := item.Content[i]; !known[k.Value] {
			return bridge.Source{}, fmt.Errorf("%q is not a field of a source: name, tokens, source, strict", k.Value)
		}
	}
	var e entry
	if err := item.Decode(&e); err != nil {
		return bridge.Source{}, noQuotes(err)
	}
	src := bridge.Source{Name: e.Name, Tokens: e.Tokens, EventSource: d.EventSource, Strict: d.Strict}
	if e.Source != nil {
		src.EventSource = *e.Source
	}
	if e.Strict != nil {
		src.Strict = *e.Strict
	}
	return src, nil
}

// noQuotes keeps a decoder's error from quoting the file's text, which may
// be a token: a YAML error names the line and what was expected.
func noQuotes(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		where, _, _ := strings.Cut(te.Errors[0], ": ")
		return fmt.Errorf("%s: a value is of the wrong type (name and source are strings, tokens a list of strings, strict true or false)", where)
	}
	return err
}
