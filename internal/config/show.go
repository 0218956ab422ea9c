package config

import (
	"io"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/settings"
)

// MarshalZerologObject logs every setting of the service and of its sink,
// from the same fields `hirebridge config` lists, with secrets masked.
func (c Config) MarshalZerologObject(e *zerolog.Event) {
	other := "Kafka."
	if c.Sink == "kafka" {
		other = "NATS."
	}
	for _, s := range settings.Of(&c, Prefix) {
		if strings.HasPrefix(s.Path, other) || (c.Sink == "kafka" && strings.HasPrefix(s.Path, "Embedded.")) {
			continue
		}
		e.Str(strings.ToLower(strings.TrimPrefix(s.Var, Prefix)), s.Display())
	}
}

// Print is `hirebridge config`: every variable, its default and the value
// in effect, secrets masked.
func (c Config) Print(w io.Writer) error {
	shown := map[string]string{}
	if c.TokenGenerated {
		shown[Prefix+"WEBHOOK_TOKEN"] = "(drawn at random at each start)"
	}
	return settings.Print(w, settings.Of(&c, Prefix), shown)
}
