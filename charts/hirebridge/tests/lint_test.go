package tests

import (
	"testing"

	"helm.sh/helm/v3/pkg/action"
)

// TestLintStrict is `helm lint --strict` (the same action the CLI runs):
// warnings fail too. It runs on the defaults and on the scenarios that switch
// every feature on.
func TestLintStrict(t *testing.T) {
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = namespace
			lint.KubeVersion = kubeVersion(t)
			res := lint.Run([]string{chartDir}, sc.vals)
			for _, m := range res.Messages {
				t.Log(m.Error())
			}
			if res.TotalChartsLinted != 1 {
				t.Errorf("linted %d charts, want 1", res.TotalChartsLinted)
			}
			for _, err := range res.Errors {
				t.Error(err)
			}
		})
	}
}
