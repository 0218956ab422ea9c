package main

import (
	"context"
	"fmt"
	"io"
)

// run dispatches the subcommand. Only main exits the process.
func run(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := loadConfig(environ)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout)
	case "version", "--version", "-v":
		_, err := fmt.Fprintln(stdout, "hirebridge", versionString())
		return err
	case "tail":
		return tail(ctx, args, environ, stdout)
	case "help", "--help", "-h":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q; try: hirebridge help", cmd)
	}
}

const usage = `hirebridge: Hirempire webhooks to NATS JetStream or Kafka

Usage:
  hirebridge [serve]      receive webhooks (configured by HIREBRIDGE_* variables)
  hirebridge tail [-all] [SUBJECT]
                          print events as they arrive on the NATS stream
  hirebridge version      print the version
`
