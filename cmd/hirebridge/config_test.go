package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/settings"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The README's configuration table fixes these.
	checks := []struct {
		name      string
		got, want any
	}{
		{"HTTP_ADDR", cfg.HTTPAddr, ":8080"},
		{"ADMIN_ADDR", cfg.AdminAddr, "127.0.0.1:9090"},
		{"WEBHOOK_PATH", cfg.WebhookPath, "/webhooks/hirempire"},
		{"MAX_BODY_BYTES", cfg.Bridge.MaxBodyBytes, int64(1048576)},
		{"REQUEST_MEMORY_BYTES", cfg.Bridge.RequestMemory, int64(32 << 20)},
		{"SINK", cfg.Sink, "nats"},
		{"TOPIC_PREFIX", cfg.Bridge.Prefix, "hirempire"},
		{"NATS_URL", cfg.NATS.URLs, ""},
		{"NATS_EMBEDDED_ADDR", cfg.Embedded.Addr, "127.0.0.1:4222"},
		{"DATA_DIR", cfg.DataDir, "./data"},
		{"NATS_STREAM", cfg.NATS.Stream, "HIREMPIRE"},
		{"PUBLISH_TIMEOUT", cfg.Bridge.PublishTimeout, 10 * time.Second},
		{"LOG_LEVEL", cfg.LogLevel, "info"},
		{"LOG_FORMAT", cfg.LogFormat, "json"},
		{"EVENT_SOURCE", cfg.Bridge.Source, "https://app.hirempire.com"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("HIREBRIDGE_%s default = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !cfg.TokenGenerated || len(cfg.Bridge.Token) < 16 {
		t.Errorf("no token configured: generated=%v %q, want a random one", cfg.TokenGenerated, cfg.Bridge.Token)
	}
	if cfg.EmbeddedAddrSet {
		t.Error("the embedded address counts as set when it was not")
	}
	again, _ := config.Load(nil)
	if again.Bridge.Token == cfg.Bridge.Token {
		t.Error("two starts generated the same token")
	}
}

func TestConfigValues(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load([]string{
		"HIREBRIDGE_PUBLISH_TIMEOUT=1500ms",
		"HIREBRIDGE_TOPIC_PREFIX=acme.hirempire-prod",
		"HIREBRIDGE_NATS_EMBEDDED_ADDR=127.0.0.1:4333",
		"HIREBRIDGE_NATS_STREAM_REPLICAS=3",
		"HIREBRIDGE_STRICT=true",
		"HIREBRIDGE_WEBHOOK_TOKEN=" + testToken,
		"UNRELATED=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bridge.PublishTimeout != 1500*time.Millisecond || cfg.Bridge.Prefix != "acme.hirempire-prod" ||
		cfg.NATS.StreamReplicas != 3 || !cfg.Bridge.Strict || cfg.Bridge.Token != testToken || cfg.TokenGenerated ||
		!cfg.EmbeddedAddrSet || cfg.Embedded.Addr != "127.0.0.1:4333" {
		t.Errorf("config = %+v", cfg)
	}
}

// Every bad value stops the start with one line naming the variable.
func TestConfigBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, value string }{
		{"PUBLISH_TIMEOUT", "abc"},
		{"PUBLISH_TIMEOUT", "10"},
		{"PUBLISH_TIMEOUT", "0s"},
		{"PUBLISH_TIMEOUT", "-1s"},
		{"RETRY_AFTER", "0s"},
		{"RETRY_AFTER", "1500ms"},
		{"READ_TIMEOUT", "soon"},
		{"SHUTDOWN_TIMEOUT", "0s"},
		{"SINK_CLOSE_TIMEOUT", "0s"},
		{"SHUTDOWN_DELAY", "-1s"},
		{"SINK", "foo"},
		{"SINK", "NATS"},
		{"MAX_BODY_BYTES", "-1"},
		{"MAX_BODY_BYTES", "0"},
		{"MAX_BODY_BYTES", "1MB"},
		// Past NATS's limit, and past int32 where the embedded server's
		// max payload is computed.
		{"MAX_BODY_BYTES", "67108864"},
		{"MAX_BODY_BYTES", "4294967296"},
		{"MAX_CONCURRENT_REQUESTS", "0"},
		// Below four times the body limit (1 MiB by default).
		{"REQUEST_MEMORY_BYTES", "4194303"},
		{"REQUEST_MEMORY_BYTES", "-1"},
		{"STRICT", "maybe"},
		{"TOPIC_PREFIX", "a.>"},
		{"TOPIC_PREFIX", "a.*"},
		{"TOPIC_PREFIX", "a..b"},
		{"TOPIC_PREFIX", ".a"},
		{"TOPIC_PREFIX", "a."},
		{"TOPIC_PREFIX", "a b"},
		{"TOPIC_PREFIX", "Hirempire"},
		{"TOPIC_PREFIX", "a/b"},
		{"WEBHOOK_PATH", "webhooks"},
		{"WEBHOOK_PATH", "/webhooks/"},
		{"WEBHOOK_PATH", "/webhooks/{x}"},
		{"WEBHOOK_PATH", "/web hooks"},
		{"WEBHOOK_TOKEN", "short"},
		{"WEBHOOK_TOKEN", "0123456789abcdef/x"},
		{"WEBHOOK_TOKEN", "0123456789abcdef?x"},
		{"LOG_LEVEL", "loud"},
		{"LOG_FORMAT", "xml"},
		{"NATS_STREAM", "A.B"},
		{"NATS_STREAM", "A>"},
		{"NATS_STREAM", "A B"},
		{"NATS_STREAM_REPLICAS", "0"},
		{"NATS_STREAM_REPLICAS", "7"},
		{"NATS_STREAM_REPLICAS", "x"},
		{"NATS_STREAM_MAX_AGE", "-1h"},
		{"NATS_STREAM_MAX_BYTES", "-2"},
		{"NATS_STREAM_MAX_BYTES", "1GB"},
		{"NATS_DUPLICATE_WINDOW", "-1s"},
		{"NATS_DEDUP_WINDOW_SIZE", "-1"},
		{"NATS_RECONNECT_WAIT", "0s"},
		{"NATS_MAX_PENDING", "0"},
		{"NATS_TLS_CERT_FILE", "client.pem"},
		// A sink's own settings are checked when it is the one chosen.
		{"KAFKA_BROKERS", ""},
		{"KAFKA_PARTITIONS", "0"},
		{"KAFKA_SASL_MECHANISM", "GSSAPI"},
		{"KAFKA_DEDUP_WINDOW_SIZE", "0"},
		{"KAFKA_DEDUP_WINDOW_AGE", "0s"},
	}
	for _, tt := range tests {
		variable := config.Prefix + tt.name
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			environ := []string{variable + "=" + tt.value}
			if strings.HasPrefix(tt.name, "KAFKA_") {
				environ = append(environ, "HIREBRIDGE_SINK=kafka")
				if tt.name != "KAFKA_BROKERS" {
					environ = append(environ, "HIREBRIDGE_KAFKA_BROKERS=127.0.0.1:9092")
				}
			}
			_, err := config.Load(environ)
			if err == nil {
				t.Fatalf("%v accepted", environ)
			}
			msg := err.Error()
			t.Log(msg)
			// The operator's words, not a Go parser's.
			if strings.Contains(msg, "strconv") || strings.Contains(msg, "time: ") || strings.Contains(msg, "invalid syntax") {
				t.Errorf("error %q leaks Go internals", msg)
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is more than one line: %q", msg)
			}
			if !strings.HasPrefix(msg, variable+":") && !strings.HasPrefix(msg, variable+" ") {
				t.Errorf("error %q does not start with the variable %s", msg, variable)
			}
			// run reports the same error before doing anything else.
			var out bytes.Buffer
			if err := run(context.Background(), nil, environ, &out); err == nil || err.Error() != msg {
				t.Errorf("run = %v, want %q", err, msg)
			}
		})
	}
}

func TestConfigSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokenFile := write("token", testToken+"\n")
	passwordFile := write("password", "pass word\r\n")
	natsTokenFile := write("nats-token", "nats-tok")
	kafkaPasswordFile := write("kafka-password", "kafka-pw\n")

	cfg, err := config.Load([]string{
		"HIREBRIDGE_WEBHOOK_TOKEN_FILE=" + tokenFile,
		"HIREBRIDGE_NATS_PASSWORD_FILE=" + passwordFile,
		"HIREBRIDGE_NATS_TOKEN_FILE=" + natsTokenFile,
		"HIREBRIDGE_KAFKA_SASL_PASSWORD_FILE=" + kafkaPasswordFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bridge.Token != testToken || cfg.TokenGenerated {
		t.Errorf("webhook token = %q (generated %v), want the file's content without the newline", cfg.Bridge.Token, cfg.TokenGenerated)
	}
	if cfg.NATS.Auth.Password != "pass word" {
		t.Errorf("NATS password = %q", cfg.NATS.Auth.Password)
	}
	if cfg.NATS.Auth.Token != "nats-tok" {
		t.Errorf("NATS token = %q", cfg.NATS.Auth.Token)
	}
	if cfg.Kafka.SASL.Password != "kafka-pw" {
		t.Errorf("Kafka SASL password = %q", cfg.Kafka.SASL.Password)
	}

	for _, tt := range []struct {
		environ []string
		names   []string
	}{
		{[]string{"HIREBRIDGE_WEBHOOK_TOKEN=" + testToken, "HIREBRIDGE_WEBHOOK_TOKEN_FILE=" + tokenFile},
			[]string{"HIREBRIDGE_WEBHOOK_TOKEN", "HIREBRIDGE_WEBHOOK_TOKEN_FILE"}},
		{[]string{"HIREBRIDGE_NATS_PASSWORD=x", "HIREBRIDGE_NATS_PASSWORD_FILE=" + passwordFile},
			[]string{"HIREBRIDGE_NATS_PASSWORD", "HIREBRIDGE_NATS_PASSWORD_FILE"}},
		{[]string{"HIREBRIDGE_NATS_TOKEN_FILE=" + filepath.Join(dir, "absent")},
			[]string{"HIREBRIDGE_NATS_TOKEN_FILE"}},
		{[]string{"HIREBRIDGE_WEBHOOK_TOKEN_FILE=" + write("short", "abc\n")},
			[]string{"HIREBRIDGE_WEBHOOK_TOKEN"}},
	} {
		_, err := config.Load(tt.environ)
		if err == nil {
			t.Errorf("%v accepted", tt.environ)
			continue
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("error is more than one line: %q", err)
		}
		for _, n := range tt.names {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("%v: error %q does not name %s", tt.environ, err, n)
			}
		}
	}
}

