package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// documented is the instant of the documented applicant_applied timestamp,
// 2026-01-30T00:14:56.395Z, which is Unix 1769732096.395.
var documented = time.Date(2026, 1, 30, 0, 14, 56, 395_000_000, time.UTC)

// leap2016 is the leap second at the end of 2016, as normalized.
var leap2016 = time.Date(2016, 12, 31, 23, 59, 59, 999_000_000, time.UTC)

func TestNormalizeTimeStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-01-30T00:14:56.395Z", documented},
		{"2026-01-30T00:14:56Z", documented.Truncate(time.Second)},
		{"2026-01-30T00:14:56.3Z", documented.Truncate(time.Second).Add(300 * time.Millisecond)},
		{"2026-01-30T00:14:56.39Z", documented.Truncate(time.Second).Add(390 * time.Millisecond)},
		{"2026-01-30T00:14:56.395000Z", documented},
		{"2026-01-30T00:14:56.395123456Z", documented},
		// Digits past milliseconds are cut, never rounded up.
		{"2026-01-30T00:14:56.3959Z", documented},
		{"2026-01-30T00:14:56.395999999Z", documented},
		{"2026-01-30T00:14:56.39599999999999Z", documented},
		{"2026-01-30T00:14:56.9999Z", documented.Truncate(time.Second).Add(999 * time.Millisecond)},
		{"2026-01-30T00:14:56,395Z", documented},
		// Offsets, in each form RFC 3339 and ISO 8601 allow.
		{"2026-01-30T01:14:56.395+01:00", documented},
		{"2026-01-30T01:14:56.395+0100", documented},
		{"2026-01-30T01:14:56.395+01", documented},
		{"2026-01-29T18:44:56.395-05:30", documented},
		{"2026-01-29T18:44:56.395-0530", documented},
		{"2026-01-30T05:59:56.395+05:45", documented},
		{"2026-01-30T00:14:56.395+00:00", documented},
		{"2026-01-30T00:14:56.395-00:00", documented},
		{"2026-01-29T23:59:59.999-01:00", time.Date(2026, 1, 30, 0, 59, 59, 999_000_000, time.UTC)},
		// No zone: UTC.
		{"2026-01-30T00:14:56.395", documented},
		{"2026-01-30T00:14:56", documented.Truncate(time.Second)},
		// Spellings RFC 3339 allows besides the canonical one.
		{"2026-01-30t00:14:56.395z", documented},
		{"2026-01-30 00:14:56.395Z", documented},
		{"2026-01-30 00:14:56.395", documented},
		{"  2026-01-30T00:14:56.395Z\n", documented},
		// ISO 8601 without seconds, and the basic format.
		{"2026-01-30T00:14Z", documented.Truncate(time.Minute)},
		{"2026-01-30T01:14+01:00", documented.Truncate(time.Minute)},
		{"2026-01-30T00:14", documented.Truncate(time.Minute)},
		{"20260130T001456.395Z", documented},
		{"20260130T011456.395+0100", documented},
		{"20260130T001456", documented.Truncate(time.Second)},
		{"20260130T0014Z", documented.Truncate(time.Minute)},
		// Crossing a day, a month and a year backwards and forwards.
		{"2026-01-01T00:30:00+01:00", time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)},
		{"2025-12-31T23:30:00-01:00", time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)},
		{"2028-02-29T12:00:00Z", time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC)},
		// The ends of the range.
		{"0001-01-01T00:00:00Z", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"9999-12-31T23:59:59.999Z", time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
		{"1969-12-31T23:59:59.9999Z", time.Date(1969, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
		// A leap second is the last millisecond of its minute, whatever
		// its fraction: Unix time has no 61st second.
		{"2016-12-31T23:59:60Z", leap2016},
		{"2016-12-31T23:59:60.5Z", leap2016},
		{"2016-12-31T15:59:60-08:00", leap2016},
		{"2017-01-01T00:59:60+01:00", leap2016},
		{"20161231T235960Z", leap2016},
		{"2015-06-30T23:59:60.123Z", time.Date(2015, 6, 30, 23, 59, 59, 999_000_000, time.UTC)},
		// Offsets up to ±23:59.
		{"2026-01-30T23:59:56.395+23:59", time.Date(2026, 1, 30, 0, 0, 56, 395_000_000, time.UTC)},
	}
	for _, tt := range tests {
		got, err := NormalizeTime(tt.in)
		if want := tt.want.Format("2006-01-02T15:04:05.000Z"); err != nil || got != want {
			t.Errorf("NormalizeTime(%q) = %q, %v; want %q", tt.in, got, err, want)
		}
	}
}

func TestNormalizeTimeNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
	}{
		{"1769732096", documented.Truncate(time.Second)},
		{"1769732096.395", documented},
		{"1769732096.3959", documented},
		{"1769732096.395999999", documented},
		{"1769732096395", documented},
		{"1769732096395.999", documented},
		{"1769732096395.0", documented},
		{"1.769732096395e9", documented},
		{"1.769732096395E+12", documented},
		{"176973209639500e-2", documented},
		{"0", time.Unix(0, 0)},
		{"-0", time.Unix(0, 0)},
		{"0.0", time.Unix(0, 0)},
		{"1e-99", time.Unix(0, 0)},
		{"-1", time.Unix(-1, 0)},
		// Before 1970 the cut is still towards the past, never forwards.
		{"-1.0005", time.UnixMilli(-1001)},
		{"-0.0001", time.UnixMilli(-1)},
		{"-1769732096.395", time.UnixMilli(-1769732096395)},
		// The ends of the range, as seconds and as milliseconds.
		{"-62135596800", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"253402300799999", time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
	}
	for _, tt := range tests {
		got, err := NormalizeTime(json.Number(tt.in))
		if want := tt.want.UTC().Format("2006-01-02T15:04:05.000Z"); err != nil || got != want {
			t.Errorf("NormalizeTime(%s) = %q, %v; want %q", tt.in, got, err, want)
		}
	}
}

