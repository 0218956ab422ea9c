package replay

import (
	"fmt"
	"time"
)

// ParseSince reads a "since" as `hirebridge replay -since` and the
// console's queries take it: empty is no limit, a duration counts back
// from now, anything else must be an RFC 3339 time. Errors start with s,
// for the caller to name where it came from.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("%s: a duration back from now must be positive", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: neither a duration (24h, 90m) nor an RFC 3339 time (2025-01-02T15:04:05Z)", s)
	}
	return t, nil
}
