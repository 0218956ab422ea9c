// Command flood checks two promises of hirebridge under hostile load; it is
// run by .ci/loadtest/flood.sh against a service started with its defaults.
//
//	-mode=flood: 128 connections POST ~1 MiB bodies of tiny JSON values (the
//	  costliest body to decode per byte) for the duration. The service must
//	  answer only 413/422/503 (503 with Retry-After), stay under 256 MiB of
//	  RSS, and take 200 normal events afterwards.
//	-mode=slow: 1,100 connections send headers, then trickle their bodies a
//	  byte a second, while 8 normal senders post events. At least 99% of the
//	  normal events must be answered 200.
//
// It exits 1 when a promise fails.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hirebridge/hirebridge/.ci/loadtest/loadkit"
)

const (
	floodConns   = 128
	floodBody    = 1_048_000 // under the service's 1,048,576-byte limit
	rssLimitMiB  = 256
	normalAfter  = 200
	slowConns    = 1100
	slowMinConns = 1000
	slowSenders  = 8
	slowLength   = 2048
)

func main() {
	mode := flag.String("mode", "flood", "flood or slow")
	pid := flag.Int("pid", 0, "PID of the service, for its memory in /proc")
	target := flag.String("url", "", "webhook URL, token included")
	event := flag.String("event", "testdata/hirempire/applicant_applied.json", "a valid event to send as normal traffic")
	dur := flag.Duration("d", 20*time.Second, "how long to load the service")
	flag.Parse()
	if *pid == 0 || *target == "" {
		fmt.Fprintln(os.Stderr, "usage: flood -mode=flood|slow -pid PID -url URL [-event file] [-d 20s]")
		os.Exit(2)
	}
	normal, err := loadkit.EventMaker(*event, "flood")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var failures []string
	switch *mode {
	case "flood":
		failures = flood(*pid, *target, normal, *dur)
	case "slow":
		failures = slow(*pid, *target, normal, *dur)
	default:
		fmt.Fprintln(os.Stderr, "unknown -mode", *mode)
		os.Exit(2)
	}
	for _, f := range failures {
		fmt.Println("FAIL:", f)
	}
	if len(failures) > 0 {
		os.Exit(1)
	}
	fmt.Println("PASS")
}

// tinyValues is a floodBody-byte event of the right name whose bulk is an
// array of one-digit numbers: valid I-JSON that fails the event's schema.
// Digits of seed go into the first elements so connections send different
// bodies.
func tinyValues(seed int) []byte {
	prefix := `{"event":"applicant_applied","timestamp":"2026-01-30T00:14:56Z","v":[`
	b := make([]byte, 0, floodBody)
	b = append(b, prefix...)
	for len(b)+len("0,0]}") <= floodBody {
		b = append(b, "0,"...)
	}
	b = append(b, '0')
	if len(b)+len("]}") < floodBody {
		b = append(b, ' ') // whitespace evens out the length
	}
	b = append(b, "]}"...)
	for i, d := range strconv.Itoa(seed) {
		b[len(prefix)+2*i] = byte(d)
	}
	return b
}

// tally counts answers by status; status 0 is a transport error.
type tally struct {
	mu         sync.Mutex
	status     map[int]int
	noRetry    int    // 503s without Retry-After
	firstError string // the first transport error, as a sample
}

func (t *tally) add(resp *http.Response, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status == nil {
		t.status = map[int]int{}
	}
	if err != nil {
		t.status[0]++
		if t.firstError == "" {
			t.firstError = err.Error()
		}
		return
	}
	t.status[resp.StatusCode]++
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
		t.noRetry++
	}
}

func (t *tally) total() (n int) {
	for _, c := range t.status {
		n += c
	}
	return n
}

func (t *tally) print() {
	var codes []int
	for c := range t.status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		if c == 0 {
			fmt.Printf("  transport errors: %d (first: %s)\n", t.status[0], t.firstError)
			continue
		}
		fmt.Printf("  status %d: %d\n", c, t.status[c])
	}
	if t.status[0] == 0 {
		fmt.Println("  transport errors: 0")
	}
}

