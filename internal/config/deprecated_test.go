package config

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// HIREBRIDGE_KAFKA_BATCH_TIMEOUT does nothing since the Kafka sink sends
// its own produce requests: any value is accepted, said once as
// deprecated (not again as the other sink's on NATS), marked in the
// table, and left out of the start-up line's settings.
func TestDeprecatedBatchTimeout(t *testing.T) {
	t.Parallel()
	const name = Prefix + "KAFKA_BATCH_TIMEOUT"
	for _, environ := range [][]string{
		{Prefix + "SINK=kafka", Prefix + "KAFKA_BROKERS=k1:9092", name + "=2ms"},
		// Refused before, as leaving no time for the ack, or as no
		// duration: nothing of it is used now.
		{Prefix + "SINK=kafka", Prefix + "KAFKA_BROKERS=k1:9092", name + "=1h"},
		{Prefix + "SINK=kafka", Prefix + "KAFKA_BROKERS=k1:9092", name + "=0s"},
		{Prefix + "SINK=kafka", Prefix + "KAFKA_BROKERS=k1:9092", name + "=soon"},
		{Prefix + "KAFKA_CLIENT_ID=bridge", name + "=5ms"},
	} {
		cfg, err := Load(environ)
		if err != nil {
			t.Errorf("%v: %v", environ, err)
			continue
		}
		if len(cfg.DeprecatedVars) != 1 || cfg.DeprecatedVars[0].Name != name ||
			!strings.Contains(cfg.DeprecatedVars[0].Why, "no longer wait") {
			t.Errorf("%v: deprecated %+v, want %s alone, with why", environ, cfg.DeprecatedVars, name)
		}
		if slices.Contains(cfg.IgnoredVars, name) {
			t.Errorf("%v: %s is among the other sink's ignored variables too: %v", environ, name, cfg.IgnoredVars)
		}
		value := strings.SplitN(environ[len(environ)-1], "=", 2)[1]
		hasLine(t, printed(t, environ), name+` +- +`+value+` +deprecated, ignored: records no longer wait for a batch to fill: .*`)

		var buf bytes.Buffer
		log := zerolog.New(&buf)
		log.Info().Object("config", cfg).Msg("starting")
		if strings.Contains(buf.String(), "batch_timeout") {
			t.Errorf("%v: the start-up line logs the deprecated setting: %s", environ, buf.String())
		}
	}
	if cfg, err := Load([]string{Prefix + "SINK=kafka", Prefix + "KAFKA_BROKERS=k1:9092"}); err != nil || cfg.DeprecatedVars != nil {
		t.Errorf("not set: deprecated %+v (%v), want none", cfg.DeprecatedVars, err)
	}
	// Not set, the table marks it still, for whoever reads it before
	// setting it.
	hasLine(t, printed(t, nil), name+` +- +- +deprecated, ignored: .*`)
	// The other sink's variables are still said as ignored beside it.
	cfg, err := Load([]string{Prefix + "KAFKA_CLIENT_ID=bridge", name + "=5ms"})
	if err != nil || !slices.Equal(cfg.IgnoredVars, []string{Prefix + "KAFKA_CLIENT_ID"}) {
		t.Errorf("ignored %v (%v), want %sKAFKA_CLIENT_ID", cfg.IgnoredVars, err, Prefix)
	}
}
