package sinks

import "errors"

// ErrRefused means the broker refuses this one message for good, for a
// reason other than its size: a subject or topic the credentials may not
// write, a topic name or record the broker rejects, a policy. Retrying it
// never succeeds, while other messages may still be stored: the bridge
// keeps it on the dead letters rather than answer 503 for ever, and the
// spool moves it out of the way rather than wait behind it.
var ErrRefused = errors.New("refused by the broker for good")

// Permanent reports whether err is a refusal that no retry of the same
// message cures: ErrTooLarge or ErrRefused. Everything else a sink returns
// is ErrUnavailable (or ErrClosed): a later try may pass.
func Permanent(err error) bool {
	return errors.Is(err, ErrTooLarge) || errors.Is(err, ErrRefused)
}