// TestEpochThreshold pins the rule documented in timestamp.go: a number
// below epochMillisThreshold is seconds, at or above it milliseconds.
func TestEpochThreshold(t *testing.T) {
	t.Parallel()
	if epochMillisThreshold != 1e11 {
		t.Fatalf("epochMillisThreshold = %v; the README documents 1e11", epochMillisThreshold)
	}
	threshold := int64(epochMillisThreshold)
	tests := []struct {
		in   string
		want time.Time
	}{
		{strconv.FormatInt(threshold-1, 10), time.Unix(threshold-1, 0)},
		{strconv.FormatInt(threshold-1, 10) + ".999", time.Unix(threshold-1, 999_000_000)},
		{strconv.FormatInt(threshold, 10), time.UnixMilli(threshold)},
		{"1e11", time.UnixMilli(threshold)},
		{strconv.FormatInt(threshold+1, 10), time.UnixMilli(threshold + 1)},
		// The threshold is on the magnitude, so it holds before 1970 too.
		{strconv.FormatInt(-(threshold - 1), 10), time.Unix(-(threshold - 1), 0)},
		{strconv.FormatInt(-threshold, 10), time.UnixMilli(-threshold)},
	}
	for _, tt := range tests {
		got, err := NormalizeTime(json.Number(tt.in))
		if tt.want.UTC().Year() > 9999 || tt.want.UTC().Year() < 1 {
			if !errors.Is(err, errOutOfRange) {
				t.Errorf("NormalizeTime(%s) = %q, %v; want out of range", tt.in, got, err)
			}
			continue
		}
		if want := tt.want.UTC().Format(TimeLayout); err != nil || got != want {
			t.Errorf("NormalizeTime(%s) = %q, %v; want %q", tt.in, got, err, want)
		}
	}
	// Just below the threshold is the year 5138 as seconds; just above, 1973
	// as milliseconds: the boundary is where the README says.
	below, _ := NormalizeTime(json.Number("99999999999"))
	above, _ := NormalizeTime(json.Number("100000000000"))
	if !strings.HasPrefix(below, "5138-") || !strings.HasPrefix(above, "1973-03-03T") {
		t.Errorf("around the threshold: %q then %q; want 5138-... then 1973-03-03T...", below, above)
	}
}

func TestNormalizeTimeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want error
	}{
		// Not date-times.
		{"2026-01-30", errNotDateTime},
		{"2026-01", errNotDateTime},
		{"00:14:56Z", errNotDateTime},
		{"", errNotDateTime},
		{"   ", errNotDateTime},
		{"now", errNotDateTime},
		{"yesterday at noon", errNotDateTime},
		{"Fri, 30 Jan 2026 00:14:56 GMT", errNotDateTime},
		{"30/01/2026 00:14:56", errNotDateTime},
		{"1769732096", errNotDateTime},
		{"2026-01-30T00:14:56.395ZZ", errNotDateTime},
		{"2026-01-30T00:14:56.395Z trailing", errNotDateTime},
		{"2026-01-30T00:14:56.395 +01:00", errNotDateTime},
		{"2026-01-30T00:14:56.395+01:00Z", errNotDateTime},
		{"2026-01-30T00:14:56.395+1", errNotDateTime},
		{"2026-01-30T00:14:56.Z", errNotDateTime},
		{"2026-13-30T00:14:56Z", errNotDateTime},
		{"2026-02-29T00:14:56Z", errNotDateTime},
		{"2026-01-32T00:14:56Z", errNotDateTime},
		{"2026-01-30T25:14:56Z", errNotDateTime},
		{"2026-01-30T00:60:56Z", errNotDateTime},
		{"2026-01-30T00:14:61Z", errNotDateTime},
		{"2026-01-30T00:14:56+25:00", errNotDateTime},
		// Hours of an offset run 00 to 23 (RFC 3339); Go reads 24.
		{"2026-01-30T00:14:56+24:00", errOffset},
		{"2026-01-30T00:14:56-24:00", errOffset},
		{"2026-01-30T00:14:56+2400", errOffset},
		{"2026-01-30T00:14:56+24", errOffset},
		{"20260130T001456-2400", errOffset},
		// A second 60 only where a leap second can be: 23:59:60 UTC at
		// the end of June or December.
		{"2026-01-30T00:14:60Z", errLeapSecond},
		{"2016-12-31T23:58:60Z", errLeapSecond},
		{"2016-12-30T23:59:60Z", errLeapSecond},
		{"2016-12-31T23:59:60+01:00", errLeapSecond},
		{"2016-12-31T23:59:60+24:00", errOffset},
		{"20161231T225960Z", errLeapSecond},
		{"2026-01-30T00:14:56.395Z\x00", errNotDateTime},
		{"２０２６-01-30T00:14:56Z", errNotDateTime},
		// Not strings or numbers.
		{true, errNotDateTime},
		{false, errNotDateTime},
		{nil, errNotDateTime},
		{map[string]any{"seconds": json.Number("1769732096")}, errNotDateTime},
		{[]any{json.Number("1769732096")}, errNotDateTime},
		// Decode always gives json.Number; a float64 means a caller skipped it.
		{1769732096.0, errNotDateTime},
		{json.Number(""), errNotDateTime},
		{json.Number("NaN"), errNotDateTime},
		// Outside the years 0001 to 9999, directly or once in UTC.
		{"0000-12-31T23:59:59.999Z", errOutOfRange},
		{"0001-01-01T00:30:00+01:00", errOutOfRange},
		{"9999-12-31T23:30:00-01:00", errOutOfRange},
		{json.Number("-62135596801"), errOutOfRange},
		{json.Number("253402300800000"), errOutOfRange},
		{json.Number("99999999999999999"), errOutOfRange},
		{json.Number("9223372036854775807"), errOutOfRange},
		{json.Number("9223372036854775808"), errOutOfRange},
		{json.Number("-9223372036854775809"), errOutOfRange},
		{json.Number("1e99"), errOutOfRange},
		{json.Number("-1e99"), errOutOfRange},
		// Too long or too large an exponent to spend exact arithmetic on.
		{json.Number("1e400"), errEpochText},
		{json.Number("-1e400"), errEpochText},
		{json.Number("1e999999"), errEpochText},
		{json.Number("1E+1000000"), errEpochText},
		{json.Number("1e-400"), errEpochText},
		{json.Number(strings.Repeat("9", maxEpochText+1)), errEpochText},
		{json.Number("1769732096." + strings.Repeat("3", maxEpochText)), errEpochText},
		{json.Number("0." + strings.Repeat("0", 100_000) + "1"), errEpochText},
	}
	for _, tt := range tests {
		got, err := NormalizeTime(tt.in)
		if !errors.Is(err, tt.want) || got != "" {
			t.Errorf("NormalizeTime(%#v) = %q, %v; want error %q", tt.in, truncate(got, 40), err, tt.want)
		}
	}
}

