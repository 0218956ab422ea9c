package natsjs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
)

// ErrStreamMismatch means an existing stream does not capture the prefix:
// publishing would fail or land elsewhere, so the process must not start.
var ErrStreamMismatch = errors.New("stream does not capture the subjects")

// ensureStream creates the stream when missing. An existing stream is used as
// it is, provided one of its subjects captures prefix.>.
func ensureStream(ctx context.Context, js jetstream.JetStream, c Config) error {
	want := sinks.AllTopics(c.Prefix)
	stream, err := js.Stream(ctx, c.Stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		_, err = js.CreateStream(ctx, streamConfig(c))
		if err != nil {
			return fmt.Errorf("creating stream %s for %s: %w", c.Stream, want, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("looking up stream %s: %w", c.Stream, err)
	}
	existing := stream.CachedInfo().Config
	if existing.NoAck {
		// Such a stream stores but never acknowledges: every publish would
		// wait out its timeout and become a 503. The server requires no-ack
		// of any stream capturing ">".
		return fmt.Errorf("%w: stream %s has no-ack set, so it never acknowledges a publish; use a stream without no-ack capturing %s, or set HIREBRIDGE_NATS_STREAM to another stream",
			ErrStreamMismatch, c.Stream, want)
	}
	subjects := existing.Subjects
	for _, s := range subjects {
		if covers(s, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: stream %s captures %v, not %s; add %s to its subjects or set HIREBRIDGE_NATS_STREAM to another stream",
		ErrStreamMismatch, c.Stream, subjects, want, want)
}

// streamConfig is the stream the bridge creates, at start or again when it
// vanished.
func streamConfig(c Config) jetstream.StreamConfig {
	maxBytes := c.StreamMaxBytes
	if maxBytes <= 0 {
		maxBytes = -1
	}
	return jetstream.StreamConfig{
		Name:        c.Stream,
		Description: "Hirempire webhooks published by hirebridge",
		Subjects:    []string{sinks.AllTopics(c.Prefix)},
		Storage:     jetstream.FileStorage,
		Replicas:    c.StreamReplicas,
		MaxAge:      c.StreamMaxAge,
		Duplicates:  c.duplicateWindow(),
		MaxBytes:    maxBytes,
		// A full stream refuses new events, which the sender hears as a
		// 503 and retries; dropping old ones would lose events already
		// answered 200.
		Discard: jetstream.DiscardNew,
	}
}

// covers reports whether the subject filter captures every subject that
// subject does; subject may itself end in ">".
func covers(filter, subject string) bool {
	ft := strings.Split(filter, ".")
	st := strings.Split(subject, ".")
	for i, f := range ft {
		if f == ">" {
			return i < len(st)
		}
		if i >= len(st) {
			return false
		}
		switch {
		case st[i] == ">":
			return false // filter is narrower than a trailing wildcard
		case f == "*":
			// matches any one token, including a literal "*"
		case f != st[i]:
			return false
		}
	}
	return len(ft) == len(st)
}

// CheckFilter says why a subject filter cannot match anything the stream
// holds, or nil: a pattern sinks.CheckPattern refuses (NATS wildcards match
// whole tokens only, so "hirempire.job_*" would wait forever in silence),
// or one outside every subject the stream captures.
func CheckFilter(filter string, streamSubjects []string) error {
	if err := sinks.CheckPattern(filter); err != nil {
		return err
	}
	for _, s := range streamSubjects {
		if sinks.Overlap(s, filter) {
			return nil
		}
	}
	return fmt.Errorf("%q matches nothing the stream captures (%s)", filter, strings.Join(streamSubjects, ", "))
}
