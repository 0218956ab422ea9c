package spool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// checkedEvent is event n of key with the id the bridge gives it: the
// ContentID of its body, which the spool checks before forwarding.
func checkedEvent(key string, n int) *sinks.Message {
	m := event(key, n)
	// Bodies of a few hundred bytes, so that records span several pages.
	m.Body = []byte(`{"event":"applicant_applied","key":"` + key + `","n":` + strconv.Itoa(n) +
		`,"pad":"` + strings.Repeat("p", 300) + `"}`)
	m.ID = events.ContentID(m.Body)
	return m
}

// checkedConfig is spoolConfig with the binary's id check.
func checkedConfig(dir string, logs *syncbuf.Buffer) spool.Config {
	cfg := spoolConfig(dir, 200*time.Millisecond, logs)
	cfg.Verify = sinks.HoldsItsBody
	return cfg
}

// leaveSpooled spools n events with the broker away and stops, as a bridge
// stopped during an outage leaves its spool; it returns them.
func leaveSpooled(t *testing.T, dir string, n int) []*sinks.Message {
	t.Helper()
	away := lazy(t, func(context.Context) (sinks.Sink, error) { return nil, errors.New("the broker is away") })
	sp, err := spool.Open(checkedConfig(dir, &syncbuf.Buffer{}), away)
	if err != nil {
		t.Fatal(err)
	}
	var ms []*sinks.Message
	for i := range n {
		m := checkedEvent(fmt.Sprintf("app-%02d", i%8), i)
		if ack, err := publishWithin(sp, m, 5*time.Second); err != nil || !ack.Spooled {
			t.Fatalf("event %d: %+v, %v; want spooled", i, ack, err)
		}
		ms = append(ms, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = sp.Close(ctx)
	return ms
}

// noGarbage fails unless every message on the broker is one of sent,
// byte for byte.
func noGarbage(t *testing.T, got stored, sent []*sinks.Message) {
	t.Helper()
	want := map[string][]byte{}
	for _, m := range sent {
		want[m.ID] = m.Body
	}
	for _, id := range got.ids {
		if !bytes.Equal(got.bodies[id], want[id]) {
			t.Errorf("the broker holds %s with a body that was never sent: %q", id, got.bodies[id])
		}
	}
}

// A spool file emptied while the bridge was stopped is not taken for an
// empty spool: the start says how many events it held, keeps the file
// aside, and serves.
func TestSpoolTruncatedToNothingIsReported(t *testing.T) {
	dir := t.TempDir()
	leaveSpooled(t, dir, 50)
	if err := os.Truncate(filepath.Join(dir, spool.FileName), 0); err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t)
	var logs syncbuf.Buffer
	sp := openSpool(t, checkedConfig(dir, &logs), lazyNATS(t, srv.URL()))
	line := errorLine(t, &logs, "problem")
	for _, want := range []string{`"level":"error"`, `"last_known_events":50`, "empty (0 bytes)", spool.MovedAsideSuffix} {
		if !strings.Contains(line, want) {
			t.Errorf("the start's error line lacks %s:\n%s", want, line)
		}
	}
	if files, _ := spool.MovedAsideFiles(dir); len(files) != 1 {
		t.Errorf("moved aside: %v, want the empty file kept", files)
	}
	if got := sp.Recovery().Missing(); got != 50 {
		t.Errorf("missing events %d, want 50", got)
	}
	if ack, err := publishWithin(sp, checkedEvent("app-00", 999), 5*time.Second); err != nil || ack.Spooled {
		t.Errorf("publish after the start: %+v, %v; want published", ack, err)
	}
}

// A spool file that vanished while the bridge was stopped is reported with
// the count the spool held when last seen.
func TestSpoolVanishedIsReported(t *testing.T) {
	dir := t.TempDir()
	leaveSpooled(t, dir, 20)
	if err := os.Remove(filepath.Join(dir, spool.FileName)); err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t)
	var logs syncbuf.Buffer
	sp := openSpool(t, checkedConfig(dir, &logs), lazyNATS(t, srv.URL()))
	line := errorLine(t, &logs, "problem")
	if !strings.Contains(line, "is missing") || !strings.Contains(line, `"last_known_events":20`) {
		t.Errorf("the start's error line does not say the file is missing with 20 events:\n%s", line)
	}
	if got := sp.Recovery().Missing(); got != 20 {
		t.Errorf("missing events %d, want 20", got)
	}
}

