package main

import (
	"context"
	"os"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/connect"
	"github.com/hirebridge/hirebridge/sinks"
)

// openCommandSink opens the service's broker for a command that publishes
// (replay, spool salvage), logging warnings only, for people, on standard
// error: the command's summary is its output. closeSink flushes and
// releases it.
func openCommandSink(ctx context.Context, cfg config.Config) (sink sinks.Sink, where string, closeSink func(), err error) {
	sink, where, release, err := connect.ServiceBroker(ctx, cfg, commandLog())
	if err != nil {
		return nil, "", nil, err
	}
	return sink, where, func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		_ = sink.Close(cctx)
		release()
	}, nil
}

// commandLog is the log of a command's library code, for people on
// standard error: warnings and errors only, since the command's summary is
// its output (the spool's refused or quarantined records, a damaged file
// moved aside).
func commandLog() zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, NoColor: true}).Level(zerolog.WarnLevel).With().Timestamp().Logger()
}
