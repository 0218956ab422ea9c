package main

import (
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/config"
)

// A HIREBRIDGE_* variable nothing reads is most often a misspelt one
// (HIREBRIDGE_STRICK=true), whose setting silently stays at its default.
// Every command that reads the configuration says so at start; none
// refuses to run for it, since a variable left over from another version
// must not stop a deployment.

// warnUnknownVars tells the person running a command, one plain line each,
// before the command runs.
func warnUnknownVars(stderr io.Writer, environ []string) {
	for _, v := range config.Unknown(environ) {
		fmt.Fprintf(stderr, "hirebridge: warning: %s\n", v)
	}
}

// logUnknownVars tells the service's log, one structured line each, where
// a log search finds them by field.
func logUnknownVars(log zerolog.Logger, vars []config.UnknownVar) {
	for _, v := range vars {
		e := log.Warn().Str("variable", v.Name)
		if v.DidYouMean != "" {
			e = e.Str("did_you_mean", v.DidYouMean)
		}
		e.Msg("not a hirebridge variable: ignored")
	}
}
