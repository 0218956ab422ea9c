// Package settings reads a configuration composed of parts from
// environment variables, through caarlos0/env, and adds what that library
// leaves to its caller: the list of every variable, found from the env
// tags of the composed fields (Of), so that the config log, a `config`
// command, secrets read from <NAME>_FILE and error messages all follow a
// new field by themselves; and errors in an operator's words, naming the
// variable rather than the Go field.
//
// Tags beyond caarlos0/env's own: secret:"true" on a field whose value is
// never shown and may come from <NAME>_FILE; zero:"what it does" on a
// field where an explicit zero is a choice rather than a mistake;
// deprecated:"why" on a variable that no longer does anything, still read
// so that a deployment which sets it starts.
package settings

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Setting is one variable of a composed configuration.
type Setting struct {
	// Var is the variable, prefix included.
	Var string
	// Path is the Go path of the field, e.g. "Kafka.SASL.Password".
	Path string
	// Default is the envDefault tag, as written.
	Default string
	// Secret settings may come from <Var>_FILE and are never shown.
	Secret bool
	// ZeroMeans is what an explicit zero does, for settings where it is a
	// choice (the tag zero:"..."), not a mistake.
	ZeroMeans string
	// Deprecated is why the variable no longer does anything (the tag
	// deprecated:"..."); empty for a setting in use.
	Deprecated string
	// Field is the Go field's name, as caarlos0/env's errors name it.
	Field string
	// Value is the field, in the configuration Of was given.
	Value reflect.Value
}

// Of lists every setting of cfg, a pointer to a struct, in the order of
// its fields: a field with an env tag is one, a struct field without one
// is walked under its envPrefix tag.
func Of(cfg any, prefix string) []Setting {
	var out []Setting
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
				out = append(out, Setting{
					Var:        prefix + name,
					Path:       path + f.Name,
					Default:    f.Tag.Get("envDefault"),
					Secret:     f.Tag.Get("secret") == "true",
					ZeroMeans:  f.Tag.Get("zero"),
					Deprecated: f.Tag.Get("deprecated"),
					Field:      f.Name,
					Value:      v.Field(i),
				})
			case f.Type.Kind() == reflect.Struct:
				walk(v.Field(i), prefix+f.Tag.Get("envPrefix"), path+f.Name+".")
			}
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), prefix, "")
	return out
}

// Display is the value as a config log or listing shows it: secrets
// masked, durations with their units, lists comma-separated, and the user
// information of URLs (nats://user:password@host) masked wherever it
// appears, since a password in a URL is a secret too.
func (s Setting) Display() string {
	if s.Secret {
		if s.Value.IsZero() {
			return ""
		}
		return "REDACTED"
	}
	switch v := s.Value.Interface().(type) {
	case time.Duration:
		return v.String()
	case []string:
		return redactURLs(strings.Join(v, ","))
	case string:
		return redactURLs(v)
	default:
		return fmt.Sprint(v)
	}
}

// DisplayText is text, a value as given for the setting (one that may not
// parse), masked as Display masks values.
func (s Setting) DisplayText(text string) string {
	if s.Secret && text != "" {
		return "REDACTED"
	}
	return redactURLs(text)
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
