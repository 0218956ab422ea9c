package main

import "io"

// parseServeArgs reads serve's command line, which holds no settings (the
// HIREBRIDGE_* variables do): only -h, or nothing.
func parseServeArgs(args []string, stdout io.Writer) error {
	fs := newCommandFlags("serve", "", serveAbout, serveExamples)
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	return fs.noArgs()
}

const serveAbout = `Receive Hirempire webhooks and publish each event to NATS JetStream or
Kafka, until SIGTERM or SIGINT; also what hirebridge with no command does.
It takes no flags or arguments: HIREBRIDGE_* variables configure it
(hirebridge config lists them, docs/configuration.md explains them). With
none set it runs an embedded JetStream server storing under ./data, and
logs the webhook URL to register. It logs JSON lines on standard output
(HIREBRIDGE_LOG_FORMAT=console for people).
`

const serveExamples = `  hirebridge
      the zero-configuration default: embedded JetStream under ./data
  HIREBRIDGE_NATS_URL=nats://nats:4222 HIREBRIDGE_WEBHOOK_TOKEN_FILE=/run/secrets/token hirebridge serve
      publish to a NATS cluster, with the token from a file
`
