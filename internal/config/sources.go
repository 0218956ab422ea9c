package config

import (
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/internal/settings"
	"github.com/hirebridge/hirebridge/internal/sources"
)

// readSources reads HIREBRIDGE_SOURCES_FILE into the bridge's sources.
// HIREBRIDGE_WEBHOOK_TOKEN beside it is refused rather than made one more
// source: a token left there after a rotation through the file would stay
// valid unseen.
func (c *Config) readSources() error {
	if c.Bridge.Token != "" {
		return &settings.VarError{Var: Prefix + "SOURCES_FILE",
			Problem: Prefix + "WEBHOOK_TOKEN is set too; set one of them: the sources file lists each source's tokens"}
	}
	srcs, err := sources.Read(c.SourcesFile, c.SourceDefaults())
	if err != nil {
		return &settings.VarError{Var: Prefix + "SOURCES_FILE", Problem: err.Error()}
	}
	c.Bridge.Sources = srcs
	return nil
}

// SourceDefaults are what a source in the file leaves out.
func (c Config) SourceDefaults() sources.Defaults {
	return sources.Defaults{EventSource: c.Bridge.Source, Strict: c.Bridge.Strict}
}

// printSources follows `hirebridge config`'s table with the sources of
// HIREBRIDGE_SOURCES_FILE: their names, CloudEvents sources, strict
// settings and how many tokens each has, never the tokens.
func (c Config) printSources(w io.Writer) error {
	for _, s := range c.Bridge.Sources {
		if _, err := fmt.Fprintf(w, "SOURCE %s: source %s, strict %t, %d tokens\n",
			s.Name, s.EventSource, s.Strict, len(s.Tokens)); err != nil {
			return err
		}
	}
	return nil
}

// sourcesLog is the sources as the start-up line logs them, without their
// tokens.
func sourcesLog(srcs []bridge.Source) *zerolog.Array {
	a := zerolog.Arr()
	for _, s := range srcs {
		a.Dict(zerolog.Dict().Str("name", s.Name).Str("source", s.EventSource).
			Bool("strict", s.Strict).Int("tokens", len(s.Tokens)))
	}
	return a
}
