package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// lockFileName holds the lock on a data directory and, inside, the process
// id of its holder, for the message a second process prints.
const lockFileName = "hirebridge.lock"

// errDataDirInUse means another process holds the data directory. Two
// embedded servers on one store each overwrite what the other stored:
// events answered 200 by one were gone after a restart.
var errDataDirInUse = errors.New("data directory in use")

// dataDirLock is an exclusive lock on a data directory for the life of the
// process. The kernel drops it when the process dies, however it dies, so
// a crash never leaves a stale lock behind.
type dataDirLock struct {
	lock *flock.Flock
}

// lockDataDir takes the data directory for this process, or says who has
// it.
func lockDataDir(dir string) (*dataDirLock, error) {
	return lockDir(dir, "DATA_DIR", "data directory")
}

// lockDir takes dir, the directory of the variable named (after the
// prefix), for this process, or says who has it.
func lockDir(dir, variable, what string) (*dataDirLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("%s%s %s: %w", envPrefix, variable, dir, err)
	}
	path := filepath.Join(dir, lockFileName)
	l := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o640))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("%s%s %s: locking %s: %w", envPrefix, variable, dir, lockFileName, err)
	}
	if !ok {
		holder := "another process"
		if pid := readHolder(path); pid != "" {
			holder = "process " + pid
		}
		return nil, fmt.Errorf("%s%s %s: %w by %s (one hirebridge per %s: stop it, or give this one another %s%s)",
			envPrefix, variable, absPath(dir), errDataDirInUse, holder, what, envPrefix, variable)
	}
	// The holder's pid, for the next process's message. flock(2) locks the
	// open file description, so writing through another one, and closing
	// it, leaves the lock held.
	_ = os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o640)
	return &dataDirLock{lock: l}, nil
}

// unlock releases the directory; the pid stays in the file, harmless, since
// only a held lock means the directory is taken.
func (d *dataDirLock) unlock() error { return d.lock.Unlock() }

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

func absPath(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
