// Command hirebridge receives Hirempire webhooks and publishes them to NATS
// JetStream or Kafka. See the README for its configuration.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/config"
)

func main() {
	// SIGHUP (a closed terminal, or kill -HUP) stops as SIGTERM does, with
	// the drain and a log line naming it: Go's default would end the
	// process at once, silently, exit status 129, dropping requests in
	// flight. Nothing is reloaded: the configuration is the environment,
	// read once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout)
	stop()
	if code := exitStatus(os.Stderr, os.Getenv(config.Prefix+"LOG_FORMAT"), err); code != 0 {
		os.Exit(code)
	}
}

// reportFatal writes the error that ends the service as the last log line:
// JSON, as every other line, unless the logs are for people. A bad
// HIREBRIDGE_LOG_FORMAT is reported in JSON too, the default format.
// Other commands' errors are plain lines (exitStatus).
func reportFatal(w io.Writer, format string, err error) {
	if format == "console" {
		fmt.Fprintf(w, "hirebridge: %v\n", err)
		return
	}
	log := zerolog.New(w).With().Timestamp().Logger()
	log.WithLevel(zerolog.FatalLevel).Err(err).Msg("hirebridge stopped")
}
