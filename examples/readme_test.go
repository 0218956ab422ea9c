// Package examples_test holds the consumer examples' check against the
// manual (docs/consuming.md): each code block it marks with <!-- file: PATH --> (or
// <!-- file: PATH func NAME --> for one Go function and its doc comment)
// is the file's text, so the manual shows the code the tests run.
package examples_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// marker is an include marker and the fenced block right after it.
var marker = regexp.MustCompile("(?m)^<!-- file: (\\S+)(?: func (\\w+))? -->\\n```\\w*\\n((?s:.*?))^```$")

func TestREADMEShowsTheExamples(t *testing.T) {
	root := filepath.Join("..")
	// The consumer examples are shown on the manual's page for them.
	readme, err := os.ReadFile(filepath.Join(root, "docs", "consuming.md"))
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, m := range marker.FindAllSubmatch(readme, -1) {
		path, fn, block := string(m[1]), string(m[2]), string(m[3])
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
		if err != nil {
			t.Errorf("docs/consuming.md includes %s: %v", path, err)
			continue
		}
		want := string(src)
		if fn != "" {
			want = funcSource(t, path, src, fn)
			path += " func " + fn
		}
		if block != want {
			t.Errorf("docs/consuming.md's block of %s differs from the file; copy it again:\n%s", path, want)
		}
		shown = append(shown, path)
	}
	// The examples the tests and .ci/consumers run are the ones shown.
	for _, want := range []string{
		"examples/consume-nats/main.go func consume",
		"examples/consume-nats/main.go func printer",
		"examples/consume-kafka/main.go func consume",
		"examples/consume-ts/src/consume.ts",
		"examples/consume-python/consume.py",
	} {
		if !slices.Contains(shown, want) {
			t.Errorf("docs/consuming.md does not show %s (it shows %q)", want, shown)
		}
	}
}

// funcSource is the text of the top-level function name in a Go file, from
// its doc comment to its closing brace, with the newline after it.
func funcSource(t *testing.T, path string, src []byte, name string) string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != name || fd.Recv != nil {
			continue
		}
		start := fd.Pos()
		if fd.Doc != nil {
			start = fd.Doc.Pos()
		}
		text := src[fset.Position(start).Offset:fset.Position(fd.End()).Offset]
		return string(bytes.TrimRight(text, "\n")) + "\n"
	}
	t.Fatalf("%s has no func %s", path, name)
	return ""
}
