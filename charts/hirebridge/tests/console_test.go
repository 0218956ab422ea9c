package tests

import (
	"path"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// consoleOn takes the console's admin token from a Secret of the user's.
const consoleOn = `
console:
  adminToken:
    existingSecret: bridge-admin
    key: token
`

// TestConsoleAdminToken: HIREBRIDGE_ADMIN_TOKEN_FILE names the key in a
// read-only mount of the user's Secret, and NOTES give the port-forward to
// the console and the command that reads the token; without the value no
// token is mounted and NOTES say what the console then refuses.
func TestConsoleAdminToken(t *testing.T) {
	r := mustRender(t, values(t, consoleOn))
	file := r.env(t)["HIREBRIDGE_ADMIN_TOKEN_FILE"]
	if path.Base(file) != "token" {
		t.Fatalf("HIREBRIDGE_ADMIN_TOKEN_FILE=%q, want a file named after key token", file)
	}
	m, ok := mountAt(r.container(t), path.Dir(file))
	if !ok {
		t.Fatalf("no mount at %s", path.Dir(file))
	}
	if m.SubPath != "" || !m.ReadOnly {
		t.Errorf("mount %+v: want a read-only directory without subPath", m)
	}
	v := volume(t, r.deployment(t).Spec.Template.Spec, m.Name)
	if v.Secret == nil || v.Secret.SecretName != "bridge-admin" || len(v.Secret.Items) != 1 || v.Secret.Items[0].Key != "token" {
		t.Errorf("volume %+v is not key token of Secret bridge-admin", v)
	}
	for _, want := range []string{
		"port-forward svc/prod-hirebridge 9090",
		"open http://localhost:9090/ (the console)",
		"get secret bridge-admin",
		"{.data.token}",
	} {
		if !strings.Contains(r.notes, want) {
			t.Errorf("NOTES do not say %q:\n%s", want, r.notes)
		}
	}

	r = mustRender(t, nil)
	if file, ok := r.env(t)["HIREBRIDGE_ADMIN_TOKEN_FILE"]; ok {
		t.Errorf("HIREBRIDGE_ADMIN_TOKEN_FILE=%q without console.adminToken.existingSecret", file)
	}
	for _, v := range r.deployment(t).Spec.Template.Spec.Volumes {
		if v.Name == "admin-token" {
			t.Errorf("an admin token volume without console.adminToken.existingSecret: %+v", v)
		}
	}
	if !strings.Contains(r.notes, "No admin token is set") {
		t.Errorf("NOTES do not say the console has no admin token:\n%s", r.notes)
	}
}

// TestConsoleOnlyOnAdminService: the console is on the admin port, which an
// Ingress never routes to, and which moves to a ClusterIP Service of its
// own when the main Service is exposed; NOTES then port-forward to that.
func TestConsoleOnlyOnAdminService(t *testing.T) {
	r := mustRender(t, values(t, `
service:
  type: LoadBalancer
ingress:
  enabled: true
`))
	if !strings.Contains(r.notes, "port-forward svc/prod-hirebridge-admin 9090") {
		t.Errorf("NOTES do not port-forward to the admin Service:\n%s", r.notes)
	}
	for _, o := range r.objects {
		ing, ok := o.value.(*networkingv1.Ingress)
		if !ok {
			continue
		}
		for _, rule := range ing.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				if p.Backend.Service.Port.Name != "http" || p.Path == "/" {
					t.Errorf("the Ingress routes %q to port %+v: the console would be public", p.Path, p.Backend.Service.Port)
				}
			}
		}
	}
}
