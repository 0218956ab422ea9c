package main

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/sources/sourcestest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// sender posts distinct events with one token until stopped, counting
// what it was answered.
type sender struct {
	name        string
	ok, failed  atomic.Int64
	firstFailed atomic.Value
	stop        chan struct{}
	done        sync.WaitGroup
}

func startSender(t *testing.T, url, name string) *sender {
	s := &sender{name: name, stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				return
			default:
			}
			r, err := post(client, url, distinctJob(t, fmt.Sprintf("job_%s_%d", name, i)))
			if err == nil && r.Status == http.StatusOK {
				s.ok.Add(1)
				continue
			}
			s.failed.Add(1)
			s.firstFailed.CompareAndSwap(nil, fmt.Sprintf("%d %s %v", r.Status, r.Raw, err))
		}
	}()
	return s
}

func (s *sender) finish(t *testing.T) {
	t.Helper()
	close(s.stop)
	s.done.Wait()
	t.Logf("sender %s: %d answered 200, %d not", s.name, s.ok.Load(), s.failed.Load())
	if s.ok.Load() == 0 {
		t.Errorf("sender %s sent nothing that was answered", s.name)
	}
	if s.failed.Load() > 0 {
		t.Errorf("sender %s: %d requests not answered 200, the first %v", s.name, s.failed.Load(), s.firstFailed.Load())
	}
}

// waitStatus polls with token until it gets status, and says how long it
// took from since.
func waitStatus(t *testing.T, url string, status int, since time.Time) time.Duration {
	t.Helper()
	deadline := since.Add(10 * time.Second)
	for i := 0; ; i++ {
		r, err := post(client, url, distinctJob(t, fmt.Sprintf("job_probe_%d", i)))
		if err == nil && r.Status == status {
			return time.Since(since)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d within 10s: %d %s %v", status, r.Status, r.Raw, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestTokenRotationUnderLoad rotates globex's token through the sources
// file, updated as Kubernetes updates a mounted Secret, while senders post
// without a pause: acme's sender, whose token stays, and globex's, which
// moves from the old token to the new one once both work (as Hirempire's
// URL is changed). No request of a sender with a valid token fails; the
// old token stops within 10 s of its removal.
func TestTokenRotationUnderLoad(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	delete(env, "HIREBRIDGE_WEBHOOK_TOKEN")
	secret := sourcestest.NewSecretDir(t, "sources.yaml", twoSources(globexToken))
	env["HIREBRIDGE_SOURCES_FILE"] = secret.Path()
	svc := startService(t, env)
	base := svc.web + "/webhooks/hirempire/"

	acme := startSender(t, base+acmeToken, "acme")
	oldGlobex := startSender(t, base+globexToken, "globex-old")
	time.Sleep(200 * time.Millisecond)

	// 1. Add the new token.
	start := time.Now()
	secret.Swap(t, twoSources(globexToken, globexToken2))
	added := waitStatus(t, base+globexToken2, http.StatusOK, start)
	time.Sleep(200 * time.Millisecond)
	// 2. Hirempire's URL changed: the sender uses the new token.
	newGlobex := startSender(t, base+globexToken2, "globex-new")
	oldGlobex.finish(t)
	time.Sleep(200 * time.Millisecond)
	// 3. Remove the old token.
	start = time.Now()
	secret.Swap(t, twoSources(globexToken2))
	removed := waitStatus(t, base+globexToken, http.StatusUnauthorized, start)
	time.Sleep(200 * time.Millisecond)

	newGlobex.finish(t)
	acme.finish(t)
	t.Logf("reload latency: new token accepted %v after the swap, old token refused %v after the swap", added, removed)
}
