// Package console is the admin listener's console (SPEC 12): a page
// embedded in the binary and the JSON API under /api/v1/ it is built on,
// to see what arrived, find an event, and replay or resolve a dead letter.
// It reads the broker itself (sinks.Browser, sinks.Resolutions,
// sinks.Reader) and this process's Prometheus registry; it is mounted on
// the admin listener only, never on the webhook's.
package console

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/internal/replay"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// Broker is what the console needs of the broker's sink: to search what
// it stored, keep resolved marks, and replay dead letters.
type Broker interface {
	sinks.Browser
	sinks.Resolutions
	replay.Broker
}

// Config is what the console shows and acts on.
type Config struct {
	// Broker returns the broker's sink, or why it cannot now (not
	// connected yet, behind a spool that is still trying): the API then
	// answers 503.
	Broker func() (Broker, error)
	// Follower opens a follower of the broker for one live feed client.
	Follower func(ctx context.Context) (sinks.Follower, error)
	// Ready is the service's readiness, shown as the broker's state.
	Ready sinks.ReadinessChecker
	// Gatherer is the service's registry: the chart, the latency and the
	// spool's gauges are read from it.
	Gatherer prometheus.Gatherer
	// Bridge is the handler's configuration: the prefix, and how replay
	// takes a dead letter.
	Bridge bridge.Config
	// Sink ("nats", "kafka"), Where (the broker, for people) and Version
	// are shown as they are.
	Sink, Where, Version string
	StartedAt            time.Time
	// Token is HIREBRIDGE_ADMIN_TOKEN, empty when unset.
	Token string
	// Loopback is true when the admin listener takes connections from
	// this machine only: then no token is needed.
	Loopback bool
	Log      zerolog.Logger
}

// Timeouts of the broker's work for one request: a broker away answers
// 503 in this time rather than holding the request. A search reads at most
// sinks.DefaultScan messages, within a second on the embedded default;
// replay also reads the whole destination topic for the event's id.
const (
	brokerTimeout = 5 * time.Second
	replayTimeout = 15 * time.Second
)

// Console serves the page and the API. Close ends its live feeds and its
// sampler.
type Console struct {
	cfg     Config
	mux     *http.ServeMux
	handler http.Handler
	hist    *history
	// live holds a slot per live feed: each opens a broker connection.
	live chan struct{}
	// done ends the live feeds and the sampler when the service stops:
	// the admin server's Shutdown would otherwise wait for them.
	done      context.Context
	stop      context.CancelFunc
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// maxLive bounds the live feeds open at once, each a broker connection
// and an admin connection: the admin listener takes 64 (adminConnections
// in cmd/hirebridge), and probes and scrapes keep the rest.
const maxLive = 16

// New returns the console; Close it when the service stops.
func New(cfg Config) *Console {
	if cfg.StartedAt.IsZero() {
		cfg.StartedAt = time.Now()
	}
	if cfg.Bridge.Prefix == "" {
		cfg.Bridge.Prefix = events.DefaultPrefix
	}
	done, stop := context.WithCancel(context.Background())
	c := &Console{
		cfg:  cfg,
		mux:  http.NewServeMux(),
		hist: newHistory(cfg.Gatherer),
		live: make(chan struct{}, maxLive),
		done: done,
		stop: stop,
	}
	c.routes()
	c.handler = c.logged(c.mux)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.hist.run(done, sampleEvery)
	}()
	return c
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.handler.ServeHTTP(w, r) }

// Close ends the live feeds (their handlers return, so the admin server's
// Shutdown need not wait them out) and stops the sampler. It returns once
// the sampler stopped; the live feeds' handlers end at once after.
func (c *Console) Close() {
	c.closeOnce.Do(c.stop)
	c.wg.Wait()
}

func (c *Console) routes() {
	c.mountAssets()
	c.mux.HandleFunc("GET /api/v1/status", c.status)
	c.mux.HandleFunc("GET /api/v1/events", c.listEvents)
	c.mux.HandleFunc("GET /api/v1/events/live", c.liveFeed)
	// Bodies are personal data: off loopback, only with the token.
	c.mux.HandleFunc("GET /api/v1/events/{id}", c.authorized(c.getEvent))
	c.mux.HandleFunc("GET /api/v1/deadletters", c.listDeadLetters)
	c.mux.Handle("POST /api/v1/deadletters/{id}/replay", c.action(c.replay))
	c.mux.Handle("POST /api/v1/deadletters/{id}/resolve", c.action(c.resolve))
	for path, allow := range map[string]string{
		"/api/v1/status": "GET, HEAD", "/api/v1/events": "GET, HEAD", "/api/v1/events/{id}": "GET, HEAD",
		"/api/v1/deadletters": "GET, HEAD", "/api/v1/deadletters/{id}/replay": "POST", "/api/v1/deadletters/{id}/resolve": "POST",
	} {
		c.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, codeMethod, r.Method+" is not allowed here; use "+allow)
		})
	}
	c.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, codeNotFound, r.Method+" "+r.URL.Path+" is not an endpoint of the API; see docs/console.md")
	})
}

// prefix is the subject or topic prefix; dlq the dead letters' subject.
func (c *Console) prefix() string { return c.cfg.Bridge.Prefix }
func (c *Console) all() string    { return c.cfg.Bridge.Prefix + ".>" }
func (c *Console) dlq() string    { return events.DeadLetterSubject(c.cfg.Bridge.Prefix) }

// broker is the broker's sink, or a 503 answered.
func (c *Console) broker(w http.ResponseWriter) (Broker, bool) {
	b, err := c.cfg.Broker()
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, err.Error())
		return nil, false
	}
	return b, true
}

// Loopback tells whether a listener bound to addr takes connections from
// this machine only: 127.0.0.0/8, ::1 or localhost. An unspecified
// address (":9090", "0.0.0.0") takes them from anywhere.
func Loopback(addr net.Addr) bool {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		host = addr.String()
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
