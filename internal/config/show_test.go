package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/sinks/natsjs/embedded"
)

// printed is Check(environ)'s table.
func printed(t *testing.T, environ []string) string {
	t.Helper()
	var out bytes.Buffer
	if err := Check(environ).Print(&out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// hasLine fails the test unless a line of out matches the pattern (the
// columns separated by any run of spaces).
func hasLine(t *testing.T, out, pattern string) {
	t.Helper()
	if !regexp.MustCompile(`(?m)^` + pattern + `$`).MatchString(out) {
		t.Errorf("no line matches %s:\n%s", pattern, out)
	}
}

// A bad value shows as given, marked with the problem in Load's words;
// every other row is there still.
func TestPrintMarksBadValues(t *testing.T) {
	t.Parallel()
	out := printed(t, []string{"HIREBRIDGE_PUBLISH_TIMEOUT=soon", "HIREBRIDGE_LOG_FORMAT=xml", "HIREBRIDGE_NATS_STREAM=A.B"})
	hasLine(t, out, `HIREBRIDGE_PUBLISH_TIMEOUT +10s +soon +PROBLEM: "soon" is not a duration such as 10s, 500ms or 2m`)
	hasLine(t, out, `HIREBRIDGE_LOG_FORMAT +json +xml +PROBLEM: "xml" is not json or console`)
	hasLine(t, out, `HIREBRIDGE_NATS_STREAM +HIREMPIRE +A\.B +PROBLEM: "A\.B" must be a name without '\.', '\*', '>' or spaces`)
	if n := strings.Count(out, "PROBLEM"); n != 3 {
		t.Errorf("%d rows marked, want 3:\n%s", n, out)
	}
	for _, name := range KnownVars() {
		if !strings.Contains(out, "\n"+name+" ") {
			t.Errorf("%s is not listed:\n%s", name, out)
		}
	}
}

// The automatic values are shown as the service resolves them.
func TestPrintResolvesAutomaticValues(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "not-yet")
	out := printed(t, []string{"HIREBRIDGE_DATA_DIR=" + dataDir})
	hasLine(t, out, `HIREBRIDGE_NATS_DUPLICATE_WINDOW +0s +0s +automatic: 2s \(the embedded server\)`)
	hasLine(t, out, `HIREBRIDGE_WEBHOOK_TOKEN +- +- +automatic: drawn at random at each start.*`)
	hasLine(t, out, `HIREBRIDGE_SPOOL_DIR +- +- +automatic: `+regexp.QuoteMeta(filepath.Join(dataDir, "spool"))+` .*`)
	hasLine(t, out, `HIREBRIDGE_NATS_DEDUP_WINDOW_SIZE +100000 +100000`)
	limit := embedded.AutomaticStreamMaxBytes(dataDir)
	if limit <= 0 {
		t.Fatalf("the free space under %s is unknown: %d", dataDir, limit)
	}
	// The free space moves between two reads: the same order of magnitude
	// is what can be held to.
	m := regexp.MustCompile(`(?m)^HIREBRIDGE_NATS_STREAM_MAX_BYTES +0 +0 +automatic: (\d+) \(half the .* GiB free under .*\)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the stream's automatic cap is not shown:\n%s", out)
	}
	if shown, _ := strconv.ParseInt(m[1], 10, 64); shown < limit/2 || shown > limit*2 {
		t.Errorf("automatic cap shown %d, the embedded package says %d", shown, limit)
	}

	external := printed(t, []string{"HIREBRIDGE_NATS_URL=nats://n1:4222", "HIREBRIDGE_NATS_DEDUP_WINDOW_SIZE=0"})
	hasLine(t, external, `HIREBRIDGE_NATS_DUPLICATE_WINDOW +0s +0s +automatic: 1m0s \(an external server\)`)
	hasLine(t, external, `HIREBRIDGE_NATS_STREAM_MAX_BYTES +0 +0 +automatic: no cap \(an external server\)`)
	hasLine(t, external, `HIREBRIDGE_NATS_DEDUP_WINDOW_SIZE +100000 +0 +off`)
	hasLine(t, external, `HIREBRIDGE_NATS_EMBEDDED_ADDR +127\.0\.0\.1:4222 +127\.0\.0\.1:4222`)

	// Given, a value is no longer automatic.
	given := printed(t, []string{"HIREBRIDGE_NATS_DUPLICATE_WINDOW=30s", "HIREBRIDGE_NATS_STREAM_MAX_BYTES=-1"})
	hasLine(t, given, `HIREBRIDGE_NATS_DUPLICATE_WINDOW +0s +30s`)
	hasLine(t, given, `HIREBRIDGE_NATS_STREAM_MAX_BYTES +0 +-1`)

	// On Kafka, NATS's automatic values are not in use: none is shown.
	kafka := printed(t, []string{"HIREBRIDGE_SINK=kafka", "HIREBRIDGE_KAFKA_BROKERS=k1:9092", "HIREBRIDGE_NATS_URL=nats://n1:4222"})
	hasLine(t, kafka, `HIREBRIDGE_NATS_DUPLICATE_WINDOW +0s +0s`)
	hasLine(t, kafka, `HIREBRIDGE_NATS_URL +- +nats://n1:4222 +ignored: HIREBRIDGE_SINK is kafka`)
}

// A secret read from its file is masked and says where it came from; the
// file's row shows the path. A bad one is marked too.
func TestPrintSecretFromFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	password := write("password", "nats-secret-value\n")
	token := write("token", "tiny-tok-xyz\n")
	out := printed(t, []string{
		"HIREBRIDGE_NATS_PASSWORD_FILE=" + password,
		"HIREBRIDGE_WEBHOOK_TOKEN_FILE=" + token,
		"HIREBRIDGE_KAFKA_SASL_PASSWORD_FILE=" + filepath.Join(dir, "absent"),
	})
	hasLine(t, out, `HIREBRIDGE_NATS_PASSWORD +- +REDACTED +from HIREBRIDGE_NATS_PASSWORD_FILE`)
	hasLine(t, out, `HIREBRIDGE_NATS_PASSWORD_FILE +- +`+regexp.QuoteMeta(password))
	hasLine(t, out, `HIREBRIDGE_WEBHOOK_TOKEN +- +REDACTED +PROBLEM: must be at least 16 characters; from HIREBRIDGE_WEBHOOK_TOKEN_FILE`)
	hasLine(t, out, `HIREBRIDGE_WEBHOOK_TOKEN_FILE +- +`+regexp.QuoteMeta(token))
	hasLine(t, out, `HIREBRIDGE_KAFKA_SASL_PASSWORD_FILE +- +\S+absent +PROBLEM: open \S+absent: no such file or directory`)
	hasLine(t, out, `HIREBRIDGE_KAFKA_SASL_PASSWORD +- +-`)
	hasLine(t, out, `HIREBRIDGE_NATS_TOKEN_FILE +- +-`)
	if strings.Contains(out, "nats-secret-value") || strings.Contains(out, "tiny-tok-xyz") {
		t.Errorf("a secret is shown:\n%s", out)
	}
}

// The start-up log line holds the automatic values in use too.
func TestLogShowsAutomaticValues(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"HIREBRIDGE_NATS_URL=nats://n1:4222"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	log.Info().Object("config", cfg).Msg("starting")
	var line struct {
		Config struct {
			DuplicateWindow string            `json:"nats_duplicate_window"`
			Automatic       map[string]string `json:"automatic"`
		} `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line.Config.DuplicateWindow != "0s" || line.Config.Automatic["nats_duplicate_window"] != "1m0s" ||
		line.Config.Automatic["nats_stream_max_bytes"] != "no cap" {
		t.Errorf("logged %s", buf.String())
	}
}
