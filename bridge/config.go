package bridge

import "time"

// Config is what the webhook handler needs to know.
type Config struct {
	// Token is the shared secret Hirempire presents in the registered URL.
	Token string
	// MaxBodyBytes bounds the body read, and so the memory per request.
	MaxBodyBytes int64
	// Prefix starts every topic: <prefix>.<event> and <prefix>.dlq.
	Prefix string
	// Source is the CloudEvents source attribute.
	Source string
	// Strict rejects event types that are not documented.
	Strict bool
	// PublishTimeout is the longest wait for a broker ack.
	PublishTimeout time.Duration
	// RetryAfter is advertised with every 503.
	RetryAfter time.Duration
	// MaxConcurrent bounds requests being processed at once; beyond it the
	// handler answers 503 at once rather than queueing without limit.
	MaxConcurrent int
	// RequestMemory is the byte budget of all requests in progress: bodies
	// as they are read, and their decoded size. A request that cannot get
	// its share within a second is answered 503.
	RequestMemory int64
}
