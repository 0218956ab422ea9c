// Command steady shows whether hirebridge's memory grows with the number of
// events it has handled; it is run by .ci/loadtest/steady.sh against a
// service started with its defaults.
//
// 64 workers POST distinct events (applicant.id unique per request, so each
// one is stored as a new message) over keep-alive connections, as fast as
// the service answers, until -n events were sent. At each checkpoint, and
// again after the load stopped and the service sat idle for -idle, it prints
// the service's RSS (VmRSS), its peak (VmHWM) and the Go heap the service
// reports on its admin /metrics. Every answer must be 200 "published"; it
// exits 1 when one is not. It asserts no memory threshold: it reports.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hirebridge/hirebridge/.ci/loadtest/loadkit"
)

const workers = 64

func main() {
	pid := flag.Int("pid", 0, "PID of the service, for its memory in /proc")
	target := flag.String("url", "", "webhook URL, token included")
	metricsURL := flag.String("metrics", "http://127.0.0.1:19090/metrics", "the service's admin metrics URL")
	event := flag.String("event", "testdata/hirempire/applicant_applied.json", "the event to send, made distinct per request")
	total := flag.Int64("n", 450000, "events to send")
	marks := flag.String("checkpoints", "150000,450000", "comma-separated event counts at which memory is read")
	idle := flag.Duration("idle", 30*time.Second, "idle time after the load before the last reading")
	window := flag.String("window", "default", "the duplicate window in effect, for the report")
	flag.Parse()
	if *pid == 0 || *target == "" || *total <= 0 {
		fmt.Fprintln(os.Stderr, "usage: steady -pid PID -url URL [-n 450000] [-checkpoints 150000,450000] [-idle 30s] [-window 2m]")
		os.Exit(2)
	}
	checkpoints, err := parseCheckpoints(*marks, *total)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	makeEvent, err := loadkit.EventMaker(*event, "steady")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	fmt.Printf("steady: %d events, %d workers, checkpoints %v, duplicate window %s\n",
		*total, workers, checkpoints, *window)
	fmt.Printf("%10s %9s %9s %9s %13s %9s %10s\n",
		"events", "elapsed_s", "events/s", "rss_MiB", "peak_rss_MiB", "heap_MiB", "inuse_MiB")

	// A worker that completes the checkpoint-th event hands its time to the
	// reader, which takes the readings while the load goes on.
	isMark := map[int64]bool{}
	for _, c := range checkpoints {
		isMark[c] = true
	}
	reached := make(chan mark, len(checkpoints))
	readerDone := make(chan struct{})
	var alive atomic.Bool
	alive.Store(true)
	go func() {
		defer close(readerDone)
		for m := range reached {
			if !report(*pid, *metricsURL, m.events, m.elapsed, true) {
				alive.Store(false)
			}
		}
	}()

	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: workers,
			MaxConnsPerHost:     workers,
			DisableCompression:  true,
		},
	}
	var t tally
	var next, done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > *total {
					return
				}
				t.add(post(client, *target, makeEvent(i)))
				if d := done.Add(1); isMark[d] {
					reached <- mark{events: d, elapsed: time.Since(start)}
				}
			}
		}()
	}
	wg.Wait()
	loadTime := time.Since(start)
	close(reached)
	<-readerDone
	client.CloseIdleConnections()

	time.Sleep(*idle)
	if !report(*pid, *metricsURL, done.Load(), time.Since(start), false) {
		alive.Store(false)
	}
	fmt.Printf("(last line: %v idle after the load; the load took %.1f s, %.0f events/s)\n",
		*idle, loadTime.Seconds(), float64(done.Load())/loadTime.Seconds())

	ok := t.print()
	if !alive.Load() {
		fmt.Println("FAIL: the service's memory could not be read (did it exit?)")
		ok = false
	}
	if !ok {
		os.Exit(1)
	}
	fmt.Println("PASS: every event answered 200 published")
}

type mark struct {
	events  int64
	elapsed time.Duration
}

