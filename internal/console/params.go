package console

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// maxLimit bounds the matches one answer lists.
const maxLimit = 500

// maxIDLen bounds an id in a path or query: ids are a prefix and a hash.
const maxIDLen = 200

// queryError is a query parameter the API cannot take, answered 400.
type queryError struct{ param, problem string }

func (e *queryError) Error() string { return e.param + ": " + e.problem }

// instant reads since or until: an RFC 3339 time, or a duration back from
// now such as 15m or 2h.
func instant(q url.Values, param string, now time.Time) (time.Time, error) {
	v := q.Get(param)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return time.Time{}, &queryError{param, fmt.Sprintf("%q is neither an RFC 3339 time (2026-01-02T15:04:05Z) nor a positive duration back from now (15m, 2h)", v)}
	}
	return now.Add(-d), nil
}

// limit reads limit: 1 to maxLimit, sinks.DefaultLimit when absent.
func limit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return sinks.DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		return 0, &queryError{"limit", fmt.Sprintf("%q is not a whole number from 1 to %d", v, maxLimit)}
	}
	return n, nil
}

// text reads a parameter that is matched as it is, bounded in length.
func text(q url.Values, param string) (string, error) {
	v := q.Get(param)
	if len(v) > 1000 {
		return "", &queryError{param, "longer than 1000 bytes"}
	}
	return v, nil
}

// common reads the parameters every search takes.
func common(q url.Values, now time.Time) (sinks.Query, error) {
	var sq sinks.Query
	var err error
	if sq.Since, err = instant(q, "since", now); err != nil {
		return sq, err
	}
	if sq.Until, err = instant(q, "until", now); err != nil {
		return sq, err
	}
	if sq.Limit, err = limit(q); err != nil {
		return sq, err
	}
	return sq, nil
}
