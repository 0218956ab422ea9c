package bridge

import (
	"flag"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	flag.Parse()
	shortenFuzzMinimization()
	raiseParallel(8)
	// Every test stops what it started: servers, connections, handlers.
	goleak.VerifyTestMain(m)
}

// shortenFuzzMinimization caps minimization at one second per input unless
// -fuzzminimizetime is given. FuzzWebhook runs a JetStream server in the
// process, whose background goroutines move coverage counters at random:
// the fuzzer keeps finding "new coverage" and, at the default of 60s per
// input, spends nearly all of a short run minimizing inputs that are not
// interesting at all.
func shortenFuzzMinimization() {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if f := flag.Lookup("test.fuzzminimizetime"); f != nil && !set {
		if err := f.Value.Set("1s"); err != nil {
			panic(err)
		}
	}
}

// raiseParallel lets n parallel tests run at once rather than go test's
// default of one per CPU, unless -parallel is given: the tests here spend
// much of their time waiting on a JetStream server and on HTTP round trips.
// Those that measure time are not parallel.
func raiseParallel(n int) {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !set {
		if err := f.Value.Set(strconv.Itoa(n)); err != nil {
			panic(err)
		}
	}
}