// A parse error names only the Go field, so the names of fields that can
// fail to parse (all but strings) must be unique across the parts.
func TestConfigFieldNamesUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, s := range settings.Of(&config.Config{}, config.Prefix) {
		if s.Value.Kind() == reflect.String {
			continue
		}
		if other, dup := seen[s.Field]; dup {
			t.Errorf("field name %s is used by %s and %s", s.Field, other, s.Path)
		}
		seen[s.Field] = s.Path
	}
	vars := map[string]string{}
	for _, s := range settings.Of(&config.Config{}, config.Prefix) {
		vars[s.Path] = s.Var
	}
	for path, want := range map[string]string{
		"Bridge.PublishTimeout": "HIREBRIDGE_PUBLISH_TIMEOUT",
		"NATS.StreamReplicas":   "HIREBRIDGE_NATS_STREAM_REPLICAS",
		"NATS.TLS.KeyFile":      "HIREBRIDGE_NATS_TLS_KEY_FILE",
		"Embedded.Addr":         "HIREBRIDGE_NATS_EMBEDDED_ADDR",
		"Kafka.SASL.Password":   "HIREBRIDGE_KAFKA_SASL_PASSWORD",
	} {
		if got := vars[path]; got != want {
			t.Errorf("the variable of %s is %q, want %q", path, got, want)
		}
	}
}

