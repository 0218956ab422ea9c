package settings

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

type part struct {
	Password string        `env:"PASSWORD" secret:"true"`
	Wait     time.Duration `env:"WAIT" envDefault:"5s"`
	Retries  int           `env:"RETRIES" envDefault:"3" zero:"never retry"`
	Linger   string        `env:"LINGER" deprecated:"nothing waits any more"`
}

type composed struct {
	URL  string `env:"URL" envDefault:"nats://localhost:4222"`
	Part part   `envPrefix:"PART_"`
}

func TestOf(t *testing.T) {
	var c composed
	got := map[string]Setting{}
	for _, s := range Of(&c, "X_") {
		got[s.Path] = s
	}
	if s := got["Part.Password"]; s.Var != "X_PART_PASSWORD" || !s.Secret || s.Field != "Password" {
		t.Errorf("Part.Password: %+v", s)
	}
	if s := got["Part.Retries"]; s.ZeroMeans != "never retry" || s.Default != "3" || s.Deprecated != "" {
		t.Errorf("Part.Retries: %+v", s)
	}
	if s := got["Part.Linger"]; s.Deprecated != "nothing waits any more" {
		t.Errorf("Part.Linger: %+v", s)
	}
}

// A deprecated variable takes any value, and its row says it is ignored
// and why, given or not.
func TestDeprecatedRow(t *testing.T) {
	for _, environ := range [][]string{nil, {"X_PART_LINGER=not even a duration"}} {
		c, _, err := Load[composed](environ, "X_")
		if err != nil {
			t.Fatalf("%v: %v", environ, err)
		}
		var out bytes.Buffer
		if err := Print(&out, Rows(Of(&c, "X_"), nil)); err != nil {
			t.Fatal(err)
		}
		value := "-"
		if environ != nil {
			value = "not even a duration"
		}
		want := `(?m)^X_PART_LINGER +- +` + value + ` +deprecated, ignored: nothing waits any more$`
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("%v: printed no line matching %s:\n%s", environ, want, out.String())
		}
	}
}

func TestLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, vars, err := Load[composed]([]string{"X_PART_PASSWORD_FILE=" + file, "X_PART_RETRIES=0", "X_URL=nats://u:pw@h:4222"}, "X_")
	if err != nil {
		t.Fatal(err)
	}
	if c.Part.Password != "s3cret" || c.Part.Retries != 0 || c.Part.Wait != 5*time.Second || vars["X_URL"] == "" {
		t.Errorf("loaded %+v", c)
	}
	given := map[string]string{"X_PART_PASSWORD_FILE": file}
	var out bytes.Buffer
	if err := Print(&out, Rows(Of(&c, "X_"), given)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^X_URL +nats://localhost:4222 +nats://REDACTED@h:4222$`,
		`(?m)^X_PART_PASSWORD +- +REDACTED +from X_PART_PASSWORD_FILE$`,
		`(?m)^X_PART_PASSWORD_FILE +- +` + regexp.QuoteMeta(file) + `$`,
		`(?m)^X_PART_RETRIES +3 +0 +never retry$`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("printed no line matching %s:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "s3cret") || strings.Contains(out.String(), "pw@") {
		t.Errorf("printed a secret:\n%s", out.String())
	}
	if strings.Contains(out.String(), " \n") {
		t.Errorf("printed trailing spaces:\n%q", out.String())
	}

	// Errors name the variable, in an operator's words.
	for environ, want := range map[string]string{
		"X_PART_WAIT=soon":  `X_PART_WAIT: "soon" is not a duration such as 10s, 500ms or 2m`,
		"X_PART_WAIT=0s":    "X_PART_WAIT: must not be 0s (its default is 5s)",
		"X_PART_RETRIES=-x": `X_PART_RETRIES: "-x" is not a whole number`,
	} {
		if _, _, err := Load[composed]([]string{environ}, "X_"); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", environ, err, want)
		}
	}
}

// LoadAll goes on past a bad value: every variable at fault, each once,
// in the words Load says it alone, and a value that did not parse is not
// refused again as an explicit zero.
func TestLoadAllFindsEveryProblem(t *testing.T) {
	environ := []string{
		"X_PART_WAIT=soon",
		"X_PART_RETRIES=many",
		"X_PART_PASSWORD=inline",
		"X_PART_PASSWORD_FILE=" + filepath.Join(t.TempDir(), "absent"),
	}
	_, _, problems := LoadAll[composed](environ, "X_")
	got := map[string]string{}
	for _, p := range problems {
		name := VarOf(p)
		if _, dup := got[name]; dup {
			t.Errorf("%s reported twice: %v", name, problems)
		}
		got[name] = p.Error()
	}
	for _, name := range []string{"X_PART_WAIT", "X_PART_RETRIES", "X_PART_PASSWORD_FILE"} {
		var alone []string
		for _, kv := range environ {
			if strings.HasPrefix(kv, name+"=") || (name == "X_PART_PASSWORD_FILE" && strings.HasPrefix(kv, "X_PART_PASSWORD")) {
				alone = append(alone, kv)
			}
		}
		_, _, err := Load[composed](alone, "X_")
		if err == nil || got[name] != err.Error() {
			t.Errorf("%s: LoadAll says %q, Load alone %v", name, got[name], err)
		}
	}
	if len(got) != 3 {
		t.Errorf("%d problems, want 3: %q", len(got), problems)
	}
}

func TestNameField(t *testing.T) {
	var c composed
	all := Of(&c, "X_")
	sections := map[string]string{"part": "Part"}
	shared := map[string]string{"Prefix": "X_PREFIX"}
	for err, want := range map[error]string{
		sinks.FieldErrorf("part", "Wait", "too long"):  "X_PART_WAIT: too long",
		sinks.FieldErrorf("part", "Prefix", "bad"):     "X_PREFIX: bad",
		sinks.FieldErrorf("other", "Wait", "too long"): "other Wait: too long",
		errors.New("plain"):                            "plain",
	} {
		if got := NameField(err, all, sections, shared); got.Error() != want {
			t.Errorf("NameField(%v) = %v, want %s", err, got, want)
		}
	}
}
