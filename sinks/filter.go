package sinks

import (
	"fmt"
	"strings"
)

// Filters name subjects or topics with NATS's wildcards, on both brokers:
// names are dot-separated tokens, "*" stands for exactly one token and ">"
// for the rest of the name. `hirebridge tail` takes the same filter on
// Kafka as on NATS, so one command follows the same events on either.

// CheckPattern says why filter is not a usable pattern, or nil. A wildcard
// inside a token, as in "hirempire.job_*", matches only a name with that
// literal token, which no event name can be, so it would wait forever in
// silence: it is refused with an explanation instead.
func CheckPattern(filter string) error {
	tokens := strings.Split(filter, ".")
	for i, tok := range tokens {
		switch {
		case tok == "":
			return fmt.Errorf("%q has an empty token: subjects are dot-separated tokens", filter)
		case tok == ">" && i != len(tokens)-1:
			return fmt.Errorf("%q: '>' matches the rest of a subject, so it can only be the last token", filter)
		case tok != "*" && tok != ">" && strings.ContainsAny(tok, "*>"):
			return fmt.Errorf("%q: NATS wildcards match whole tokens: '*' stands for one token and '>' for the rest, so %q matches only a subject with that literal token; use e.g. %q, or %q and filter yourself",
				filter, tok, strings.Join(append(tokens[:i:i], "*"), "."), strings.Join(append(tokens[:i:i], ">"), "."))
		}
	}
	return nil
}

// Overlap reports whether some name matches both patterns.
func Overlap(a, b string) bool {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(at) && i < len(bt); i++ {
		if at[i] == ">" || bt[i] == ">" {
			return true
		}
		if at[i] != "*" && bt[i] != "*" && at[i] != bt[i] {
			return false
		}
	}
	return len(at) == len(bt)
}

// Matches reports whether the literal name matches filter.
func Matches(filter, name string) bool { return Overlap(filter, name) }
