package events_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema/events"
)

// DeadLetterReasons lists every reason a dead letter can be written with:
// each Reason constant of package schema (the bridge writes a rejection's
// Reason as the header), read from its source so that a new one cannot be
// left out, and the sinks' ReasonUndeliverable; and nothing else.
func TestDeadLetterReasonsAreEveryReasonWritten(t *testing.T) {
	t.Parallel()
	written := append(schemaReasons(t), events.ReasonUndeliverable)
	listed := events.DeadLetterReasons()
	if dup := duplicates(listed); len(dup) > 0 {
		t.Errorf("DeadLetterReasons lists %v more than once", dup)
	}
	for _, r := range written {
		if !slices.Contains(listed, r) {
			t.Errorf("the reason %q can be written on a dead letter but is not in events.DeadLetterReasons (schema/events/deadletters.go)", r)
		}
	}
	for _, r := range listed {
		if !slices.Contains(written, r) {
			t.Errorf("events.DeadLetterReasons lists %q, which nothing writes", r)
		}
	}
}

// The list is the caller's: changing it changes nobody else's.
func TestDeadLetterReasonsIsACopy(t *testing.T) {
	t.Parallel()
	mine := events.DeadLetterReasons()
	mine[0] = "changed"
	if events.DeadLetterReasons()[0] == "changed" {
		t.Error("DeadLetterReasons returned the package's own slice")
	}
}

// schemaReasons are the values of the constants of type Reason declared in
// package schema's source (one directory up), tests left out.
func schemaReasons(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				typed := isIdent(vs.Type, "Reason")
				for _, v := range vs.Values {
					// Reason("code") declares one as well as a typed constant.
					if call, ok := v.(*ast.CallExpr); ok && isIdent(call.Fun, "Reason") && len(call.Args) == 1 {
						v, typed = call.Args[0], true
					}
					if lit, ok := v.(*ast.BasicLit); ok && typed && lit.Kind == token.STRING {
						s, err := strconv.Unquote(lit.Value)
						if err != nil {
							t.Fatal(err)
						}
						reasons = append(reasons, s)
					}
				}
			}
		}
	}
	if len(reasons) == 0 {
		t.Fatal("no Reason constants found in package schema: has it moved?")
	}
	return reasons
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func duplicates(list []string) []string {
	var dup []string
	for i, s := range list {
		if slices.Contains(list[:i], s) && !slices.Contains(dup, s) {
			dup = append(dup, s)
		}
	}
	return dup
}
