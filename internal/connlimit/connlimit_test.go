package connlimit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package when a server goroutine outlives its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server runs an HTTP server behind a limiter of max connections; its
// handler holds each request until release is closed.
func server(t *testing.T, max int, release chan struct{}) (*Limiter, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(max)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hold" {
				<-release
			}
			_, _ = io.WriteString(w, "ok")
		}),
		ConnState:         l.ConnState,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(l.Listener(ln)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l, ln.Addr().String()
}

// request sends one GET on c and returns the status, or 0 when the
// connection was closed without an answer.
func request(t *testing.T, c net.Conn, path string) int {
	t.Helper()
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitOpen(t *testing.T, l *Limiter, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for l.Open() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want %d", l.Open(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closed reports whether the server closed c (reads EOF or a reset),
// waiting up to 5 s; a connection still open then is not.
func closed(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	var timeout net.Error
	return err != nil && !(errors.As(err, &timeout) && timeout.Timeout())
}

// waitWaiting waits until n connections wait without a request: the
// server marks a connection idle only after it wrote the answer, which
// the client may read first.
func waitWaiting(t *testing.T, l *Limiter, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		waiting := l.waiting.Len()
		l.mu.Unlock()
		if waiting == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections waiting, want %d", waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A flood of connections that never send a request evicts itself: each
// new connection at the limit closes the one that waited longest, and a
// sender with a request is served.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	t.Parallel()
	l, addr := server(t, 4, make(chan struct{}))
	var idle []net.Conn
	for range 4 {
		idle = append(idle, dial(t, addr))
	}
	waitOpen(t, l, 4)
	waitWaiting(t, l, 4)
	sender := dial(t, addr)
	if got := request(t, sender, "/"); got != http.StatusOK {
		t.Fatalf("a sender at the limit got %d, want 200", got)
	}
	if !closed(idle[0]) {
		t.Error("the longest-waiting idle connection was not closed to make room")
	}
	if l.Evicted() != 1 || l.Refused() != 0 {
		t.Errorf("evicted %d, refused %d; want 1, 0", l.Evicted(), l.Refused())
	}
	if got := l.Open(); got > 4 {
		t.Errorf("%d connections open, more than the limit of 4", got)
	}
}

// A kept-alive connection between requests is idle too, and the one idle
// longest goes first.
func TestKeptAliveConnectionsAreEvictedOldestFirst(t *testing.T) {
	t.Parallel()
	l, addr := server(t, 2, make(chan struct{}))
	first, second := dial(t, addr), dial(t, addr)
	if request(t, first, "/") != http.StatusOK {
		t.Fatal("a request under the limit failed")
	}
	waitWaiting(t, l, 2) // first idle, second new
	if request(t, second, "/") != http.StatusOK {
		t.Fatal("a request under the limit failed")
	}
	waitWaiting(t, l, 2)
	if request(t, dial(t, addr), "/") != http.StatusOK {
		t.Fatal("a third sender at the limit was not served")
	}
	if !closed(first) {
		t.Error("the connection idle longest was not closed")
	}
	if request(t, second, "/") != http.StatusOK {
		t.Error("the connection idle for less time was closed too")
	}
	if l.Evicted() != 1 {
		t.Errorf("evicted %d, want 1", l.Evicted())
	}
}

// Connections with a request in progress are never closed for room: at
// the limit with all of them busy, a new one gets a 503 and is closed.
func TestBusyConnectionsAreKept(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	l, addr := server(t, 2, release)
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range 2 {
		c := dial(t, addr)
		wg.Go(func() { statuses[i] = request(t, c, "/hold") })
	}
	waitOpen(t, l, 2)
	// Both requests have been read once neither connection is waiting.
	waitWaiting(t, l, 0)
	refused := dial(t, addr)
	_ = refused.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(refused), nil)
	if err != nil {
		t.Fatalf("a connection over the limit of busy ones: %v, want a 503", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || len(body) == 0 {
		t.Errorf("refusal: %d %v %q; want 503 with Retry-After and a body", resp.StatusCode, resp.Header, body)
	}
	close(release)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("held request %d: %d, want 200 (a busy connection was closed)", i, s)
		}
	}
	if l.Refused() != 1 || l.Evicted() != 0 {
		t.Errorf("refused %d, evicted %d; want 1, 0", l.Refused(), l.Evicted())
	}
}

// Closed connections leave the count: the limit is of what is open.
func TestClosedConnectionsAreCountedOut(t *testing.T) {
	t.Parallel()
	l, addr := server(t, 3, make(chan struct{}))
	for range 10 {
		c := dial(t, addr)
		if request(t, c, "/") != http.StatusOK {
			t.Fatal("request failed")
		}
		c.Close()
		// Counted out once the server has seen the close.
		waitOpen(t, l, 0)
	}
	if l.Evicted() != 0 || l.Refused() != 0 {
		t.Errorf("evicted %d, refused %d, for connections that closed themselves", l.Evicted(), l.Refused())
	}
}
