package main

import (
	"log"
	"strings"

	"github.com/rs/zerolog"
)

// zerologWriter turns net/http's server error log (TLS handshake errors,
// broken connections) into structured lines.
type zerologWriter struct{ log zerolog.Logger }

func (w zerologWriter) Write(p []byte) (int, error) {
	w.log.Warn().Str("component", "http").Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (w zerologWriter) stdLogger() *log.Logger { return log.New(w, "", 0) }
