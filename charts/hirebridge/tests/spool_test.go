package tests

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The two shapes: without the spool a Deployment and no spool variables
// beyond HIREBRIDGE_SPOOL=false; with it a StatefulSet whose every pod has
// a claim of its own, mounted where HIREBRIDGE_SPOOL_DIR points, and NOTES
// that say what that means for scaling.
func TestSpoolShapes(t *testing.T) {
	plain := mustRender(t, values(t, ""))
	if !has[*appsv1.Deployment](plain) || has[*appsv1.StatefulSet](plain) {
		t.Error("without the spool the chart must render a Deployment and no StatefulSet")
	}
	env := plain.env(t)
	if env["HIREBRIDGE_SPOOL"] != "false" || env["HIREBRIDGE_SPOOL_DIR"] != "" {
		t.Errorf("without the spool: HIREBRIDGE_SPOOL=%q HIREBRIDGE_SPOOL_DIR=%q", env["HIREBRIDGE_SPOOL"], env["HIREBRIDGE_SPOOL_DIR"])
	}
	if strings.Contains(plain.notes, "spool") {
		t.Error("NOTES speak of a spool that is off")
	}

	r := mustRender(t, values(t, `
replicaCount: 3
spool:
  enabled: true
  maxBytes: 1000000000
  after: 1500ms
  size: 5Gi
  storageClassName: fast-ssd
`))
	if has[*appsv1.Deployment](r) {
		t.Error("with the spool the chart still renders a Deployment")
	}
	sts := one[*appsv1.StatefulSet](t, r, fullname)
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 3 || sts.Spec.ServiceName != fullname {
		t.Errorf("StatefulSet replicas %v, serviceName %q", sts.Spec.Replicas, sts.Spec.ServiceName)
	}
	if p := sts.Spec.PersistentVolumeClaimRetentionPolicy; p == nil ||
		p.WhenScaled != appsv1.RetainPersistentVolumeClaimRetentionPolicyType || p.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
		t.Errorf("claim retention %+v, want Retain on scale-down and deletion: the claims hold accepted events", p)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("%d volumeClaimTemplates, want the spool's", len(sts.Spec.VolumeClaimTemplates))
	}
	claim := sts.Spec.VolumeClaimTemplates[0]
	if claim.Name != "spool" || claim.Spec.StorageClassName == nil || *claim.Spec.StorageClassName != "fast-ssd" ||
		!claim.Spec.Resources.Requests.Storage().Equal(resource.MustParse("5Gi")) ||
		len(claim.Spec.AccessModes) != 1 || claim.Spec.AccessModes[0] != corev1.ReadWriteOnce {
		t.Errorf("spool claim %+v, want 5Gi ReadWriteOnce of fast-ssd named spool", claim)
	}
	env = r.env(t)
	for name, want := range map[string]string{
		"HIREBRIDGE_SPOOL": "true", "HIREBRIDGE_SPOOL_MAX_BYTES": "1000000000", "HIREBRIDGE_SPOOL_AFTER": "1500ms",
	} {
		if env[name] != want {
			t.Errorf("%s=%q, want %q", name, env[name], want)
		}
	}
	m, ok := mountAt(r.container(t), env["HIREBRIDGE_SPOOL_DIR"])
	if !ok || m.Name != "spool" || m.ReadOnly {
		t.Errorf("HIREBRIDGE_SPOOL_DIR %q is not where the spool claim is mounted (%+v)", env["HIREBRIDGE_SPOOL_DIR"], r.container(t).VolumeMounts)
	}
	for _, want := range []string{"spool-" + fullname + "-<ordinal>", "Scaling", "hirebridge_spool_events",
		"forwards its spool before it exits", "hirebridge spool drain " + env["HIREBRIDGE_SPOOL_DIR"], "docs/kubernetes.md"} {
		if !strings.Contains(r.notes, want) {
			t.Errorf("NOTES do not say %q:\n%s", want, r.notes)
		}
	}
}

func TestSpoolRefusals(t *testing.T) {
	for _, tc := range []struct{ name, vals, want string }{
		{"embedded server", "replicaCount: 1\nconfig: {nats: {url: ''}}\nspool: {enabled: true}", "external broker"},
		{"autoscaling", "spool: {enabled: true}\nautoscaling: {enabled: true}", "autoscaling.enabled"},
		{"volume too small", "spool: {enabled: true, maxBytes: 1073741824, size: 1Gi}", "spool.size"},
		{"duration", "spool: {after: soon}", "after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, values(t, tc.vals))
			if err == nil {
				t.Fatalf("%s rendered; want it refused", tc.vals)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not name %q: %v", tc.want, err)
			}
		})
	}
}