// The logged configuration shows what was chosen, never a secret.
func TestConfigLogHidesSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{testToken, "nats-password-value", "nats-token-value", "url-password"}
	cfg, err := config.Load([]string{
		"HIREBRIDGE_WEBHOOK_TOKEN=" + secrets[0],
		"HIREBRIDGE_NATS_USER=bridge",
		"HIREBRIDGE_NATS_PASSWORD=" + secrets[1],
		"HIREBRIDGE_NATS_TOKEN=" + secrets[2],
		"HIREBRIDGE_NATS_URL=nats://bridge:" + secrets[3] + "@nats-1:4222,nats://nats-2:4222",
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	log.Info().Object("config", &cfg).Msg("starting")
	logged := buf.String()
	for _, s := range secrets {
		if strings.Contains(logged, s) {
			t.Errorf("the logged config contains the secret %q: %s", s, logged)
		}
	}
	for _, want := range []string{"nats-1:4222", "nats://nats-2:4222", `"nats_user":"bridge"`, `"nats_password":"REDACTED"`, `"topic_prefix":"hirempire"`, `"publish_timeout":"10s"`} {
		if !strings.Contains(logged, want) {
			t.Errorf("the logged config lacks %s: %s", want, logged)
		}
	}

	kafka, err := config.Load([]string{
		"HIREBRIDGE_SINK=kafka",
		"HIREBRIDGE_KAFKA_BROKERS=k1:9092,k2:9092",
		"HIREBRIDGE_KAFKA_SASL_MECHANISM=PLAIN",
		"HIREBRIDGE_KAFKA_SASL_USERNAME=bridge",
		"HIREBRIDGE_KAFKA_SASL_PASSWORD=kafka-password-value",
	})
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	log.Info().Object("config", kafka).Msg("starting")
	if logged := buf.String(); strings.Contains(logged, "kafka-password-value") || !strings.Contains(logged, "k2:9092") {
		t.Errorf("the logged Kafka config shows the password or hides the brokers: %s", logged)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "--version"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{arg}, nil, &out); err != nil {
			t.Fatal(err)
		}
		fields := strings.Fields(out.String())
		if len(fields) != 2 || fields[0] != "hirebridge" || fields[1] != versionString() || !strings.HasSuffix(out.String(), "\n") {
			t.Errorf("%s printed %q, want \"hirebridge <version>\\n\"", arg, out.String())
		}
	}
	if err := run(context.Background(), []string{"bogus"}, nil, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("an unknown command: %v", err)
	}
}

// `hirebridge config` lists every variable the parts declare, with its
// default and the value in effect, secrets masked, and each secret's
// <NAME>_FILE; the manual documents each one, a secret's _FILE by the
// mark (`_FILE`) after its name, which the manual gives secrets only. All
// come from the same fields, so a new setting cannot be left out of any.
func TestConfigCommandAndREADME(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), []string{"config"}, []string{
		"HIREBRIDGE_NATS_PASSWORD=hunter2-secret",
		"HIREBRIDGE_PUBLISH_TIMEOUT=3s",
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	listed := out.String()
	readme, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	all := settings.Of(&config.Config{}, config.Prefix)
	if len(all) < 40 {
		t.Fatalf("only %d settings found: has the layout changed?", len(all))
	}
	secrets := map[string]bool{}
	for _, s := range all {
		if !strings.Contains(listed, s.Var+" ") {
			t.Errorf("hirebridge config does not list %s", s.Var)
		}
		if !strings.Contains(string(readme), "`"+s.Var+"`") {
			t.Errorf("docs/configuration.md does not document %s", s.Var)
		}
		if !s.Secret {
			continue
		}
		secrets[s.Var] = true
		if !regexp.MustCompile(`(?m)^` + s.Var + `_FILE +- +-$`).MatchString(listed) {
			t.Errorf("hirebridge config does not list %s_FILE", s.Var)
		}
		if !strings.Contains(string(readme), "`"+s.Var+"` (`_FILE`)") {
			t.Errorf("docs/configuration.md does not mark %s (`_FILE`)", s.Var)
		}
	}
	for _, m := range regexp.MustCompile("`(HIREBRIDGE_[A-Z0-9_]+)` \\(`_FILE`\\)").FindAllStringSubmatch(string(readme), -1) {
		if !secrets[m[1]] {
			t.Errorf("docs/configuration.md marks %s (`_FILE`), which is no secret: the service reads no %s_FILE", m[1], m[1])
		}
	}
	if !strings.Contains(string(readme), "`<NAME>_FILE`") {
		t.Error("docs/configuration.md does not say what (`_FILE`) means")
	}
	if strings.Contains(listed, "hunter2-secret") || !strings.Contains(listed, "REDACTED") {
		t.Errorf("hirebridge config shows a secret or does not mask it:\n%s", listed)
	}
	// Default, then the value in effect.
	if !regexp.MustCompile(`(?m)^HIREBRIDGE_PUBLISH_TIMEOUT +10s +3s$`).MatchString(listed) {
		t.Errorf("hirebridge config does not show the default and the value in effect:\n%s", listed)
	}
}
