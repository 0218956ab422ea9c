package main

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/caarlos0/env/v11"
)

// setting is one variable of the composed Config, found from the env tags
// of the fields that hold it: the config log, `hirebridge config`, secret
// files and error messages all come from these, so a new field cannot be
// forgotten by any of them.
type setting struct {
	// Var is the variable, HIREBRIDGE_... included.
	Var string
	// Path is the Go path of the field, e.g. "Kafka.SASL.Password".
	Path string
	// Default is the envDefault tag, as written.
	Default string
	// Secret settings may come from <Var>_FILE and are never shown.
	Secret bool
	// ZeroMeans is what an explicit zero does, for settings where it is a
	// choice (the struct tag zero:"..."), not a mistake.
	ZeroMeans string
	field     string
	value     reflect.Value
}

// settingsOf lists every setting of c, in the order of the fields.
func settingsOf(c *Config) []setting {
	var out []setting
	var walk func(v reflect.Value, prefix, path string)
	walk = func(v reflect.Value, prefix, path string) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
			switch {
			case name != "":
				out = append(out, setting{
					Var:       prefix + name,
					Path:      path + f.Name,
					Default:   f.Tag.Get("envDefault"),
					Secret:    f.Tag.Get("secret") == "true",
					ZeroMeans: f.Tag.Get("zero"),
					field:     f.Name,
					value:     v.Field(i),
				})
			case f.Type.Kind() == reflect.Struct:
				walk(v.Field(i), prefix+f.Tag.Get("envPrefix"), path+f.Name+".")
			}
		}
	}
	walk(reflect.ValueOf(c).Elem(), envPrefix, "")
	return out
}

// display is the value as the config log and `hirebridge config` show it:
// secrets masked, durations with their units, user info out of URLs.
func (s setting) display() string {
	v := s.value.Interface()
	switch {
	case s.Secret:
		if s.value.IsZero() {
			return ""
		}
		return "REDACTED"
	case s.Var == envPrefix+"NATS_URL":
		return redactURLs(s.value.String())
	}
	switch v := v.(type) {
	case time.Duration:
		return v.String()
	case []string:
		return strings.Join(v, ",")
	}
	return fmt.Sprint(v)
}

// defaultConfig is the Config of no variables at all.
func defaultConfig() Config {
	c, err := env.ParseAsWithOptions[Config](env.Options{Environment: map[string]string{}, Prefix: envPrefix})
	if err != nil {
		panic("the defaults in the env tags do not parse: " + err.Error())
	}
	return c
}

// printConfig is `hirebridge config`: every variable, its default and the
// value in effect, secrets masked.
func printConfig(w io.Writer, cfg Config) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tVALUE")
	for _, s := range settingsOf(&cfg) {
		value := s.display()
		if s.Var == envPrefix+"WEBHOOK_TOKEN" && cfg.tokenGenerated {
			value = "(drawn at random at each start)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Var, orDash(s.Default), orDash(value))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// redactURLs hides user info in comma-separated URLs.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if scheme := strings.Index(p, "://"); scheme >= 0 && scheme < at {
				parts[i] = p[:scheme+3] + "REDACTED" + p[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}
