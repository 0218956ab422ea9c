package sinks

import "github.com/hirebridge/hirebridge/schema/events"

// ContentID is events.ContentID, kept for the one caller not yet moved;
// delete this file once none uses it.
//
// Deprecated: use events.ContentID.
func ContentID(b []byte) string { return events.ContentID(b) }
