package settings

import (
	"errors"
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
// caller tells from their presence. Its error is the first problem
// LoadAll finds, a *VarError when a variable is at fault.
func Load[T any](environ []string, prefix string) (T, map[string]string, error) {
	cfg, vars, problems := LoadAll[T](environ, prefix)
	if len(problems) > 0 {
		return cfg, nil, problems[0]
	}
	return cfg, vars, nil
}

// LoadAll is Load going on past a bad value: it returns every problem it
// finds, in the order Load meets them (secret files, values that do not
// parse, explicit zeros), each a *VarError when a variable is at fault.
// A variable that did not parse is left at its type's zero in the T, not
// at its default.
func LoadAll[T any](environ []string, prefix string) (T, map[string]string, []error) {
	var cfg T
	vars := env.ToMap(environ)
	all := Of(&cfg, prefix)
	problems := readSecretFiles(vars, all)
	cfg, err := env.ParseAsWithOptions[T](env.Options{Environment: vars, Prefix: prefix})
	if err != nil {
		problems = append(problems, describeParseErrors(err, vars, all)...)
	}
	defaults, err := env.ParseAsWithOptions[T](env.Options{Environment: map[string]string{}, Prefix: prefix})
	if err != nil {
		panic("the defaults in the env tags do not parse: " + err.Error())
	}
	atFault := map[string]bool{}
	for _, p := range problems {
		atFault[VarOf(p)] = true
	}
	problems = append(problems, refuseExplicitZeros(vars, Of(&cfg, prefix), Of(&defaults, prefix), atFault)...)
	return cfg, vars, problems
}

// readSecretFiles reads each secret setting from <NAME>_FILE when that is
// given, as Kubernetes mounts secrets.
func readSecretFiles(vars map[string]string, all []Setting) []error {
	var problems []error
	for _, s := range all {
		if !s.Secret {
			continue
		}
		file := s.Var + "_FILE"
		path, ok := vars[file]
		if !ok || path == "" {
			continue
		}
		if vars[s.Var] != "" {
			problems = append(problems, varErrorf(file, "%s is set too; set one of them", s.Var))
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, varErrorf(file, "%v", err))
			continue
		}
		// Editors and kubectl leave a trailing newline that is not part of
		// the secret.
		vars[s.Var] = strings.TrimRight(string(b), "\r\n")
	}
	return problems
}

// refuseExplicitZeros refuses a variable set to zero where its default is
// not: the parts take a zero as "use the default", and a variable set to
// zero is a mistake to report, not a default to apply. Fields tagged
// zero:"..." give zero a meaning of their own. Variables already atFault
// (a value that did not parse is left at zero) are not looked at.
func refuseExplicitZeros(vars map[string]string, all, defaults []Setting, atFault map[string]bool) []error {
	byPath := map[string]Setting{}
	for _, d := range defaults {
		byPath[d.Path] = d
	}
	var problems []error
	for _, s := range all {
		if _, set := vars[s.Var]; !set || atFault[s.Var] || s.Value.Kind() == reflect.Bool || s.Value.Kind() == reflect.String {
			continue
		}
		if s.Value.IsZero() && !byPath[s.Path].Value.IsZero() && s.ZeroMeans == "" {
			problems = append(problems, varErrorf(s.Var, "must not be %s (its default is %s)", vars[s.Var], s.Default))
		}
	}
	return problems
}

// describeParseErrors names the variable behind each of caarlos0/env's
// errors, which name only the Go field, and says what the value should be
// in an operator's words rather than strconv's. caarlos0/env goes on past
// a field that fails and gathers them all in an env.AggregateError.
func describeParseErrors(err error, vars map[string]string, all []Setting) []error {
	errs := []error{err}
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		errs = agg.Errors
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		out = append(out, describeParseError(e, vars, all))
	}
	return out
}

// describeParseError describes one of caarlos0/env's errors.
func describeParseError(err error, vars map[string]string, all []Setting) error {
	var pe env.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	// Only fields of other types than string fail to parse, and their names
	// are unique (the binary's tests hold them to it).
	for _, s := range all {
		if s.Field == pe.Name && s.Value.Kind() != reflect.String {
			return varErrorf(s.Var, "%q is not %s", vars[s.Var], expected(pe.Type))
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
