// Package servicetest runs the hirebridge binary for tests outside
// cmd/hirebridge, such as the consumer examples: built for the test,
// started with the environment the test gives on ports of its own choosing,
// and stopped with SIGTERM when the test ends.
package servicetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
)

// Token is the webhook token of the services started here.
const Token = "servicetest-token-0123456789abcdef"

// Service is the hirebridge binary running under a test.
type Service struct {
	// Web and Admin are the base URLs of the listeners.
	Web, Admin string
	Logs       *syncbuf.Buffer

	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// Start builds the binary, runs it with env added to a test's defaults
// (free ports, Token, a private data directory) and waits until /readyz
// passes.
func Start(t testing.TB, env map[string]string) *Service {
	t.Helper()
	environ := []string{
		// Port 0: the service binds free ports itself and logs them, so no
		// other test can take one between choosing and binding.
		"HIREBRIDGE_HTTP_ADDR=127.0.0.1:0",
		"HIREBRIDGE_ADMIN_ADDR=127.0.0.1:0",
		"HIREBRIDGE_WEBHOOK_TOKEN=" + Token,
		"HIREBRIDGE_DATA_DIR=" + t.TempDir(),
		"HIREBRIDGE_SHUTDOWN_TIMEOUT=10s",
	}
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	s := &Service{Logs: &syncbuf.Buffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(build(t))
	// Only what the test says: a developer's own HIREBRIDGE_* variables
	// must not leak in. PATH and HOME stay for the Go runtime's sake, and
	// GORACE, the race detector's options of the run, for the service's,
	// built with -race when the tests are (.ci/run drops the detector's
	// sleep at exit, a second on every stop).
	s.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, environ...)
	if v, ok := os.LookupEnv("GORACE"); ok {
		s.cmd.Env = append(s.cmd.Env, "GORACE="+v)
	}
	s.cmd.Stdout, s.cmd.Stderr = s.Logs, s.Logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.exited:
			t.Fatalf("hirebridge exited at start: %v\n%s", s.err, s.Logs)
		default:
		}
		if s.Admin == "" {
			s.Web, s.Admin = ListenURLs(s.Logs.String())
		} else if code, _ := get(s.Admin + "/readyz"); code == http.StatusOK {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("hirebridge was not ready within 30s:\n%s", s.Logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Post sends body to the webhook as Hirempire would and returns the status
// and the "status" member of the answer ("published", "duplicate") or,
// failing that, its "error".
func (s *Service) Post(t testing.TB, body []byte) (int, string) {
	t.Helper()
	resp, err := client.Post(s.Web+"/webhooks/hirempire/"+Token, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	var answer struct{ Status, Error string }
	if err := json.Unmarshal(raw, &answer); err != nil {
		t.Fatalf("POST: status %d, body %q", resp.StatusCode, raw)
	}
	if answer.Status == "" {
		return resp.StatusCode, answer.Error
	}
	return resp.StatusCode, answer.Status
}

// Examples are the documented Hirempire payloads of testdata/hirempire by
// event type, the challenge left out.
func Examples(t testing.TB) map[string][]byte {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "testdata", "hirempire")
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		if name == "challenge" {
			continue
		}
		if out[name], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 7 {
		t.Fatalf("found %d documented examples in %s, want 7", len(out), dir)
	}
	return out
}

// moduleRoot is the repository's root: the nearest directory holding
// go.mod above the test's own, where go test runs it. (Not this file's
// place, which a build with -trimpath does not record.)
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func (s *Service) stop(t testing.TB) {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if s.err != nil {
			t.Errorf("hirebridge exit after SIGTERM: %v\n%s", s.err, s.Logs)
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("hirebridge did not exit within 30s of SIGTERM\n%s", s.Logs)
	}
}

// BuildFlags are the flags of go build that the running test binary was
// built with and that a binary built for it must share, so that its build
// reuses the packages this test run compiled: -race, which the service
// gets too, and -trimpath.
func BuildFlags() []string {
	var flags []string
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if (s.Key == "-race" || s.Key == "-trimpath") && s.Value == "true" {
				flags = append(flags, s.Key)
			}
		}
	}
	return flags
}

// build compiles cmd/hirebridge into the test's temporary directory; the
// Go build cache makes every build after the first a link.
func build(t testing.TB) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "hirebridge")
	args := append([]string{"build", "-o", bin}, BuildFlags()...)
	out, err := exec.Command(goTool, append(args, "github.com/hirebridge/hirebridge/cmd/hirebridge")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ListenURLs reads the bound addresses from the start-up log: the webhook
// URL's host and the admin address; empty until both are logged.
func ListenURLs(logs string) (web, admin string) {
	for line := range strings.SplitSeq(logs, "\n") {
		var rec struct {
			WebhookURL string `json:"webhook_url"`
			AdminAddr  string `json:"admin_addr"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if u, err := url.Parse(rec.WebhookURL); err == nil && u.Host != "" {
			web = "http://" + u.Host
		}
		if rec.AdminAddr != "" {
			admin = "http://" + rec.AdminAddr
		}
	}
	if web == "" || admin == "" {
		return "", ""
	}
	return web, admin
}

var client = &http.Client{Timeout: 30 * time.Second}

func get(u string) (int, string) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
