package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/servicetest"
	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// binaryVersion is stamped into the test binary to check -X main.version.
const binaryVersion = "v0.0.0-test"

var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// raceOptions passes this run's options of the race detector (GORACE), if
// any, to a process started from the binary, which is built with -race
// when the tests are: .ci/run drops the detector's sleep at exit, a second
// that every process a test stops would otherwise add.
func raceOptions() []string {
	if v, ok := os.LookupEnv("GORACE"); ok {
		return []string{"GORACE=" + v}
	}
	return nil
}

// binary builds the hirebridge binary once per test run, for the tests
// that need a real process: signals and exit codes.
func binary(t *testing.T) string {
	t.Helper()
	slow(t, "the tests of the built binary (signals, exit codes, the stamped version, the process against each broker), which begin by building it")
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		binPath = filepath.Join(binDir, "hirebridge")
		// Built as the tests were (-race, -trimpath), it reuses the
		// packages this run compiled.
		args := append([]string{"build", "-ldflags", "-X main.version=" + binaryVersion, "-o", binPath}, servicetest.BuildFlags()...)
		cmd := exec.Command(goTool, append(args, ".")...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestBinaryVersion(t *testing.T) {
	slow(t, "the version stamped into the built binary (-ldflags -X), which begins by building it")
	t.Parallel()
	out, err := exec.Command(binary(t), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "hirebridge "+binaryVersion+"\n" {
		t.Errorf("version printed %q", out)
	}
}

// A bad value exits non-zero with one line on stderr naming the variable.
func TestBinaryBadConfig(t *testing.T) {
	slow(t, "the built binary's exit code and one-line error on bad settings")
	t.Parallel()
	for _, bad := range []string{"HIREBRIDGE_SINK=foo", "HIREBRIDGE_PUBLISH_TIMEOUT=abc", "HIREBRIDGE_TOPIC_PREFIX=a.>", "HIREBRIDGE_LOG_FORMAT=xml"} {
		variable, _, _ := strings.Cut(bad, "=")
		cmd := exec.Command(binary(t))
		cmd.Env = append(raceOptions(), bad)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("%s: exit %v, want a non-zero exit code", bad, err)
			continue
		}
		lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], variable) {
			t.Errorf("%s: stderr %q, want one line naming %s", bad, stderr.String(), variable)
		}
		// The last line is JSON like every other, even when the log format
		// itself is what is wrong.
		var line struct{ Level, Error string }
		if err := json.Unmarshal([]byte(lines[0]), &line); err != nil || line.Level != "fatal" || !strings.Contains(line.Error, variable) {
			t.Errorf("%s: stderr %q is not a JSON line at level fatal with the error (%v)", bad, lines[0], err)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: stdout %q, want nothing", bad, stdout.String())
		}
	}
}

// SIGTERM under load: readiness fails, the process exits 0, and every event
// a sender was told is stored is in the stream; after the process is gone
// nothing is acknowledged.
func TestBinarySIGTERMLosesNothing(t *testing.T) {
	slow(t, "SIGTERM to the built binary under load: readiness fails, exit 0, nothing acknowledged lost")
	t.Parallel()
	const clients = 24
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	// Long enough to see readiness fail before the listener closes, even
	// with the other tests of the run taking the CPU.
	env["HIREBRIDGE_SHUTDOWN_DELAY"] = "1s"

	proc := startBinary(t, env)
	cmd, logs, exited, svc := proc.cmd, proc.logs, proc.exited, proc.svc

	factory := newEventFactory(t)
	c := loadClient(clients)
	res := &outcomes{acked: map[string]int{}}
	var afterExit atomic.Int64 // acknowledgements received after the process was gone
	var seq atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				gone := false
				select {
				case <-exited:
					gone = true
				default:
				}
				i := int(seq.Add(1))
				r, err := post(c, svc.webhookURL(), factory.make("sigterm", i))
				if gone {
					if err == nil {
						afterExit.Add(1)
					}
					return
				}
				if err != nil {
					// Refused or cut off once the listener closes: not an
					// acknowledgement, nothing to record.
					time.Sleep(5 * time.Millisecond)
					continue
				}
				res.record(i, r, nil)
			}
		})
	}

	waitFor(t, 30*time.Second, "200 events stored before the signal", func() bool { a, _ := res.counts(); return a >= 200 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sawDraining := false
	waitFor(t, 10*time.Second, "readiness to fail after SIGTERM", func() bool {
		s, body := get(svc.admin + "/readyz")
		sawDraining = s == http.StatusServiceUnavailable && strings.Contains(body, "shutting_down")
		return s != http.StatusOK
	})
	if !sawDraining {
		t.Error("readiness did not answer 503 shutting_down during the shutdown delay")
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the binary did not exit within 30s of SIGTERM\n%s", logs)
	}
	wg.Wait()
	if proc.waitErr != nil {
		t.Fatalf("exit after SIGTERM: %v, want 0\n%s", proc.waitErr, logs)
	}

	if n := afterExit.Load(); n != 0 {
		t.Errorf("%d requests got an answer after the process exited", n)
	}
	if _, err := post(client, svc.webhookURL(), factory.make("sigterm", -1)); err == nil {
		t.Error("a request after exit got an answer")
	}
	acked, unavailable := res.counts()
	t.Logf("%d sent, %d stored, %d told 503", seq.Load(), acked, unavailable)
	for _, o := range res.other {
		t.Errorf("unexpected answer: %s", o)
	}
	_, count := byID(readStream(t, broker.URL(), "HIREMPIRE"))
	for id, i := range res.acked {
		if count[id] != 1 {
			t.Errorf("event %d (%s) was acknowledged but is stored %d times", i, id, count[id])
		}
	}
}

// process is the hirebridge binary running under a test.
type process struct {
	cmd    *exec.Cmd
	logs   *syncbuf.Buffer
	svc    *service
	exited chan struct{}
	// waitErr is how the process ended; read it after exited is closed.
	waitErr error
}

// startBinary runs the binary with env, waits until /readyz passes, and
// kills it at the end of the test if it still runs.
func startBinary(t *testing.T, env map[string]string) *process {
	t.Helper()
	p := &process{
		cmd:    exec.Command(binary(t)),
		logs:   &syncbuf.Buffer{},
		svc:    &service{},
		exited: make(chan struct{}),
	}
	p.svc.logs = p.logs
	p.cmd.Env = append(environ(env), raceOptions()...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	waitFor(t, 30*time.Second, "the binary to be ready", func() bool {
		select {
		case <-p.exited:
			t.Fatalf("the binary exited at start: %v\n%s", p.waitErr, p.logs)
		default:
		}
		if p.svc.admin == "" {
			p.svc.web, p.svc.admin = servicetest.ListenURLs(p.logs.String())
			return false
		}
		s, _ := get(p.svc.admin + "/readyz")
		return s == http.StatusOK
	})
	return p
}

// stop sends SIGTERM and fails the test unless the process exits 0 soon.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			t.Errorf("exit after SIGTERM: %v, want 0\n%s", p.waitErr, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the binary did not exit within 30s of SIGTERM\n%s", p.logs)
	}
}
