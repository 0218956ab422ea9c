package settings

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Load parses environ into a T, each variable under prefix: secrets from
// <NAME>_FILE when that is given, a parse error as one line naming the
// variable and what its value should be, and a variable set to zero where
// its default is not refused. It returns the variables too, for what the
// caller tells from their presence.
func Load[T any](environ []string, prefix string) (T, map[string]string, error) {
	var cfg T
	vars := env.ToMap(environ)
	all := Of(&cfg, prefix)
	if err := readSecretFiles(vars, all); err != nil {
		return cfg, nil, err
	}
	cfg, err := env.ParseAsWithOptions[T](env.Options{Environment: vars, Prefix: prefix})
	if err != nil {
		return cfg, nil, describeParseError(err, vars, all)
	}
	defaults, err := env.ParseAsWithOptions[T](env.Options{Environment: map[string]string{}, Prefix: prefix})
	if err != nil {
		panic("the defaults in the env tags do not parse: " + err.Error())
	}
	if err := refuseExplicitZeros(vars, Of(&cfg, prefix), Of(&defaults, prefix)); err != nil {
		return cfg, nil, err
	}
	return cfg, vars, nil
}

// readSecretFiles reads each secret setting from <NAME>_FILE when that is
// given, as Kubernetes mounts secrets.
func readSecretFiles(vars map[string]string, all []Setting) error {
	for _, s := range all {
		if !s.Secret {
			continue
		}
		path, ok := vars[s.Var+"_FILE"]
		if !ok || path == "" {
			continue
		}
		if vars[s.Var] != "" {
			return fmt.Errorf("%s and %s_FILE are both set; set one", s.Var, s.Var)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", s.Var, err)
		}
		// Editors and kubectl leave a trailing newline that is not part of
		// the secret.
		vars[s.Var] = strings.TrimRight(string(b), "\r\n")
	}
	return nil
}

// refuseExplicitZeros refuses a variable set to zero where its default is
// not: the parts take a zero as "use the default", and a variable set to
// zero is a mistake to report, not a default to apply. Fields tagged
// zero:"..." give zero a meaning of their own.
func refuseExplicitZeros(vars map[string]string, all, defaults []Setting) error {
	byPath := map[string]Setting{}
	for _, d := range defaults {
		byPath[d.Path] = d
	}
	for _, s := range all {
		if _, set := vars[s.Var]; !set || s.Value.Kind() == reflect.Bool || s.Value.Kind() == reflect.String {
			continue
		}
		if s.Value.IsZero() && !byPath[s.Path].Value.IsZero() && s.ZeroMeans == "" {
			return fmt.Errorf("%s: must not be %s (its default is %s)", s.Var, vars[s.Var], s.Default)
		}
	}
	return nil
}

// describeParseError names the variable behind a caarlos0/env error, which
// itself names only the Go field, and says what the value should be in an
// operator's words rather than strconv's.
func describeParseError(err error, vars map[string]string, all []Setting) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	// Only fields of other types than string fail to parse, and their names
	// are unique (the binary's tests hold them to it).
	for _, s := range all {
		if s.Field == pe.Name && s.Value.Kind() != reflect.String {
			return fmt.Errorf("%s: %q is not %s", s.Var, vars[s.Var], expected(pe.Type))
		}
	}
	return err
}

// expected describes the values a field of type t takes.
func expected(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 10s, 500ms or 2m"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "a whole number"
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		return "a whole number, 0 or more"
	}
	return "a valid " + t.String()
}
