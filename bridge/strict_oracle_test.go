package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hirebridge/hirebridge/schema"
)

// pythonStrict is what a strict consumer (Python's json with a duplicate
// check and parse_constant refusing Infinity, or serde_json) would take,
// written apart from the bridge's decoder on encoding/json's tokenizer: the
// fuzz target holds every accepted body to it.
func pythonStrict(body []byte) error {
	if !utf8.Valid(body) {
		return errors.New("invalid UTF-8")
	}
	if err := noLoneSurrogates(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// names holds the member names seen in each open object; nil for arrays.
	var names []map[string]bool
	expectName := func() bool { return len(names) > 0 && names[len(names)-1] != nil }
	var nameNext bool
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if len(names) == schema.MaxDepth {
					return errors.New("deeper than 32")
				}
				if v == '{' {
					names = append(names, map[string]bool{})
				} else {
					names = append(names, nil)
				}
			default:
				names = names[:len(names)-1]
			}
			nameNext = expectName()
			continue
		case string:
			if strings.ContainsRune(v, 0) {
				return errors.New("NUL")
			}
			if nameNext {
				if names[len(names)-1][v] {
					return fmt.Errorf("duplicate name %q", v)
				}
				names[len(names)-1][v] = true
				nameNext = false
				continue
			}
		case json.Number:
			if f, _ := strconv.ParseFloat(string(v), 64); math.IsInf(f, 0) {
				return fmt.Errorf("%s is infinite as a double", v)
			}
		}
		nameNext = expectName()
	}
}

// noLoneSurrogates scans the escapes inside JSON strings, which
// encoding/json would turn into U+FFFD without a word.
func noLoneSurrogates(body []byte) error {
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case !inString:
			inString = c == '"'
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(body):
			if body[i+1] != 'u' || i+6 > len(body) {
				i++
				continue
			}
			r1, err := strconv.ParseUint(string(body[i+2:i+6]), 16, 32)
			if err != nil {
				return err
			}
			i += 5
			if !utf16.IsSurrogate(rune(r1)) {
				continue
			}
			if i+7 > len(body) || body[i+1] != '\\' || body[i+2] != 'u' {
				return errors.New("lone surrogate")
			}
			r2, err := strconv.ParseUint(string(body[i+3:i+7]), 16, 32)
			if err != nil || utf16.DecodeRune(rune(r1), rune(r2)) == utf8.RuneError {
				return errors.New("lone surrogate")
			}
			i += 6
		}
	}
	return nil
}

// normalizedValue is the JSON value a published event stands for, worked
// out from the sender's body without the bridge's decoder or encoder: the
// body read by encoding/json, the contract's normalization applied, encoded
// with sorted keys. Two accepted bodies may share an id only when these
// are equal.
func normalizedValue(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return "", err
	}
	name, _ := doc["event"].(string)
	doc["event"] = strings.ToLower(strings.TrimSpace(name))
	var err error
	if doc["timestamp"], err = schema.NormalizeTime(doc["timestamp"]); err != nil {
		return "", err
	}
	if m, ok := doc["meeting"].(map[string]any); ok && m["scheduled_at"] != nil {
		if m["scheduled_at"], err = schema.NormalizeTime(m["scheduled_at"]); err != nil {
			return "", err
		}
	}
	if c, ok := doc["company"].(map[string]any); ok && c["name"] == nil {
		if alias, ok := c["company"]; ok {
			c["name"] = alias
		}
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// The oracle itself must tell the cases apart, or the fuzz target checks
// nothing.
func TestPythonStrictOracle(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"{\"a\":\"\xff\"}", `{"a":"\ud800"}`, `{"a":"\udc00\ud800"}`, `{"a":1,"a":2}`, `{"a":[{"b":1,"b":1}]}`,
		`{"a":1e400}`, `{"a":"\u0000"}`, `{"\u0000":1}`,
		`{"a":` + strings.Repeat("[", schema.MaxDepth) + strings.Repeat("]", schema.MaxDepth) + `}`,
	} {
		if pythonStrict([]byte(bad)) == nil {
			t.Errorf("pythonStrict accepts %q", bad)
		}
	}
	for _, good := range []string{
		`{"a":"\\ud800","b":"\ud83d\ude00","c":[{"a":1},{"a":1}],"d":1e-400,"e":"\\u0000"}`,
		`{"a":` + strings.Repeat("[", schema.MaxDepth-1) + strings.Repeat("]", schema.MaxDepth-1) + `}`,
	} {
		if err := pythonStrict([]byte(good)); err != nil {
			t.Errorf("pythonStrict refuses %q: %v", good, err)
		}
	}
}
