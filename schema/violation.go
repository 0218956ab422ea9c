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
	leaf := firstLeaf(ve)
	loc := leaf.InstanceLocation
	if req, ok := leaf.ErrorKind.(*kind.Required); ok && len(req.Missing) > 0 {
		loc = append(append([]string(nil), loc...), req.Missing[0])
		return reject(ReasonSchema, pointer(loc), "%s requires %s", name, pointer(loc))
	}
	return reject(ReasonSchema, pointer(loc), "%s: %s %s", name, pointer(loc), leaf.ErrorKind.LocalizedString(englishPrinter))
}

func firstLeaf(ve *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	return ve
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
