// Command spooldrain measures how fast hirebridge's spool drains once the
// broker is back; it is run by .ci/loadtest/spooldrain.sh against a
// service with the spool on and an external broker.
//
// It pauses the broker (-pause, a shell command), posts -events distinct
// events from 64 connections (each must be answered 202 spooled), waits
// until the spool has committed them all (hirebridge_spool_events on
// -metrics), then resumes the broker (-resume) and times from there to an
// empty spool, reading the gauge every 20 ms. With -rate it posts that
// many new events a second meanwhile, each from a request of its own, as
// senders would; they queue behind the backlog until it is gone. It prints
// one line with the drain rate (from the resume, and from the first event
// forwarded: the broker's sink may take a moment to find the broker back)
// and the backlog second by second, and exits
// 1 when the spool did not empty within -within, or, under load, did not
// shrink.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hirebridge/hirebridge/.ci/loadtest/loadkit"
)

const conns = 64

func main() {
	target := flag.String("url", "", "webhook URL, token included")
	metrics := flag.String("metrics", "", "the service's /metrics URL")
	events := flag.Int64("events", 100_000, "events to spool while the broker is paused")
	rate := flag.Int("rate", 0, "new events a second posted during the drain (0: none)")
	pause := flag.String("pause", "", "shell command that makes the broker stop answering")
	resume := flag.String("resume", "", "shell command that makes it answer again")
	event := flag.String("event", "testdata/hirempire/applicant_applied.json", "the event to send, made distinct per request")
	within := flag.Duration("within", 10*time.Minute, "how long the drain may take")
	flag.Parse()
	if *target == "" || *metrics == "" || *pause == "" || *resume == "" {
		fmt.Fprintln(os.Stderr, "usage: spooldrain -url URL -metrics URL -pause CMD -resume CMD [-events N] [-rate R] [-event file] [-within 10m]")
		os.Exit(2)
	}
	mk, err := loadkit.EventMaker(*event, "spooldrain")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}, Timeout: 30 * time.Second}
	post := func(n int64) (int, error) {
		resp, err := client.Post(*target, "application/json", bytes.NewReader(mk(n)))
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	if err := sh(*pause); err != nil {
		fail("pausing the broker: %v", err)
	}
	start := time.Now()
	var next, spooled, other atomic.Int64
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for n := next.Add(1); n <= *events; n = next.Add(1) {
				status, err := post(n)
				switch {
				case err != nil:
					fail("posting event %d: %v", n, err)
				case status == http.StatusAccepted:
					spooled.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if other.Load() > 0 {
		fail("%d of %d events not answered 202 while the broker was paused", other.Load(), *events)
	}
	for held(client, *metrics) < spooled.Load() {
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("spooled %d events in %s\n", spooled.Load(), time.Since(start).Round(time.Millisecond))

	stop := make(chan struct{})
	var added atomic.Int64
	var load sync.WaitGroup
	if *rate > 0 {
		load.Go(func() {
			var senders sync.WaitGroup
			defer senders.Wait()
			tick := time.NewTicker(time.Second / time.Duration(*rate))
			defer tick.Stop()
			for n := *events + 1; ; n++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				senders.Go(func() {
					status, err := post(n)
					if err != nil || status/100 != 2 {
						fail("posting a new event during the drain: %d, %v", status, err)
					}
					added.Add(1)
				})
			}
		})
	}
	if err := sh(*resume); err != nil {
		fail("resuming the broker: %v", err)
	}
	begin := time.Now()
	var samples []int64
	// moving is when the gauge first went down: forwarding began (the
	// broker's sink may take a moment to find the broker back).
	var moving time.Time
	last := spooled.Load()
	second := time.NewTicker(time.Second)
	defer second.Stop()
	for {
		n := held(client, *metrics)
		if moving.IsZero() && n < last {
			moving = time.Now()
		}
		last = n
		if n == 0 {
			break
		}
		if time.Since(begin) > *within {
			fail("the spool still holds %d events after %s", n, *within)
		}
		select {
		case <-second.C:
			samples = append(samples, n)
		case <-time.After(20 * time.Millisecond):
		}
	}
	took := time.Since(begin)
	close(stop)
	load.Wait()
	drained := spooled.Load() + added.Load()
	if moving.IsZero() {
		moving = begin
	}
	fmt.Printf("drained %d events (%d spooled, %d new meanwhile at %d/s) in %s: %.0f events/s; forwarding began after %s, %.0f events/s from then; backlog each second: %v\n",
		drained, spooled.Load(), added.Load(), *rate, took.Round(time.Millisecond), float64(drained)/took.Seconds(),
		moving.Sub(begin).Round(time.Millisecond), float64(drained)/time.Since(moving).Seconds(), samples)
	if *rate > 0 && len(samples) > 1 && samples[len(samples)-1] >= samples[0] {
		fail("the backlog did not shrink under %d new events a second", *rate)
	}
}

// held is hirebridge_spool_events on the metrics page.
func held(client *http.Client, url string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		fail("reading %s: %v", url, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "hirebridge_spool_events "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				fail("hirebridge_spool_events %q: %v", v, err)
			}
			return int64(f)
		}
	}
	fail("no hirebridge_spool_events on %s: is the spool on?", url)
	return 0
}

func sh(cmd string) error { return exec.Command("sh", "-c", cmd).Run() }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}
