package spool

import "sync"

// StallCommits holds the store's committer before each commit, as a
// stalled disk would, until release is called. From then on every commit,
// the held one first, fails with fail, or goes on when fail is nil, until
// HealCommits.
func (sp *Spool) StallCommits(fail error) (release func()) {
	held := make(chan struct{})
	stall := func() error {
		<-held
		return fail
	}
	sp.store.beforeCommit.Store(&stall)
	var once sync.Once
	return func() { once.Do(func() { close(held) }) }
}

// HealCommits ends what StallCommits began: commits go on.
func (sp *Spool) HealCommits() { sp.store.beforeCommit.Store(nil) }

// Counted is what the spool counts for the records it holds or is
// writing: their number (the backlog new events queue behind) and bytes
// (held to MaxBytes).
func (sp *Spool) Counted() (backlog, reserved int64) {
	return sp.backlog.Load(), sp.reserved.Load()
}

// PublishesInside is the number of publishes in progress, which Close
// waits for.
func (sp *Spool) PublishesInside() int { return sp.gate.Inside() }
