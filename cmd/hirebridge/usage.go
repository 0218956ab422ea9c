package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandFlags are a command's flags and the words of its usage. The usage
// is printed on standard output when asked for (-h, -help, --help: parse
// returns flag.ErrHelp, which run takes for success); a wrong flag or
// argument is a usageError, said in one line by main.
type commandFlags struct {
	*flag.FlagSet
	command  string // as typed after hirebridge: "tail", "spool salvage"
	synopsis string // the flags and arguments, as the usage's first line shows them
	about    string // what the command does, and each argument
	examples string // command lines, each with what it does
}

func newCommandFlags(command, synopsis, about, examples string) *commandFlags {
	fs := flag.NewFlagSet("hirebridge "+command, flag.ContinueOnError)
	// flag's own report of a parse error is the error, then every flag:
	// left out, since the error is returned and said once, in one line.
	// For the same reason Usage, which flag calls on errors too, prints
	// nothing: parse prints the usage when help is what was asked for.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &commandFlags{FlagSet: fs, command: command, synopsis: synopsis, about: about, examples: examples}
}

// parse reads args. Asked for help, it prints the usage on stdout and
// returns flag.ErrHelp.
func (c *commandFlags) parse(args []string, stdout io.Writer) error {
	err := c.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		if err := c.printUsage(stdout); err != nil {
			return err
		}
		return flag.ErrHelp
	default:
		return c.usageErrorf("%v", err)
	}
}

// printUsage writes the synopsis, what the command does, its flags and its
// examples.
func (c *commandFlags) printUsage(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s", joinWords("hirebridge", c.command, c.synopsis), c.about)
	hasFlags := false
	c.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nFlags:\n")
		c.SetOutput(&b)
		c.PrintDefaults()
		c.SetOutput(io.Discard)
	}
	if c.examples != "" {
		b.WriteString("\nExamples:\n" + c.examples)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (c *commandFlags) usageErrorf(format string, args ...any) error {
	return &usageError{command: c.command, msg: fmt.Sprintf(format, args...)}
}

// noArgs refuses the arguments left after the flags, for a command that
// takes none.
func (c *commandFlags) noArgs() error {
	if c.NArg() == 0 {
		return nil
	}
	return c.usageErrorf("takes no arguments, got %s%s", quoteAll(c.Args()), flagAfterArgs(c.Args()))
}

// flagAfterArgs explains a flag taken for an argument: flag stops at the
// first argument, so `tail hirempire.> -all` leaves "-all" an argument.
func flagAfterArgs(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return " (flags go before the arguments)"
		}
	}
	return ""
}

func quoteAll(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(quoted, " ")
}
