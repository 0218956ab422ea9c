package settings

import (
	"errors"
	"fmt"

	"github.com/hirebridge/hirebridge/sinks"
)

// VarError is a bad value: the variable at fault and what is wrong with
// it, in an operator's words. Its text is one line, "<variable>: <problem>",
// which is what the service stops with; `hirebridge config` marks the
// variable's row with the problem alone.
type VarError struct {
	Var     string
	Problem string
}

func (e *VarError) Error() string { return e.Var + ": " + e.Problem }

func varErrorf(name, format string, args ...any) *VarError {
	return &VarError{Var: name, Problem: fmt.Sprintf(format, args...)}
}

// VarOf is the variable err names, or "" when it names none.
func VarOf(err error) string {
	var ve *VarError
	if errors.As(err, &ve) {
		return ve.Var
	}
	return ""
}

// NameField names the variable behind a field a part refused, at its
// validation or when it opened a file the field names: a
// *sinks.FieldError, whose section sections maps to the path of the part
// in the composed configuration, or whose field shared maps to the
// variable of a setting the binary gives several parts. The result is a
// *VarError; other errors are returned as they are.
func NameField(err error, all []Setting, sections, shared map[string]string) error {
	var fe *sinks.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	path := sections[fe.Section] + "." + fe.Field
	for _, s := range all {
		if s.Path == path {
			return &VarError{Var: s.Var, Problem: fe.Problem}
		}
	}
	if v, ok := shared[fe.Field]; ok {
		return &VarError{Var: v, Problem: fe.Problem}
	}
	return err
}
