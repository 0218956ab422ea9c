// Command kfakecmd runs franz-go's kfake broker in a process of its own, for
// tests that pause and resume the broker with SIGSTOP and SIGCONT (which an
// in-process broker, sharing the test's scheduler, cannot model). It keeps
// its store in memory.
//
//	kfakecmd [port]
//
// It listens on 127.0.0.1:port (default 0: a port of the kernel's choosing),
// prints the address it listens on as the first line of its standard
// output, and runs until SIGINT, SIGTERM, or its standard input closes (the
// test that started it ended).
package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := 0
	if len(os.Args) > 1 {
		p, err := strconv.Atoi(os.Args[1])
		if err != nil || p < 0 || p > 65535 {
			log.Fatalf("port %q: not a port number", os.Args[1])
		}
		port = p
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	addrs := c.ListenAddrs()
	if len(addrs) != 1 {
		log.Fatalf("kfake listens on %v, want one address", addrs)
	}
	fmt.Println(addrs[0])

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stop:
	case <-stdinClosed:
	}
}
