package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const (
	// chartDir is the chart under test; this module lives inside it and the
	// chart's .helmignore keeps it out of the package.
	chartDir = ".."
	// repoRoot is the service's module, whose Dockerfile and configuration
	// the chart must match.
	repoRoot = "../../.."

	releaseName = "prod"
	namespace   = "hooks"
	fullname    = "prod-hirebridge"
)

var (
	loadOnce   sync.Once
	chartCache *chart.Chart
	loadErr    error
)

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	loadOnce.Do(func() { chartCache, loadErr = loader.Load(chartDir) })
	if loadErr != nil {
		t.Fatalf("loading the chart: %v", loadErr)
	}
	return chartCache
}

// testedKubeVersion is the cluster version the chart is rendered for, in
// place of the old default that helm built without release flags assumes.
const testedKubeVersion = "v1.33.0"

func kubeVersion(t *testing.T) *chartutil.KubeVersion {
	t.Helper()
	v, err := chartutil.ParseKubeVersion(testedKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// values parses YAML the way `helm install -f` would read a values file.
func values(t *testing.T, doc string) map[string]any {
	t.Helper()
	v := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("test values: %v", err)
	}
	return v
}

// rendering is one `helm install --dry-run` of the chart, every object
// decoded into its Kubernetes API type.
type rendering struct {
	notes   string
	objects []object
}

type object struct {
	kind, name string
	raw        []byte
	value      any
}

// render is `helm template` through helm's own install action, so values
// are coalesced and checked against values.schema.json exactly as helm does.
func render(t *testing.T, vals map[string]any) (*rendering, error) {
	t.Helper()
	return renderRelease(t, releaseName, kubeVersion(t), vals)
}

// renderOn is render for a cluster of another Kubernetes version.
func renderOn(t *testing.T, version string, vals map[string]any) (*rendering, error) {
	t.Helper()
	v, err := chartutil.ParseKubeVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	return renderRelease(t, releaseName, v, vals)
}

// renderRelease is render under another release name, on kube.
func renderRelease(t *testing.T, release string, kube *chartutil.KubeVersion, vals map[string]any) (*rendering, error) {
	t.Helper()
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun = true
	inst.ClientOnly = true
	inst.Replace = true
	inst.ReleaseName = release
	inst.Namespace = namespace
	inst.KubeVersion = kube
	rel, err := inst.Run(loadChart(t), vals)
	if err != nil {
		return nil, err
	}
	objs, err := decodeManifest(rel.Manifest)
	if err != nil {
		return nil, err
	}
	return &rendering{notes: rel.Info.Notes, objects: objs}, nil
}

// mustRender fails the test when the chart does not render.
func mustRender(t *testing.T, vals map[string]any) *rendering {
	t.Helper()
	r, err := render(t, vals)
	if err != nil {
		t.Fatalf("rendering: %v", err)
	}
	return r
}

// newTyped maps apiVersion/kind to the type a rendered object must decode
// into. A kind missing here fails the test: every object is checked.
var newTyped = map[string]func() any{
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                      func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                    func() any { return &appsv1.StatefulSet{} },
	"networking.k8s.io/v1/Ingress":           func() any { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any {
		return &monitoringv1.ServiceMonitor{}
	},
}

// decodeManifest splits the rendered stream and decodes each document
// strictly: a field the API type does not have (a typo, a wrong indent) is
// an error, as the API server would reject or silently drop it.
func decodeManifest(manifest string) ([]object, error) {
	rd := k8syaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	var out []object
	for {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("%v in:\n%s", err, doc)
		}
		mk, ok := newTyped[tm.APIVersion+"/"+tm.Kind]
		if !ok {
			return nil, fmt.Errorf("rendered %s %s, which the tests do not know how to check", tm.APIVersion, tm.Kind)
		}
		v := mk()
		if err := yaml.UnmarshalStrict(doc, v); err != nil {
			return nil, fmt.Errorf("%s: %v in:\n%s", tm.Kind, err, doc)
		}
		out = append(out, object{kind: tm.Kind, name: v.(metav1.Object).GetName(), raw: doc, value: v})
	}
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes()
}

// all returns the objects of one kind.
func all[T any](r *rendering) []T {
	var out []T
	for _, o := range r.objects {
		if v, ok := o.value.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// one returns the only object of a kind with the given name.
func one[T metav1.Object](t *testing.T, r *rendering, name string) T {
	t.Helper()
	var found []T
	for _, v := range all[T](r) {
		if v.GetName() == name {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("want one %T named %q, got %d", zero, name, len(found))
	}
	return found[0]
}

func has[T metav1.Object](r *rendering) bool { return len(all[T](r)) > 0 }

// deployment is the pods' workload: the Deployment or, with the spool on,
// the StatefulSet seen as one (its pod template, replicas and selector), so
// every check of the pod holds for both shapes.
func (r *rendering) deployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	if !has[*appsv1.StatefulSet](r) {
		return one[*appsv1.Deployment](t, r, fullname)
	}
	if has[*appsv1.Deployment](r) {
		t.Fatal("rendered both a Deployment and a StatefulSet")
	}
	s := one[*appsv1.StatefulSet](t, r, fullname)
	return &appsv1.Deployment{ObjectMeta: s.ObjectMeta, Spec: appsv1.DeploymentSpec{
		Replicas: s.Spec.Replicas, Selector: s.Spec.Selector, Template: s.Spec.Template,
	}}
}

func (r *rendering) container(t *testing.T) corev1.Container {
	t.Helper()
	cs := r.deployment(t).Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("want one container, got %d", len(cs))
	}
	return cs[0]
}

// env is the ConfigMap the container takes its HIREBRIDGE_* variables from.
func (r *rendering) env(t *testing.T) map[string]string {
	t.Helper()
	c := r.container(t)
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil {
		t.Fatalf("want the container's env from one ConfigMap, got %+v", c.EnvFrom)
	}
	return one[*corev1.ConfigMap](t, r, c.EnvFrom[0].ConfigMapRef.Name).Data
}
