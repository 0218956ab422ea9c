package settings

import (
	"bytes"
	"fmt"
	"io"
	"text/tabwriter"
)

// Row is a line of the printed table.
type Row struct {
	Var, Default, Value string
	// Note says what the value alone does not: where it came from, the
	// value in use where it is automatic, or what is wrong with it.
	Note string
}

// Rows is a row for each setting, its value as Display shows it, each
// secret followed by a row for its <NAME>_FILE, whose value is the path
// vars gives (a path is not a secret). A secret read from its file says
// so in its note, a zero that is a choice (the zero tag) what it does,
// and a deprecated variable that it is ignored and why, set or not. vars
// are the variables as given, before any secret was read.
func Rows(all []Setting, vars map[string]string) []Row {
	var rows []Row
	for _, s := range all {
		row := Row{Var: s.Var, Default: s.Default, Value: s.Display()}
		if s.ZeroMeans != "" && s.Value.IsZero() {
			row.Note = s.ZeroMeans
		}
		if s.Deprecated != "" {
			row.Note = "deprecated, ignored: " + s.Deprecated
		}
		if !s.Secret {
			rows = append(rows, row)
			continue
		}
		file := s.Var + "_FILE"
		if vars[s.Var] == "" && vars[file] != "" && !s.Value.IsZero() {
			row.Note = "from " + file
		}
		rows = append(rows, row, Row{Var: file, Value: vars[file]})
	}
	return rows
}

// Print writes rows as a table under VARIABLE, DEFAULT, VALUE and NOTE,
// "-" standing for an empty default or value so that every column has a
// word to read.
func Print(w io.Writer, rows []Row) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tVALUE\tNOTE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Var, orDash(r.Default), orDash(r.Value), r.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// tabwriter pads the VALUE column of rows without a note: trailing
	// spaces a reader cannot see but a grep for the line's end trips on.
	_, err := w.Write(trimLineEnds(buf.Bytes()))
	return err
}

func trimLineEnds(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	out := make([]byte, 0, len(b))
	for _, l := range lines {
		trimmed := bytes.TrimRight(l, " \n")
		out = append(out, trimmed...)
		if bytes.HasSuffix(l, []byte("\n")) {
			out = append(out, '\n')
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