// A spool file cut in half while the bridge was stopped made bbolt panic
// at start. Now the start moves it aside, says how many records it still
// holds, serves with a fresh spool, and nothing of it reaches the broker
// by itself; what it still holds reads back whole.
func TestSpoolTruncatedToHalfIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	sent := leaveSpooled(t, dir, 500)
	path := filepath.Join(dir, spool.FileName)
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t)
	var logs syncbuf.Buffer
	sp := openSpool(t, checkedConfig(dir, &logs), lazyNATS(t, srv.URL()))
	line := errorLine(t, &logs, "moved_to")
	rec := sp.Recovery()
	if rec.MovedAside == "" || !strings.Contains(line, rec.MovedAside) || !strings.Contains(line, `"readable_records":`+strconv.FormatInt(rec.Readable, 10)) {
		t.Errorf("the error line does not name the moved file and its readable records (%+v):\n%s", rec, line)
	}
	if n, _ := sp.Held(); n != 0 {
		t.Errorf("the fresh spool holds %d events", n)
	}
	if err := ready(sp); err != nil {
		t.Errorf("Ready after the start: %v", err)
	}
	fresh := checkedEvent("app-99", 0)
	if ack, err := publishWithin(sp, fresh, 5*time.Second); err != nil || ack.Spooled {
		t.Fatalf("publish after the start: %+v, %v", ack, err)
	}
	if got := streamContents(t, srv.URL()).ids; len(got) != 1 {
		t.Errorf("the stream holds %d messages, want only the new one", len(got))
	}

	var readable []*sinks.Message
	rep, err := spool.ReadFile(rec.MovedAside, sinks.HoldsItsBody, func(s spool.Salvaged) error {
		if s.Msg != nil {
			readable = append(readable, s.Msg)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the moved file: %v", err)
	}
	if rep.Readable != rec.Readable || int64(len(readable)) != rep.Readable {
		t.Errorf("ReadFile found %d readable (%d handed over), the start said %d", rep.Readable, len(readable), rec.Readable)
	}
	if rep.Readable == 0 || rep.Readable >= 500 {
		t.Errorf("%d of 500 records readable in the half left; want some, not all", rep.Readable)
	}
	noGarbage(t, stored{ids: idsOf(readable), bodies: bodiesOf(readable)}, sent)
	t.Logf("truncated to half: %d spooled, %d readable, %d damaged, stretches skipped %v, %d lost",
		len(sent), rep.Readable, rep.Damaged, rep.Skipped, int64(len(sent))-rep.Readable)
}

// Bytes flipped in records and bodies: the records that changed are
// quarantined, never published; every other event is forwarded in order.
func TestSpoolFlippedBytesAreQuarantined(t *testing.T) {
	dir := t.TempDir()
	sent := leaveSpooled(t, dir, 500)
	path := filepath.Join(dir, spool.FileName)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// One byte in the bodies of events 10, 200 and 400, and one in the
	// record of event 300 (its entity key, inside the JSON).
	var damaged []string
	flip := func(needle []byte, at int) {
		i := bytes.Index(raw, needle)
		if i < 0 {
			t.Fatalf("%q not found in the file", needle)
		}
		raw[i+at] ^= 0x20
	}
	for _, n := range []int{10, 200, 400} {
		flip([]byte(`"n":`+strconv.Itoa(n)+`,"pad"`), 1)
		damaged = append(damaged, sent[n].ID)
	}
	flip([]byte(`"id":"`+sent[300].ID+`"`), 8)
	damaged = append(damaged, sent[300].ID)
	if err := os.WriteFile(path, raw, 0o640); err != nil {
		t.Fatal(err)
	}

	var logs syncbuf.Buffer
	sp, got := forwardAll(t, dir, sent, &logs)
	if len(got.ids) != 496 {
		t.Errorf("%d events forwarded, want the 496 undamaged", len(got.ids))
	}
	for _, id := range damaged {
		if _, ok := got.bodies[id]; ok {
			t.Errorf("damaged event %s reached the broker", id)
		}
	}
	if q := sp.Quarantined(); q != 4 {
		t.Errorf("%d records in the quarantine, want 4", q)
	}
	if !strings.Contains(logs.String(), spool.QuarantineCorrupt) {
		t.Errorf("no log line quarantining a corrupt record:\n%s", logs.String())
	}
	closeNow(t, sp)
	var reasons []string
	if err := spool.ReadQuarantine(dir, func(q spool.Quarantined) error {
		reasons = append(reasons, q.Reason)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(reasons) != 4 || strings.Count(strings.Join(reasons, ","), spool.QuarantineCorrupt) != 4 {
		t.Errorf("quarantine reasons %v, want 4 corrupt", reasons)
	}
	t.Logf("flipped bytes: %d spooled, %d forwarded, %d quarantined, 0 lost", len(sent), len(got.ids), len(reasons))
}

// Records of a format version this build does not read (a newer build's,
// before a rollback) are kept in the quarantine, never deleted, and the
// log says which version they need; the others are forwarded.
func TestSpoolUnknownVersionIsKept(t *testing.T) {
	dir := t.TempDir()
	sent := leaveSpooled(t, dir, 100)
	db, err := bolt.Open(filepath.Join(dir, spool.FileName), 0o640, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		recs := tx.Bucket([]byte("records"))
		c := recs.Cursor()
		n := 0
		for k, v := c.First(); k != nil && n < 50; k, v = c.Next() {
			if n%2 == 0 {
				future := append([]byte(`{"v":7,`), v[len(`{"v":2,`):]...)
				if err := recs.Put(append([]byte(nil), k...), future); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	var logs syncbuf.Buffer
	sp, got := forwardAll(t, dir, sent, &logs)
	if len(got.ids) != 75 {
		t.Errorf("%d events forwarded, want the 75 of known versions", len(got.ids))
	}
	if !strings.Contains(logs.String(), "format version 7") {
		t.Errorf("the log does not say which version the kept records need:\n%s", logs.String())
	}
	closeNow(t, sp)
	kept := 0
	if err := spool.ReadQuarantine(dir, func(q spool.Quarantined) error {
		if q.Reason == spool.QuarantineVersion && len(q.Body) > 0 && bytes.HasPrefix(q.Raw, []byte(`{"v":7,`)) {
			kept++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if kept != 25 {
		t.Errorf("%d version-7 records kept whole in the quarantine, want 25", kept)
	}
}

// forwardAll starts the bridge's spool on dir with the broker there, and
// returns once it is drained, with what the broker holds, which must be
// sent events only.
func forwardAll(t *testing.T, dir string, sent []*sinks.Message, logs *syncbuf.Buffer) (*spool.Spool, stored) {
	t.Helper()
	srv := natstest.Start(t)
	sp := openSpool(t, checkedConfig(dir, logs), lazyNATS(t, srv.URL()))
	waitEmpty(t, sp, 30*time.Second)
	got := streamContents(t, srv.URL())
	noGarbage(t, got, sent)
	return sp, got
}

// errorLine is the first log line holding field, failing the test when
// there is none.
func errorLine(t *testing.T, logs *syncbuf.Buffer, field string) string {
	t.Helper()
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"`+field+`"`) {
			return l
		}
	}
	t.Fatalf("no log line with %s:\n%s", field, logs.String())
	return ""
}

func closeNow(t *testing.T, sp *spool.Spool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sp.Close(ctx); err != nil {
		t.Fatalf("closing the spool: %v", err)
	}
}

func idsOf(ms []*sinks.Message) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

func bodiesOf(ms []*sinks.Message) map[string][]byte {
	b := map[string][]byte{}
	for _, m := range ms {
		b[m.ID] = m.Body
	}
	return b
}

// Bytes flipped anywhere in the file, branch pages and meta pages
// included: whatever the damage, the start neither fails nor panics, it
// serves, and nothing but sent events, byte for byte, reaches the broker.
func TestSpoolRandomDamageNeverPublishesGarbage(t *testing.T) {
	for seed := range int64(6) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			dir := t.TempDir()
			sent := leaveSpooled(t, dir, 300)
			path := filepath.Join(dir, spool.FileName)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rnd := rand.New(rand.NewPCG(uint64(seed), 16))
			for range 40 {
				raw[rnd.IntN(len(raw))] ^= byte(1 + rnd.IntN(255))
			}
			if err := os.WriteFile(path, raw, 0o640); err != nil {
				t.Fatal(err)
			}
			var logs syncbuf.Buffer
			sp, got := forwardAll(t, dir, sent, &logs)
			if err := ready(sp); err != nil {
				t.Errorf("Ready: %v", err)
			}
			rec := sp.Recovery()
			t.Logf("%d spooled: %d forwarded, %d quarantined, moved aside with %d readable: %v",
				len(sent), len(got.ids), sp.Quarantined(), rec.Readable, rec.MovedAside != "")
		})
	}
}
