package main

import (
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/config"
)

// newLogger is the service's logger: JSON lines, or lines for people.
func newLogger(cfg config.Config, stdout io.Writer) zerolog.Logger {
	level, _ := zerolog.ParseLevel(cfg.LogLevel)
	var w io.Writer = stdout
	if cfg.LogFormat == "console" {
		// Colours only for a terminal: escape codes in a file or a pipe
		// are noise.
		w = zerolog.ConsoleWriter{Out: stdout, TimeFormat: time.TimeOnly, NoColor: !isTerminal(stdout)}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// zerologWriter turns net/http's server error log (TLS handshake errors,
// broken connections) into structured lines.
type zerologWriter struct{ log zerolog.Logger }

func (w zerologWriter) Write(p []byte) (int, error) {
	w.log.Warn().Str("component", "http").Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (w zerologWriter) stdLogger() *log.Logger { return log.New(w, "", 0) }
