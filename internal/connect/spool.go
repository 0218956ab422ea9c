package connect

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/datadir"
	"github.com/hirebridge/hirebridge/internal/settings"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// brokerRetry is how often the broker is tried while it has not answered
// since the start.
const brokerRetry = 2 * time.Second

// openSpooled opens the spool in front of the broker's sink. The broker
// need not answer at start: its sink is then opened in the background
// (stream or topics checked or created once it answers) while events are
// spooled, so a restart during an outage keeps accepting events. A broker
// that answers but is set up wrong still stops the start, as without a
// spool.
func openSpooled(ctx context.Context, cfg config.Config, log zerolog.Logger, tp trace.TracerProvider) (sinks.Sink, func(), error) {
	sc := cfg.SpoolConfig(log)
	sc.TracerProvider, sc.MessagingSystem = tp, cfg.Sink
	lock, err := datadir.Take(sc.Dir, config.Prefix+"SPOOL_DIR", "spool directory")
	if err != nil {
		return nil, nil, err
	}
	unlock := func() {
		if err := lock.Unlock(); err != nil {
			log.Warn().Err(err).Msg("unlocking the spool directory")
		}
	}
	broker, err := spool.OpenLazy(ctx, func(ctx context.Context) (sinks.Sink, error) {
		// The spool needs an external broker (Validate), whose sink owns
		// everything: there is nothing else to release.
		s, _, err := openBroker(ctx, cfg, log)
		return s, err
	}, misconfigured, cfg.Bridge.PublishTimeout, brokerRetry, log)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	sp, err := spool.Open(sc, broker)
	if err != nil {
		_ = broker.Close(ctx)
		unlock()
		return nil, nil, cfg.VarError(err)
	}
	log.Info().Str("dir", sc.Dir).Int64("max_bytes", sc.MaxBytes).Dur("after", sc.After).
		Msg("spool on: events the broker does not acknowledge in time are kept on disk, answered 202, and forwarded in order")
	return sp, unlock, nil
}

// misconfigured tells the errors no wait for the broker cures: a setting
// refused (by the part, or already named by its variable, as openBroker
// names the sinks' refusals), a file missing or unreadable, a stream that
// does not capture the prefix.
func misconfigured(err error) bool {
	var fe *sinks.FieldError
	var ve *settings.VarError
	return errors.As(err, &fe) || errors.As(err, &ve) || errors.Is(err, natsjs.ErrStreamMismatch) ||
		errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
}
