package schema

import (
	"strings"
	"unicode/utf8"

	"github.com/hirebridge/hirebridge/schema/events"
)

// MaxNameLength bounds event names so that a subject or topic built from one
// stays well within broker limits.
const MaxNameLength = 128

// NormalizeName trims and lowercases an event name and checks it can safely
// become the last part of a subject or topic: it must match
// ^[a-z0-9][a-z0-9_.-]{0,127}$, not end with "." and not contain "..".
// Nothing it accepts can be a NATS wildcard, a space or a path.
func NormalizeName(raw string) (string, bool) {
	trimmed := strings.TrimSpace(raw)
	// Non-ASCII is refused before lowercasing: Unicode lowercasing maps
	// U+212A KELVIN SIGN to an ASCII 'k', so a name the sender wrote in
	// other characters would otherwise become an ASCII subject.
	for i := 0; i < len(trimmed); i++ {
		if trimmed[i] >= utf8.RuneSelf {
			return "", false
		}
	}
	name := strings.ToLower(trimmed)
	if name == "" || len(name) > MaxNameLength {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '-'):
		case i > 0 && c == '.':
			if name[i-1] == '.' || i == len(name)-1 {
				return "", false
			}
		default:
			return "", false
		}
	}
	return name, true
}

// IsDeadLetterName reports whether a normalized event name would publish
// onto the dead letters or beneath them, where an event must never go.
func IsDeadLetterName(name string) bool {
	return name == events.DeadLetters || strings.HasPrefix(name, events.DeadLetters+".")
}
