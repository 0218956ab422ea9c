package typecap

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/sinks"
)

// Variable is the setting's full name, for the refusals' detail, which a
// sender's operator reads on the dead letters far from the configuration.
const Variable = "HIREBRIDGE_MAX_UNDOCUMENTED_TYPES"

// Config is the cap and what it never counts. The env tag names the
// variable under the binary's prefix and holds its default.
type Config struct {
	// Max is how many undocumented event types may have a destination on
	// the broker. Those the broker already holds at start count, and stay
	// usable even beyond Max. 0 creates none: every undocumented event
	// goes to the dead letters.
	Max int `env:"MAX_UNDOCUMENTED_TYPES" envDefault:"100"`

	// Exempt are the destinations never counted: the documented types' and
	// the dead letters'. The binary sets them.
	Exempt []string
	// SeedTimeout bounds the one look at the broker's destinations when
	// the sink is wrapped; the binary sets it to the publish timeout.
	SeedTimeout time.Duration
	// Log says when the cap is reached, and what the broker held at start.
	Log zerolog.Logger
}

// Validate reports a field that cannot work, as a *sinks.FieldError.
func (c Config) Validate() error {
	if c.Max < 0 {
		return sinks.FieldErrorf("typecap", "Max", "%d is negative", c.Max)
	}
	return nil
}
