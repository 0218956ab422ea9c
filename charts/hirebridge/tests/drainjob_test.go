package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// The drain Job of docs/kubernetes.md ("A spool left on a volume"), for
// release hirebridge and ordinal 2, in its two forms: made with jq from
// the StatefulSet the chart renders, and written out.
const (
	drainRelease = "hirebridge"
	drainClaim   = "spool-hirebridge-2"
	drainJob     = "hirebridge-spool-drain-2"
)

// The jq recipe, run on the StatefulSet the chart renders with the spool,
// TLS and broker credentials on, makes a Job that drains the claim with
// the pods' image, settings and secrets.
func TestDrainJobFromTheStatefulSet(t *testing.T) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		t.Skip("no jq on PATH: skips the drain Job docs/kubernetes.md makes with jq from the StatefulSet")
	}
	program := jqProgram(t, kubernetesDoc(t))
	r := renderDrainRelease(t, `
spool: {enabled: true}
config:
  nats:
    user: bridge
    tls: {enabled: true, secretName: nats-client-tls, caKey: ca.crt}
secrets:
  natsPassword: nats-pass
`)
	sts, err := json.Marshal(one[*appsv1.StatefulSet](t, r, drainRelease))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(jq, "--arg", "claim", drainClaim, "--arg", "job", drainJob, program)
	cmd.Stdin = bytes.NewReader(sts)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jq: %v", err)
	}
	checkDrainJob(t, r, decodeJob(t, out))
}

// The Job written out drains the claim of a release installed with the
// chart's defaults and its own Secret.
func TestDrainJobWrittenOut(t *testing.T) {
	doc := kubernetesDoc(t)
	var manifest []byte
	for _, block := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		if strings.Contains(block[1], "kind: Job") {
			manifest = []byte(block[1])
		}
	}
	if manifest == nil {
		t.Fatal("docs/kubernetes.md has no Job manifest")
	}
	checkDrainJob(t, renderDrainRelease(t, "spool: {enabled: true}"), decodeJob(t, manifest))
}

// checkDrainJob: job drains the claim the StatefulSet gives ordinal 2,
// where the pods read their spool, with the pods' image, settings and
// secret files, runs once, locked down as the pods are, and is no pod of
// the Service's nor the budget's.
func checkDrainJob(t *testing.T, r *rendering, job *batchv1.Job) {
	t.Helper()
	sts := one[*appsv1.StatefulSet](t, r, drainRelease)
	podSpec := sts.Spec.Template.Spec
	pod := podSpec.Containers[0]
	env := one[*corev1.ConfigMap](t, r, pod.EnvFrom[0].ConfigMapRef.Name).Data
	spec := job.Spec.Template.Spec
	if job.Name != drainJob || spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("Job %s restartPolicy %q, want %s and Never", job.Name, spec.RestartPolicy, drainJob)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want one", len(spec.Containers))
	}
	c := spec.Containers[0]
	dir := env["HIREBRIDGE_SPOOL_DIR"]
	if !slices.Equal(c.Args, []string{"spool", "drain", dir}) {
		t.Errorf("args %q, want spool drain %s", c.Args, dir)
	}
	if c.Image != pod.Image {
		t.Errorf("image %q, the pods run %q", c.Image, pod.Image)
	}
	if c.LivenessProbe != nil || c.ReadinessProbe != nil || c.StartupProbe != nil {
		t.Error("the Job's container has the server's probes: a drain serves no /livez")
	}
	m, ok := mountAt(c, dir)
	wantClaim := sts.Spec.VolumeClaimTemplates[0].Name + "-" + sts.Name + "-2"
	if !ok || m.ReadOnly || volume(t, spec, m.Name).PersistentVolumeClaim == nil ||
		volume(t, spec, m.Name).PersistentVolumeClaim.ClaimName != wantClaim || wantClaim != drainClaim {
		t.Errorf("%s is not a writable mount of claim %s: %+v", dir, wantClaim, c.VolumeMounts)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != pod.EnvFrom[0].ConfigMapRef.Name {
		t.Errorf("envFrom %+v, want the pods' ConfigMap %s", c.EnvFrom, pod.EnvFrom[0].ConfigMapRef.Name)
	}
	if m, ok := mountAt(c, env["HIREBRIDGE_DATA_DIR"]); !ok || m.ReadOnly {
		t.Errorf("no writable HIREBRIDGE_DATA_DIR %s: the root filesystem is read-only", env["HIREBRIDGE_DATA_DIR"])
	}
	for name, file := range env {
		if !strings.HasSuffix(name, "_FILE") {
			continue
		}
		pm, _ := mountAt(pod, path.Dir(file))
		jm, ok := mountAt(c, path.Dir(file))
		if !ok {
			t.Errorf("%s=%s is in no volume of the Job", name, file)
			continue
		}
		if want, got := volume(t, podSpec, pm.Name).Secret, volume(t, spec, jm.Name).Secret; got == nil || want == nil || got.SecretName != want.SecretName {
			t.Errorf("%s: the Job mounts %+v at %s, the pods Secret %+v", name, got, path.Dir(file), want)
		}
	}
	sc := c.SecurityContext
	if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot ||
		sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("the Job's pod must run as non-root with a read-only root filesystem, as the pods do")
	}
	jobLabels := labels.Set(job.Spec.Template.Labels)
	for _, s := range all[*corev1.Service](r) {
		if labels.SelectorFromSet(s.Spec.Selector).Matches(jobLabels) {
			t.Errorf("Service %s selects the Job's pod: webhooks would go to it", s.Name)
		}
	}
	for _, p := range all[*policyv1.PodDisruptionBudget](r) {
		if labels.SelectorFromSet(p.Spec.Selector.MatchLabels).Matches(jobLabels) {
			t.Errorf("PodDisruptionBudget %s counts the Job's pod", p.Name)
		}
	}
}

func renderDrainRelease(t *testing.T, vals string) *rendering {
	t.Helper()
	r, err := renderRelease(t, drainRelease, kubeVersion(t), values(t, vals))
	if err != nil {
		t.Fatalf("rendering: %v", err)
	}
	return r
}

func kubernetesDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "kubernetes.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jqProgram is the program of the doc's jq command: its one quoted
// argument that is not an --arg's.
func jqProgram(t *testing.T, doc string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)\| jq \\\n(?:\s*--arg \S+ "[^"]*")+ '(.*?)'`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/kubernetes.md has no jq command making the drain Job")
	}
	return m[1]
}

func decodeJob(t *testing.T, doc []byte) *batchv1.Job {
	t.Helper()
	var job batchv1.Job
	if err := yaml.UnmarshalStrict(doc, &job); err != nil {
		t.Fatalf("the drain Job: %v\n%s", err, doc)
	}
	if job.APIVersion != "batch/v1" || job.Kind != "Job" {
		t.Fatalf("the drain Job is %s %s", job.APIVersion, job.Kind)
	}
	return &job
}
