// Package leakcheck finds, for tests, the goroutines of one component
// still running at a given moment: those started after a snapshot with a
// frame in the component's packages. goleak checks a whole process once
// its tests end, and waits for stragglers; a test that proves a Close left
// nothing behind while the broker it talked to is still stopped needs the
// narrower question, asked at once, with other goroutines (the broker's,
// a proxy's) left out.
package leakcheck

import (
	"bytes"
	"runtime"
	"time"
)

// Snapshot is the goroutines running when it was taken.
type Snapshot map[string]bool

// Take records the goroutines running now.
func Take() Snapshot {
	s := Snapshot{}
	for _, g := range stacks() {
		s[id(g)] = true
	}
	return s
}

// Running returns the stacks of the goroutines started since s that have
// a frame in one of packages, or were created by one (packages are import
// paths with a dot, "github.com/nats-io/nats.go.", or any prefix of a
// function's full name). It waits up to wait for them to end, since a goroutine whose
// work ended may still be returning; a stack it returns was running all
// that time.
func (s Snapshot) Running(wait time.Duration, packages ...string) []string {
	deadline := time.Now().Add(wait)
	for {
		var left []string
		for _, g := range stacks() {
			if !s[id(g)] && inAny(g, packages) {
				left = append(left, string(g))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stacks are every goroutine's stack, as runtime.Stack prints them.
func stacks() [][]byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Split(buf[:n], []byte("\n\n"))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// id is the goroutine's number, from its first line ("goroutine 7 [...]").
func id(g []byte) string {
	line, _, _ := bytes.Cut(g, []byte("\n"))
	line = bytes.TrimPrefix(line, []byte("goroutine "))
	n, _, _ := bytes.Cut(line, []byte(" "))
	return string(n)
}

// inAny reports whether a frame's function, or the creator's (the lines
// that do not start with a tab), starts with one of packages.
func inAny(g []byte, packages []string) bool {
	for line := range bytes.SplitSeq(g, []byte("\n")) {
		if len(line) == 0 || line[0] == '\t' {
			continue
		}
		line = bytes.TrimPrefix(line, []byte("created by "))
		for _, p := range packages {
			if bytes.HasPrefix(line, []byte(p)) {
				return true
			}
		}
	}
	return false
}
