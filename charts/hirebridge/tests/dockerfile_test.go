package tests

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// No Docker engine runs in CI, so the Dockerfile is checked as BuildKit
// reads it: parsed into stages and instructions, words split and expanded
// by BuildKit's own shell lexer.

const testVersion = "v9.8.7-test"

type dockerfile struct {
	stages []instructions.Stage
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile: %s", w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		t.Errorf("Dockerfile lint %s: %s (line %v)", rule, msg, loc)
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(stages))
	}
	return dockerfile{stages: stages}
}

// goBuild is the go build command found in a RUN.
type goBuild struct {
	stage   int
	env     map[string]string // assignments before the command and ENV of the stage
	args    []string          // after "go build"
	hasArgV bool              // ARG VERSION declared in the stage before the RUN
}

// findGoBuild returns the one `go build` of the Dockerfile.
func (d dockerfile) findGoBuild(t *testing.T) goBuild {
	t.Helper()
	lex := shell.NewLex('\\')
	var found []goBuild
	for i, st := range d.stages {
		stageEnv := map[string]string{}
		hasArg := false
		for _, cmd := range st.Commands {
			switch c := cmd.(type) {
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					stageEnv[kv.Key] = kv.Value
				}
			case *instructions.ArgCommand:
				for _, a := range c.Args {
					hasArg = hasArg || a.Key == "VERSION"
				}
			case *instructions.RunCommand:
				line := strings.Join(c.CmdLine, " ")
				words, err := lex.ProcessWords(line, shell.EnvsFromSlice([]string{"VERSION=" + testVersion}))
				if err != nil {
					t.Fatalf("RUN %s: %v", line, err)
				}
				for _, seg := range splitCommands(words) {
					env := map[string]string{}
					for k, v := range stageEnv {
						env[k] = v
					}
					for len(seg) > 0 && regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(seg[0]) {
						k, v, _ := strings.Cut(seg[0], "=")
						env[k] = v
						seg = seg[1:]
					}
					if len(seg) >= 2 && seg[0] == "go" && seg[1] == "build" {
						found = append(found, goBuild{stage: i, env: env, args: seg[2:], hasArgV: hasArg})
					}
				}
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one `go build` in the Dockerfile, found %d", len(found))
	}
	return found[0]
}

// splitCommands cuts a shell word list at && ; and ||.
func splitCommands(words []string) [][]string {
	var out [][]string
	var cur []string
	for _, w := range words {
		if w == "&&" || w == ";" || w == "||" {
			out = append(out, cur)
			cur = nil
			continue
		}
		cur = append(cur, strings.TrimSuffix(w, ";"))
	}
	return append(out, cur)
}

// flag returns a go build flag's value, given as -f=v or -f v.
func (b goBuild) flag(name string) (string, bool) {
	for i, a := range b.args {
		a = "-" + strings.TrimLeft(a, "-")
		if a == "-"+name && i+1 < len(b.args) {
			return b.args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestDockerfileBuildsTheBinary(t *testing.T) {
	d := parseDockerfile(t)
	b := d.findGoBuild(t)
	if b.env["CGO_ENABLED"] != "0" {
		t.Errorf("go build runs with CGO_ENABLED=%q, want 0 for a static binary", b.env["CGO_ENABLED"])
	}
	if !slices.Contains(b.args, "-trimpath") {
		t.Errorf("go build %v lacks -trimpath", b.args)
	}
	ldflags, _ := b.flag("ldflags")
	if i := slices.Index(strings.Fields(ldflags), "-X"); i < 0 || !slices.Contains(strings.Fields(ldflags)[i:], "main.version="+testVersion) {
		t.Errorf("ldflags %q do not set main.version from the VERSION build arg", ldflags)
	}
	if !b.hasArgV {
		t.Error("the build stage uses VERSION without declaring ARG VERSION, so it would be empty")
	}
	if pkg := b.args[len(b.args)-1]; pkg != "./cmd/hirebridge" {
		t.Errorf("go build builds %q, want ./cmd/hirebridge", pkg)
	}
	out, ok := b.flag("o")
	if !ok {
		t.Fatal("go build has no -o: the binary's path is unknown")
	}

	final := d.stages[len(d.stages)-1]
	build := d.stages[b.stage]
	if b.stage == len(d.stages)-1 {
		t.Fatal("the binary is built in the final stage")
	}
	var binDest string
	for _, cmd := range final.Commands {
		c, ok := cmd.(*instructions.CopyCommand)
		if !ok {
			continue
		}
		if c.From == "" {
			t.Errorf("the final stage copies %v from the build context", c.SourcePaths)
			continue
		}
		if c.From != build.Name && c.From != strconv.Itoa(b.stage) {
			t.Errorf("COPY --from=%s refers to no build stage (the binary is built in %q)", c.From, build.Name)
		}
		if slices.Contains(c.SourcePaths, out) {
			binDest = c.DestPath
		}
	}
	if binDest == "" {
		t.Fatalf("the final stage does not copy the binary %s from stage %q", out, build.Name)
	}
	var entry *instructions.EntrypointCommand
	for _, cmd := range final.Commands {
		if e, ok := cmd.(*instructions.EntrypointCommand); ok {
			entry = e
		}
	}
	if entry == nil || entry.PrependShell || len(entry.CmdLine) == 0 {
		t.Fatal("the final stage needs an exec-form ENTRYPOINT (there is no shell in a minimal image)")
	}
	if got := entry.CmdLine[0]; got != binDest && filepath.Join(binDest, filepath.Base(out)) != got {
		t.Errorf("ENTRYPOINT runs %s, but the binary was copied to %s", got, binDest)
	}
}

var (
	digestRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	exactTag  = regexp.MustCompile(`:v?[0-9]+\.[0-9]+\.[0-9]+[-.\w]*$`)
)

func TestDockerfileImagesPinned(t *testing.T) {
	d := parseDockerfile(t)
	var names []string
	for _, st := range d.stages {
		base := st.BaseName
		switch {
		case slices.Contains(names, base):
			// an earlier stage
		case strings.Contains(base, "$"):
			t.Errorf("FROM %s: a variable image cannot be checked for pinning", base)
		case strings.HasSuffix(strings.Split(base, "@")[0], ":latest"):
			t.Errorf("FROM %s: never :latest", base)
		case !digestRef.MatchString(base) && !exactTag.MatchString(base):
			t.Errorf("FROM %s: pin by digest or by an exact version tag", base)
		}
		if st.Name != "" {
			names = append(names, st.Name)
		}
	}
}

func TestDockerfileFinalStage(t *testing.T) {
	d := parseDockerfile(t)
	final := d.stages[len(d.stages)-1]
	var user string
	ports := map[string]bool{}
	env := map[string]string{}
	var volumes []string
	dataOwner := ""
	for _, cmd := range final.Commands {
		switch c := cmd.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.ExposeCommand:
			for _, p := range c.Ports {
				ports[strings.TrimSuffix(p, "/tcp")] = true
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env[kv.Key] = kv.Value
			}
		case *instructions.VolumeCommand:
			volumes = append(volumes, c.Volumes...)
		case *instructions.CopyCommand:
			if strings.TrimSuffix(c.DestPath, "/") == "/data" {
				dataOwner = c.Chown
			}
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	n, err := strconv.Atoi(uid)
	if err != nil || n == 0 {
		t.Errorf("USER %q: want a numeric non-root uid, so runAsNonRoot can be verified", user)
	}
	for _, p := range []string{"8080", "9090"} {
		if !ports[p] {
			t.Errorf("port %s is not exposed", p)
		}
	}
	if env["HIREBRIDGE_DATA_DIR"] != "/data" || !slices.Contains(volumes, "/data") {
		t.Errorf("want HIREBRIDGE_DATA_DIR=/data and VOLUME /data, got %q and %v", env["HIREBRIDGE_DATA_DIR"], volumes)
	}
	if owner, _, _ := strings.Cut(dataOwner, ":"); owner != uid {
		t.Errorf("/data is owned by %q, but the process runs as %q: the embedded store could not write", dataOwner, uid)
	}
	if env["HIREBRIDGE_HTTP_ADDR"] != ":8080" || env["HIREBRIDGE_ADMIN_ADDR"] != ":9090" {
		t.Errorf("listen addresses %q and %q do not match the exposed ports", env["HIREBRIDGE_HTTP_ADDR"], env["HIREBRIDGE_ADMIN_ADDR"])
	}
}

// TestDockerignore: the context keeps what the build needs and leaves out
// the repository's history, local data and the chart.
func TestDockerignore(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(p string) bool {
		m, err := pm.MatchesOrParentMatches(filepath.ToSlash(p))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, p := range []string{".git/HEAD", "data/jetstream/x", "charts/hirebridge/Chart.yaml", "bridge/handler_test.go"} {
		if !excluded(p) {
			t.Errorf(".dockerignore lets %s into the build context", p)
		}
	}
	needed := append([]string{"go.mod", "go.sum"}, buildInputs(t)...)
	if len(needed) < 10 {
		t.Fatalf("found only %v to build: is the repository layout read right?", needed)
	}
	for _, p := range needed {
		if excluded(p) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", p)
		}
	}
}

var embedLine = regexp.MustCompile(`^//go:embed\s+(.+)$`)

// buildInputs lists the service module's non-test Go files and the files
// they embed, relative to the repository root.
func buildInputs(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil && rel != "." {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		out = append(out, rel)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			m := embedLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
			if m == nil {
				continue
			}
			for _, pat := range strings.Fields(m[1]) {
				files, _ := filepath.Glob(filepath.Join(filepath.Dir(p), pat))
				if len(files) == 0 {
					t.Errorf("%s embeds %s, which matches nothing", rel, pat)
				}
				for _, e := range files {
					r, _ := filepath.Rel(repoRoot, e)
					out = append(out, r)
				}
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
