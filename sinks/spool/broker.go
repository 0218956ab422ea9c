package spool

import "github.com/hirebridge/hirebridge/sinks"

// Broker is the broker's sink behind the spool, for what reads the broker
// itself rather than publishing (the console's searches and marks); nil
// while a Lazy one has not connected yet.
func (sp *Spool) Broker() sinks.Sink {
	if l, ok := sp.inner.(*Lazy); ok {
		return l.Broker()
	}
	return sp.inner
}

// Broker is the broker's sink once it is open, else nil.
func (l *Lazy) Broker() sinks.Sink {
	if h := l.sink.Load(); h != nil {
		return h.Sink
	}
	return nil
}
