// Package connlimit bounds the connections an HTTP server holds open.
// Every connection costs memory (a goroutine, its buffers) and a file
// descriptor whether or not it ever sends a request, so a flood of idle
// connections, which needs no token, could otherwise take the process
// past its memory limit or its descriptor limit, where the admin listener
// could not accept a probe either.
//
// At the limit, a new connection closes the connection that has waited
// longest without a request in progress (a new one that sent nothing yet,
// or a kept-alive one between requests): a flood of idle connections
// evicts itself, and senders with work are served. Only when every
// connection has a request in progress is the new one refused, with a
// static 503 written without reading anything.
package connlimit

import (
	"container/list"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// refusal is written to a connection refused at the limit: a complete
// HTTP/1.1 answer, so a client sees why rather than a reset.
var refusal = func() []byte {
	const body = `{"error":"overloaded","detail":"too many open connections, each with a request in progress"}`
	return []byte("HTTP/1.1 503 Service Unavailable\r\n" +
		"Content-Type: application/json\r\n" +
		"Retry-After: 1\r\n" +
		"Connection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
		"\r\n" + body)
}()

// refusalWriteTimeout bounds the write of the refusal: a fresh socket's
// send buffer takes it at once, so this only guards against the
// unexpected without holding up the accept loop.
const refusalWriteTimeout = 100 * time.Millisecond

// Limiter counts a server's connections. Use Listener around the server's
// listener and ConnState as its http.Server.ConnState.
type Limiter struct {
	max int

	mu    sync.Mutex
	open  int
	conns map[net.Conn]*tracked
	// waiting holds the connections without a request in progress, the
	// longest waiting first: the ones to close at the limit.
	waiting list.List

	evicted, refused atomic.Int64
}

type tracked struct {
	// at is this connection's element of waiting, nil while a request is
	// in progress.
	at *list.Element
	// evicted connections no longer count as open: the limiter closed
	// them, and their server goroutine may take a moment to notice.
	evicted bool
}

// New is a limiter of max connections.
func New(max int) *Limiter {
	return &Limiter{max: max, conns: map[net.Conn]*tracked{}}
}

// Max is the limit.
func (l *Limiter) Max() int { return l.max }

// Open is how many connections count against the limit now.
func (l *Limiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Evicted counts the connections closed to make room for new ones.
func (l *Limiter) Evicted() int64 { return l.evicted.Load() }

// Refused counts the connections refused at the limit.
func (l *Limiter) Refused() int64 { return l.refused.Load() }

// Listener wraps inner so that each connection it accepts is counted.
func (l *Limiter) Listener(inner net.Listener) net.Listener {
	return &listener{Listener: inner, l: l}
}

type listener struct {
	net.Listener
	l *Limiter
}

func (ln *listener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if ln.l.admit(c) {
			return c, nil
		}
		// Counted before the answer, which a client may act on at once.
		ln.l.refused.Add(1)
		refuse(c)
	}
}

// admit counts c in, making room by closing the longest-waiting
// connection when at the limit; false when there is none to close.
func (l *Limiter) admit(c net.Conn) bool {
	l.mu.Lock()
	var victim net.Conn
	if l.open >= l.max {
		front := l.waiting.Front()
		if front == nil {
			l.mu.Unlock()
			return false
		}
		victim = front.Value.(net.Conn)
		t := l.conns[victim]
		l.waiting.Remove(front)
		t.at, t.evicted = nil, true
		l.open--
	}
	l.open++
	t := &tracked{}
	t.at = l.waiting.PushBack(c)
	l.conns[c] = t
	l.mu.Unlock()
	if victim != nil {
		l.evicted.Add(1)
		// Closing wakes its server goroutine, which reports StateClosed.
		_ = victim.Close()
	}
	return true
}

func refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(refusalWriteTimeout))
	_, _ = c.Write(refusal)
	_ = c.Close()
}

// ConnState follows each connection through the server: waiting while it
// has no request in progress, counted out once closed.
func (l *Limiter) ConnState(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.conns[c]
	if !ok {
		return
	}
	switch state {
	case http.StateActive:
		if t.at != nil {
			l.waiting.Remove(t.at)
			t.at = nil
		}
	case http.StateIdle:
		if t.at == nil && !t.evicted {
			t.at = l.waiting.PushBack(c)
		}
	case http.StateClosed, http.StateHijacked:
		if t.at != nil {
			l.waiting.Remove(t.at)
		}
		if !t.evicted {
			l.open--
		}
		delete(l.conns, c)
	}
}
