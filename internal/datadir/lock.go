// Package datadir is the directories hirebridge keeps state in (the data
// directory, the spool's): one process each, under a lock; and the
// address the embedded NATS server leaves in the data directory for the
// commands to find it.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// lockFileName holds the lock on a directory and, inside, the process id
// of its holder, for the message a second process prints.
const lockFileName = "hirebridge.lock"

// ErrInUse means another process holds the directory. Two embedded
// servers on one store each overwrite what the other stored: events
// answered 200 by one were gone after a restart.
var ErrInUse = errors.New("data directory in use")

// Lock is an exclusive lock on a directory for the life of the process.
// The kernel drops it when the process dies, however it dies, so a crash
// never leaves a stale lock behind.
type Lock struct {
	lock *flock.Flock
}

// Take takes dir, the directory the variable names (what it is, in
// words), for this process, or says who has it.
func Take(dir, variable, what string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("%s %s: %w", variable, dir, err)
	}
	path := filepath.Join(dir, lockFileName)
	l := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o640))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("%s %s: locking %s: %w", variable, dir, lockFileName, err)
	}
	if !ok {
		holder := "another process"
		if pid := readHolder(path); pid != "" {
			holder = "process " + pid
		}
		return nil, fmt.Errorf("%s %s: %w by %s (one hirebridge per %s: stop it, or give this one another %s)",
			variable, Abs(dir), ErrInUse, holder, what, variable)
	}
	// The holder's pid, for the next process's message. flock(2) locks the
	// open file description, so writing through another one, and closing
	// it, leaves the lock held.
	_ = os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o640)
	return &Lock{lock: l}, nil
}

// Unlock releases the directory; the pid stays in the file, harmless,
// since only a held lock means the directory is taken.
func (d *Lock) Unlock() error { return d.lock.Unlock() }

func readHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	pid := strings.TrimSpace(string(b))
	if _, err := strconv.Atoi(pid); err != nil {
		return ""
	}
	return pid
}

// Abs is dir as an absolute path, for messages, or dir when it has none.
func Abs(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
