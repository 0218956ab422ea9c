package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/replay"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/typecap"
)

// cappedBroker is replay's broker behind the cap on undocumented types:
// replaying what a sender's flood of new names left on the dead letters
// must not create the destinations the cap refused. Beyond the cap, replay
// leaves the dead letter (refused); once HIREBRIDGE_MAX_UNDOCUMENTED_TYPES
// is raised, it publishes up to the new cap.
type cappedBroker struct {
	*typecap.Sink
	sinks.Reader
}

// resolvingCappedBroker is a cappedBroker whose broker keeps resolved
// marks: replay skips the dead letters marked resolved.
type resolvingCappedBroker struct {
	cappedBroker
	sinks.Resolutions
}

func capReplay(cfg config.Config, b replay.Broker) replay.Broker {
	capped := cappedBroker{
		Sink:   typecap.Wrap(b, cfg.TypeCapConfig(commandLog()), typecap.NewMetrics(prometheus.NewRegistry())),
		Reader: b,
	}
	if res, ok := b.(sinks.Resolutions); ok {
		return resolvingCappedBroker{cappedBroker: capped, Resolutions: res}
	}
	return capped
}
