package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/internal/settings"
)

// Check finds every bad value, however the checks hide one another: a
// value that does not parse (never validated), two of one part (whose
// Validate stops at its first), one of the binary's own and one of the
// sink. Each is said in the words Load says it alone.
func TestCheckFindsEveryProblem(t *testing.T) {
	t.Parallel()
	bad := []string{
		"HIREBRIDGE_PUBLISH_TIMEOUT=soon",
		"HIREBRIDGE_TOPIC_PREFIX=A.B",
		"HIREBRIDGE_RETRY_AFTER=1500ms",
		"HIREBRIDGE_LOG_FORMAT=xml",
		"HIREBRIDGE_KAFKA_PARTITIONS=-3",
	}
	environ := append([]string{"HIREBRIDGE_SINK=kafka", "HIREBRIDGE_KAFKA_BROKERS=k1:9092"}, bad...)
	ch := Check(environ)
	got := map[string]string{}
	for _, p := range ch.Problems {
		name := settings.VarOf(p)
		if name == "" {
			t.Errorf("a problem names no variable: %v", p)
		}
		if _, dup := got[name]; dup {
			t.Errorf("%s reported twice", name)
		}
		got[name] = p.Error()
	}
	if len(got) != len(bad) {
		t.Errorf("%d problems, want %d: %q", len(got), len(bad), ch.Problems)
	}
	for _, kv := range bad {
		name, _, _ := strings.Cut(kv, "=")
		_, err := Load([]string{"HIREBRIDGE_SINK=kafka", "HIREBRIDGE_KAFKA_BROKERS=k1:9092", kv})
		if err == nil || got[name] != err.Error() {
			t.Errorf("%s: Check says %q, Load alone %v", name, got[name], err)
		}
	}
	// The service still stops at one of them, in one line.
	_, err := Load(environ)
	if err == nil || !containsText(ch.Problems, err.Error()) {
		t.Errorf("Load = %v, not one of Check's problems", err)
	}
	if ch.Config.Bridge.PublishTimeout.String() != "10s" {
		t.Errorf("the bad publish timeout is not left at its default: %s", ch.Config.Bridge.PublishTimeout)
	}
}

func containsText(errs []error, text string) bool {
	for _, e := range errs {
		if e.Error() == text {
			return true
		}
	}
	return false
}

// A problem of a setting not given (here the memory budget's default,
// too small for the body limit given) cannot be removed to look further:
// it is reported once, and Check ends.
func TestCheckReportsAProblemOfADefault(t *testing.T) {
	t.Parallel()
	ch := Check([]string{"HIREBRIDGE_MAX_BODY_BYTES=16777216", "HIREBRIDGE_LOG_LEVEL=loud"})
	var names []string
	for _, p := range ch.Problems {
		names = append(names, settings.VarOf(p))
	}
	slices.Sort(names)
	if want := []string{"HIREBRIDGE_LOG_LEVEL", "HIREBRIDGE_REQUEST_MEMORY_BYTES"}; !slices.Equal(names, want) {
		t.Errorf("problems of %q, want %q: %q", names, want, ch.Problems)
	}
}

func TestCheckCleanConfig(t *testing.T) {
	t.Parallel()
	ch := Check([]string{"HIREBRIDGE_PUBLISH_TIMEOUT=3s", "HIREBRIDGE_STRICT=true"})
	if len(ch.Problems) != 0 {
		t.Errorf("problems in a clean configuration: %q", ch.Problems)
	}
	if ch.Config.Bridge.PublishTimeout.String() != "3s" || !ch.Config.Bridge.Strict {
		t.Errorf("values given not in the configuration: %+v", ch.Config.Bridge)
	}
}

// Secrets from files: each unreadable file and each secret set twice is a
// problem of its own, on the <NAME>_FILE.
func TestCheckSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	password := filepath.Join(dir, "password")
	if err := os.WriteFile(password, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ch := Check([]string{
		"HIREBRIDGE_NATS_PASSWORD=inline",
		"HIREBRIDGE_NATS_PASSWORD_FILE=" + password,
		"HIREBRIDGE_NATS_TOKEN_FILE=" + filepath.Join(dir, "absent"),
	})
	var names []string
	for _, p := range ch.Problems {
		names = append(names, settings.VarOf(p))
	}
	slices.Sort(names)
	if want := []string{"HIREBRIDGE_NATS_PASSWORD_FILE", "HIREBRIDGE_NATS_TOKEN_FILE"}; !slices.Equal(names, want) {
		t.Errorf("problems of %q, want %q: %q", names, want, ch.Problems)
	}
}
