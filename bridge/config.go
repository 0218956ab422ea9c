package bridge

import (
	"fmt"
	"strings"
	"time"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/sinks"
)

// Config is what the webhook handler needs to know. The env tags name each
// setting's variable (under the binary's prefix) and hold its default.
type Config struct {
	// Token is the shared secret Hirempire presents in the registered URL:
	// several, comma-separated, are all valid at once, so a token is
	// rotated without a window of 401s. The binary draws one at random
	// when none is set (and no Sources are given).
	Token string `env:"WEBHOOK_TOKEN" secret:"true"`
	// Sources, when given, take the place of Token, Source and Strict:
	// each source has tokens of its own, and its messages carry its name
	// and CloudEvents source. The binary reads them from
	// HIREBRIDGE_SOURCES_FILE.
	Sources []Source
	// MaxBodyBytes bounds the body read, and so the memory per request.
	MaxBodyBytes int64 `env:"MAX_BODY_BYTES" envDefault:"1048576"`
	// Prefix starts every topic: <prefix>.<event> and <prefix>.dlq. The
	// sinks are given the same.
	Prefix string `env:"TOPIC_PREFIX" envDefault:"hirempire"`
	// Source is the CloudEvents source attribute.
	Source string `env:"EVENT_SOURCE" envDefault:"https://app.hirempire.com"`
	// Strict rejects event types that are not documented.
	Strict bool `env:"STRICT" envDefault:"false"`
	// PublishTimeout is the longest wait for a broker ack; the sinks are
	// given the same.
	PublishTimeout time.Duration `env:"PUBLISH_TIMEOUT" envDefault:"10s"`
	// RetryAfter is advertised with every 503, in whole seconds.
	RetryAfter time.Duration `env:"RETRY_AFTER" envDefault:"5s"`
	// MaxConcurrent bounds requests being processed at once, counted once
	// their body is in; beyond it the handler answers 503 at once rather
	// than queueing without limit.
	MaxConcurrent int `env:"MAX_CONCURRENT_REQUESTS" envDefault:"1024"`
	// RequestMemory is the byte budget of all requests in progress: bodies
	// as they are read, and their decoded size. A request that cannot get
	// its share within a second is answered 503.
	RequestMemory int64 `env:"REQUEST_MEMORY_BYTES" envDefault:"33554432"`
}

// Validate reports the first field that cannot work, as a
// *sinks.FieldError.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return sinks.FieldErrorf("bridge", field, format, args...)
	}
	if len(c.Sources) > 0 {
		if err := ValidateSources(c.Sources); err != nil {
			return bad("Sources", "%v", err)
		}
	} else if err := validTokens(c.Token); err != nil {
		return bad("Token", "%v", err)
	}
	switch {
	case c.MaxBodyBytes <= 0:
		return bad("MaxBodyBytes", "must be positive, got %d", c.MaxBodyBytes)
	case !validPrefix(c.Prefix):
		return bad("Prefix", "%q must be dot-separated tokens of lowercase letters, digits, '_' and '-'", c.Prefix)
	case c.Source == "":
		return bad("Source", "must not be empty")
	case c.PublishTimeout <= 0:
		return bad("PublishTimeout", "must be a positive duration such as 10s, got %s", c.PublishTimeout)
	case c.RetryAfter <= 0:
		return bad("RetryAfter", "must be a positive duration such as 5s, got %s", c.RetryAfter)
	case c.RetryAfter%time.Second != 0:
		// Retry-After carries whole seconds; 1500ms would be sent as 2.
		return bad("RetryAfter", "must be whole seconds such as 5s, got %s", c.RetryAfter)
	case c.MaxConcurrent <= 0:
		return bad("MaxConcurrent", "must be positive, got %d", c.MaxConcurrent)
	case c.RequestMemory < 4*c.MaxBodyBytes:
		// Reading a body at the limit takes up to twice its size as the
		// buffer doubles, and decoding it more: below four times, bodies
		// near the limit could never be served.
		return bad("RequestMemory", "must be at least 4 times the body limit (%d), got %d", 4*c.MaxBodyBytes, c.RequestMemory)
	}
	return nil
}

// validTokens checks a comma-separated list of tokens, naming a bad one
// by its position, never by its value.
func validTokens(list string) error {
	tokens := SplitTokens(list)
	if len(tokens) == 0 {
		return fmt.Errorf("must hold at least one token")
	}
	seen := map[string]bool{}
	for i, t := range tokens {
		if err := validToken(t); err != nil {
			if len(tokens) == 1 {
				return err
			}
			return fmt.Errorf("token %d %v", i+1, err)
		}
		if seen[t] {
			return fmt.Errorf("token %d is given twice", i+1)
		}
		seen[t] = true
	}
	return nil
}

// validPrefix: each dot-separated token is what an event name may be, so a
// prefix can never hold a wildcard, a space or a path either.
func validPrefix(p string) bool {
	if p == "" {
		return false
	}
	for _, tok := range strings.Split(p, ".") {
		name, ok := schema.NormalizeName(tok)
		if !ok || name != tok || strings.Contains(tok, ".") {
			return false
		}
	}
	return true
}
