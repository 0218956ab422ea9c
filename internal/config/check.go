package config

import (
	"slices"
	"strings"

	"github.com/caarlos0/env/v11"

	"github.com/hirebridge/hirebridge/internal/settings"
)

// Checked is environ read for `hirebridge config`: every problem, not only
// the first, and the configuration of everything else.
type Checked struct {
	// Config is the configuration with each variable at fault left at its
	// default, resolved as the service resolves it.
	Config Config
	// Problems are every problem Load could stop at, each once, in the
	// order found; a *settings.VarError where a variable is at fault.
	Problems []error
	// Given are the variables as environ gives them, before any secret
	// was read from its file.
	Given map[string]string
}

// Check reads environ as Load does, but goes on past each problem to find
// the others: the parts' checks stop at their first, and one problem can
// hide another (a value that does not parse is never validated). Each
// round loads what is left, records the problems it meets and removes
// their variables, so that the next round reads their defaults and
// reaches the checks behind them. A round that removes nothing is the
// last, which bounds the rounds by the number of variables. A problem
// whose variable is not set (a relation between two settings, with one
// of them at its default) cannot be removed: it is recorded, and the
// checks behind it in the same part stay unreached.
func Check(environ []string) Checked {
	ch := Checked{Given: env.ToMap(environ)}
	left := environ
	seen := map[string]bool{}
	for {
		cfg, problems := load(left)
		ch.Config = cfg
		removed := false
		for _, p := range problems {
			name := settings.VarOf(p)
			key := name
			if key == "" {
				key = p.Error()
			}
			if !seen[key] {
				seen[key] = true
				ch.Problems = append(ch.Problems, p)
			}
			if name != "" {
				var gone bool
				left, gone = without(left, name, name+"_FILE")
				removed = removed || gone
			}
		}
		if !removed {
			return ch
		}
	}
}

// without is environ without the variables named, and whether any was
// there.
func without(environ []string, names ...string) ([]string, bool) {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out, len(out) < len(environ)
}
