package tests

import (
	"path"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// sourcesOn takes the sources file from a Secret of the user's.
const sourcesOn = `
sources:
  existingSecret: bridge-sources
  key: sources.json
`

// TestSourcesFromSecret: HIREBRIDGE_SOURCES_FILE names the key in a mount
// of the whole Secret as a directory (no subPath, which Kubernetes never
// updates), and the webhook token is not passed beside it: the service
// refuses both.
func TestSourcesFromSecret(t *testing.T) {
	r := mustRender(t, values(t, sourcesOn))
	env := r.env(t)
	file := env["HIREBRIDGE_SOURCES_FILE"]
	if path.Base(file) != "sources.json" {
		t.Fatalf("HIREBRIDGE_SOURCES_FILE=%q, want a file named after key sources.json", file)
	}
	if tok, ok := env["HIREBRIDGE_WEBHOOK_TOKEN_FILE"]; ok {
		t.Errorf("HIREBRIDGE_WEBHOOK_TOKEN_FILE=%q beside the sources file", tok)
	}
	c := r.container(t)
	pod := r.deployment(t).Spec.Template.Spec
	m, ok := mountAt(c, path.Dir(file))
	if !ok {
		t.Fatalf("no mount at %s", path.Dir(file))
	}
	if m.SubPath != "" || !m.ReadOnly {
		t.Errorf("mount %+v: want a read-only directory without subPath, so Secret updates reach the pod", m)
	}
	v := volume(t, pod, m.Name)
	if v.Secret == nil || v.Secret.SecretName != "bridge-sources" {
		t.Errorf("volume %+v is not Secret bridge-sources", v)
	}
	// An existing Secret without a webhook token key is fine with sources.
	r = mustRender(t, values(t, sourcesOn+`
secrets:
  existingSecret: bridge-secrets
  existingSecretKeys:
    webhookToken: ""
`))
	if _, ok := r.env(t)["HIREBRIDGE_WEBHOOK_TOKEN_FILE"]; ok {
		t.Error("HIREBRIDGE_WEBHOOK_TOKEN_FILE set with no key for it")
	}
	var none []corev1.Volume
	for _, v := range mustRender(t, nil).deployment(t).Spec.Template.Spec.Volumes {
		if v.Name == "sources" {
			none = append(none, v)
		}
	}
	if len(none) != 0 {
		t.Errorf("a sources volume without sources.existingSecret: %+v", none)
	}
}
