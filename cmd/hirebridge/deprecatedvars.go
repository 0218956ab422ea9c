package main

import (
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/config"
)

// logDeprecatedVars tells the service's log of each variable given that
// no longer does anything, one warning each with why, so that an operator
// can drop it. The service starts all the same: a deployment that sets one
// must not stop at an upgrade.
func logDeprecatedVars(log zerolog.Logger, vars []config.DeprecatedVar) {
	for _, v := range vars {
		log.Warn().Str("variable", v.Name).Str("why", v.Why).
			Msg("deprecated variable: ignored, and safe to remove")
	}
}
