// Command natsservercmd is nats-server, built from the nats-server/v2 this
// module requires, for tests that run servers as processes
// (natstest.StartCluster): a process can be killed with SIGKILL and started
// again on the same store and ports, which an in-process server cannot
// model. It takes nats-server's own flags, such as -c <file>.
//
// When its standard input is a pipe it also ends when that pipe closes:
// the test that started it ended, however it ended, and no server is left
// behind.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	fs := flag.NewFlagSet("nats-server", flag.ExitOnError)
	opts, err := server.ConfigureOptions(fs, os.Args[1:], server.PrintServerAndExit, fs.Usage, server.PrintTLSHelpAndDie)
	if err != nil {
		server.PrintAndDie(fmt.Sprintf("natsservercmd: %s", err))
	}
	s, err := server.NewServer(opts)
	if err != nil {
		server.PrintAndDie(fmt.Sprintf("natsservercmd: %s", err))
	}
	s.ConfigureLogger()
	if stdinIsPipe() {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			// Abruptly, as a crash: the test is gone, nobody reads what a
			// clean shutdown would say.
			os.Exit(2)
		}()
	}
	if err := server.Run(s); err != nil {
		server.PrintAndDie(err.Error())
	}
	s.WaitForShutdown()
}

func stdinIsPipe() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && fi.Mode()&os.ModeNamedPipe != 0
}
