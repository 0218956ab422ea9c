package schema

import (
	"os/exec"
	"strings"
	"testing"
)

// The package doc's promise: schema knows nothing of HTTP or brokers. The
// names it shares with them (the dead letters' among them) come from
// package events, below everything, so it links neither net/http, nor a
// broker client, nor a package of this module above it.
func TestKnowsNothingOfHTTPOrBrokers(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const module = "github.com/hirebridge/hirebridge/"
	for _, dep := range strings.Fields(string(out)) {
		above := strings.HasPrefix(dep, module) && !strings.HasPrefix(dep, module+"schema")
		broker := strings.Contains(dep, "nats-io/") || strings.Contains(dep, "kafka") || strings.Contains(dep, "franz-go")
		if above || broker || dep == "net/http" {
			t.Errorf("package schema depends on %s", dep)
		}
	}
}
