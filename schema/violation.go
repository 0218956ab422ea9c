package schema

import (
	"errors"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var englishPrinter = message.NewPrinter(language.English)

// schemaRejection turns a validation error into one actionable line: the
// JSON pointer of the first failing member and what is wrong with it. The
// schemas use no enum or const keywords, so details never echo payload
// values (which may be personal data).
func schemaRejection(name string, err error) *Rejection {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return reject(ReasonSchema, "", "%s: %v", name, err)
	}
	leaf, loc := firstLeaf(ve)
	if _, ok := leaf.ErrorKind.(*kind.Required); ok {
		return reject(ReasonSchema, pointer(loc), "%s requires %s", name, pointer(loc))
	}
	return reject(ReasonSchema, pointer(loc), "%s: %s %s", name, pointer(loc), leaf.ErrorKind.LocalizedString(englishPrinter))
}

// firstLeaf picks the failure to report, with the location it names (for a
// missing member, the member). The validator visits object members in map
// order, so with several failures the order of Causes changes from run to
// run: the failure with the smallest JSON pointer is taken, so that one body
// always gets one answer.
func firstLeaf(ve *jsonschema.ValidationError) (*jsonschema.ValidationError, []string) {
	var best *jsonschema.ValidationError
	var bestLoc []string
	var bestPointer string
	var visit func(*jsonschema.ValidationError)
	visit = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				visit(c)
			}
			return
		}
		loc := e.InstanceLocation
		if req, ok := e.ErrorKind.(*kind.Required); ok && len(req.Missing) > 0 {
			loc = append(append([]string(nil), loc...), req.Missing[0])
		}
		if p := pointer(loc); best == nil || p < bestPointer {
			best, bestLoc, bestPointer = e, loc, p
		}
	}
	visit(ve)
	return best, bestLoc
}

func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}
