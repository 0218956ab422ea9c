package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/servicetest"
	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// chartMemoryLimit is the chart's default container memory limit, and
// chartGoMemLimit the GOMEMLIMIT the service sets itself under it (90%).
const (
	chartMemoryLimit = 256 << 20
	chartGoMemLimit  = chartMemoryLimit * 9 / 10
)

var (
	plainBuildOnce sync.Once
	plainBinary    string
	plainBuildErr  error
)

// plainBinaryPath builds the service without the race detector, whose
// shadow memory would make any measure of the process's memory meaningless.
func plainBinaryPath(t *testing.T) string {
	t.Helper()
	plainBuildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hirebridge-plain-")
		if err != nil {
			plainBuildErr = err
			return
		}
		plainBinary = filepath.Join(dir, "hirebridge")
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		out, err := exec.Command(goTool, "build", "-trimpath", "-o", plainBinary, "github.com/hirebridge/hirebridge/cmd/hirebridge").CombinedOutput()
		if err != nil {
			plainBuildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if plainBuildErr != nil {
		t.Fatal(plainBuildErr)
	}
	return plainBinary
}

// rssOf reads a process's resident set and its peak (VmHWM), in bytes.
func rssOf(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if name == "VmRSS" {
			rss = kib << 10
		} else {
			peak = kib << 10
		}
	}
	return rss, peak, nil
}

// A flood of connections without the token, idle or sending one request
// each, against the service under the chart's memory limit: the process
// stays under the limit, the admin endpoints answer every probe, and a
// sender with the token keeps being served.
func TestConnectionFloodStaysUnderTheMemoryLimit(t *testing.T) {
	slow(t, "a flood of idle connections without the token against the built binary under the chart's memory limit")
	if _, err := os.ReadFile("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the service's memory")
	}
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	env["GOMEMLIMIT"] = strconv.Itoa(chartGoMemLimit)

	logs := &syncbuf.Buffer{}
	cmd := exec.Command(plainBinaryPath(t))
	cmd.Env = environ(env)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	var web, admin string
	waitFor(t, 30*time.Second, "the service to be ready", func() bool {
		if web == "" {
			web, admin = servicetest.ListenURLs(logs.String())
			return false
		}
		s, _ := get(admin + "/readyz")
		return s == http.StatusOK
	})
	m := regexp.MustCompile(`"max_connections":(\d+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no max_connections in the start-up log:\n%s", logs)
	}
	limit, _ := strconv.Atoi(m[1])
	baseline, _, err := rssOf(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	// Well past the limit, within this process's descriptors.
	flood := min(2*limit, 15000)
	t.Logf("connection limit %d (automatic, GOMEMLIMIT %d MiB); flooding with %d; RSS before: %.1f MiB",
		limit, chartGoMemLimit>>20, flood, float64(baseline)/(1<<20))

	stop := make(chan struct{})
	var wg sync.WaitGroup

	// The process's memory, sampled.
	var peakSampled atomic.Int64
	wg.Go(func() {
		for {
			if rss, _, err := rssOf(cmd.Process.Pid); err == nil && rss > peakSampled.Load() {
				peakSampled.Store(rss)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})

	// A probe on a new connection every 100 ms, as a kubelet makes them.
	var probes, probeFailures atomic.Int64
	var slowestProbe atomic.Int64
	wg.Go(func() {
		client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			start := time.Now()
			resp, err := client.Get(admin + "/livez")
			probes.Add(1)
			if err != nil || resp.StatusCode != http.StatusOK {
				probeFailures.Add(1)
				t.Logf("probe: %v %v", err, resp)
			}
			if resp != nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if d := int64(time.Since(start)); d > slowestProbe.Load() {
				slowestProbe.Store(d)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})

	// A sender with the token, on a kept-alive connection, as Hirempire
	// sends; a connection closed under it is retried once, as a sender
	// retries.
	var sent, served atomic.Int64
	var senderErrors []string
	var senderMu sync.Mutex
	factory := newEventFactory(t)
	wg.Go(func() {
		c := loadClient(1)
		for i := 0; ; i++ {
			body := factory.make("flood", i)
			sent.Add(1)
			r, err := post(c, web+"/webhooks/hirempire/"+testToken, body)
			if err != nil {
				r, err = post(c, web+"/webhooks/hirempire/"+testToken, body)
			}
			if err == nil && r.Status == http.StatusOK {
				served.Add(1)
			} else {
				senderMu.Lock()
				senderErrors = append(senderErrors, fmt.Sprintf("event %d: %v %d", i, err, r.Status))
				senderMu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})

	// The flood: every fourth connection sends one request without the
	// token (answered 401 and closed), the rest send nothing and wait,
	// more of them than the limit.
	var opened, unauthorized atomic.Int64
	conns := make(chan net.Conn, flood)
	var floodWG sync.WaitGroup
	addr := strings.TrimPrefix(web, "http://")
	for w := range 16 {
		floodWG.Go(func() {
			for i := w; i < flood; i += 16 {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					continue
				}
				opened.Add(1)
				conns <- c
				if i%4 == 0 {
					_, _ = io.WriteString(c, "POST /webhooks/hirempire HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
					_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
					if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
						if resp.StatusCode == http.StatusUnauthorized {
							unauthorized.Add(1)
						}
						resp.Body.Close()
					}
				}
			}
		})
	}
	floodWG.Wait()
	// Held a while: the idle ones wait out their read-header timeout.
	time.Sleep(3 * time.Second)
	_, metrics := get(admin + "/metrics")
	close(stop)
	wg.Wait()
	close(conns)
	for c := range conns {
		c.Close()
	}
	_, peak, err := rssOf(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}

	t.Logf("flood: %d connections opened, %d answered 401; %s", opened.Load(), unauthorized.Load(), metricLines(metrics, "hirebridge_connections_"))
	t.Logf("memory: peak RSS (VmHWM) %.1f MiB, highest sampled %.1f MiB, limit %d MiB",
		float64(peak)/(1<<20), float64(peakSampled.Load())/(1<<20), chartMemoryLimit>>20)
	t.Logf("admin: %d probes, %d failed, slowest %s", probes.Load(), probeFailures.Load(), time.Duration(slowestProbe.Load()).Round(time.Millisecond))
	t.Logf("sender with the token: %d sent, %d served", sent.Load(), served.Load())

	if peak >= chartMemoryLimit {
		t.Errorf("peak RSS %.1f MiB, over the chart's limit of %d MiB", float64(peak)/(1<<20), chartMemoryLimit>>20)
	}
	if probeFailures.Load() > 0 {
		t.Errorf("%d of %d admin probes failed during the flood", probeFailures.Load(), probes.Load())
	}
	if len(senderErrors) > 0 {
		t.Errorf("the sender with the token was not served %d times: %v", len(senderErrors), senderErrors[:min(5, len(senderErrors))])
	}
	if !regexp.MustCompile(`(?m)^hirebridge_connections_evicted_total [1-9]`).MatchString(metrics) {
		t.Errorf("no connection was evicted, though the idle ones outnumbered the limit: %s", metricLines(metrics, "hirebridge_connections_"))
	}
	if unauthorized.Load() == 0 {
		t.Error("no request without the token was answered 401")
	}
}

// metricLines are the lines of a /metrics page whose names start with prefix.
func metricLines(page, prefix string) string {
	var out []string
	for line := range strings.SplitSeq(page, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "; ")
}
