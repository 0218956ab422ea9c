package main

import (
	"fmt"
	"io"

	"github.com/hirebridge/hirebridge/internal/config"
)

// configCommand is `hirebridge config`: the table of every variable, even
// when values are bad, since that is when it is needed. Each bad value is
// marked on its row and counted; the error returned, when there are any,
// is the count alone, which main says after the table: the person sees
// the whole table, and a script the exit status.
func configCommand(args []string, environ []string, stdout io.Writer) error {
	fs := newCommandFlags("config", "", configAbout, configExamples)
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	checked := config.Check(environ)
	if err := checked.Print(stdout); err != nil {
		return err
	}
	// Listed, not counted: the service starts with them, warning of each.
	if unknown := config.Unknown(environ); len(unknown) > 0 {
		fmt.Fprintln(stdout, "\nUnknown variables (ignored):")
		for _, v := range unknown {
			fmt.Fprintln(stdout, "  "+v.String())
		}
	}
	switch n := len(checked.Problems); n {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("1 problem (marked above)")
	default:
		return fmt.Errorf("%d problems (marked above)", n)
	}
}

const configAbout = `Print every HIREBRIDGE_* variable, each secret's _FILE too: its DEFAULT,
the VALUE in effect (secrets masked) and a NOTE: the value in use where it
is automatic, where a secret was read from, a deprecated variable that is
ignored and why, or the PROBLEM with a bad value. Exits 1 when any value is bad (the service would refuse to start),
0 otherwise; unknown variables are listed after the table, not counted.
`

const configExamples = `  HIREBRIDGE_SINK=kafka HIREBRIDGE_KAFKA_BROKERS=k1:9092 hirebridge config
      what the service would run with on Kafka, and what it would refuse
`
