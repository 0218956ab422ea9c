package natsjs_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs/embedded"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// smallDisk mounts a tmpfs of size bytes for the test, or skips it: only
// root can mount one.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs as a disk that fills up")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting the tmpfs: %v", err)
		}
	})
	return dir
}

// fill writes a file until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{'f'}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			return path
		}
	}
}

// The embedded server's disk fills up: the store fails a write and, left
// alone, never acknowledges again. The bridge must say so at once (ready
// 503 with the reason within 5 s, publishes answered 503 without waiting
// their timeout), keep what it acknowledged, stay live, and store again by
// itself within 30 s of space being freed.
func TestDiskFullThenFreed(t *testing.T) {
	dir := smallDisk(t, 16<<20)
	var logs syncbuf.Buffer
	emb, err := embedded.Start(embedded.Config{
		Addr: "127.0.0.1:0", DataDir: dir, MaxPayload: 1 << 20,
		Log: zerolog.New(&logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Stop)
	c := config(emb.ClientURL())
	c.InProcess, c.Local = emb.Server, emb
	c.AckTimeout = 3 * time.Second
	s := open(t, c)

	big := func(id string) *sinks.Message {
		m := event(id, "cv_upload_completed")
		m.Body = append([]byte(`{"pad":"`), append(bytes.Repeat([]byte{'x'}, 64<<10), `"}`...)...)
		return m
	}
	var acked []string
	for i := range 5 {
		id := fmt.Sprintf("before-%d", i)
		if _, err := publish(t, s, big(id), 3*time.Second); err != nil {
			t.Fatalf("publish before the disk filled: %v", err)
		}
		acked = append(acked, id)
	}

	filler := fill(t, dir)
	// Publish until the store fails; events acknowledged meanwhile (the
	// server acks before its write completes) are noted, not counted on.
	var firstFailure time.Time
	for i := 0; i < 50 && firstFailure.IsZero(); i++ {
		if _, err := publish(t, s, big(fmt.Sprintf("filling-%d", i)), 3*time.Second); err != nil {
			firstFailure = time.Now()
		}
	}
	if firstFailure.IsZero() {
		t.Fatal("50 publishes of 64 KiB on a full 16 MiB disk all succeeded")
	}
	eventually(t, 5*time.Second, "readiness to fail with the reason", func() bool {
		err := ready(t, s)
		return err != nil && strings.Contains(err.Error(), "store")
	})
	if waited := time.Since(firstFailure); waited > 5*time.Second {
		t.Errorf("readiness failed %v after the first failed store, want within 5s", waited)
	}
	start := time.Now()
	if _, err := publish(t, s, big("while-full"), 10*time.Second); !errors.Is(err, sinks.ErrUnavailable) {
		t.Errorf("publish on a full disk = %v, want ErrUnavailable", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("a publish on the full disk waited %v instead of being refused at once", waited)
	}
	if err := s.Live(); err != nil {
		t.Errorf("Live while the disk is full = %v; the process can recover by itself", err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	eventually(t, 30*time.Second, "readiness after space was freed", func() bool { return ready(t, s) == nil })
	if _, err := publish(t, s, big("after"), 5*time.Second); err != nil {
		t.Fatalf("publish after space was freed: %v", err)
	}
	t.Logf("stored again %v after space was freed", time.Since(freed).Round(100*time.Millisecond))

	js := inspect(t, emb.ClientURL())
	have := map[string]bool{}
	for _, m := range storedMsgs(t, js, testStream) {
		have[m.Header.Get("Nats-Msg-Id")] = true
	}
	for _, id := range append(acked, "after") {
		if !have[id] {
			t.Errorf("%s was acknowledged but is not in the stream", id)
		}
	}
	if !strings.Contains(logs.String(), "no space left") {
		t.Errorf("the server's log does not show the failed write:\n%s", logs.String())
	}
}

// An external server's disk fills up: its store fails a write and stops
// acknowledging. The bridge cannot heal another process's store, but it
// must tell: readiness 503 within 5 s of the first failed store, later
// publishes answered at once, and storing again by itself once the
// server is back with room (its operator freed space and restarted it).
func TestExternalServerDiskFull(t *testing.T) {
	dir := smallDisk(t, 16<<20)
	srv := natstest.StartIn(t, dir)
	c := config(srv.URL())
	c.AckTimeout = 10 * time.Second
	s := open(t, c)
	body := bytes.Repeat([]byte{'x'}, 64<<10)
	send := func(id string, within time.Duration) error {
		m := event(id, "cv_upload_completed")
		m.Body = append(append([]byte(`{"pad":"`), body...), `"}`...)
		_, err := publish(t, s, m, within)
		return err
	}
	if err := send("before", 5*time.Second); err != nil {
		t.Fatal(err)
	}

	filler := fill(t, dir)
	// Senders keep coming, each willing to wait 5 s.
	filled := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			wg.Add(1)
			go func() { defer wg.Done(); _ = send(fmt.Sprintf("filling-%d", i), 5*time.Second) }()
		}
	}()
	eventually(t, 8*time.Second, "readiness to fail", func() bool { return ready(t, s) != nil })
	t.Logf("readiness failed %v after the disk filled: %v", time.Since(filled).Round(100*time.Millisecond), ready(t, s))
	if waited := time.Since(filled); waited > 6*time.Second {
		t.Errorf("readiness failed %v after the disk filled, want within 5 s of the first failed store", waited)
	}
	start := time.Now()
	if err := send("while-full", 10*time.Second); !errors.Is(err, sinks.ErrUnavailable) {
		t.Errorf("publish on a full disk = %v, want ErrUnavailable", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("a publish on the full disk waited %v instead of being refused at once", waited)
	}

	close(stop)
	wg.Wait()
	stop = make(chan struct{})
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	eventually(t, 30*time.Second, "readiness after the server came back with room", func() bool { return ready(t, s) == nil })
	if err := send("after", 5*time.Second); err != nil {
		t.Errorf("publish after the server came back: %v", err)
	}
}
