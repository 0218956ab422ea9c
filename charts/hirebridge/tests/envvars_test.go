package tests

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// kafkaVars are the Kafka sink's variables as the project decided them; the
// chart serves them even before the binary's configuration declares them.
// Once it does, serviceVars finds them there too.
var kafkaVars = []string{
	"KAFKA_BROKERS", "KAFKA_CLIENT_ID", "KAFKA_PARTITIONS", "KAFKA_REPLICATION_FACTOR",
	"KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD",
	"KAFKA_TLS", "KAFKA_TLS_CA_FILE", "KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE",
	"KAFKA_DEDUP_WINDOW_SIZE", "KAFKA_DEDUP_WINDOW_AGE",
}

// secretLike are the variables the chart must pass as *_FILE (the binary
// reads <NAME>_FILE for each) whether or not the binary lists them yet.
var secretLike = []string{"WEBHOOK_TOKEN", "NATS_PASSWORD", "NATS_TOKEN", "KAFKA_SASL_PASSWORD"}

// TestEveryVariableReachable reads the service's configuration source (the
// env tags of its Config struct and its secretVars list) and checks that some
// values of the chart set each variable, secrets through their _FILE form.
func TestEveryVariableReachable(t *testing.T) {
	vars, secrets := serviceVars(t)
	if len(vars) < 20 || !slices.Contains(vars, "HIREBRIDGE_NATS_URL") {
		t.Fatalf("read only %d variables from the service's configuration (%v): has its layout changed?", len(vars), vars)
	}
	for _, k := range kafkaVars {
		vars = append(vars, envPrefix+k)
	}
	for _, s := range secretLike {
		secrets = append(secrets, envPrefix+s)
	}
	set := map[string]bool{}
	for _, doc := range []string{natsAllOn, kafkaAllOn, sourcesOn, consoleOn} {
		r := mustRender(t, values(t, doc))
		for name := range r.env(t) {
			set[name] = true
		}
	}
	slices.Sort(vars)
	vars = slices.Compact(vars)
	for _, v := range vars {
		if set[v] || (slices.Contains(secrets, v) && set[v+"_FILE"]) {
			continue
		}
		t.Errorf("%s: no value of the chart sets it", v)
	}
	for name := range set {
		if !slices.Contains(vars, name) && !slices.Contains(vars, strings.TrimSuffix(name, "_FILE")) {
			t.Errorf("the chart sets %s, which the service does not read", name)
		}
	}
}

const envPrefix = "HIREBRIDGE_"

// serviceVars walks the Config struct of internal/config from its source,
// into the Config types of the parts it composes (in other packages of the
// module): the env tag of each field, with the envPrefix of nested
// sections; secrets are the fields tagged secret:"true". Fields tagged
// deprecated:"..." are left out: variables that no longer do anything.
func serviceVars(t *testing.T) (vars, secrets []string) {
	t.Helper()
	const module = "github.com/hirebridge/hirebridge/"
	fset := token.NewFileSet()
	// structs by package directory (relative to the repository) and name;
	// imports by directory and the name a file refers to a package by.
	structs := map[string]*ast.StructType{}
	imports := map[string]string{}
	var load func(dir string)
	loaded := map[string]bool{}
	load = func(dir string) {
		if loaded[dir] {
			return
		}
		loaded[dir] = true
		files, err := filepath.Glob(filepath.Join(repoRoot, dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no sources in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(path, module) {
					continue
				}
				name := filepath.Base(path)
				if imp.Name != nil {
					name = imp.Name.Name
				}
				imports[dir+"|"+name] = strings.TrimPrefix(path, module)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if ts, ok := n.(*ast.TypeSpec); ok {
					if st, ok := ts.Type.(*ast.StructType); ok {
						structs[dir+"|"+ts.Name.Name] = st
					}
				}
				return true
			})
		}
	}
	var walk func(dir, name, prefix string)
	walk = func(dir, name, prefix string) {
		load(dir)
		st, ok := structs[dir+"|"+name]
		if !ok {
			t.Fatalf("no struct %s in %s", name, dir)
		}
		for _, f := range st.Fields.List {
			tag := reflect.StructTag("")
			if f.Tag != nil {
				raw, _ := strconv.Unquote(f.Tag.Value)
				tag = reflect.StructTag(raw)
			}
			if env, _, _ := strings.Cut(tag.Get("env"), ","); env != "" {
				if tag.Get("deprecated") != "" {
					// Read by the service only to say it is
					// ignored: the chart must not set it.
					continue
				}
				vars = append(vars, prefix+env)
				if tag.Get("secret") == "true" {
					secrets = append(secrets, prefix+env)
				}
				continue
			}
			// A nested section: a struct of this package, or of another
			// package of the module.
			switch typ := f.Type.(type) {
			case *ast.Ident:
				if _, ok := structs[dir+"|"+typ.Name]; ok {
					walk(dir, typ.Name, prefix+tag.Get("envPrefix"))
				}
			case *ast.SelectorExpr:
				if pkg, ok := typ.X.(*ast.Ident); ok {
					if other, ok := imports[dir+"|"+pkg.Name]; ok {
						walk(other, typ.Sel.Name, prefix+tag.Get("envPrefix"))
					}
				}
			}
		}
	}
	walk(filepath.Join("internal", "config"), "Config", envPrefix)
	if len(secrets) == 0 {
		t.Fatal("found no secret settings in the service's configuration")
	}
	return vars, secrets
}