// parseCheckpoints returns the sorted, distinct checkpoints, total included.
func parseCheckpoints(s string, total int64) ([]int64, error) {
	seen := map[int64]bool{total: true}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		c, err := strconv.ParseInt(f, 10, 64)
		if err != nil || c <= 0 || c > total {
			return nil, fmt.Errorf("checkpoint %q: want a count from 1 to %d", f, total)
		}
		seen[c] = true
	}
	var out []int64
	for c := range seen {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// report prints one line of readings; false when the process is gone.
func report(pid int, metricsURL string, events int64, elapsed time.Duration, loaded bool) bool {
	rss, hwm, perr := loadkit.ProcStatus(pid)
	heap, inuse, merr := heapMetrics(metricsURL)
	rate := "-"
	if loaded && elapsed > 0 {
		rate = strconv.FormatFloat(float64(events)/elapsed.Seconds(), 'f', 0, 64)
	}
	label := strconv.FormatInt(events, 10)
	if !loaded {
		label += "+idle"
	}
	fmt.Printf("%10s %9.1f %9s %9s %13s %9s %10s\n", label, elapsed.Seconds(), rate,
		mibOr(rss, perr), mibOr(hwm, perr), mibOr(heap, merr), mibOr(inuse, merr))
	if merr != nil {
		fmt.Println("  metrics:", merr)
	}
	if perr != nil {
		fmt.Println("  /proc:", perr)
	}
	return perr == nil
}

func mibOr(b int64, err error) string {
	if err != nil {
		return "?"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64)
}

// heapMetrics reads go_memstats_heap_alloc_bytes and
// go_memstats_heap_inuse_bytes from the Prometheus text at url.
func heapMetrics(url string) (alloc, inuse int64, err error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("%s: status %d", url, resp.StatusCode)
	}
	found := 0
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), " ")
		if !ok {
			continue
		}
		var dst *int64
		switch name {
		case "go_memstats_heap_alloc_bytes":
			dst = &alloc
		case "go_memstats_heap_inuse_bytes":
			dst = &inuse
		default:
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
		*dst = int64(f)
		found++
	}
	if err := s.Err(); err != nil {
		return 0, 0, err
	}
	if found < 2 {
		return 0, 0, errors.New("go_memstats_heap_alloc_bytes or go_memstats_heap_inuse_bytes missing from " + url)
	}
	return alloc, inuse, nil
}

// tally counts answers: 200 "published" is ok, anything else a failure,
// kept by kind with a sample.
type tally struct {
	mu     sync.Mutex
	ok     int64
	failed map[string]int64
	sample map[string]string
}

func (t *tally) add(status int, body []byte, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err == nil && status == http.StatusOK && bytes.Contains(body, []byte(`"status":"published"`)) {
		t.ok++
		return
	}
	if t.failed == nil {
		t.failed = map[string]int64{}
		t.sample = map[string]string{}
	}
	var kind, sample string
	switch {
	case err != nil:
		kind, sample = "transport error", err.Error()
	case status == http.StatusOK:
		kind, sample = "200 not published", string(body)
	default:
		kind, sample = "status "+strconv.Itoa(status), string(body)
	}
	t.failed[kind]++
	if _, ok := t.sample[kind]; !ok {
		if len(sample) > 200 {
			sample = sample[:200] + "..."
		}
		t.sample[kind] = sample
	}
}

// print reports the answers; false when any failed.
func (t *tally) print() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Printf("answers: %d 200 published", t.ok)
	var kinds []string
	for k := range t.failed {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var n int64
	for _, k := range kinds {
		n += t.failed[k]
	}
	fmt.Printf(", %d failed\n", n)
	for _, k := range kinds {
		fmt.Printf("FAIL: %d answers %s (first: %s)\n", t.failed[k], k, t.sample[k])
	}
	return n == 0
}

// post sends body and reads the answer to its end, so the connection is
// kept for the next request.
func post(client *http.Client, target string, body []byte) (int, []byte, error) {
	resp, err := client.Post(target, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, b, err
}
