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
	errOffset      = errors.New("a date-time whose UTC offset is outside ±23:59")
	errLeapSecond  = errors.New("a second 60 that is not a leap second (23:59:60 UTC on 30 June or 31 December)")
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
	s, leap := withoutLeapSecond(s)
	t, err := parseLayouts(s)
	if err != nil {
		return t, err
	}
	// Go reads an offset of +24:00 (RFC 3339 allows hours 00 to 23 only),
	// which would move the time by a day without a word.
	if _, offset := t.Zone(); offset <= -24*3600 || offset >= 24*3600 {
		return time.Time{}, errOffset
	}
	if leap {
		return leapSecond(t)
	}
	return t, nil
}

func parseLayouts(s string) (time.Time, error) {
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

// withoutLeapSecond returns s with a second of 60 read as 59, and whether
// it was: Go's parser refuses 60, which RFC 3339 allows for a leap second.
// The seconds follow "hh:mm:" in the extended format, "Thhmm" in the basic.
func withoutLeapSecond(s string) (string, bool) {
	at := -1
	switch {
	case len(s) >= 19 && s[10] == 'T' && s[13] == ':' && s[16] == ':':
		at = 17
	case len(s) >= 15 && s[8] == 'T' && s[4] != '-':
		at = 13
	}
	if at < 0 || s[at:at+2] != "60" {
		return s, false
	}
	return s[:at] + "59" + s[at+2:], true
}

// leapSecond is the instant of a leap second, t being the same time read
// at second 59: only 23:59:60 UTC at the end of June or December (where
// leap seconds are inserted) is one. Unix time has no 61st second, so it
// becomes the last millisecond before the next minute, 23:59:59.999Z:
// events keep their order, and the time never moves into the next day
// (sub-milliseconds are truncated, never rounded, for the same reason).
func leapSecond(t time.Time) (time.Time, error) {
	u := t.UTC()
	endOfHalfYear := (u.Month() == time.June && u.Day() == 30) || (u.Month() == time.December && u.Day() == 31)
	if !endOfHalfYear || u.Hour() != 23 || u.Minute() != 59 {
		return time.Time{}, errLeapSecond
	}
	return t.Truncate(time.Second).Add(999 * time.Millisecond), nil
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
