package kafka

import (
	"context"
	"errors"
	"net"
	"sync"
)

// connections dials the sink's broker connections (the Transport's Dial)
// and keeps them, so Close can end them all. kafka-go closes only idle
// connections (Transport.CloseIdleConnections): one carrying a request to
// a broker that stopped answering stays open, with its goroutine, until
// the request's timeout, and the writes queued behind it wait that long
// each. Closing it fails the request at once, and each write then ends
// with its outcome unknown.
type connections struct {
	dialer net.Dialer
	// cut ends dials in progress once Close ends every connection.
	cut    context.Context
	cutAll context.CancelFunc

	mu   sync.Mutex
	open map[*trackedConn]struct{}
}

var errConnectionsCut = errors.New("the Kafka sink is closed")

func newConnections() *connections {
	cut, cutAll := context.WithCancel(context.Background())
	return &connections{cut: cut, cutAll: cutAll, open: make(map[*trackedConn]struct{})}
}

// dial is the Transport's Dial: kafka-go bounds ctx by its dial timeout,
// and does TLS and SASL over what it returns.
func (cs *connections) dial(ctx context.Context, network, address string) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(cs.cut, cancel)
	defer stop()
	nc, err := cs.dialer.DialContext(ctx, network, address)
	if err != nil {
		if cs.cut.Err() != nil {
			return nil, errConnectionsCut
		}
		return nil, err
	}
	c := &trackedConn{Conn: nc, owner: cs}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.cut.Err() != nil {
		nc.Close()
		return nil, errConnectionsCut
	}
	cs.open[c] = struct{}{}
	return c, nil
}

// closeAll closes every connection and refuses new ones.
func (cs *connections) closeAll() {
	cs.cutAll()
	cs.mu.Lock()
	open := cs.open
	cs.open = make(map[*trackedConn]struct{})
	cs.mu.Unlock()
	for c := range open {
		c.Conn.Close()
	}
}

// trackedConn is a connection that leaves its owner's set when kafka-go closes
// it.
type trackedConn struct {
	net.Conn
	owner *connections
}

func (c *trackedConn) Close() error {
	c.owner.mu.Lock()
	delete(c.owner.open, c)
	c.owner.mu.Unlock()
	return c.Conn.Close()
}
