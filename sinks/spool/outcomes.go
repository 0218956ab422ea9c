package spool

// Outcomes counts what the forwarder did with the records it took out of
// the queue.
type Outcomes struct {
	// Forwarded were stored by the broker (a duplicate counts: it holds
	// the event already).
	Forwarded int64
	// DeadLettered were refused by the broker for good and kept on the
	// dead letters (reason undeliverable).
	DeadLettered int64
	// Quarantined could not be forwarded (damaged, of an unknown format
	// version, refused by the dead letters too) and were moved to the
	// spool's quarantine.
	Quarantined int64
}

// outcomes is what this process's forwarder did so far.
func (sp *Spool) outcomes() Outcomes {
	q := &sp.quarantines
	return Outcomes{
		Forwarded:    sp.forwarded.Load(),
		DeadLettered: sp.deadLettered.Load(),
		Quarantined:  q.corrupt.Load() + q.version.Load() + q.refused.Load(),
	}
}

// since is what was done after before was taken.
func (o Outcomes) since(before Outcomes) Outcomes {
	return Outcomes{
		Forwarded:    o.Forwarded - before.Forwarded,
		DeadLettered: o.DeadLettered - before.DeadLettered,
		Quarantined:  o.Quarantined - before.Quarantined,
	}
}
