package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hirebridge/hirebridge/internal/settings"
)

// UnknownVar is a HIREBRIDGE_* variable no setting reads.
type UnknownVar struct {
	Name string
	// DidYouMean is the known variable closest to Name, when one is close
	// enough to be a slip of the keyboard; empty otherwise.
	DidYouMean string
}

// String says both, for people.
func (u UnknownVar) String() string {
	if u.DidYouMean != "" {
		return fmt.Sprintf("%s is not a hirebridge variable; did you mean %s?", u.Name, u.DidYouMean)
	}
	return fmt.Sprintf("%s is not a hirebridge variable; `hirebridge config` lists them", u.Name)
}

// Unknown lists the HIREBRIDGE_* variables of environ that no setting
// reads, sorted by name. A misspelt variable would otherwise be ignored
// without a word, its setting left at its default.
func Unknown(environ []string) []UnknownVar {
	known := KnownVars()
	var out []UnknownVar
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, Prefix) || slices.Contains(known, name) {
			continue
		}
		out = append(out, UnknownVar{Name: name, DidYouMean: closest(name, known)})
	}
	slices.SortFunc(out, func(a, b UnknownVar) int { return strings.Compare(a.Name, b.Name) })
	return slices.Compact(out)
}

// KnownVars is every variable hirebridge reads: each setting's, and the
// <NAME>_FILE of each secret.
func KnownVars() []string {
	var vars []string
	for _, s := range settings.Of(&Config{}, Prefix) {
		vars = append(vars, s.Var)
		if s.Secret {
			vars = append(vars, s.Var+"_FILE")
		}
	}
	return vars
}

// closest is the known name nearest to name, when it is within a third of
// the name's length past the prefix (at least one edit): beyond that a
// suggestion is a guess that misleads more than it helps.
func closest(name string, known []string) string {
	best, bestDist := "", len(name)
	limit := max(1, (len(name)-len(Prefix))/3)
	for _, k := range known {
		if d := editDistance(name, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of two ASCII names, with
// adjacent transpositions counted as one edit (STRICK, STIRCT).
func editDistance(a, b string) int {
	// Three rows of the dynamic programme: two back for transpositions.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