// post sends body and reads the answer to its end, so the connection is
// kept for the next request.
func post(client *http.Client, target string, body []byte) (*http.Response, error) {
	resp, err := client.Post(target, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

func flood(pid int, target string, normal func(int64) []byte, dur time.Duration) []string {
	fmt.Printf("flood: %d connections, %v, bodies of %d bytes of tiny values\n", floodConns, dur, floodBody)
	mem := watchMemory(pid)
	client := &http.Client{
		Timeout:   time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: floodConns, DisableCompression: true},
	}
	var t tally
	var wg sync.WaitGroup
	deadline := time.Now().Add(dur)
	for c := range floodConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One body per connection: the transport may still read a
			// request's body after the answer came, so it is never changed.
			body := tinyValues(c + 1)
			// In-flight requests finish after the deadline rather than be
			// cancelled, so no answer is counted as an error of ours.
			for time.Now().Before(deadline) {
				t.add(post(client, target, body))
			}
		}()
	}
	wg.Wait()
	client.CloseIdleConnections()
	time.Sleep(2 * time.Second)

	ok := 0
	for i := range normalAfter {
		resp, err := post(http.DefaultClient, target, normal(int64(i)))
		if err == nil && resp.StatusCode == http.StatusOK {
			ok++
		}
	}
	peak, last, hwm, alive := mem.stop()

	var failures []string
	t.print()
	if t.noRetry > 0 {
		failures = append(failures, fmt.Sprintf("%d answers 503 without Retry-After", t.noRetry))
	}
	for code, n := range t.status {
		if code != 0 && code != 413 && code != 422 && code != 503 {
			failures = append(failures, fmt.Sprintf("%d answers %d; only 413, 422 and 503 are expected", n, code))
		}
	}
	fmt.Printf("  requests answered: %d of %d sent\n", t.total()-t.status[0], t.total())
	fmt.Printf("  peak RSS (VmHWM): %.1f MiB (highest VmRSS sampled every 100 ms: %.1f MiB)\n", loadkit.MiB(hwm), loadkit.MiB(peak))
	fmt.Printf("  RSS after: %.1f MiB\n", loadkit.MiB(last))
	fmt.Printf("  normal events after: %d/%d answered 200\n", ok, normalAfter)
	if !alive {
		failures = append(failures, "the service process went away")
	}
	if max(hwm, peak) >= rssLimitMiB<<20 {
		failures = append(failures, fmt.Sprintf("peak RSS %.1f MiB is not under %d MiB", loadkit.MiB(max(hwm, peak)), rssLimitMiB))
	}
	if ok < normalAfter {
		failures = append(failures, fmt.Sprintf("only %d of %d normal events after the flood got 200", ok, normalAfter))
	}
	return failures
}

func slow(pid int, target string, normal func(int64) []byte, dur time.Duration) []string {
	fmt.Printf("slow: %d connections trickling a %d-byte body a byte a second, %d normal senders, %v\n",
		slowConns, slowLength, slowSenders, dur)
	u, err := url.Parse(target)
	if err != nil {
		return []string{err.Error()}
	}
	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(slowLength) + "\r\n\r\n"
	mem := watchMemory(pid)

	// Every slow connection is open and has sent its headers before the
	// normal senders start: the promise is about a service already held.
	ctx, cancel := context.WithCancel(context.Background())
	var opened, dropped atomic.Int64
	var ready, trickling sync.WaitGroup
	for range slowConns {
		ready.Add(1)
		trickling.Add(1)
		go func() {
			defer trickling.Done()
			conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
			if err == nil {
				_, err = io.WriteString(conn, head)
			}
			if err != nil {
				ready.Done()
				return
			}
			defer conn.Close()
			opened.Add(1)
			ready.Done()
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					// The body never reaches slowLength within the run.
					if _, err := conn.Write([]byte{' '}); err != nil {
						dropped.Add(1)
						return
					}
				}
			}
		}()
	}
	ready.Wait()
	fds := countFDs(pid)
	fmt.Printf("  slow connections open with headers sent: %d of %d (service holds %d file descriptors)\n",
		opened.Load(), slowConns, fds)

	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: slowSenders},
	}
	var t tally
	var n atomic.Int64
	var senders sync.WaitGroup
	deadline := time.Now().Add(dur)
	for range slowSenders {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for time.Now().Before(deadline) {
				t.add(post(client, target, normal(n.Add(1))))
			}
		}()
	}
	senders.Wait()
	cancel()
	trickling.Wait()
	_, _, hwm, alive := mem.stop()

	var failures []string
	sent, ok := t.total(), t.status[http.StatusOK]
	pct := 0.0
	if sent > 0 {
		pct = 100 * float64(ok) / float64(sent)
	}
	fmt.Printf("  slow connections the service dropped during the run: %d\n", dropped.Load())
	fmt.Printf("  normal requests sent: %d (%.0f/s), answered 200: %.2f%%\n", sent, float64(sent)/dur.Seconds(), pct)
	t.print()
	fmt.Printf("  peak RSS (VmHWM): %.1f MiB\n", loadkit.MiB(hwm))
	if opened.Load() < slowMinConns {
		failures = append(failures, fmt.Sprintf("only %d slow connections established, fewer than %d", opened.Load(), slowMinConns))
	}
	if sent == 0 || pct < 99 {
		failures = append(failures, fmt.Sprintf("%.2f%% of %d normal requests got 200, under 99%%", pct, sent))
	}
	if !alive {
		failures = append(failures, "the service process went away")
	}
	return failures
}

// memWatch samples the service's VmRSS every 100 ms; VmHWM, the kernel's
// own peak, catches what falls between samples.
type memWatch struct {
	pid   int
	done  chan struct{}
	wg    sync.WaitGroup
	peak  int64
	alive bool
}

func watchMemory(pid int) *memWatch {
	m := &memWatch{pid: pid, done: make(chan struct{}), alive: true}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			rss, _, err := loadkit.ProcStatus(pid)
			if err != nil {
				m.alive = false
				return
			}
			m.peak = max(m.peak, rss)
			select {
			case <-m.done:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// stop returns the highest sampled VmRSS, the current VmRSS, VmHWM (all in
// bytes) and whether the process was there throughout.
func (m *memWatch) stop() (peak, last, hwm int64, alive bool) {
	close(m.done)
	m.wg.Wait()
	last, hwm, err := loadkit.ProcStatus(m.pid)
	return m.peak, last, hwm, m.alive && err == nil
}

// countFDs tells whether the service really accepted the slow connections,
// not just the kernel on its behalf; -1 when it cannot be read.
func countFDs(pid int) int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(fds)
}
