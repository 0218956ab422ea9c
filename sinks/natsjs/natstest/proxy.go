package natstest

import (
	"net"
	"sync"
	"testing"
)

// Proxy relays TCP connections to a server and can stop relaying: paused,
// it keeps every connection open and reads what arrives, but passes
// nothing on either way until Resume, as a server stopped by SIGSTOP (or
// a frozen VM) is seen from its clients. The in-process server cannot be
// stopped so; this stops the wire instead.
type Proxy struct {
	ln     net.Listener
	target string
	done   chan struct{}
	relays sync.WaitGroup

	mu      sync.Mutex
	resumed chan struct{} // nil while relaying; closed by Resume
	conns   map[net.Conn]struct{}
}

// StartProxy relays a port of 127.0.0.1 to target ("host:port") until the
// test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	p.relays.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// URL is the NATS URL of the proxy.
func (p *Proxy) URL() string { return "nats://" + p.ln.Addr().String() }

// Pause stops relaying; what arrives meanwhile is held.
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumed == nil {
		p.resumed = make(chan struct{})
	}
}

// Resume relays again, what was held first.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumed != nil {
		close(p.resumed)
		p.resumed = nil
	}
}

func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		if !p.track(client, server) {
			return
		}
		p.relays.Go(func() { p.relay(server, client) })
		p.relays.Go(func() { p.relay(client, server) })
	}
}

// track notes the connections, or closes them when the proxy is closing.
func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		for _, c := range cs {
			c.Close()
		}
		return false
	default:
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

// relay copies src to dst, holding each read while paused; it closes both
// when either ends, so the other direction ends too.
func (p *Proxy) relay(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitRelaying() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// waitRelaying returns once the proxy is not paused, or false when it is
// closing.
func (p *Proxy) waitRelaying() bool {
	p.mu.Lock()
	resumed := p.resumed
	p.mu.Unlock()
	if resumed == nil {
		return true
	}
	select {
	case <-resumed:
		return true
	case <-p.done:
		return false
	}
}

func (p *Proxy) close() {
	p.mu.Lock()
	close(p.done)
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	p.ln.Close()
	for c := range conns {
		c.Close()
	}
	p.relays.Wait()
}
