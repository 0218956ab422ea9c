// Command kfakecmd runs franz-go's kfake broker in a process of its own, for
// tests that pause and resume the broker with SIGSTOP and SIGCONT (which an
// in-process broker, sharing the test's scheduler, cannot model). It keeps
// its store in memory.
//
//	kfakecmd [-superuser name:password] [-user name:password]... [port]
//
// It listens on 127.0.0.1:port (default 0: a port of the kernel's choosing),
// prints the address it listens on as the first line of its standard
// output, and runs until SIGINT, SIGTERM, or its standard input closes (the
// test that started it ended).
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
	flag.Parse()
	port := 0
	if flag.NArg() > 0 {
		p, err := strconv.Atoi(flag.Arg(0))
		if err != nil || p < 0 || p > 65535 {
			log.Fatalf("port %q: not a port number", flag.Arg(0))
		}
		port = p
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(port)}
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
