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
	"KAFKA_BATCH_TIMEOUT", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD",
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
	for _, doc := range []string{natsAllOn, kafkaAllOn} {
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

// serviceVars walks the Config struct of cmd/hirebridge from its source: the
// env tag of each field, with the envPrefix of nested sections; and the
// names in secretVars.
func serviceVars(t *testing.T) (vars, secrets []string) {
	t.Helper()
	fset := token.NewFileSet()
	pkgDir := filepath.Join(repoRoot, "cmd", "hirebridge")
	files, err := filepath.Glob(filepath.Join(pkgDir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources in %s: %v", pkgDir, err)
	}
	structs := map[string]*ast.StructType{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeSpec:
				if st, ok := n.Type.(*ast.StructType); ok {
					structs[n.Name.Name] = st
				}
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if name.Name != "secretVars" || i >= len(n.Values) {
						continue
					}
					if lit, ok := n.Values[i].(*ast.CompositeLit); ok {
						for _, e := range lit.Elts {
							if bl, ok := e.(*ast.BasicLit); ok {
								s, _ := strconv.Unquote(bl.Value)
								secrets = append(secrets, envPrefix+s)
							}
						}
					}
				}
			}
			return true
		})
	}
	var walk func(name, prefix string)
	walk = func(name, prefix string) {
		st, ok := structs[name]
		if !ok {
			t.Fatalf("no struct %s in %s", name, pkgDir)
		}
		for _, f := range st.Fields.List {
			if f.Tag == nil {
				continue
			}
			raw, _ := strconv.Unquote(f.Tag.Value)
			tag := reflect.StructTag(raw)
			if p, ok := tag.Lookup("envPrefix"); ok {
				if id, ok := f.Type.(*ast.Ident); ok {
					walk(id.Name, prefix+p)
				}
				continue
			}
			if env, _, _ := strings.Cut(tag.Get("env"), ","); env != "" {
				vars = append(vars, prefix+env)
			}
		}
	}
	walk("Config", envPrefix)
	if len(secrets) == 0 {
		t.Fatal("found no secretVars in the service's configuration")
	}
	return vars, secrets
}
