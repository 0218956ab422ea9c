package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.Resolutions = (*Sink)(nil)

// ResolvedBucket is the key-value bucket keeping the resolved marks of
// stream's dead letters: HIREMPIRE_RESOLVED for HIREMPIRE. Its own stream
// (KV_HIREMPIRE_RESOLVED, on $KV.HIREMPIRE_RESOLVED.>) is outside the
// subjects consumers read and the bridge counts as destinations.
func ResolvedBucket(stream string) string { return stream + "_RESOLVED" }

// Resolve marks the dead letter id resolved, replacing an earlier mark. The
// bucket is created on the first mark, with the events stream's replicas,
// so that the marks are as safe as the dead letters they describe.
func (s *Sink) Resolve(ctx context.Context, id string, m sinks.Mark) error {
	value, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("resolving dead letter %s: %w", id, err)
	}
	kv, err := s.resolvedBucket(ctx)
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, id, value); err != nil {
		return fmt.Errorf("resolving dead letter %s in bucket %s: %w", id, ResolvedBucket(s.cfg.Stream), err)
	}
	return nil
}

// Resolved reads every mark: the bucket's last value of each key, which a
// watcher delivers before it says it is up to date. No bucket yet means no
// marks.
func (s *Sink) Resolved(ctx context.Context) (map[string]sinks.Mark, error) {
	bucket := ResolvedBucket(s.cfg.Stream)
	marks := make(map[string]sinks.Mark)
	kv, err := s.js.KeyValue(ctx, bucket)
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound):
		return marks, nil
	case err != nil:
		return nil, fmt.Errorf("reading resolved marks from bucket %s: %w", bucket, err)
	}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("reading resolved marks from bucket %s: %w", bucket, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reading resolved marks from bucket %s: %w", bucket, ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("reading resolved marks from bucket %s: the watcher stopped", bucket)
			}
			if e == nil {
				// Every key's last value has been delivered.
				return marks, nil
			}
			var m sinks.Mark
			if err := json.Unmarshal(e.Value(), &m); err != nil {
				return nil, fmt.Errorf("reading the resolved mark of %s from bucket %s: %w", e.Key(), bucket, err)
			}
			marks[e.Key()] = m
		}
	}
}

// resolvedBucket is the bucket of marks, created when missing. Replicas
// racing to create it agree, as they ask for the same configuration.
func (s *Sink) resolvedBucket(ctx context.Context) (jetstream.KeyValue, error) {
	bucket := ResolvedBucket(s.cfg.Stream)
	kv, err := s.js.KeyValue(ctx, bucket)
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		if err != nil {
			return nil, fmt.Errorf("looking up bucket %s: %w", bucket, err)
		}
		return kv, nil
	}
	kv, err = s.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "hirebridge: resolved marks on the dead letters of stream " + s.cfg.Stream,
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    s.cfg.StreamReplicas,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = s.js.KeyValue(ctx, bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("creating bucket %s: %w", bucket, err)
	}
	return kv, nil
}
