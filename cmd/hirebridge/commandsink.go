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
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, NoColor: true}).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	sink, where, release, err := connect.ServiceBroker(ctx, cfg, log)
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
