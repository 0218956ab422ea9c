package config

import (
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/hirebridge/hirebridge/internal/settings"
)

// Print is `hirebridge config`'s table: every variable, each secret's
// <NAME>_FILE among them, its default, the value in effect (secrets
// masked) and a note: the problem with a bad value, which shows the value
// as given; where a secret was read from; what a zero means; the value in
// use of a setting left to the service; a variable of the sink not
// chosen; a deprecated variable, ignored (settings.Rows says why).
// Problems that name no variable follow the table.
func (ch Checked) Print(w io.Writer) error {
	c := ch.Config
	all := settings.Of(&c, Prefix)
	byVar := map[string]settings.Setting{}
	for _, s := range all {
		byVar[s.Var] = s
	}
	problems := map[string]string{}
	var unnamed []string
	for _, p := range ch.Problems {
		var ve *settings.VarError
		if errors.As(p, &ve) {
			problems[ve.Var] = ve.Problem
		} else {
			unnamed = append(unnamed, p.Error())
		}
	}
	auto := c.automatic()
	rows := settings.Rows(all, ch.Given)
	for i, r := range rows {
		s, isSetting := byVar[r.Var]
		if problem, bad := problems[r.Var]; bad {
			rows[i] = ch.badRow(r, s, isSetting, problem)
			continue
		}
		var notes []string
		if r.Note != "" {
			notes = append(notes, r.Note)
		}
		if a, ok := auto[r.Var]; ok {
			if a.inSetting {
				r.Value = ""
			}
			notes = append(notes, a.note())
		}
		if slices.Contains(c.IgnoredVars, r.Var) {
			notes = append(notes, "ignored: "+Prefix+"SINK is "+c.Sink)
		}
		r.Note = strings.Join(notes, "; ")
		rows[i] = r
	}
	if err := settings.Print(w, rows); err != nil {
		return err
	}
	if err := c.printSources(w); err != nil {
		return err
	}
	for _, p := range unnamed {
		if _, err := io.WriteString(w, "PROBLEM: "+p+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// badRow marks a row with its problem, showing the value as given rather
// than the default Check put in its place (masked if a secret); a setting
// not given at all (a problem of its default beside another setting)
// shows its default.
func (ch Checked) badRow(r settings.Row, s settings.Setting, isSetting bool, problem string) settings.Row {
	r.Note = "PROBLEM: " + problem
	if !isSetting {
		return r // a <NAME>_FILE, whose value is already the path given
	}
	file := r.Var + "_FILE"
	raw, given := ch.Given[r.Var]
	switch {
	case s.Secret && raw == "" && ch.Given[file] != "":
		r.Value = "REDACTED"
		r.Note += "; from " + file
	case given:
		r.Value = s.DisplayText(raw)
	}
	return r
}