// TestNormalizeTimeTruncates checks, over random instants and offsets
// across the whole range, that any spelling of an instant normalizes to
// that instant cut to the millisecond, and never to a later one.
func TestNormalizeTimeTruncates(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC).Unix()
	for range 2000 {
		at := time.Unix(lo+rng.Int64N(hi-lo), rng.Int64N(1e9)).UTC()
		want := at.Truncate(time.Millisecond).Format(TimeLayout)
		offset := time.FixedZone("", (rng.IntN(28*60)-14*60)*60)
		spellings := []any{
			at.Format(time.RFC3339Nano),
			at.In(offset).Format(time.RFC3339Nano),
			at.In(offset).Format("2006-01-02T15:04:05.000000000-0700"),
			at.Format("2006-01-02T15:04:05.999999999"),
		}
		threshold := int64(epochMillisThreshold)
		if ms := at.UnixMilli(); ms >= threshold || ms <= -threshold {
			// Milliseconds nearer to 1970 than March 1973 are read as
			// seconds, as documented.
			spellings = append(spellings, json.Number(strconv.FormatInt(ms, 10)))
		}
		if s := at.Unix(); s >= 0 && s < threshold {
			spellings = append(spellings, json.Number(fmt.Sprintf("%d.%09d", s, at.Nanosecond())))
		}
		for _, in := range spellings {
			got, err := NormalizeTime(in)
			if err != nil || got != want {
				t.Fatalf("NormalizeTime(%v) = %q, %v; want %q", in, got, err, want)
			}
		}
	}
}

// Through Ingest: a leap second is published at its normalized instant; an
// offset of 24 hours is a 422 naming the member, in both places a
// date-time is read.
func TestIngestLeapSecondsAndOffsets(t *testing.T) {
	t.Parallel()
	meeting := func(ts, scheduled string) []byte {
		return []byte(`{"event":"meeting_booked","timestamp":"` + ts + `","company":{"id":"c1"},` +
			`"meeting":{"id":"m1","scheduled_at":"` + scheduled + `","duration_minutes":30}}`)
	}
	o := Ingest(meeting("2016-12-31T23:59:60Z", "2016-12-31T15:59:60-08:00"), Options{})
	if o.Event == nil {
		t.Fatalf("a leap second: %v, want published", o.Rejection)
	}
	for _, want := range []string{`"timestamp":"2016-12-31T23:59:59.999Z"`, `"scheduled_at":"2016-12-31T23:59:59.999Z"`} {
		if !strings.Contains(string(o.Event.Body), want) {
			t.Errorf("a leap second: the body %s does not hold %s", o.Event.Body, want)
		}
	}
	for _, c := range []struct {
		body  []byte
		field string
	}{
		{meeting("2026-01-30T00:14:56+24:00", "2026-02-01T10:00:00Z"), "/timestamp"},
		{meeting("2026-01-30T00:14:56Z", "2026-02-01T10:00:00-24:00"), "/meeting/scheduled_at"},
	} {
		rej := Ingest(c.body, Options{}).Rejection
		if rej == nil || rej.Reason != ReasonBadTimestamp || rej.Field != c.field || !strings.Contains(rej.Detail, "±23:59") {
			t.Errorf("an offset of 24 hours at %s: %v, want %s at %s naming ±23:59", c.field, rej, ReasonBadTimestamp, c.field)
		}
	}
}
