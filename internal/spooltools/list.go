// Package spooltools is what `hirebridge spool` does with a spool
// directory while no bridge runs on it: list what it holds (List), write
// out its quarantine (Export), forward what a damaged file moved aside
// still holds (Salvage), and forward a spool left behind (Drain).
package spooltools

import (
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// List writes, for people, what the spool in dir holds: the events
// waiting, the quarantine with why each record is there, and the damaged
// files moved aside with how much each still holds.
func List(w io.Writer, dir string) error {
	var events, size int64
	var oldest time.Time
	rep, err := spool.Queued(dir, sinks.HoldsItsBody, func(s spool.Salvaged) error {
		events++
		size += int64(len(s.Raw) + len(s.Body))
		if oldest.IsZero() && s.AcceptedAt != 0 {
			oldest = time.Unix(0, s.AcceptedAt)
		}
		return nil
	})
	if err != nil {
		return err
	}
	shown := dir
	if abs, err := filepath.Abs(dir); err == nil {
		shown = abs
	}
	fmt.Fprintf(w, "spool %s\n\n", shown)
	fmt.Fprintf(w, "waiting: %d events (%d bytes stored)", events, size)
	if !oldest.IsZero() {
		fmt.Fprintf(w, ", the oldest accepted %s", oldest.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(w)
	if rep.Damaged > 0 {
		fmt.Fprintf(w, "  %d of them no longer check out: the bridge quarantines them when it reaches them\n", rep.Damaged)
	}
	if err := listQuarantine(w, dir); err != nil {
		return err
	}
	return listMovedAside(w, dir)
}

func listQuarantine(w io.Writer, dir string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	err := spool.ReadQuarantine(dir, func(q spool.Quarantined) error {
		if n == 0 {
			fmt.Fprintln(w, "\nquarantine:")
			fmt.Fprintln(tw, "  seq\treason\tquarantined\ttopic\tid\tdetail")
		}
		n++
		topic, id := "?", "?"
		if q.Msg != nil {
			topic, id = q.Msg.Topic, q.Msg.ID
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", q.Seq, q.Reason, q.At.UTC().Format(time.RFC3339), topic, id, q.Detail)
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(w, "\nquarantine: empty")
	} else {
		fmt.Fprintf(w, "  %d records; `hirebridge spool export` writes them out\n", n)
	}
	return nil
}

func listMovedAside(w io.Writer, dir string) error {
	files, err := spool.MovedAsideFiles(dir)
	if err != nil || len(files) == 0 {
		return err
	}
	fmt.Fprintln(w, "\ndamaged files moved aside:")
	for _, f := range files {
		rep, err := spool.ReadFile(f, sinks.HoldsItsBody, func(spool.Salvaged) error { return nil })
		if err != nil {
			fmt.Fprintf(w, "  %s: unreadable (%v)\n", f, err)
			continue
		}
		fmt.Fprintf(w, "  %s: %d records readable, %d damaged: hirebridge spool salvage %s\n", f, rep.Readable, rep.Damaged, f)
	}
	return nil
}
