package sources

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/bridge"
)

const (
	tokA = "acme-token-0123456789"
	tokB = "acme-token-abcdefghij"
	tokC = "globex-token-0123456789"
)

var defaults = Defaults{EventSource: "https://app.hirempire.com", Strict: false}

func TestParseYAMLAndJSON(t *testing.T) {
	t.Parallel()
	want := []bridge.Source{
		{Name: "acme", Tokens: []string{tokA, tokB}, EventSource: "https://app.hirempire.com"},
		{Name: "globex", Tokens: []string{tokC}, EventSource: "https://globex.example", Strict: true},
	}
	files := map[string]string{
		"yaml": `
- name: acme
  tokens: [` + tokA + `, ` + tokB + `]
- name: globex
  tokens:
    - ` + tokC + `
  source: https://globex.example
  strict: true
`,
		"json": `[{"name":"acme","tokens":["` + tokA + `","` + tokB + `"]},
 {"name":"globex","tokens":["` + tokC + `"],"source":"https://globex.example","strict":true}]`,
	}
	for format, text := range files {
		got, err := Parse([]byte(text), defaults)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", format, got, want)
		}
	}
}

// TestParseErrors: one line, naming the line at fault, never a token.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, text, want string }{
		{"not yaml", "- name: acme\n  tokens: [" + tokA + "\n", "line "},
		{"not a list", "name: acme\n", "line 1: want a list of sources"},
		{"empty", "", "want a list of sources"},
		{"no name", "- tokens: [" + tokA + "]\n", "line 1: source 1: name"},
		{"bad name", "- name: acme\n  tokens: [" + tokA + "]\n- name: Acme Corp\n  tokens: [" + tokC + "]\n", "line 3: source 2: name \"Acme Corp\""},
		{"no tokens", "- name: acme\n  tokens: []\n", "line 1: source \"acme\": tokens must list at least one token"},
		{"short token", "- name: acme\n  tokens: [short]\n", "line 1: source \"acme\": token 1 must be at least 16 characters"},
		{"twice", "- name: acme\n  tokens: [" + tokA + "]\n- name: acme\n  tokens: [" + tokC + "]\n", "line 3: source \"acme\": the name is given twice"},
		{"shared token", "- name: acme\n  tokens: [" + tokA + "]\n- name: globex\n  tokens: [" + tokA + "]\n", "line 3: source \"globex\": token 1 is also a token of source \"acme\""},
		{"unknown field", "- name: acme\n  token: [" + tokA + "]\n", "line 1: \"token\" is not a field of a source"},
		{"wrong type", "- name: acme\n  tokens: [" + tokA + "]\n  strict: " + tokB + "\n", "line 3: a value is of the wrong type"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.text), defaults)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: the error %q is more than one line", c.name, err)
		}
		for _, tok := range []string{tokA, tokB, tokC} {
			if strings.Contains(err.Error(), tok) {
				t.Errorf("%s: the error %q quotes a token", c.name, err)
			}
		}
	}
}

func TestReadNamesTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(path, []byte("- name: acme\n  tokens: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path, defaults)
	if err == nil || !strings.HasPrefix(err.Error(), path+": line 1: ") {
		t.Errorf("Read: %v, want an error starting with the file and line", err)
	}
}
