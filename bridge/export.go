package bridge

import (
	"net/http"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// StoredTrace is the sender's trace context a stored message (a dead
// letter) kept, carried on exactly as the handler carries it from the
// request: `hirebridge replay` and the console publish a replayed dead
// letter as the handler would have published the event the first time.
func StoredTrace(st sinks.Stored) []sinks.Header {
	h := http.Header{}
	for _, name := range []string{events.HeaderTraceParent, events.HeaderTraceState} {
		if v := st.Header(name); v != "" {
			h.Set(name, v)
		}
	}
	return traceHeaders(&http.Request{Header: h})
}
