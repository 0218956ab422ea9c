package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// versionCommand is `hirebridge version`.
func versionCommand(args []string, stdout io.Writer) error {
	fs := newCommandFlags("version", "", "Print hirebridge's version: the one stamped at build time, else the\nmodule's, else dev.\n", "")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, "hirebridge", versionString())
	return err
}
