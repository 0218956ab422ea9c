// Command hirebridge receives Hirempire webhooks and publishes them to NATS
// JetStream or Kafka. See the README for its configuration.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "hirebridge: %v\n", err)
		os.Exit(1)
	}
}
