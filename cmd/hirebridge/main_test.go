package main

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	flag.Parse()
	raiseParallel(8)
	dir, err := os.MkdirTemp("", "hirebridge-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	// Every test stops what it started: services, brokers, tails,
	// processes, clients.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

// raiseParallel lets n parallel tests run at once rather than go test's
// default of one per CPU, unless -parallel is given: the tests here spend
// their time waiting on brokers, processes and HTTP, not computing. Those
// that measure time are not parallel.
func raiseParallel(n int) {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !set {
		if err := f.Value.Set(fmt.Sprint(n)); err != nil {
			panic(err)
		}
	}
}
