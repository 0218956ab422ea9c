package settings

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/hirebridge/hirebridge/sinks"
)

// Print writes a table of every setting: its variable, its default and the
// value in effect, as Display shows it unless shown has another word for
// it (by variable).
func Print(w io.Writer, all []Setting, shown map[string]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tVALUE")
	for _, s := range all {
		value, ok := shown[s.Var]
		if !ok {
			value = s.Display()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Var, orDash(s.Default), orDash(value))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// NameField names the variable behind a field a part refused, at its
// validation or when it opened a file the field names: a
// *sinks.FieldError, whose section sections maps to the path of the part
// in the composed configuration, or whose field shared maps to the
// variable of a setting the binary gives several parts. Other errors are
// returned as they are.
func NameField(err error, all []Setting, sections, shared map[string]string) error {
	var fe *sinks.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	path := sections[fe.Section] + "." + fe.Field
	for _, s := range all {
		if s.Path == path {
			return fmt.Errorf("%s: %s", s.Var, fe.Problem)
		}
	}
	if v, ok := shared[fe.Field]; ok {
		return fmt.Errorf("%s: %s", v, fe.Problem)
	}
	return err
}
