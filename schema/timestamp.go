package schema

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"time"
)

// TimeLayout is the one form every normalized date-time takes: UTC, exactly
// three fraction digits.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// epochMillisThreshold tells Unix milliseconds from Unix seconds: 1e11
// seconds is the year 5138, while 1e11 milliseconds is March 1973. A number
// at or above it is taken as milliseconds.
const epochMillisThreshold = 1e11

// maxEpochText and maxEpochExponentDigits bound the text of an epoch number
// before exact arithmetic: big.Rat expands exponents and digit strings at a
// cost the sender would choose (1e999999 alone takes tens of milliseconds,
// a megabyte of digits seconds). No Unix time in range needs more than 16
// digits, and senders' float printers stay well under 64 characters.
const (
	maxEpochText           = 64
	maxEpochExponentDigits = 2
)

var (
	errNotDateTime = errors.New("not an RFC 3339 date-time or a Unix time in seconds or milliseconds")
	errOutOfRange  = errors.New("outside the years 0001 to 9999")
	errEpochText   = errors.New("a number too long, or with too large an exponent, to be a Unix time")
)

// Layouts tried in turn. Go's parser accepts a fraction of any length after
// the seconds even when the layout has none. Besides RFC 3339, ISO 8601
// allows minutes without seconds, and the basic format without separators
// (as calendar feeds write it): the contract accepts any ISO 8601 date-time.
var (
	zonedLayouts = []string{
		"2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04:05Z07",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04Z0700",
		"2006-01-02T15:04Z07",
		"20060102T150405Z0700",
		"20060102T150405Z07",
		"20060102T1504Z0700",
		"20060102T1504Z07",
	}
	unzonedLayouts = []string{
		"2006-01-02T15:04:05",
		"2006-01-02T15:04",
		"20060102T150405",
		"20060102T1504",
	}
)

// NormalizeTime parses a decoded JSON value (a string, or a json.Number of
// Unix seconds or milliseconds) and returns it in TimeLayout. Sub-millisecond
// digits are truncated, never rounded, so a time never moves forward.
func NormalizeTime(v any) (string, error) {
	var t time.Time
	var err error
	switch v := v.(type) {
	case string:
		t, err = parseDateTime(v)
	case json.Number:
		t, err = parseEpoch(string(v))
	default:
		return "", errNotDateTime
	}
	if err != nil {
		return "", err
	}
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return "", errOutOfRange
	}
	return t.Format(TimeLayout), nil
}

func parseDateTime(s string) (time.Time, error) {
	// RFC 3339 allows a space or a lower-case t between date and time, and a
	// lower-case z; Go's layouts want the upper-case forms.
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range zonedLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range unzonedLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errNotDateTime
}

// parseEpoch reads the number's exact decimal text, so 1769732096.395 is
// 395 ms and not 394.99999 ms as a float64 would have it.
func parseEpoch(text string) (time.Time, error) {
	if len(text) > maxEpochText {
		return time.Time{}, errEpochText
	}
	if i := strings.IndexAny(text, "eE"); i >= 0 && len(strings.TrimLeft(text[i+1:], "+-0")) > maxEpochExponentDigits {
		return time.Time{}, errEpochText
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return time.Time{}, errNotDateTime
	}
	abs := new(big.Rat).Abs(r)
	if abs.Cmp(new(big.Rat).SetFloat64(epochMillisThreshold)) < 0 {
		r.Mul(r, big.NewRat(1000, 1))
	}
	// Floor division keeps truncation consistent for times before 1970.
	ms := new(big.Int).Div(r.Num(), r.Denom())
	if !ms.IsInt64() {
		return time.Time{}, errOutOfRange
	}
	return time.UnixMilli(ms.Int64()), nil
}
