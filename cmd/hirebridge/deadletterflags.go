package main

import (
	"strings"

	"github.com/hirebridge/hirebridge/internal/replay"
	"github.com/hirebridge/hirebridge/schema/events"
)

// The flags `replay` and `deadletters list` share, each said and checked
// one way: the two commands choose dead letters alike.

// reasonFlag is -reason: a dead letter's hirebridge-reason.
func (c *commandFlags) reasonFlag() *string {
	return c.String("reason", "", "only dead letters with this hirebridge-reason `CODE`, one of:\n"+strings.Join(events.DeadLetterReasons(), ", "))
}

// sinceFlag is -since over what, as timeFlag reads it.
func (c *commandFlags) sinceFlag(what string) *string {
	return c.String("since", "", "only "+what+" stored since `WHEN`: a duration back from now (24h, 90m)\nor an RFC 3339 time (2025-01-02T15:04:05Z)")
}

// checkReason refuses a -reason that is no reason, before the broker is
// reached: a misspelt one would match nothing, which looks like nothing
// to do.
func (c *commandFlags) checkReason(reason string) error {
	if err := replay.CheckReason(reason); err != nil {
		return c.usageErrorf("-reason %v", err)
	}
	return nil
}
