package config

import (
	"maps"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/settings"
)

// MarshalZerologObject logs every setting of the service and of its sink,
// from the same fields `hirebridge config` lists, with secrets masked,
// and under "automatic" the value in use of those left to the service.
// Deprecated variables do nothing: a line of their own says so when they
// are set (DeprecatedVars).
func (c Config) MarshalZerologObject(e *zerolog.Event) {
	for _, s := range settings.Of(&c, Prefix) {
		if c.otherSinks(s.Path) || s.Deprecated != "" {
			continue
		}
		e.Str(logKey(s.Var), s.Display())
	}
	if len(c.Bridge.Sources) > 0 {
		e.Array("sources", sourcesLog(c.Bridge.Sources))
	}
	if auto := c.automatic(); len(auto) > 0 {
		d := zerolog.Dict()
		for _, name := range slices.Sorted(maps.Keys(auto)) {
			d.Str(logKey(name), auto[name].value)
		}
		e.Dict("automatic", d)
	}
}

// otherSinks tells the settings of the sink not chosen (the embedded
// server is NATS's), which the log leaves out.
func (c Config) otherSinks(path string) bool {
	if c.Sink == "kafka" {
		return strings.HasPrefix(path, "NATS.") || strings.HasPrefix(path, "Embedded.")
	}
	return strings.HasPrefix(path, "Kafka.")
}

func logKey(name string) string { return strings.ToLower(strings.TrimPrefix(name, Prefix)) }
