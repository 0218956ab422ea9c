// Command kfakecmd runs franz-go's kfake, a Kafka broker in one process
// that keeps everything in memory (nothing is left once it stops): to try
// hirebridge's Kafka sink by hand, and for tests that pause and resume the
// broker with SIGSTOP and SIGCONT (which an in-process broker, sharing the
// test's scheduler, cannot model).
//
//	kfakecmd [-brokers n] [-exit-on-stdin-close] [-superuser name:password] [-user name:password]... [port]
//
// It listens on 127.0.0.1:port (default 0: a port of the kernel's choosing),
// prints the address it listens on as the first line of its standard
// output (and, run by hand, how to point hirebridge at it on its standard
// error), and runs until SIGINT or SIGTERM. By hand:
//
//	go run ./sinks/kafka/kafkatest/kfakecmd 9092
//
// With -brokers n it runs a cluster of n brokers, on port, port+1, ...
// (or n ports of the kernel's choosing), and the first line lists every
// address, comma-separated, as HIREBRIDGE_KAFKA_BROKERS takes them; with
// one broker, the default, the line is that broker's address. Topics
// created with the cluster's default replication factor get min(3, n)
// copies. The brokers share one process: SIGSTOP pauses them all.
//
// With -exit-on-stdin-close, or when its standard input is a pipe, it also
// ends when its standard input closes: tests start it so (StartProcess, and
// `sleep 86400 | kfakecmd` in .ci/loadtest/run.sh), and a test that ended,
// however it ended, leaves no broker behind. A terminal, or /dev/null (run
// in the background or by a script), is not watched.
//
// With -superuser, clients authenticate with SASL PLAIN and ACLs are
// enforced: the superuser may do anything, each -user only what ACLs grant
// it, which the superuser creates through the admin API (CreateACLs) as an
// operator would.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

// credentials are name:password pairs given by repeated flags.
type credentials [][2]string

func (c *credentials) String() string { return fmt.Sprint(len(*c), " users") }

func (c *credentials) Set(s string) error {
	name, pass, ok := strings.Cut(s, ":")
	if !ok || name == "" || pass == "" {
		return fmt.Errorf("%q is not name:password", s)
	}
	*c = append(*c, [2]string{name, pass})
	return nil
}

func main() {
	var super, users credentials
	flag.Var(&super, "superuser", "name:password of a SASL PLAIN superuser; turns SASL and ACLs on")
	flag.Var(&users, "user", "name:password of a SASL PLAIN user allowed what ACLs grant (repeatable; needs -superuser)")
	brokers := flag.Int("brokers", 1, "number of brokers, on port, port+1, ... (a port of the kernel's choosing each, with port 0)")
	exitOnStdinClose := flag.Bool("exit-on-stdin-close", false, "also end when standard input closes (for tests: the broker ends with the test that started it);\nso does a standard input that is a pipe")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: kfakecmd [flags] [port]\n\nRuns a Kafka broker (kfake), or a cluster of them (-brokers), in memory on 127.0.0.1:port (default: a free port) until Ctrl-C.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("kfakecmd: ")
	port := 0
	if flag.NArg() > 0 {
		p, err := strconv.Atoi(flag.Arg(0))
		if err != nil || p < 0 || p > 65535 {
			log.Fatalf("port %q: not a port number", flag.Arg(0))
		}
		port = p
	}
	if *brokers < 1 || (port > 0 && port+*brokers-1 > 65535) {
		log.Fatalf("-brokers %d: not a number of brokers from 1 that fits on the ports from %d", *brokers, port)
	}
	ports := make([]int, *brokers)
	for i := range ports {
		if port > 0 {
			ports[i] = port + i
		}
	}
	opts := []kfake.Opt{kfake.NumBrokers(*brokers), kfake.Ports(ports...)}
	switch {
	case len(super) > 1:
		log.Fatal("-superuser: given more than once")
	case len(super) == 1:
		opts = append(opts, kfake.EnableSASL(), kfake.EnableACLs(), kfake.Superuser("PLAIN", super[0][0], super[0][1]))
		for _, u := range users {
			opts = append(opts, kfake.User("PLAIN", u[0], u[1]))
		}
	case len(users) > 0:
		log.Fatal("-user needs -superuser: without SASL there are no users")
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	addrs := c.ListenAddrs()
	if len(addrs) != *brokers {
		log.Fatalf("kfake listens on %v, want %d addresses", addrs, *brokers)
	}
	list := strings.Join(addrs, ",")
	fmt.Println(list)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	// Nil, so never ready, unless asked or a pipe: by hand, standard input
	// may be closed from the start (/dev/null: run in the background, or by
	// a script), and a terminal must not be read by a background job.
	var stdinClosed chan struct{}
	if *exitOnStdinClose || stdinIsPipe() {
		stdinClosed = make(chan struct{})
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			close(stdinClosed)
		}()
	} else {
		env := "HIREBRIDGE_SINK=kafka HIREBRIDGE_KAFKA_BROKERS=" + list
		what := "a Kafka broker on " + list
		if len(addrs) > 1 {
			what = fmt.Sprintf("a Kafka cluster of %d brokers on %s", len(addrs), list)
		}
		fmt.Fprintf(os.Stderr, "kfakecmd: %s, in memory: everything is gone once it stops; Ctrl-C stops it\n", what)
		fmt.Fprintf(os.Stderr, "kfakecmd: run hirebridge on it, and watch what it publishes (from the repository's root):\n  %s go run ./cmd/hirebridge\n  %[1]s go run ./cmd/hirebridge tail\n", env)
	}
	select {
	case <-stop:
	case <-stdinClosed:
	}
}

// stdinIsPipe tells whether standard input is a pipe, whose other end the
// program that started this one holds.
func stdinIsPipe() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && fi.Mode()&os.ModeNamedPipe != 0
}
