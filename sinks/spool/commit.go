package spool

import (
	bolt "go.etcd.io/bbolt"
)

// This file is the store's one writer: group commits of the writes queued
// by append, remove and quarantine (store.go).

// commit is the one writer: each round takes every op waiting and commits
// them in one transaction, which bbolt syncs before Update returns.
func (s *store) commit() {
	defer close(s.done)
	var retry []*op // removals whose commit failed, tried again with the next
	for first := range s.ops {
		batch := append(retry, first)
		retry = nil
	gather:
		for len(batch) < maxOpsPerCommit {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break gather
				}
				batch = append(batch, o)
			default:
				break gather
			}
		}
		err := s.hold()
		if err == nil {
			err = s.apply(batch)
		}
		for _, o := range batch {
			switch {
			case o.done != nil:
				// Settled before the answer: a caller answered has its
				// record counted as what it is.
				o.settle(err)
				o.done <- err
			case err != nil:
				retry = append(retry, o)
			}
		}
	}
	if len(retry) > 0 {
		// Closing: one more try for the removals; what fails stays on disk
		// and is forwarded again at the next start.
		_ = s.apply(retry)
	}
}

// apply commits ops in one transaction and, once it is synced, updates
// the totals the metrics read.
func (s *store) apply(ops []*op) error {
	var count, bytes, oldest, quarantined int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		recs, bodies, meta := tx.Bucket(bucketRecords), tx.Bucket(bucketBodies), tx.Bucket(bucketMeta)
		count, bytes, quarantined = getInt(meta, keyCount), getInt(meta, keyBytes), getInt(meta, keyQuarantined)
		removed := false
		for _, o := range ops {
			if o.rec == nil {
				k := seqKey(o.seq)
				rec := recs.Get(k)
				if rec == nil {
					continue
				}
				if o.why != nil {
					// Kept in the same transaction that takes it out of
					// the queue: never deleted before it is elsewhere.
					if err := tx.Bucket(bucketQuarantine).Put(k, rec); err != nil {
						return err
					}
					if err := tx.Bucket(bucketQuarantineBodies).Put(k, bodies.Get(k)); err != nil {
						return err
					}
					if err := tx.Bucket(bucketQuarantineWhy).Put(k, o.why); err != nil {
						return err
					}
					quarantined++
				}
				if err := recs.Delete(k); err != nil {
					return err
				}
				if err := bodies.Delete(k); err != nil {
					return err
				}
				count, bytes, removed = count-1, max(bytes-o.size, 0), true
				continue
			}
			seq, err := recs.NextSequence()
			if err != nil {
				return err
			}
			k := seqKey(seq)
			if err := recs.Put(k, o.rec); err != nil {
				return err
			}
			if err := bodies.Put(k, o.body); err != nil {
				return err
			}
			count, bytes = count+1, bytes+o.size
		}
		if count <= 0 {
			// A size guessed for a record that no longer decoded must not
			// leave bytes behind in an empty spool.
			count, bytes = 0, 0
		}
		oldest = s.oldest.Load()
		if removed || oldest == 0 || count == 0 {
			oldest = firstAt(recs)
		}
		if err := putInt(meta, keyCount, count); err != nil {
			return err
		}
		if err := putInt(meta, keyQuarantined, quarantined); err != nil {
			return err
		}
		return putInt(meta, keyBytes, bytes)
	})
	if err != nil {
		return err
	}
	s.count.Store(count)
	s.bytes.Store(bytes)
	s.oldest.Store(oldest)
	s.quarantined.Store(quarantined)
	s.state.maybeWrite(count, bytes)
	return nil
}

// hold runs the tests' beforeCommit, if any.
func (s *store) hold() error {
	if f := s.beforeCommit.Load(); f != nil {
		return (*f)()
	}
	return nil
}
