package config

import (
	"slices"
	"testing"
)

func TestUnknownVariablesNameTheClosestKnownOne(t *testing.T) {
	t.Parallel()
	got := Unknown([]string{
		"HIREBRIDGE_STRICK=true",
		"HIREBRIDGE_NATS_URL=nats://127.0.0.1:4222",       // known
		"HIREBRIDGE_KAFKA_SASL_PASSWORD_FILE=/run/secret", // a secret's _FILE
		"HIREBRIDGE_PUBLSIH_TIMEOUT=5s",
		"HIREBRIDGE_COMPLETELY_DIFFERENT_THING=1",
		"PATH=/usr/bin", // not ours
	})
	want := []string{
		"HIREBRIDGE_COMPLETELY_DIFFERENT_THING is not a hirebridge variable; `hirebridge config` lists them",
		"HIREBRIDGE_PUBLSIH_TIMEOUT is not a hirebridge variable; did you mean HIREBRIDGE_PUBLISH_TIMEOUT?",
		"HIREBRIDGE_STRICK is not a hirebridge variable; did you mean HIREBRIDGE_STRICT?",
	}
	var said []string
	for _, u := range got {
		said = append(said, u.String())
	}
	if !slices.Equal(said, want) {
		t.Errorf("Unknown:\n got %q\nwant %q", said, want)
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"STRICK", "STRICT", 1}, {"STIRCT", "STRICT", 1},
		{"kitten", "sitting", 3}, {"SPOOL", "SPOOL_DIR", 4},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
