package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/internal/servicetest"
	"github.com/hirebridge/hirebridge/internal/syncbuf"
)

// testToken is the webhook token of services started by tests.
const testToken = "test-token-0123456789abcdef"

// service is hirebridge running in process, as `hirebridge serve`.
type service struct {
	web, admin string // base URLs
	env        map[string]string
	logs       *syncbuf.Buffer
	stop       context.CancelFunc
	done       chan error
	// bound tells the addresses an in-process service listens on; a
	// process started from the binary is found through its log instead.
	bound chan [2]string
}

// slow skips t under -short (go test -short ./..., the fast local loop),
// saying what it covers: the tests that take seconds, such as outages, load
// and damaged spools, are left to the full run.
func slow(t testing.TB, covers string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skips " + covers)
	}
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// baseEnv is the environment of a test service: free ports, a fixed token,
// a private data directory. natsURL empty means the embedded server.
func baseEnv(t testing.TB, natsURL string) map[string]string {
	return map[string]string{
		// Port 0: the service binds a free port itself and logs it, so
		// no other test can take the port between choosing and binding.
		"HIREBRIDGE_HTTP_ADDR":           "127.0.0.1:0",
		"HIREBRIDGE_ADMIN_ADDR":          "127.0.0.1:0",
		"HIREBRIDGE_WEBHOOK_TOKEN":       testToken,
		"HIREBRIDGE_NATS_URL":            natsURL,
		"HIREBRIDGE_DATA_DIR":            t.TempDir(),
		"HIREBRIDGE_NATS_RECONNECT_WAIT": "50ms",
		"HIREBRIDGE_SHUTDOWN_TIMEOUT":    "10s",
	}
}

func environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// startService runs the service until the test ends and waits until it is
// ready.
func startService(t testing.TB, env map[string]string) *service {
	t.Helper()
	s := launch(t, env)
	s.waitReady(t)
	return s
}

// launch runs the service without waiting for it.
func launch(t testing.TB, env map[string]string) *service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &service{
		env:   env,
		logs:  &syncbuf.Buffer{},
		stop:  cancel,
		done:  make(chan error, 1),
		bound: make(chan [2]string, 1),
	}
	listening := func(web, admin net.Addr) {
		s.bound <- [2]string{"http://" + web.String(), "http://" + admin.String()}
	}
	go func() { s.done <- serveCommand(ctx, environ(env), s.logs, listening) }()
	t.Cleanup(func() {
		if err := s.shutdown(); err != nil {
			t.Errorf("service stopped with %v", err)
		}
	})
	return s
}

// shutdown stops the service as SIGTERM would and returns what run
// returned; calling it again returns nil.
func (s *service) shutdown() error {
	s.stop()
	select {
	case err, ok := <-s.done:
		if ok {
			close(s.done)
		}
		return err
	case <-time.After(30 * time.Second):
		return errors.New("the service did not stop within 30s")
	}
}

func (s *service) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("the service stopped at start: %v\nlogs:\n%s", err, s.logs)
		default:
		}
		if s.admin == "" {
			select {
			case addrs := <-s.bound:
				s.web, s.admin = addrs[0], addrs[1]
			default:
			}
		}
		if s.admin != "" {
			if status, _ := get(s.admin + "/readyz"); status == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service was not ready within 20s; logs:\n%s", s.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var client = &http.Client{Timeout: 30 * time.Second}

func get(url string) (int, string) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// webhookURL is where the sender posts, with the token in the path.
func (s *service) webhookURL() string {
	return s.web + "/webhooks/hirempire/" + testToken
}

// reply is the service's answer to one webhook.
type reply struct {
	Status int
	Header http.Header
	Body   struct {
		Status string `json:"status"`
		ID     string `json:"id"`
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}
	Raw string
}

func post(c *http.Client, url string, body []byte) (reply, error) {
	var r reply
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return r, err
	}
	r.Status, r.Header, r.Raw = resp.StatusCode, resp.Header, string(raw)
	if err := json.Unmarshal(raw, &r.Body); err != nil {
		return r, fmt.Errorf("status %d with a body that is not JSON: %q", resp.StatusCode, raw)
	}
	return r, nil
}

func mustPost(t testing.TB, url string, body []byte) reply {
	t.Helper()
	r, err := post(client, url, body)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	return r
}

// example reads a documented payload.
func example(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "hirempire", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// examples are the documented events (the challenge is no event).
func examples(t testing.TB) map[string][]byte { return servicetest.Examples(t) }

// storedMsg is a message read back from the stream.
type storedMsg struct {
	Subject string
	Header  nats.Header
	Data    []byte
}

// readStream returns every message of the stream, read by a separate client
// as a consumer would. On a cluster just restarted, a read can meet a
// stream or consumer still changing leader ("no responders"): the whole
// read is made again from the start, for up to a minute.
func readStream(t testing.TB, url, stream string) []storedMsg {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := readStreamOnce(url, stream)
		if err == nil {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("reading stream %s: %v", stream, err)
		}
		t.Logf("reading stream %s again from the start: %v", stream, err)
		time.Sleep(500 * time.Millisecond)
	}
}

func readStreamOnce(url, stream string) ([]storedMsg, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, err)
	}
	want := st.CachedInfo().State.Msgs
	if want == 0 {
		return nil, nil
	}
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	var out []storedMsg
	for uint64(len(out)) < want {
		// Fetch waits for a full batch, so ask for no more than remain.
		batch, err := cons.Fetch(int(min(want-uint64(len(out)), 500)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			out = append(out, storedMsg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()})
		}
		if err := batch.Error(); err != nil {
			return nil, fmt.Errorf("reading the stream: %w", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("read %d of %d messages, then nothing more", len(out), want)
		}
	}
	return out, nil
}

// byID indexes messages by ce-id (dead letters by Nats-Msg-Id), counting
// copies.
func byID(msgs []storedMsg) (map[string]storedMsg, map[string]int) {
	idx, count := map[string]storedMsg{}, map[string]int{}
	for _, m := range msgs {
		id := m.Header.Get("ce-id")
		if id == "" {
			id = m.Header.Get(nats.MsgIdHdr)
		}
		idx[id] = m
		count[id]++
	}
	return idx, count
}
