package asyncapi

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The official AsyncAPI parser (@asyncapi/parser, from npm) runs on Node:
// .ci/asyncapi holds it and the script that fails on any error it reports.
var checker = filepath.Join("..", "..", "..", ".ci", "asyncapi")

// validate runs the official parser on path; it skips, saying why, when
// Node or the parser is not installed (.ci/run installs both before the
// tests).
func validate(t *testing.T, path string) (string, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skips the official AsyncAPI parser (Node, a second or two a run) on the document and on what it must refuse")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the official AsyncAPI parser runs on Node")
	}
	if _, err := os.Stat(filepath.Join(checker, "node_modules", "@asyncapi", "parser")); err != nil {
		t.Skip("@asyncapi/parser is not installed: npm ci --prefix .ci/asyncapi (as .ci/run does)")
	}
	out, err := exec.Command(node, filepath.Join(checker, "validate.mjs"), path).CombinedOutput()
	return string(out), err
}

// TestOfficialParserAcceptsDocument: the committed document is valid
// AsyncAPI by the official parser, every relative schema file resolved
// from disk and no URL fetched.
func TestOfficialParserAcceptsDocument(t *testing.T) {
	t.Parallel()
	out, err := validate(t, committed)
	if err != nil {
		t.Fatalf("the AsyncAPI parser refuses schema/asyncapi.yaml: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))
}

// TestOfficialParserCheckFails: the check fails on what it must refuse,
// so a green run means something.
func TestOfficialParserCheckFails(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"invalid":         "asyncapi: 3.0.0\ninfo:\n  title: no version\nchannels: {}\n",
		"missing file":    minimal("./nowhere.json"),
		"a URL reference": minimal("https://hirebridge.dev/schemas/job_added.json"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "asyncapi.yaml")
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := validate(t, path); err == nil {
				t.Errorf("the check passed:\n%s", out)
			}
		})
	}
}

func minimal(payloadRef string) string {
	return "asyncapi: 3.0.0\ninfo:\n  title: t\n  version: '1'\nchannels:\n  c:\n    address: c\n    messages:\n      m:\n        payload:\n          $ref: '" + payloadRef + "'\n"
}
