//go:build linux

package natstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// serverCmdPackage is the nats-server the cluster's processes run: built
// from the nats-server/v2 this module requires, so a cluster test runs the
// same server as the in-process ones and the embedded server.
const serverCmdPackage = "github.com/hirebridge/hirebridge/sinks/natsjs/natstest/natsservercmd"

// binDirPrefix names the directories the server binary is built into, one
// per test process (its pid follows), under the system's temporary
// directory.
const binDirPrefix = "natstest-nats-server-"

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// serverBinary builds natsservercmd once per test binary and returns its
// path. It is built without -race whatever the tests are: the server is not
// this module's code, and runs several times faster so, which a cluster on
// a loaded CI machine needs. The Go build cache makes every build after the
// first a link of about a second.
//
// A test's temporary directory would be removed when that test ends, while
// later tests of the binary still start servers; so the binary goes to a
// directory named by this process's pid, and each build removes those of
// processes that are gone.
func serverBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		removeStaleBinDirs()
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		dir := filepath.Join(os.TempDir(), binDirPrefix+strconv.Itoa(os.Getpid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			buildErr = err
			return
		}
		bin := filepath.Join(dir, "nats-server")
		out, err := exec.Command(goTool, "build", "-o", bin, serverCmdPackage).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building %s: %v\n%s", serverCmdPackage, err, out)
			return
		}
		builtBin = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// removeStaleBinDirs removes the binary directories of test processes that
// no longer run.
func removeStaleBinDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), binDirPrefix+"*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), binDirPrefix))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			_ = os.RemoveAll(d)
		}
	}
}
